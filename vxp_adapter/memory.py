"""Process-wide glibc malloc settings for processes that move megabyte messages (worker, hub).

With glibc's defaults a freed buffer of a megabyte or more is handed back to the kernel (the
heap top is trimmed past 128 KiB, or the buffer was its own mmap), so the next message faults
its pages in again: building and parsing an edXML message with a 1 MB attachment then spends
about as long in page faults as in work (bench/RESULTS.md). Raising the two thresholds keeps
those pages in the process for reuse. Set once at start; a no-op where the C library is not
glibc, and the operator's own `MALLOC_*_` environment variables are left to win.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform

MB = 1024 * 1024
M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 256 * MB
"""Free memory kept at the top of the heap before it is returned to the kernel."""
MMAP_THRESHOLD = 32 * MB
"""Blocks from this size on get their own mapping: the largest value every 64-bit glibc
accepts (older versions refuse more)."""

_ENV = {M_TRIM_THRESHOLD: "MALLOC_TRIM_THRESHOLD_", M_MMAP_THRESHOLD: "MALLOC_MMAP_THRESHOLD_"}


def tune_malloc(
    trim_threshold: int = TRIM_THRESHOLD, mmap_threshold: int = MMAP_THRESHOLD
) -> dict[str, bool]:
    """Raise glibc's trim and mmap thresholds; return which settings were applied.

    Returns an empty dict when the C library is not glibc (musl, macOS, Windows).
    """
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return {}
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return {}
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = {}
    for param, value in ((M_TRIM_THRESHOLD, trim_threshold), (M_MMAP_THRESHOLD, mmap_threshold)):
        name = _ENV[param]
        if name in os.environ:  # the operator chose; glibc already read it at start
            applied[name] = False
            continue
        applied[name] = mallopt(param, value) == 1
    return applied
