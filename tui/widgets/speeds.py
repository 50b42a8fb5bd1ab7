"""The speeds panel: aggregates over moving points and a table of the fastest tracks."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
from rich.table import Table
from rich.text import Text
from textual.reactive import reactive

from flowtop.tracker.contracts import MOVING_PX_S, TrackState
from flowtop.tui.widgets.panel import LivePanel

SPARK = "▁▂▃▄▅▆▇█"
SPARK_LEN = 8
ARROWS = "→↘↓↙←↖↑↗"  # by angle in image coordinates (y grows downwards)
SORTS = ("speed", "id", "age")


def arrow(vx: float, vy: float) -> str:
    """The arrow nearest the direction of (vx, vy); '·' when still."""
    if math.hypot(vx, vy) < MOVING_PX_S:
        return "·"
    return ARROWS[round(math.atan2(vy, vx) / (math.pi / 4)) % 8]


def sparkline(values: list[float]) -> str:
    """Speeds as bar glyphs scaled to the history's own maximum."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(7, int(v / top * 7.999))] for v in values)


@dataclass(frozen=True)
class Aggregates:
    moving: int
    median: float
    maximum: float


def aggregates(state: TrackState) -> Aggregates:
    moving = state.speed[(state.speed >= MOVING_PX_S) & (state.age > 0)]
    if not len(moving):
        return Aggregates(0, 0.0, 0.0)
    return Aggregates(len(moving), float(np.median(moving)), float(moving.max()))


class SpeedHistory:
    """Recent speeds per live track, forgotten when the track dies (memory stays bounded)."""

    def __init__(self, length: int = SPARK_LEN) -> None:
        self.length = length
        self._hist: dict[int, deque[float]] = {}

    def add(self, state: TrackState) -> None:
        live = set(state.ids.tolist())
        for dead in self._hist.keys() - live:
            del self._hist[dead]
        for i, s in zip(state.ids.tolist(), state.speed.tolist()):
            self._hist.setdefault(i, deque(maxlen=self.length)).append(s)

    def get(self, track_id: int) -> list[float]:
        return list(self._hist.get(track_id, ()))

    def __len__(self) -> int:
        return len(self._hist)


class SpeedsPanel(LivePanel):
    """Moving points, median and max speed, then the top tracks sorted by `sort`."""

    DEFAULT_CSS = """
    SpeedsPanel { height: 1fr; }
    """
    sort: reactive[str] = reactive("speed")

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = SpeedHistory()
        self._state: TrackState | None = None

    def reset_history(self) -> None:
        """Forget the sparklines' samples; the next state shown starts them afresh."""
        self.history = SpeedHistory(self.history.length)
        self._state = None

    def show(self, state: TrackState | None) -> None:
        if state is None or state is self._state:
            return
        self._state = state
        self.history.add(state)
        self.show_content(self.table(state))

    def watch_sort(self) -> None:
        if self._state is not None:
            self.show_content(self.table(self._state))

    def cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    def order(self, state: TrackState) -> np.ndarray:
        if self.sort == "id":
            return np.argsort(state.ids)
        if self.sort == "age":
            return np.argsort(-state.age, kind="stable")
        return np.argsort(-state.speed, kind="stable")

    def table(self, state: TrackState) -> Table:
        agg = aggregates(state)
        world = state.calibrated
        caption = (f"{agg.moving} moving · median {agg.median:.1f} · max {agg.maximum:.1f} px/s")
        table = Table(title=Text(caption, style="bold"), title_justify="left", expand=True,
                      box=None, padding=(0, 1), header_style="bold cyan")
        for name in ("id", "x", "y", "px/s"):
            table.add_column(name, justify="right", no_wrap=True)
        if world:
            table.add_column(state.unit, justify="right", no_wrap=True)
        table.add_column("", no_wrap=True)
        table.add_column("age", justify="right", no_wrap=True)
        table.add_column("recent", no_wrap=True)
        room = max(1, (self.size.height or 20) - 3)
        order = self.order(state)
        shown = order[:room] if len(order) > room else order
        for i in shown:
            track_id = int(state.ids[i])
            cells = [str(track_id), f"{state.pts[i, 0]:.0f}", f"{state.pts[i, 1]:.0f}",
                     f"{state.speed[i]:.1f}"]
            if world:
                w = state.speed_world[i]
                cells.append("-" if not math.isfinite(w) else f"{w:.2f}")
            cells += [arrow(float(state.vel[i, 0]), float(state.vel[i, 1])),
                      str(int(state.age[i])), sparkline(self.history.get(track_id))]
            table.add_row(*cells)
        rest = len(order) - len(shown)
        if rest > 0:
            table.caption = f"+{rest} more (sorted by {self.sort}; o: sort)"
            table.caption_justify = "left"
        return table
