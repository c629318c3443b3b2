"""The layout of a build: one record per passage, its sentence vectors packed in its metadata."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest
from conftest import CountingEmbedder  # tests/ is on sys.path (pytest's rootdir conftest)

from bot.core.errors import StoreError
from bot.store.build import FORMAT, PREFIX, SENTENCES_KEY, pack, sentence_rows
from bot.store.chroma import connect
from bot.store.chunking import CHUNKER_VERSION, chunk_article
from bot.store.index import open_index
from bot.text.article import load_articles


def test_packed_vectors_read_back_in_half_precision():
    rows = np.random.default_rng(0).standard_normal((3, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    back = sentence_rows({SENTENCES_KEY: pack(rows)}, 3, 384)
    assert back.dtype == np.float32 and back.shape == (3, 384)
    assert np.abs(back - rows).max() < 1e-3
    assert np.abs(back @ rows.T - rows @ rows.T).max() < 1e-3  # cosines barely move
    assert sentence_rows({SENTENCES_KEY: pack(rows)}, 5) is None  # 1,152 values are not five rows
    assert sentence_rows({SENTENCES_KEY: pack(rows)}, 2, 384) is None  # nor two rows of 384


def test_each_passage_keeps_the_vectors_of_its_own_sentences(qa, embedder):
    """The packed sentence vectors read back as the ones the model gives the passage's
    sentences: one unit row per sentence, in order."""
    index = qa.index()  # the session's index: this test only reads it
    chunk = max(index.chunks.values(), key=lambda c: len(c.sentences))
    assert len(chunk.sentences) >= 3
    (meta,) = index.chunks_col.get(ids=[chunk.id], include=["metadatas"])["metadatas"]
    rows = sentence_rows(meta, len(chunk.sentences))
    assert rows.shape == (len(chunk.sentences), embedder.dimension)
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    assert rows == pytest.approx(embedder.embed_chunks([chunk])[1][0], abs=1e-3)
    assert np.array_equal(index.sentence_vectors([chunk.id])[chunk.id], rows)


@pytest.mark.parametrize("packed", [None, 7, "not base64!", "AAAA", ""])
def test_sentence_vectors_that_are_missing_or_do_not_fit_read_as_none(packed):
    assert sentence_rows({SENTENCES_KEY: packed} if packed is not None else {}, 2) is None
    assert sentence_rows(None, 2) is None


@pytest.mark.parametrize("damage", ["undecodable", "wrong dimension"])
def test_a_build_whose_sentence_vectors_are_damaged_asks_for_a_rebuild(make_settings, embedder, damage):
    settings = make_settings()
    index = open_index(settings, embedder, progress=False)
    chunk = next(iter(index.chunks.values()))
    (meta,) = index.chunks_col.get(ids=[chunk.id], include=["metadatas"])["metadatas"]
    packed = "AAAA" if damage == "undecodable" else pack(np.ones((len(chunk.sentences), 2)))  # rows of 2, not 384
    index.chunks_col.update(ids=[chunk.id], metadatas=[{**meta, SENTENCES_KEY: packed}])
    with pytest.raises(
        StoreError, match=re.escape("lacks sentence vectors for some passages - run `python -m bot index --rebuild`")
    ):
        open_index(settings, embedder, progress=False).sentence_vectors([chunk.id])


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
    vecs, sentence_vecs = embedder.embed_chunks(chunks)  # even records that look reusable are not reused
    col.add(ids=[c.id for c in chunks], embeddings=vecs, metadatas=[{SENTENCES_KEY: pack(sv)} for sv in sentence_vecs])
    client.create_collection(old + "-sentences", metadata={"bot_index": 1})
    counting = CountingEmbedder(embedder)
    index = open_index(settings, counting, progress=True)
    assert PREFIX + index.fingerprint[:32] != old
    assert (
        "Index: the articles, model, chunker or index layout changed: rebuilding (13 passages)…"
        in capsys.readouterr().err
    )
    assert counting.embedded == 13
    assert sorted(c.name for c in index.client.list_collections()) == [PREFIX + index.fingerprint[:32]]
    assert index.chunks_col.count() == 13 and index.chunks_col.metadata["format"] == FORMAT
