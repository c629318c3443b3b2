"""Reading a local source safely: regular files only, never more than the size limit.

A symbolic link would publish whatever it points to (a link to /etc/shadow in a folder
of articles); a device or a FIFO has no size to check and may never end. Each is refused
for what it is, from `lstat`, before anything is opened; the file is then opened without
following links or blocking, checked again, and read only up to the limit.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .fetch import Refused


def kind_of(mode: int) -> str | None:
    """What a path is, in words, when it is not a regular file (None when it is).

    >>> kind_of(stat.S_IFIFO | 0o644), kind_of(stat.S_IFREG | 0o644)
    ('a named pipe (FIFO)', None)
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a folder" if stat.S_ISDIR(mode) else "not a regular file"


def _refuse_kind(kind: str) -> Refused:
    if kind == "a symbolic link":
        return Refused("it is a symbolic link - add the file it points to, not the link")
    return Refused(f"it is {kind}, not a regular file - add an article file (.txt, .md or .html)")


def too_large(size: int, limit: int) -> Refused:
    return Refused(f"{size / 1e6:.1f} MB is too large for one article (limit {limit // 2**20} MB)")


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, or Refused saying why not."""
    try:
        kind = kind_of(os.lstat(path).st_mode)
        if kind:
            raise _refuse_kind(kind)
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Refused("no such file or folder") from None
    except OSError as e:
        raise Refused(f"cannot read it ({e.strerror}) - check its permissions") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        kind = kind_of(st.st_mode)  # swapped in between the two looks
        if kind:
            raise _refuse_kind(kind)
        if st.st_size > limit:
            raise too_large(st.st_size, limit)
        try:
            data = f.read(limit + 1)  # the size the system reports may be wrong (/proc): count what is read
        except OSError as e:
            raise Refused(f"cannot read it ({e.strerror}) - check its permissions") from None
    if len(data) > limit:
        raise Refused(f"it holds more than {limit // 2**20} MB, too large for one article (limit {limit // 2**20} MB)")
    return data
