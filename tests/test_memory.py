"""The engine has the C allocator keep large freed buffers: a frame's scratch, freed and taken
again by the next frame, is not faulted in again page by page."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

# allocate, touch, free and allocate again buffers of corner-detection size (3 MB, below
# numpy's 4 MB huge-page hint); print the page faults of the second round
PROBE = """
import resource, sys
import numpy as np
if sys.argv[1] == "keep":
    from flowtop.tracker.core.engine import Tracker
    Tracker()
def rounds():
    for _ in range(2):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        bufs = [np.ones(3 << 20, np.uint8) for _ in range(4)]
        del bufs
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
rounds()
print(rounds())
"""


def faults(mode: str) -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True,
                         check=True)
    return int(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                    reason="the setting is glibc's allocator's (mallopt)")
def test_freed_buffers_are_reused_once_a_tracker_is_made() -> None:
    pages = 4 * (3 << 20) // 4096
    assert faults("default") >= pages // 2  # glibc hands such buffers back: faulted again
    assert faults("keep") < pages // 20
