"""Expensive read-only test inputs made once per test run, even across pytest-xdist workers.

`stored(path, make)` returns what `make()` returns: the first process to ask runs it and keeps
the result in `path` (a pickle); a process that asks meanwhile waits for it (a lock file beside
it) and reads the file. Use it under a folder of this run only (the `session_dir` fixture of
conftest.py), never for anything a test changes.
"""

from __future__ import annotations

import copyreg
import fcntl
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

T = TypeVar("T")
_MEMO: dict[Path, object] = {}



def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


# read-only mappings (TrackState.timings) pickle as the dicts they wrap
copyreg.pickle(MappingProxyType, lambda m: (_read_only, (dict(m),)))


def stored(path: Path, make: Callable[[], T]) -> T:
    """`make()`, run once for every process that shares `path`."""
    if path in _MEMO:
        return _MEMO[path]  # type: ignore[return-value]
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if path.exists():
            value = pickle.loads(path.read_bytes())
        else:
            value = make()
            part = path.with_name(path.name + ".part")
            part.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(part, path)
    _MEMO[path] = value
    return value
