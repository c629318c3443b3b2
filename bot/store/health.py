"""Keeping an embedded store usable: a clear word when its folder cannot be written, a
check that it still works before a rebuild, a fresh start when it does not, no folders
left behind by dropped builds, and a mark that tells running apps a new build is in.

Chroma writes to its folder even to answer, so a read-only folder is named as such (not
as "corrupt", and never wiped). Damage inside chroma.sqlite3 can leave a store that opens
but cannot write ("Error in compaction"); `index --rebuild` probes for that and starts
from an empty store, keeping the articles, which are the source of truth.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import time
import uuid
from pathlib import Path

from .chroma import forget_system

CHROMA_FILE = re.compile(
    r"chroma\.sqlite3(?:-wal|-shm|-journal)?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
SEGMENT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
PROBE = "bot-probe-"


def is_store_failure(e: BaseException) -> bool:
    """An error from inside Chroma: one of its own, or a panic of its Rust core (which
    Python sees as a BaseException named PanicException)."""
    from chromadb.errors import ChromaError

    return isinstance(e, ChromaError) or type(e).__name__ == "PanicException"


_NO_SPACE = ("no space left", "disk is full", "os error 28", "quota exceeded")


LOW_DISK = 64 * 1024 * 1024  # free bytes under which a failed build is taken for a full disk


def no_space(e: BaseException | None, index_dir: Path | None = None) -> bool:
    """Whether a failure is a full disk: errno ENOSPC or EDQUOT, or SQLite's and the Rust
    core's words for it ("database or disk is full", "os error 28") in it or its cause, or,
    since Chroma's compactor reports a full disk as "Failed to apply logs to the metadata
    segment", a folder whose disk has under LOW_DISK free."""
    import errno

    if not isinstance(e, Exception):  # Ctrl-C, exit: never taken for a full disk
        return False
    if index_dir is not None and is_store_failure(e):
        try:
            if shutil.disk_usage(index_dir).free < LOW_DISK:
                return True
        except OSError:
            pass

    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(marker in str(e).lower() for marker in _NO_SPACE):
            return True
        e = e.__cause__ or e.__context__
    return False


def space_message(index_dir: Path, server: str | None) -> str:
    """What to say when a build ran out of disk space."""
    if server:
        return (
            f"The Chroma server at {server} ran out of disk space while building - free space on its disk, then run "
            "`python -m bot index`; the last complete index is kept"
        )
    try:
        free = f"{shutil.disk_usage(index_dir).free / 1e6:,.0f} MB free"
    except OSError:
        free = "no space left"
    return (
        f"The disk holding {index_dir} is full ({free}) - free some space, then run `python -m bot index`; "
        "the last complete index is kept and still answers"
    )


def probe(client) -> None:
    """Do what a build and a search do, on a throwaway collection and on each existing
    collection; raises when the store cannot (damage Chroma does not notice on opening)."""
    for col in client.list_collections():
        name = col.name if hasattr(col, "name") else str(col)
        if name.startswith(PROBE):
            client.delete_collection(name)  # left by a probe that was cut short
            continue
        col = client.get_collection(name)
        got = col.get(limit=1, include=["embeddings"])
        if got["ids"]:
            col.query(query_embeddings=[list(got["embeddings"][0])], n_results=1, include=["distances"])
    name = PROBE + uuid.uuid4().hex[:12]
    col = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}})
    try:
        col.add(ids=["probe"], embeddings=[[1.0, 0.0, 0.0]])
        col.query(query_embeddings=[[1.0, 0.0, 0.0]], n_results=1, include=["distances"])
    finally:
        client.delete_collection(name)


def wipe(index_dir: Path) -> None:
    """Remove what Chroma wrote in the folder (its database and segment folders), nothing else."""
    forget_system(index_dir)
    for path in index_dir.iterdir():
        if CHROMA_FILE.fullmatch(path.name):
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)


def sweep_segments(index_dir: Path) -> None:
    """Remove the vector folders of dropped collections, which Chroma leaves on disk (one
    per build otherwise). Folders are listed before the live segments are read, so a
    folder created meanwhile is never taken for a left-over."""
    folders = [p for p in index_dir.iterdir() if p.is_dir() and SEGMENT.fullmatch(p.name)]
    if not folders:
        return
    try:
        with contextlib.closing(sqlite3.connect(f"file:{index_dir / 'chroma.sqlite3'}?mode=ro", uri=True)) as db:
            live = {row[0] for row in db.execute("SELECT id FROM segments")}
    except sqlite3.Error:
        return  # a layout this code does not know: leave everything as it is
    for folder in folders:
        if folder.name not in live:
            shutil.rmtree(folder, ignore_errors=True)


def mark_path(index_dir: Path) -> Path:
    return index_dir.parent / f".{index_dir.name}.current"


def mark_current(index_dir: Path, name: str) -> None:
    """Say that a new complete build is in: running apps compare this mark before answering."""
    path = mark_path(index_dir)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.partial")
    tmp.write_text(f"{name} {time.time_ns()}\n", encoding="utf-8")
    os.replace(tmp, path)


def current_mark(index_dir: Path) -> str:
    try:
        return mark_path(index_dir).read_text(encoding="utf-8")
    except OSError:
        return ""
