"""Writing an index build: one Chroma collection, a passage vector per record.

A build is named `PREFIX + fingerprint[:32]` (see store.fingerprint). It is written with
`complete: False` and marked complete only after its last batch, so an interrupted
build is never opened as the current index. Vectors of passages an earlier complete
build already holds (same model, chunker and layout) are copied rather than embedded again.
"""

from __future__ import annotations

import contextlib
import json
import sys

import numpy as np

from .chunking import CHUNKER_VERSION, Chunk
from .embeddings import Embedder

PREFIX = "bot-chunks-"
FORMAT = 4  # the record layout; part of the fingerprint, so a new layout is a new build (4: no sentence vectors)
BATCH = 64


def reusable_build(existing: dict, name: str, embedder: Embedder):
    """A complete earlier build with the same model, chunker and layout: its vectors can be
    copied, so adding one article to a large archive embeds only that article."""
    for other, col in existing.items():
        meta = col.metadata or {}
        if (
            other != name
            and meta.get("complete")
            and meta.get("embedding_model") == embedder.model_id
            and meta.get("chunker_version") == CHUNKER_VERSION
            and meta.get("format") == FORMAT
        ):
            return col
    return None


def reused_count(chunks: list[Chunk], previous) -> int:
    """How many of the passages an earlier build holds already (their vectors are copied)."""
    if previous is None or not chunks:
        return 0
    return len(previous.get(ids=[c.id for c in chunks], include=[])["ids"])


def _vectors(batch: list[Chunk], embedder: Embedder, previous) -> tuple[np.ndarray, int]:
    """The passages' vectors, copied from `previous` when it has the passage (the same id is
    the same text and span), embedded otherwise; and how many were embedded."""
    known: dict[str, np.ndarray] = {}
    if previous is not None:
        got = previous.get(ids=[c.id for c in batch], include=["embeddings"])
        known = {cid: np.asarray(vec, np.float32) for cid, vec in zip(got["ids"], got["embeddings"])}
    todo = [c for c in batch if c.id not in known]
    if todo:
        known.update(zip((c.id for c in todo), embedder.embed_chunks(todo)))
    return np.stack([known[c.id] for c in batch]), len(todo)


def write_build(client, name, fp, articles, chunks, embedder, progress, previous=None) -> None:
    from tqdm import tqdm

    drop_build(client, name)
    meta = {
        "bot_index": 1,
        "format": FORMAT,
        "fingerprint": fp,
        "embedding_model": embedder.model_id,
        "chunker_version": CHUNKER_VERSION,
        "articles": json.dumps({a.id: a.content_hash for a in articles}),
        "complete": False,
    }
    col = client.create_collection(name, metadata=meta, configuration={"hnsw": {"space": "cosine"}})
    titles = {a.id: a.title for a in articles}
    new = len(chunks) - reused_count(chunks, previous)
    bar = tqdm(total=new, desc="Embedding passages", unit="passage", disable=not progress or not new, file=sys.stderr)
    for i in range(0, len(chunks), BATCH):
        batch = chunks[i : i + BATCH]
        vecs, embedded = _vectors(batch, embedder, previous)
        # No documents: the text is read from the articles by span, never from Chroma, and
        # Chroma would index every document for full-text search it is never asked for.
        col.add(
            ids=[c.id for c in batch],
            embeddings=vecs,
            metadatas=[
                {
                    "article_id": c.article_id,
                    "article_title": titles[c.article_id],
                    "paragraph": c.paragraph,
                    "start": c.start,
                    "end": c.end,
                    "section": c.section or "",
                }
                for c in batch
            ],
        )
        bar.update(embedded)
    bar.close()
    col.modify(metadata={**meta, "complete": True})


def swap_build(client, staging: str, name: str) -> None:
    """Put a complete staging build in the place of `name`. Cut short between the two
    steps, no complete build of that name exists and the next open rebuilds."""
    drop_build(client, name)
    client.get_collection(staging).modify(name=name)


def drop_build(client, name: str) -> None:
    with contextlib.suppress(Exception):
        client.delete_collection(name)
