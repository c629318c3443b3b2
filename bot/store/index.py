"""The index: chunk vectors in Chroma (cosine), each with its sentence vectors, BM25 in memory.

The articles folder is the source of truth. An index build is named by a fingerprint
of what it was built from (the articles' content hashes, the embedding model, the
chunker version, the record layout), so a stale index is simply one whose fingerprint
is not the current one. A build writes a new collection beside the old one and marks it
complete only at the end; readers never open an incomplete build, so an interrupted
rebuild leaves the previous index serving. Re-indexing unchanged articles finds the
build and adds nothing. This module decides when to build and opens builds; build.py
writes them and chroma.py connects to the store.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..core import memory
from ..core.errors import IndexChanged, IndexFolderError, StoreError, UsageError
from ..core.secrets import redact
from ..ingest.folder import read_articles
from ..text.article import Article
from ..text.words import acronyms, words
from .bm25 import BM25
from .build import FORMAT, PREFIX, drop_build, reusable_build, reused_count, swap_build, write_build
from .chroma import connect
from .chunking import CHUNKER_VERSION, Chunk, chunk_article
from .embeddings import Embedder
from .health import is_store_failure, mark_current, no_space, probe, space_message, sweep_segments, wipe

STAGING = "-next"  # a forced rebuild is written under name + STAGING, then swapped in


def fingerprint(articles: list[Article], model_id: str) -> str:
    h = hashlib.sha256(f"chunker={CHUNKER_VERSION}\nmodel={model_id}\nformat={FORMAT}\n".encode())
    for a in sorted(articles, key=lambda a: a.id):
        h.update(f"{a.id}={a.content_hash}\n".encode())
    return h.hexdigest()


@dataclass
class Index:
    """A complete, current build: what retrieval and answering read."""

    client: Any
    chunks_col: Any
    articles: dict[str, Article]
    chunks: dict[str, Chunk]
    lexical: BM25
    fingerprint: str
    embedder: Embedder
    vocabulary: frozenset[str] = frozenset()  # every word of the articles and their names' acronyms, lower-cased
    server_url: str | None = None  # BOT_CHROMA_URL, when the vectors live on a server

    def __post_init__(self):
        self._by_article: dict[str, list[Chunk]] = {}
        for chunk in self.chunks.values():
            self._by_article.setdefault(chunk.article_id, []).append(chunk)

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """An article's passages, in article order."""
        return self._by_article.get(article_id, [])

    def dense(self, query_vec: np.ndarray, n: int, article_id: str | None = None) -> list[tuple[str, float]]:
        """The n chunks nearest the query: (chunk id, cosine similarity), best first."""
        n = min(n, len(self.chunks))
        if n <= 0:
            return []
        where = {"article_id": article_id} if article_id else None
        try:
            res = self.chunks_col.query(
                query_embeddings=[query_vec.tolist()], n_results=n, where=where, include=["distances"]
            )
        except Exception as e:
            raise self._failed(e) from None
        return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

    def check_article(self, article_id: str | None) -> None:
        """A usage error for an article id no article has (None means all of them)."""
        if article_id and article_id not in self.articles:
            raise UsageError(f"No article has the id {article_id!r} - use one of: {_some(sorted(self.articles))}")

    def _failed(self, e: Exception) -> StoreError:
        from chromadb.errors import NotFoundError

        if isinstance(e, NotFoundError):  # another process replaced or dropped this build
            return IndexChanged("The index was replaced while answering - ask again")
        if self.server_url:
            return StoreError(
                f"The Chroma server at {redact(self.server_url)} stopped answering ({e.__class__.__name__}) - "
                "restart it (`chroma run --path index/chroma-server --port 8000`) or unset BOT_CHROMA_URL"
            )
        return StoreError(
            f"The vector store failed to answer ({e.__class__.__name__}: {e}) - run `python -m bot index --rebuild`"
        )


def _complete_builds(client) -> dict[str, Any]:
    builds = {}
    for col in client.list_collections():
        name = col.name if hasattr(col, "name") else str(col)
        if name.startswith(PREFIX):  # older layouts' side collections too: dropped as not current
            builds[name] = col
    return builds


def distinct_ids(chunks: list[Chunk]) -> list[Chunk]:
    """The passages with one id each: a passage's id comes from its article's text and span
    (a renamed file keeps its vectors), so two articles with the same text (an archive holds
    repeats: the BBC corpus does) would give one id twice. The later copy's passages take
    an id that also names their article.

    >>> from bot.store.chunking import Chunk
    >>> a, b = Chunk("x", "one", 1, 0, 3, "abc", ((0, 3),)), Chunk("x", "two", 1, 0, 3, "abc", ((0, 3),))
    >>> [c.id == "x" for c in distinct_ids([a, b])]
    [True, False]
    """
    seen: set[str] = set()
    out = []
    for c in chunks:
        if c.id in seen:
            c = replace(c, id=hashlib.sha256(f"{c.article_id}\0{c.id}".encode()).hexdigest()[:24])
        seen.add(c.id)
        out.append(c)
    return out


