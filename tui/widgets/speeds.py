"""The speeds panel: aggregates over moving points and a table of the live tracks.

Numbers are never cut: on a narrow panel whole columns go (recent speeds, then age, then the
position), never digits. All sparklines share one speed scale, so a still point shows low
bars beside a fast one. With the focus (tab, or key 2) `↑ ↓` select a track, which the
picture marks; the table scrolls to keep it in view, and says how many rows are above and
below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive

from flowtop.tracker.contracts import MOVING_PX_S, TrackState
from flowtop.tui.widgets.columns import Column, grid
from flowtop.tui.widgets.panel import LivePanel, on_screen

SPARK = "▁▂▃▄▅▆▇█"
SPARK_LEN = 8
ARROWS = "→↘↓↙←↖↑↗"  # by angle in image coordinates (y grows downwards)
SORTS = ("speed", "id", "age")
# columns: name, width, the order they go in when the panel is narrow (0 = never)
COLUMNS = (("id", 5, 0), ("x", 4, 3), ("y", 4, 3), ("px/s", 6, 4), ("world", 7, 0),
           ("dir", 1, 0), ("age", 5, 2), ("recent", SPARK_LEN, 1))
HEADER_ROWS = 3  # caption, header, the "+N more" line


def arrow(vx: float, vy: float) -> str:
    """The arrow nearest the direction of (vx, vy); '·' when still."""
    if math.hypot(vx, vy) < MOVING_PX_S:
        return "·"
    return ARROWS[round(math.atan2(vy, vx) / (math.pi / 4)) % 8]


def sparkline(values: list[float], top: float | None = None) -> str:
    """Values as bar glyphs scaled to `top` (default: their own maximum)."""
    if not values:
        return ""
    top = max(values) if top is None else top
    if top <= 0:
        return SPARK[0] * len(values)
    return "".join(SPARK[min(7, max(0, int(v / top * 7.999)))] for v in values)


@dataclass(frozen=True)
class Aggregates:
    moving: int
    median: float
    maximum: float


def aggregates(state: TrackState) -> Aggregates:
    moving = state.speed[state.moving]
    if not len(moving):
        return Aggregates(0, 0.0, 0.0)
    return Aggregates(len(moving), float(np.median(moving)), float(moving.max()))


class SpeedHistory:
    """Recent speeds per live track, forgotten when the track dies (memory stays bounded).

    One row of `length` samples per live track (NaN where a young track has none yet), so a
    new frame is a few array operations however many tracks there are.
    """

    def __init__(self, length: int = SPARK_LEN) -> None:
        self.length = length
        self._ids = np.empty(0, np.int64)  # sorted
        self._rows = np.empty((0, length))
        self._last: tuple[int, float] | None = None

    def add(self, state: TrackState) -> None:
        """One sample per track of a new frame (a frame published again adds none)."""
        if (state.index, state.t) == self._last:
            return
        self._last = (state.index, state.t)
        order = np.argsort(state.ids, kind="stable")
        ids = state.ids[order].astype(np.int64)
        rows = np.full((len(ids), self.length), np.nan)
        if len(self._ids) and len(ids):
            at = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
            kept = self._ids[at] == ids
            rows[kept, :-1] = self._rows[at[kept], 1:]
        rows[:, -1] = state.speed[order]
        self._ids, self._rows = ids, rows

    def get(self, track_id: int) -> list[float]:
        """The track's samples, oldest first ([] for a track not seen)."""
        at = int(np.searchsorted(self._ids, track_id))
        if at == len(self._ids) or self._ids[at] != track_id:
            return []
        row = self._rows[at]
        return row[~np.isnan(row)].tolist()

    def top(self) -> float:
        """The highest speed in any history: the one scale of every sparkline."""
        return float(np.nanmax(self._rows, initial=0.0)) if self._rows.size else 0.0

    def __len__(self) -> int:
        return len(self._ids)


