"""Handing freed memory back to the system after the model's large, short-lived buffers.

A transformer pass allocates its activations as large blocks and frees them at the end.
glibc keeps what is freed for reuse, and with inputs of every length those blocks rarely
fit again, so the process grows with each batch it encodes: measured on 400 BBC articles,
encoding their sentences' token vectors took the process from 648 to 1,118 MB with nothing
kept. `malloc_trim(0)` after each article held it at 694 MB (peak 805) for about 5% more
time (74 s against 70 s); a fixed mmap threshold (MALLOC_MMAP_THRESHOLD_) held it as well
but cost 20 to 30% (every buffer mapped afresh), and fewer arenas (MALLOC_ARENA_MAX=2) did
not hold it. Elsewhere than glibc this does nothing.

Called where the batch passes run (`tokens.encode`, `Embedder.embed_chunks`, the joint
reader's `read`), and once after the index builds its passages' BM25.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows): nothing to trim
        return None


def trim() -> None:
    """Return the allocator's free memory to the system (glibc), after a model pass.

    >>> trim()
    """
    release = _malloc_trim()
    if release is not None:
        release(0)
