"""The articles folder as several writers share it: one change at a time, and where each
article came from.

`python -m bot add` and `remove` run as separate processes. Each holds the folder's lock
while it reads what is there and writes, so two adds of one id cannot interleave, and
writes each article through a temporary file of its own, so a reader never sees half of
one. The record of which source each id was added from lets an update of a source be told
apart from another source that happens to have the same name. Lock and record sit beside
the folder (`index/.articles.lock`, `index/.articles.sources.json`), not in it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

from ..core.errors import ArticlesError

LOCK_WAIT_S = 300.0


def _beside(folder: Path, what: str) -> Path:
    return folder.parent / f".{folder.name}.{what}"


@contextlib.contextmanager
def changing(folder: Path):
    """Hold the folder's lock (waiting for another add or remove to finish)."""
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(_beside(folder, "lock")))
    try:
        lock.acquire(timeout=LOCK_WAIT_S)
    except Timeout:
        raise ArticlesError(
            f"Another `python -m bot add` or `remove` has been changing {folder} for "
            f"{LOCK_WAIT_S:g} s - wait for it to finish, then try again"
        ) from None
    try:
        yield
    finally:
        lock.release()


def origins(folder: Path) -> dict[str, str]:
    """Article id -> the source it was added from (a URL or an absolute path)."""
    try:
        data = json.loads(_beside(folder, "sources.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_origins(folder: Path, mapping: dict[str, str]) -> None:
    write_atomically(_beside(folder, "sources.json"), json.dumps(mapping, indent=1, sort_keys=True) + "\n")


def write_atomically(target: Path, text: str) -> None:
    """Write through a temporary file of this writer's own, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
