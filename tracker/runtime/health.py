"""Per-second health figures of a tracking run, in bounded memory.

`HealthMonitor` sums what each tracked frame reports (points lost and seeded, reseeds,
per-stage timings) into one bucket per second of source time and keeps the last HISTORY_S
closed seconds; `figures()` is an immutable `HealthFigures` for another thread. `add` runs in
the tracking loop's thread once per frame; `add_timing` (a stage timed elsewhere, such as the
preview's render) may come from any thread: a lock keeps them apart.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from types import MappingProxyType

from flowtop.tracker.contracts import HealthFigures, SecondFigures, TrackState

HISTORY_S = 60  # seconds of per-second buckets kept


@dataclass
class _Bucket:
    """Sums over the open second."""

    start: int
    frames: int = 0
    lost: int = 0
    seeded: int = 0
    reseeds: int = 0
    stage_s: dict[str, float] = field(default_factory=dict)
    stage_n: dict[str, int] = field(default_factory=dict)

    def add_timing(self, stage: str, seconds: float) -> None:
        self.stage_s[stage] = self.stage_s.get(stage, 0.0) + seconds
        self.stage_n[stage] = self.stage_n.get(stage, 0) + 1

    def closed(self) -> SecondFigures:
        ms = {k: 1000.0 * v / self.stage_n[k] for k, v in self.stage_s.items()}
        return SecondFigures(self.start, self.frames, self.lost, self.seeded, self.reseeds,
                             MappingProxyType(ms))


class HealthMonitor:
    """Per-second sums of what each tracked frame reports; see the module docstring."""

    def __init__(self, seconds: int = HISTORY_S) -> None:
        self._closed: deque[SecondFigures] = deque(maxlen=seconds)
        self._open: _Bucket | None = None
        self._lock = threading.Lock()
        self._last: tuple[int, float] | None = None
        self._frames = self._lost = self._seeded = self._reseeds = 0
        self._last_reseed_t: float | None = None
        self._last_t: float | None = None

    def add(self, state: TrackState | None) -> None:
        """Count one tracked frame; the same frame published again (paused) counts once.

        A reseed is a frame whose live points were all seeded on it (after `r`, a restart or
        every point lost), the very first frame excepted.
        """
        if state is None or (state.index, state.t) == self._last:
            return
        self._last = (state.index, state.t)
        with self._lock:
            reseed = self._frames > 0 and state.seeded > 0 and state.seeded == state.live
            bucket = self._bucket(state.t)
            bucket.frames += 1
            bucket.lost += state.lost
            bucket.seeded += state.seeded
            bucket.reseeds += reseed
            for stage, seconds in state.timings.items():
                bucket.add_timing(stage, seconds)
            self._frames += 1
            self._lost += state.lost
            self._seeded += state.seeded
            self._reseeds += reseed
            if reseed:
                self._last_reseed_t = state.t
            self._last_t = state.t

    def add_timing(self, stage: str, seconds: float) -> None:
        """A timing measured outside the engine, for the current second (dropped before the
        first frame)."""
        with self._lock:
            if self._open is not None:
                self._open.add_timing(stage, seconds)

    def _bucket(self, t: float) -> _Bucket:
        """The bucket of time `t`, closing the open one (and empty seconds of a gap)."""
        sec = math.floor(t)
        current = self._open
        if current is not None and current.start == sec:
            return current
        if current is not None:
            self._closed.append(current.closed())
            if sec > current.start:  # seconds without a frame count as zeros
                gap = min(sec - current.start - 1, self._closed.maxlen or 0)
                self._closed.extend(SecondFigures(sec - gap + k) for k in range(gap))
            # sec < start: the source restarted (a looped file); its time starts again
        self._open = _Bucket(sec)
        return self._open

    def figures(self) -> HealthFigures:
        with self._lock:
            return HealthFigures(tuple(self._closed), self._frames, self._lost, self._seeded,
                                 self._reseeds, self._last_reseed_t, self._last_t)
