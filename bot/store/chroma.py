"""The Chroma client: embedded (a folder) or a server (BOT_CHROMA_URL), with the checks that
turn a wrong folder, a corrupt store or an unreachable server into an error naming the fix.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from ..core.errors import IndexFolderError, StoreError
from ..core.secrets import redact
from ..core.settings import http_url


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def connect(index_dir: Path, chroma_url: str | None = None):
    """An embedded (persistent) Chroma client, or an HTTP one when a server URL is set."""
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    import chromadb

    if chroma_url:
        u = http_url(chroma_url)
        if u is None:
            raise StoreError(
                f"BOT_CHROMA_URL={redact(chroma_url)!r} is not an http(s) URL - set it like http://127.0.0.1:8000"
            )
        try:
            client = chromadb.HttpClient(
                host=u.hostname,
                port=u.port or (443 if u.scheme == "https" else 80),
                ssl=u.scheme == "https",
                settings=_chroma_settings(),
            )
            client.heartbeat()
        except Exception as e:
            raise StoreError(
                f"Cannot reach the Chroma server at {redact(chroma_url)} ({e.__class__.__name__}) - start it "
                "(`chroma run --path index/chroma-server --port 8000`) or unset BOT_CHROMA_URL to use the embedded store"
            ) from None
        return client
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexFolderError(
            f"Index path {index_dir} is a file, not a folder - remove it or set BOT_INDEX_DIR to a folder"
        )
    if index_dir.is_dir() and any(index_dir.iterdir()) and not (index_dir / "chroma.sqlite3").exists():
        raise IndexFolderError(
            f"{index_dir} is not an index folder (it has files but no chroma.sqlite3) - set BOT_INDEX_DIR to an "
            "empty or new folder, or move those files away"
        )
    for path in (index_dir, index_dir / "chroma.sqlite3"):  # Chroma writes even to answer
        if path.exists() and not os.access(path, os.W_OK):
            raise IndexFolderError(
                f"Index folder {index_dir} is not writable - Chroma writes to it even to answer: make it writable "
                f"(`chmod -R u+w {index_dir}`) or set BOT_INDEX_DIR to a folder you can write"
            )
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexFolderError(
            f"Cannot create the index folder {index_dir} ({e.strerror}) - set BOT_INDEX_DIR to a folder you can write"
        ) from None
    try:
        client = chromadb.PersistentClient(path=str(index_dir), settings=_chroma_settings())
        client.list_collections()
    except BaseException as e:
        if not isinstance(e, Exception) and type(e).__name__ != "PanicException":
            raise
        forget_system(index_dir)
        raise StoreError(
            f"Index at {index_dir} is corrupt or from an incompatible version ({e.__class__.__name__}) - "
            "run `python -m bot index --rebuild`"
        ) from None
    return client


def forget_system(index_dir: Path) -> None:
    """Chroma caches one system per path, even when opening the path failed; a later
    client for the same path (`--rebuild` after wiping a corrupt folder) would get the
    broken one back. Drop it from the cache."""
    with contextlib.suppress(Exception):
        from chromadb.api.shared_system_client import SharedSystemClient

        system = SharedSystemClient._identifier_to_system.pop(str(index_dir), None)
        SharedSystemClient._identifier_to_refcount.pop(str(index_dir), None)
        if system is not None:
            with contextlib.suppress(Exception):
                system.stop()
