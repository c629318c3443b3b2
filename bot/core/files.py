"""Writing a file so that a reader sees all of it or none of it: the one way the project
replaces a file (the feedback log, the articles' origins, the reader's analysis cache)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO


def replace_atomically(target: Path, write: Callable[[IO[bytes]], object]) -> None:
    """Write through a temporary file of this writer's own in the same folder (two processes
    or threads writing one file never share it), then rename it into place; on any failure
    the temporary file goes and the old file stays.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> replace_atomically(p, lambda f: f.write(b"whole")); p.read_text()
    'whole'
    """
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, 0o644)  # as a plain write would leave it, not mkstemp's owner-only
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
