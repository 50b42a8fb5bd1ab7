"""Run statistics in bounded memory: frames, rate, live tracks and speeds of moving points."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from flowtop.tracker.contracts import TrackState

SPEED_BIN = 0.05  # px/s resolution of the speed histogram
SPEED_BINS = 200_000  # up to 10,000 px/s; faster points land in the last bin


@dataclass
class RunStats:
    """Accumulates one run's figures; `summary()` reports them. Memory does not grow with time."""

    frames: int = 0
    first_t: float | None = None
    last_t: float = 0.0
    created: int = 0
    started: float = field(default_factory=time.perf_counter)
    _live: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    _speeds: np.ndarray = field(default_factory=lambda: np.zeros(SPEED_BINS, np.int64))

    def add(self, state: TrackState) -> None:
        self.frames += 1
        if self.first_t is None:
            self.first_t = state.t
        self.last_t, self.created = state.t, state.created
        if state.live >= len(self._live):
            self._live = np.pad(self._live, (0, state.live + 1 - len(self._live)))
        self._live[state.live] += 1
        moving = state.speed[state.moving]
        if len(moving):
            bins = np.minimum((moving / SPEED_BIN).astype(np.int64), SPEED_BINS - 1)
            counts = np.bincount(bins)
            self._speeds[:len(counts)] += counts

    @staticmethod
    def _median(hist: np.ndarray, scale: float = 1.0) -> float | None:
        total = int(hist.sum())
        if total == 0:
            return None
        i = int(np.searchsorted(np.cumsum(hist), (total + 1) / 2))
        return (i + 0.5) * scale if scale != 1.0 else float(i)

    def summary(self) -> dict[str, float | int | None]:
        elapsed = time.perf_counter() - self.started
        speed = self._median(self._speeds, SPEED_BIN)
        return {
            "frames": self.frames,
            "seconds": round(elapsed, 3),
            "fps": round(self.frames / elapsed, 2) if elapsed > 0 else 0.0,
            "media_seconds": round(self.last_t - (self.first_t or 0.0), 3),
            "tracks_created": self.created,
            "median_live_tracks": self._median(self._live),
            "median_moving_speed_px_s": None if speed is None else round(speed, 2),
        }
