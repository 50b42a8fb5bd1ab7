"""The preview's bandwidth budget: keep the bytes written to the terminal under `max_kbps`.

Feed the controller the running totals of bytes written and frames drawn, with the time;
it answers with a `BudgetLevel`: the preview rate, the fraction of the panel the picture
fills, and the colour mode. Over budget it lowers the rate first (down to `min_fps`), then
the size, then the colour depth; with room it raises them again in the reverse order (depth,
size, rate), a step up only when the cost measured (or guessed) there fits. Pure: time is an
argument, never read from a clock.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

DEPTHS = ("truecolor", "256", "16")  # colour depths, richest first
SCALES = (1.0, 0.75, 0.5)  # picture sizes, as a fraction of the panel
HEADROOM = 0.9  # aim at this fraction of the budget
ROOM = 0.7  # step size or depth up only if the predicted rate stays under ROOM * budget
UNKNOWN_COST_FACTOR = 2.0  # guess for a level not measured yet: this times the current cost
COST_MEMORY_S = 30.0  # a level's measured cost is forgotten after this (scenes change)
KB = 1000.0


@dataclass(frozen=True)
class BudgetLevel:
    """What the preview should draw: at most `fps` frames/s, `scale` of the panel, `mode`."""

    fps: float
    scale: float
    mode: str


class BudgetController:
    """Chooses a `BudgetLevel` from measured bytes and frames; `max_kbps` 0 = no budget.

    `window_s` is how far back rates are measured; after a size or depth change nothing else
    changes for `hold_s`, so the new cost is measured before the next decision.
    """

    def __init__(self, max_kbps: float = 0.0, max_fps: float = 15.0, mode: str = "truecolor",
                 *, min_fps: float = 1.0, window_s: float = 2.0, hold_s: float = 3.0) -> None:
        self.min_fps, self.window_s, self.hold_s = min_fps, window_s, hold_s
        self._samples: deque[tuple[float, int, int]] = deque()
        self._cost: dict[tuple[int, int], tuple[float, float]] = {}  # step -> (bytes/frame, t)
        self.configure(max_kbps, max_fps, mode)

    def configure(self, max_kbps: float, max_fps: float, mode: str) -> None:
        """New limits: budget in KB/s, the preview rate cap and the richest mode wanted."""
        self.max_kbps, self.max_fps, self.mode = max_kbps, max_fps, mode
        self._depths = DEPTHS[DEPTHS.index(mode):] if mode in DEPTHS else (mode,)
        self._scale_i = self._depth_i = 0
        self._fps = max_fps
        self._hold_until = float("-inf")
        self._samples.clear()
        self._cost.clear()

    @property
    def level(self) -> BudgetLevel:
        return BudgetLevel(self._fps, SCALES[self._scale_i], self._depths[self._depth_i])

    @property
    def budget_kbps(self) -> float:
        return self.max_kbps

    def measured(self) -> tuple[float, float] | None:
        """(KB/s, bytes per frame) over the window, or None without a frame in it."""
        if len(self._samples) < 2:
            return None
        t0, bytes0, frames0 = self._samples[0]
        t1, bytes1, frames1 = self._samples[-1]
        if t1 <= t0 or frames1 <= frames0:
            return None
        return (bytes1 - bytes0) / (t1 - t0) / KB, (bytes1 - bytes0) / (frames1 - frames0)

    def update(self, t: float, total_bytes: int, frames: int) -> BudgetLevel:
        """Record the running totals at time `t` (seconds) and return the level to use."""
        if self.max_kbps <= 0:
            return self.level
        samples = self._samples
        samples.append((t, total_bytes, frames))
        while len(samples) > 2 and samples[1][0] <= t - self.window_s:
            samples.popleft()
        measured = self.measured()
        if measured is None or t < self._hold_until or t - samples[0][0] < self.window_s / 2:
            return self.level
        rate, per_frame = measured
        self._cost[(self._scale_i, self._depth_i)] = (per_frame, t)
        budget = self.max_kbps
        if rate > budget:
            self._lower(t, per_frame)
        elif rate < ROOM * budget and not self._raise(t, per_frame):
            self._fps = self._fitting_fps(per_frame)
        return self.level

    def _fitting_fps(self, per_frame: float) -> float:
        """The rate that spends HEADROOM of the budget at `per_frame` bytes, within limits."""
        if per_frame <= 0:
            return self.max_fps
        return min(self.max_fps, max(self.min_fps, HEADROOM * self.max_kbps * KB / per_frame))

    def _lower(self, t: float, per_frame: float) -> None:
        wanted = HEADROOM * self.max_kbps * KB / max(per_frame, 1.0)
        if wanted >= self.min_fps:
            self._fps = min(self._fps, wanted)
            return
        self._fps = self.min_fps
        if self._scale_i < len(SCALES) - 1:
            self._scale_i += 1
        elif self._depth_i < len(self._depths) - 1:
            self._depth_i += 1
        else:
            return  # smallest and poorest already: the minimum rate is all that is left
        self._changed(t)

    def _raise(self, t: float, per_frame: float) -> bool:
        """Step depth (first) or size up if its cost fits at the minimum rate; True if done."""
        if self._depth_i > 0:
            step = (self._scale_i, self._depth_i - 1)
        elif self._scale_i > 0:
            step = (self._scale_i - 1, self._depth_i)
        else:
            return False
        cost, when = self._cost.get(step, (0.0, float("-inf")))
        if t - when > COST_MEMORY_S:
            cost = UNKNOWN_COST_FACTOR * per_frame
        if cost * self.min_fps > ROOM * self.max_kbps * KB:
            return False
        self._scale_i, self._depth_i = step
        self._fps = self._fitting_fps(cost)
        self._changed(t)
        return True

    def _changed(self, t: float) -> None:
        self._hold_until = t + self.hold_s
        self._samples.clear()