def open_index(
    settings, embedder: Embedder, *, build: bool = True, rebuild: bool = False, progress: bool = True
) -> Index:
    """Open the current build, building it first when it is missing or stale.

    `rebuild` builds again from scratch; on an embedded store that fails a probe (or fails
    during the build) it starts from an empty store, keeping the articles.
    """
    articles = read_articles(settings.articles_dir)  # with the page each came from, when known
    embedder.start()  # the articles are readable: load the model while the index opens
    chunks = distinct_ids([c for a in articles for c in chunk_article(a)])
    fp = fingerprint(articles, embedder.model_id)
    build_args = (settings, embedder, PREFIX + fp[:32], fp, articles, chunks, progress)
    embedded = not settings.chroma_url
    if rebuild and embedded:
        client = _sound_store(settings.index_dir, progress)
    else:
        client = connect(settings.index_dir, settings.chroma_url)
    with _build_lock(settings):
        try:
            chunks_col = _current_build(client, *build_args, build=build, rebuild=rebuild)
        except BaseException as e:
            if no_space(e, None if settings.chroma_url else settings.index_dir):  # the complete build stays
                _drop_unfinished(client)
                raise StoreError(space_message(settings.index_dir, redact(settings.chroma_url))) from None
            if not is_store_failure(e):
                raise
            if not (rebuild and embedded):
                raise StoreError(
                    f"The index at {redact(settings.chroma_url) or settings.index_dir} failed while building "
                    f"({e.__class__.__name__}) - run `python -m bot index --rebuild`"
                ) from None
            client = _fresh_store(settings.index_dir, e, progress)
            chunks_col = _current_build(client, *build_args, build=build, rebuild=False)
    lexical = BM25([(c.id, _lexical_text(c)) for c in chunks], groups=[c.article_id for c in chunks])
    memory.trim()  # what counting the terms freed: 156 MB at 10,000 synthetic articles (docs/benchmarks.md)
    vocabulary = frozenset(w for a in articles for w in (*words(a.text), *acronyms(a.text)))
    return Index(
        client=client,
        chunks_col=chunks_col,
        articles={a.id: a for a in articles},
        chunks={c.id: c for c in chunks},
        lexical=lexical,
        fingerprint=fp,
        embedder=embedder,
        vocabulary=vocabulary,
        server_url=settings.chroma_url,
    )


def _current_build(client, settings, embedder, name, fp, articles, chunks, progress, *, build, rebuild):
    """The collection of the current complete build, built first if needed (under the build lock)."""
    existing = _complete_builds(client)
    col = existing.get(name)
    meta = (col.metadata or {}) if col is not None else {}
    if not (rebuild or col is None or not meta.get("complete")):
        return client.get_collection(name)
    if not build:
        raise StoreError(
            f"No current index for {settings.articles_dir} in {redact(settings.chroma_url) or settings.index_dir} - "
            "run `python -m bot index`"
        )
    if col is not None or rebuild:
        why = "rebuilding as asked" if rebuild else "finishing an interrupted build"
    else:
        why = (
            "building the index" if not existing else "the articles, model, chunker or index layout changed: rebuilding"
        )
    previous = None if rebuild else reusable_build(existing, name, embedder)
    if progress:
        reused = reused_count(chunks, previous)
        kept = f", reusing {reused}" if reused else ""
        print(f"Index: {why} ({len(chunks)} passages: embedding {len(chunks) - reused}{kept})…", file=sys.stderr)
    # Rebuilding a complete build (--rebuild, same articles) must not drop it first:
    # build under a staging name and swap at the end.
    target = name + STAGING if col is not None and meta.get("complete") else name
    write_build(client, target, fp, articles, chunks, embedder, progress, previous)
    if target != name:
        swap_build(client, target, name)
    for old in existing:
        if old != name:
            drop_build(client, old)
    if not settings.chroma_url:
        sweep_segments(settings.index_dir)
        mark_current(settings.index_dir, name)
    return client.get_collection(name)


def _sound_store(index_dir: Path, progress: bool):
    """A client on a store that works, for `--rebuild`: a store that cannot be opened, or
    that fails the probe, is wiped (Chroma's files only) and started afresh. A full disk
    is not damage: it is reported, and nothing is removed."""
    try:
        client = connect(index_dir)
        probe(client)
        return client
    except IndexFolderError:
        raise  # a foreign or read-only folder: not ours to wipe
    except BaseException as e:
        if no_space(e, index_dir):
            raise StoreError(space_message(index_dir, None)) from None
        if not isinstance(e, StoreError) and not is_store_failure(e):
            raise
        return _fresh_store(index_dir, e, progress)


def _drop_unfinished(client) -> None:
    """Drop the builds a failed build left unfinished (their space is the first to free);
    best effort: on a full disk even a drop may fail, and the next build finishes or drops it."""
    try:
        for name, col in _complete_builds(client).items():
            if not (col.metadata or {}).get("complete"):
                drop_build(client, name)
    except BaseException as e:  # noqa: BLE001 - the space message matters more than this
        if not (is_store_failure(e) or isinstance(e, OSError)):
            raise


def _fresh_store(index_dir: Path, failure: BaseException, progress: bool):
    if progress:
        print(
            f"Index: the store in {index_dir} is damaged ({failure.__class__.__name__}); starting from an empty "
            "store (the articles are kept)…",
            file=sys.stderr,
        )
    wipe(index_dir)
    return connect(index_dir)


def _lexical_text(chunk: Chunk) -> str:
    # The section heading gives the paragraphs under it their topic words.
    return f"{chunk.section}\n{chunk.text}" if chunk.section else chunk.text


@contextlib.contextmanager
def _build_lock(settings):
    """One builder at a time per embedded index folder (other processes wait)."""
    if settings.chroma_url:
        yield
        return
    from filelock import FileLock

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(settings.index_dir.parent / f".{settings.index_dir.name}.lock"):
        yield


def _some(ids: list[str], shown: int = 8) -> str:
    """['a', 'b'] -> 'a, b'; a long list is cut: 'a, b, … (1,000 in all)'."""
    return ", ".join(ids) if len(ids) <= shown else f"{', '.join(ids[:shown])}, … ({len(ids):,} in all)"
