"""The layout of a build: one record per passage, its vector and its place in the article."""

from __future__ import annotations

import hashlib

import pytest
from conftest import CountingEmbedder  # tests/ is on sys.path (pytest's rootdir conftest)

from bot.store.build import FORMAT, PREFIX
from bot.store.chroma import connect
from bot.store.chunking import CHUNKER_VERSION, chunk_article
from bot.store.index import open_index
from bot.text.article import load_articles


def test_a_build_holds_one_vector_per_passage_and_no_sentence_vectors(qa, embedder):
    """The reader embeds its sentences itself (at analysis): a record is the passage's vector
    and its place, nothing more (sentence vectors in the metadata were most of the disk)."""
    index = qa.index()  # the session's index: this test only reads it
    chunk = next(iter(index.chunks.values()))
    got = index.chunks_col.get(ids=[chunk.id], include=["metadatas", "embeddings"])
    assert set(got["metadatas"][0]) == {"article_id", "article_title", "paragraph", "start", "end", "section"}
    assert got["embeddings"][0] == pytest.approx(embedder.embed_chunks([chunk])[0], abs=1e-4)


def test_an_index_of_the_older_two_collection_layout_is_rebuilt_and_dropped(make_settings, embedder, capsys):
    """Layout 1 kept sentence vectors in a side collection; its builds carry no format and
    its fingerprint had no layout line. Such a build, complete and over the same articles,
    is not opened and not copied from (every passage is embedded again), and both of its
    collections go once the new build is done."""
    settings = make_settings()
    articles = load_articles(settings.articles_dir)
    chunks = [c for a in articles for c in chunk_article(a)]
    h = hashlib.sha256(f"chunker={CHUNKER_VERSION}\nmodel={embedder.model_id}\n".encode())  # layout 1's fingerprint
    for a in sorted(articles, key=lambda a: a.id):
        h.update(f"{a.id}={a.content_hash}\n".encode())
    old = PREFIX + h.hexdigest()[:32]
    client = connect(settings.index_dir)
    col = client.create_collection(
        old,
        metadata={
            "bot_index": 1,
            "complete": True,
            "embedding_model": embedder.model_id,
            "chunker_version": CHUNKER_VERSION,
        },
    )
    vecs = embedder.embed_chunks(chunks)  # even records that look reusable are not reused
    col.add(ids=[c.id for c in chunks], embeddings=vecs, metadatas=[{"paragraph": c.paragraph} for c in chunks])
    client.create_collection(old + "-sentences", metadata={"bot_index": 1})
    counting = CountingEmbedder(embedder)
    index = open_index(settings, counting, progress=True)
    assert PREFIX + index.fingerprint[:32] != old
    assert (
        "Index: the articles, model, chunker or index layout changed: rebuilding (13 passages: embedding 13)…"
        in capsys.readouterr().err
    )
    assert counting.embedded == 13
    assert sorted(c.name for c in index.client.list_collections()) == [PREFIX + index.fingerprint[:32]]
    assert index.chunks_col.count() == 13 and index.chunks_col.metadata["format"] == FORMAT
