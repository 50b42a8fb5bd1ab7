"""Large scratch buffers reused from frame to frame instead of faulted in again.

Every frame allocates the same large buffers and frees them again: OpenCV's corner detection
alone takes about 3 MB of scratch for a 640x360 frame, LK its pyramids. With glibc's default
settings the freed memory goes back to the system (buffers above the mmap threshold are
unmapped, and the heap is trimmed once its free top passes the trim threshold), so the next
frame faults every page in again: about 760 page faults, 4.5 of the 7 ms a goodFeaturesToTrack
call costs, and about 280 faults a frame on average. Raising both thresholds keeps the freed
memory for the next frame; the process then holds on to its peak of scratch (a few MB).
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 << 20  # the ceiling glibc itself lets its dynamic threshold rise to
TRIM_THRESHOLD = 128 << 20


def keep_freed_memory() -> bool:
    """Have the C allocator keep freed large buffers for reuse (glibc; elsewhere nothing).
    Returns whether it took both settings. Affects the whole process; repeating it is
    harmless."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library symbols to reach, or no mallopt
        return False
    # both at once: setting either turns off glibc's dynamic thresholds, and one alone
    # (the other left at its 128 KB default) faults more than the defaults do
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) & bool(
        mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