class SpeedsPanel(LivePanel, can_focus=True):
    """Moving points, median and max speed, then the tracks sorted by `sort`."""

    BINDINGS = [
        Binding("down", "move(1)", "next track", show=False),
        Binding("up", "move(-1)", "previous track", show=False),
        Binding("pagedown", "move(10)", "page down", show=False),
        Binding("pageup", "move(-10)", "page up", show=False),
        Binding("home", "move(-1000000)", "first", show=False),
        Binding("escape", "deselect", "deselect", show=False),
    ]
    DEFAULT_CSS = """
    SpeedsPanel { height: 1fr; }
    """
    sort: reactive[str] = reactive("speed")

    class TrackSelected(Message):
        """The selected track changed (None: no selection)."""

        def __init__(self, track_id: int | None) -> None:
            super().__init__()
            self.track_id = track_id

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = SpeedHistory()
        self._state: TrackState | None = None
        self._drawn: TrackState | None = None  # the state the table shows
        self.selected: int | None = None  # a track id
        self._row = 0  # the selected row's position in the sorted order
        self._offset = 0  # the first row shown

    def reset_history(self) -> None:
        """Forget the sparklines' samples; the next state shown starts them afresh."""
        self.history = SpeedHistory(self.history.length)
        self._state = self._drawn = None

    def show(self, state: TrackState | None) -> None:
        if state is None:
            return
        if state is not self._state:
            self._state = state
            self.history.add(state)
        if on_screen(self) and self._drawn is not state:  # off screen the table waits
            self._redraw()

    def _redraw(self) -> None:
        if self._state is not None:
            self._drawn = self._state
            self.show_content(self.table(self._state))

    def watch_sort(self) -> None:
        self._redraw()

    def cycle_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]

    def order(self, state: TrackState) -> np.ndarray:
        if self.sort == "id":
            return np.argsort(state.ids)
        if self.sort == "age":
            return np.argsort(-state.age, kind="stable")
        return np.argsort(-state.speed, kind="stable")

    # -- selection -------------------------------------------------------------------------

    def action_move(self, rows: int) -> None:
        state = self._state
        if state is None or not len(state.ids):
            return
        order = self.order(state)
        if self.selected is None:
            self._row = 0 if rows > 0 else len(order) - 1
        else:
            self._row = int(np.clip(self._row + rows, 0, len(order) - 1))
        self.selected = int(state.ids[order[self._row]])
        self.post_message(self.TrackSelected(self.selected))
        self._redraw()

    def action_deselect(self) -> None:
        if self.selected is not None:
            self.selected = None
            self.post_message(self.TrackSelected(None))
            self._redraw()

    def on_blur(self) -> None:
        self.action_deselect()

    def _window(self, order: np.ndarray, ids: np.ndarray, room: int) -> tuple[int, int]:
        """The rows to show [start, end): the selected one in view, kept where it was."""
        if self.selected is not None:
            where = np.flatnonzero(ids[order] == self.selected)
            if len(where):
                self._row = int(where[0])
            else:  # the selected track died
                self.selected = None
                self.post_message(self.TrackSelected(None))
        if self.selected is None:
            self._offset = 0
        elif self._row < self._offset:
            self._offset = self._row
        elif self._row >= self._offset + room:
            self._offset = self._row - room + 1
        self._offset = max(0, min(self._offset, max(0, len(order) - room)))
        return self._offset, min(len(order), self._offset + room)

    # -- the table -------------------------------------------------------------------------

    def table(self, state: TrackState) -> Text:
        """The panel's text: the aggregates, a header and the rows that fit, and what is
        above and below them."""
        agg = aggregates(state)
        width = self.content_size.width or 44
        caption = f"{agg.moving} moving · median {agg.median:.1f} · max {agg.maximum:.1f} px/s"
        columns = [Column(name, state.unit if name == "world" else
                          ("" if name == "dir" else name), w,
                          "left" if name in ("dir", "recent") else "right",
                          5 if name == "px/s" and state.calibrated else drop)
                   for name, w, drop in COLUMNS if state.calibrated or name != "world"]
        room = max(1, (self.content_size.height or 20) - HEADER_ROWS)
        order = self.order(state)
        start, end = self._window(order, state.ids, room)
        top = self.history.top()
        rows, styles = [], []
        for i in order[start:end]:
            track_id = int(state.ids[i])
            world = float(state.speed_world[i])
            rows.append({
                "id": str(track_id), "x": f"{state.pts[i, 0]:.0f}",
                "y": f"{state.pts[i, 1]:.0f}", "px/s": f"{state.speed[i]:.1f}",
                "world": "-" if not math.isfinite(world) else f"{world:.2f}",
                "dir": arrow(float(state.vel[i, 0]), float(state.vel[i, 1])),
                "age": str(int(state.age[i])),
                "recent": sparkline(self.history.get(track_id), top),
            })
            styles.append("reverse" if track_id == self.selected else "")
        text = Text(caption, style="bold", no_wrap=True, overflow="ellipsis")
        text.append("\n")
        text.append_text(grid(columns, rows, width, styles))
        above, below = start, len(order) - end
        if above or below:
            more = [f"+{below} more" if below else "", f"{above} above" if above else ""]
            hint = "↑ ↓ select" if self.has_focus else "o: sort"
            text.append(f"\n{' · '.join(m for m in more if m)} (by {self.sort}; {hint})",
                        style="dim")
        return text
