"""The articles folder as several writers share it: one change at a time, and where each
article came from.

`python -m bot add` and `remove` run as separate processes. Each holds the folder's lock
while it reads what is there and writes, so two adds of one id cannot interleave, and
writes each article through a temporary file of its own, so a reader never sees half of
one. The record of which source each id was added from lets an update of a source be told
apart from another source that happens to have the same name. Lock and record sit beside
the folder (`index/.articles.lock`, `index/.articles.sources.json`), not in it.

The record also gives an article added from a web page its `url` (`read_articles`), so
the page can link to the original.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import ArticlesError
from ..core.files import replace_atomically
from ..text.article import Article, load_articles

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


def source_url(origin: object) -> str | None:
    """The web page a source names, fit to link to: http(s) with a host, any user name and
    password dropped; None for a file path or anything else.

    >>> source_url("https://user:secret@Example.org:8443/news/a.html?id=1#top")
    'https://Example.org:8443/news/a.html?id=1#top'
    >>> [source_url(x) for x in ("/home/me/a.html", "javascript:alert(1)", "http://", "http://a b/")]
    [None, None, None, None]
    """
    if not isinstance(origin, str) or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in origin):
        return None
    try:
        u = urlsplit(origin)
        host, _ = u.hostname, u.port
    except ValueError:  # a bad port or bracketed host
        return None
    if u.scheme.lower() not in ("http", "https") or not host:
        return None
    return urlunsplit((u.scheme.lower(), u.netloc.rpartition("@")[2], u.path, u.query, u.fragment))


def read_articles(folder: Path) -> list[Article]:
    """`load_articles(folder)`, each article added from a web page carrying that page's `url`."""
    came_from = origins(folder)
    return [replace(a, url=source_url(came_from.get(a.id))) for a in load_articles(folder)]


def save_origins(folder: Path, mapping: dict[str, str]) -> None:
    write_atomically(_beside(folder, "sources.json"), json.dumps(mapping, indent=1, sort_keys=True) + "\n")


def write_atomically(target: Path, text: str) -> None:
    """Write text so that a reader sees all of it or none (bot.core.files)."""
    replace_atomically(target, lambda f: f.write(text.encode("utf-8")))
