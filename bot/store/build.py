"""Writing an index build: one Chroma collection, a passage vector per record and the
passage's sentence vectors packed into its metadata.

A build is named `PREFIX + fingerprint[:32]` (see store.fingerprint). It is written with
`complete: False` and marked complete only after its last batch, so an interrupted
build is never opened as the current index. Vectors of passages an earlier complete
build already holds (same model, chunker and layout) are copied rather than embedded again.

The sentence vectors are only ever read by passage id, never searched, so they ride in
the passage's own metadata rather than in a second collection: a build is one `add` per
batch, where a second collection cost a fixed ~25 ms more per build (a tenth of a
one-article build). At 1,000 articles the two layouts index at the same rate; this one
takes more disk (169 MB against 132) and less memory (899 MB RSS against 1,075).
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys

import numpy as np

from .chunking import CHUNKER_VERSION, Chunk
from .embeddings import Embedder

PREFIX = "bot-chunks-"
FORMAT = 3  # the record layout; part of the fingerprint, so a new layout is a new build
SENTENCES_KEY = "sentence_vectors"
BATCH = 64


def pack(vectors: np.ndarray) -> str:
    """Sentence vectors (rows) as text a metadata value can hold: base64 of float16 rows.

    Half precision halves the packed text, which Chroma keeps twice (in its table and in
    a SQL index on it): 18.4 MB on disk at 100 articles instead of 32.2 MB in float32. A
    cosine between unit vectors moves by about 1e-4, far under any gap the answerer
    decides on.

    >>> sentence_rows({SENTENCES_KEY: pack(np.eye(2, 3))}, 2).tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    return base64.b64encode(np.ascontiguousarray(vectors, dtype="<f2").tobytes()).decode("ascii")


def sentence_rows(metadata: dict | None, n_sentences: int, dim: int | None = None) -> np.ndarray | None:
    """A record's sentence vectors, one row per sentence; None when it has none or the
    packed values are not that many rows (of `dim` values, when it is given)."""
    packed = (metadata or {}).get(SENTENCES_KEY)
    if not isinstance(packed, str) or n_sentences <= 0:
        return None
    try:
        flat = np.frombuffer(base64.b64decode(packed, validate=True), dtype="<f2")
    except ValueError:  # binascii.Error is one; so is a length not a multiple of 2
        return None
    if not len(flat) or len(flat) % n_sentences or (dim and len(flat) != n_sentences * dim):
        return None
    return flat.reshape(n_sentences, -1).astype(np.float32)


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


def _vectors(batch: list[Chunk], embedder: Embedder, previous) -> tuple[np.ndarray, list[np.ndarray]]:
    """Chunk and sentence vectors: copied from `previous` when it has the chunk (the same
    id is the same text and span), embedded otherwise."""
    known: dict[str, tuple] = {}
    if previous is not None:
        got = previous.get(ids=[c.id for c in batch], include=["embeddings", "metadatas"])
        by_id = {cid: (vec, meta) for cid, vec, meta in zip(got["ids"], got["embeddings"], got["metadatas"])}
        for c in batch:
            if c.id in by_id:
                vec, meta = by_id[c.id]
                vec = np.asarray(vec, np.float32)
                rows = sentence_rows(meta, len(c.sentences), len(vec))
                if rows is not None:
                    known[c.id] = (vec, rows)
    todo = [c for c in batch if c.id not in known]
    if todo:
        vecs, sentence_vecs = embedder.embed_chunks(todo)
        known.update({c.id: (v, sv) for c, v, sv in zip(todo, vecs, sentence_vecs)})
    return np.stack([known[c.id][0] for c in batch]), [known[c.id][1] for c in batch]


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
    bar = tqdm(total=len(chunks), desc="Embedding passages", unit="passage", disable=not progress, file=sys.stderr)
    for i in range(0, len(chunks), BATCH):
        batch = chunks[i : i + BATCH]
        vecs, sentence_vecs = _vectors(batch, embedder, previous)
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
                    SENTENCES_KEY: pack(sv),
                }
                for c, sv in zip(batch, sentence_vecs)
            ],
        )
        bar.update(len(batch))
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
