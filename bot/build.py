"""Writing an index build: chunk and sentence vectors into a pair of Chroma collections.

A build is named `PREFIX + fingerprint[:32]` (see store.fingerprint), its sentence
vectors in the collection of the same name plus SENTENCE_SUFFIX. It is written with
`complete: False` and marked complete only after its last batch, so an interrupted
build is never opened as the current index. Vectors of passages an earlier complete
build already holds (same model, same chunker) are copied rather than embedded again.
"""

from __future__ import annotations

import contextlib
import json
import sys

import numpy as np

from .chunking import CHUNKER_VERSION, Chunk
from .embeddings import Embedder

PREFIX = "bot-chunks-"
SENTENCE_SUFFIX = "-sentences"
BATCH = 64


def reusable_build(client, existing: dict, name: str, embedder: Embedder):
    """A complete earlier build with the same model and chunker: its vectors can be copied,
    so adding one article to a large archive embeds only that article."""
    for other, col in existing.items():
        meta = col.metadata or {}
        if (other != name and meta.get("complete") and meta.get("embedding_model") == embedder.model_id
                and meta.get("chunker_version") == CHUNKER_VERSION):
            with contextlib.suppress(Exception):
                return col, client.get_collection(other + SENTENCE_SUFFIX)
    return None


def _vectors(batch: list[Chunk], embedder: Embedder, previous) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk and sentence vectors: copied from `previous` when it has the chunk (the same
    id is the same text and span), embedded otherwise."""
    known: dict[str, tuple] = {}
    if previous is not None:
        col, scol = previous
        got = col.get(ids=[c.id for c in batch], include=["embeddings"])
        chunk_vecs = dict(zip(got["ids"], got["embeddings"]))
        want = [f"{c.id}:{j}" for c in batch if c.id in chunk_vecs for j in range(len(c.sentences))]
        sgot = scol.get(ids=want, include=["embeddings"]) if want else {"ids": [], "embeddings": []}
        rows_of = dict(zip(sgot["ids"], sgot["embeddings"]))
        for c in batch:
            rows = [rows_of.get(f"{c.id}:{j}") for j in range(len(c.sentences))]
            if c.id in chunk_vecs and all(r is not None for r in rows):
                known[c.id] = (np.asarray(chunk_vecs[c.id], np.float32), np.asarray(rows, np.float32))
    todo = [c for c in batch if c.id not in known]
    if todo:
        vecs, sentence_vecs = embedder.embed_chunks(todo)
        known.update({c.id: (v, sv) for c, v, sv in zip(todo, vecs, sentence_vecs)})
    return np.stack([known[c.id][0] for c in batch]), [known[c.id][1] for c in batch]


def write_build(client, name, fp, articles, chunks, embedder, progress, previous=None) -> None:
    from tqdm import tqdm

    drop_build(client, name)
    meta = {"bot_index": 1, "fingerprint": fp, "embedding_model": embedder.model_id,
            "chunker_version": CHUNKER_VERSION, "articles": json.dumps({a.id: a.content_hash for a in articles}),
            "complete": False}
    col = client.create_collection(name, metadata=meta, configuration={"hnsw": {"space": "cosine"}})
    # Sentence vectors are only ever read by id, never searched: the sparsest HNSW graph
    # makes their inserts ~3.7x cheaper (they are three times as many as the passages).
    scol = client.create_collection(name + SENTENCE_SUFFIX, metadata={"bot_index": 1, "fingerprint": fp},
                                    configuration={"hnsw": {"space": "cosine", "ef_construction": 4, "max_neighbors": 2}})
    titles = {a.id: a.title for a in articles}
    bar = tqdm(total=len(chunks), desc="Embedding passages", unit="passage", disable=not progress, file=sys.stderr)
    for i in range(0, len(chunks), BATCH):
        batch = chunks[i : i + BATCH]
        vecs, sentence_vecs = _vectors(batch, embedder, previous)
        # No documents: the text is read from the articles by span, never from Chroma, and
        # Chroma would index every document for full-text search it is never asked for.
        col.add(
            ids=[c.id for c in batch],
            embeddings=vecs,
            metadatas=[{"article_id": c.article_id, "article_title": titles[c.article_id], "paragraph": c.paragraph,
                        "start": c.start, "end": c.end, "section": c.section or ""} for c in batch],
        )
        scol.add(
            ids=[f"{c.id}:{j}" for c, sv in zip(batch, sentence_vecs) for j in range(len(sv))],
            embeddings=np.concatenate(sentence_vecs),
            metadatas=[{"chunk_id": c.id, "article_id": c.article_id} for c, sv in zip(batch, sentence_vecs) for _ in range(len(sv))],
        )
        bar.update(len(batch))
    bar.close()
    col.modify(metadata={**meta, "complete": True})


def swap_build(client, staging: str, name: str) -> None:
    """Put a complete staging build in the place of `name`. The chunk collection, which
    carries the `complete` mark, is renamed last: cut short, the next open rebuilds."""
    drop_build(client, name)
    client.get_collection(staging + SENTENCE_SUFFIX).modify(name=name + SENTENCE_SUFFIX)
    client.get_collection(staging).modify(name=name)


def drop_build(client, name: str) -> None:
    for n in (name, name + SENTENCE_SUFFIX):
        with contextlib.suppress(Exception):
            client.delete_collection(n)
