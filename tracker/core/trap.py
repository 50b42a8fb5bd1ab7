"""The speed trap: two lines a known distance apart; time between crossings gives a speed.

Crossing times are interpolated between frames from the frames' own timestamps, so the trap
does not depend on a nominal frame rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from flowtop.tracker.calibration.models import from_mps
from flowtop.tracker.config.params import TrapParams
from flowtop.tracker.contracts import TrapResult

LINES = ("A", "B")
SEGMENT_SLACK = 0.05  # a crossing may miss a segment's end by this fraction of its length


def crossing(line: list, p0: np.ndarray, p1: np.ndarray) -> float | None:
    """Where along p0 -> p1 (0..1) the move crosses the segment `line`, or None."""
    a, b = np.asarray(line[0], np.float64), np.asarray(line[1], np.float64)
    ab = b - a
    s0 = ab[0] * (p0[1] - a[1]) - ab[1] * (p0[0] - a[0])
    s1 = ab[0] * (p1[1] - a[1]) - ab[1] * (p1[0] - a[0])
    if s0 == 0 or (s0 > 0) == (s1 > 0):
        return None
    f = s0 / (s0 - s1)
    point = p0 + f * (p1 - p0)
    u = float(np.dot(point - a, ab) / np.dot(ab, ab))
    if not -SEGMENT_SLACK <= u <= 1 + SEGMENT_SLACK:
        return None
    return float(f)


@dataclass
class TrapTimer:
    """Per object: when it crossed each line, and its result once it has crossed both."""

    crossed: dict[str, float] = field(default_factory=dict)
    result: TrapResult | None = None

    def step(self, trap: TrapParams, unit: str, object_id: int, p0: np.ndarray, t0: float,
             p1: np.ndarray, t1: float) -> TrapResult | None:
        """Move the object's reference point from (p0, t0) to (p1, t1); a new result or None."""
        if self.result is not None or not trap.active or t1 <= t0:
            return None
        for name, line in zip(LINES, (trap.line_a, trap.line_b)):
            f = crossing(line, p0, p1)
            if f is not None:
                self.crossed[name] = t0 + f * (t1 - t0)
        if len(self.crossed) < 2:
            return None
        ta, tb = self.crossed["A"], self.crossed["B"]
        seconds = abs(tb - ta)
        if seconds <= 0:
            return None
        speed = float(from_mps(trap.distance / seconds, unit or "m/s"))
        direction = "A→B" if ta < tb else "B→A"
        self.result = TrapResult(object_id, min(ta, tb), max(ta, tb), direction, speed,
                                 unit or "m/s")
        return self.result


def trap_speed(timer: TrapTimer) -> float:
    return timer.result.speed if timer.result is not None else math.nan
