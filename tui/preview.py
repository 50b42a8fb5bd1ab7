"""The preview widget: the newest frame in half-block cells with the tracks over it.

`tracker.render` and `tracker.palette` turn a frame into arrays of colour codes and glyphs;
this widget only wraps rows of them in `Strip`s (one Segment per run of equal style, built
from numpy run boundaries) and refreshes, per changed row, the span from its first to its
last changed cell: unchanged rows keep their Strip and cost no bytes. A bandwidth budget
(`tracker.budget`) fed by the bytes the app writes lowers the rate, size and colour depth.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from tracker.budget import BudgetController
from tracker.engine import TrackState
from tracker.palette import (
    KEY_SHIFT,
    SPACE,
    UPPER_HALF,
    Stabilizer,
    StyledCells,
    resolve_mode,
    style_cells,
)
from tracker.params import PreviewParams
from tracker.render import Layout, Overlay, render_cells
from tui.bytemeter import ByteMeter, install_byte_meter

WAITING = "waiting for the first frame"
FPS_WINDOW_S = 2.0
MAX_SEGMENTS = 200_000  # cached Segments at most (truecolor noise can make many)
MISSING = object()
BLANK_KEY = 0  # style key of a cell with neither colour: the widget's own style


@dataclass(frozen=True)
class PreviewStats:
    """How the preview is doing: measured KB/s written, its budget, drawn fps, and shape."""

    kbps: float = 0.0
    budget_kbps: float = 0.0
    fps: float = 0.0
    mode: str = ""
    cols: int = 0
    rows: int = 0


class RowBuilder:
    """Styled cell rows -> Strips: one Segment per run of cells with the same colours.

    Runs are found with numpy. A run of one repeated `▀` or space is identified by a single
    integer (style key, length, glyph), so each distinct run becomes a Segment once and is
    reused from a cache afterwards; other runs (labels, ASCII text) are built directly.
    """

    def __init__(self) -> None:
        self._colors: dict[int, Color | None] = {-1: None}
        self._styles: dict[int, Style] = {}
        self._segments: dict[int, Segment] = {}
        self._mode = ""
        self._base = Style()

    def _color(self, code: int) -> Color | None:
        color = self._colors.get(code, MISSING)
        if color is MISSING:
            if self._mode == "truecolor":
                color = Color.from_rgb((code >> 16) & 255, (code >> 8) & 255, code & 255)
            else:
                color = Color.from_ansi(code)
            self._colors[code] = color
        return color  # type: ignore[return-value]

    def _style(self, key: int) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key == BLANK_KEY:
                return self._base
            fg, bg = (key >> KEY_SHIFT) - 1, (key & ((1 << KEY_SHIFT) - 1)) - 1
            style = self._styles[key] = Style.from_color(self._color(fg), self._color(bg))
        return style

    def _start(self, mode: str, base: Style) -> None:
        """Forget what another mode's codes or another base style meant; bound the caches."""
        if mode != self._mode or base != self._base or len(self._segments) > MAX_SEGMENTS:
            self._colors = {-1: None}
            self._styles.clear()
            self._segments.clear()
            self._mode, self._base = mode, base

    def build(self, styled: StyledCells, rows: Sequence[int], base: Style) -> list[Strip]:
        """A Strip for each of `rows`; cells with no colour take the `base` style."""
        if not len(rows):
            return []
        self._start(styled.mode, base)
        keys = styled.keys()[rows]
        glyph = styled.glyph[rows]
        n, cols = keys.shape
        starts = np.ones((n, cols), bool)
        starts[:, 1:] = keys[:, 1:] != keys[:, :-1]
        flat = np.flatnonzero(starts)
        lengths = np.diff(np.append(flat, n * cols))
        run_of = np.cumsum(starts.ravel()) - 1  # run index of each cell
        glyph_flat = glyph.ravel()
        first = glyph_flat[flat]
        mixed = np.zeros(len(flat), bool)
        mixed[run_of[glyph_flat != first[run_of]]] = True
        simple = ~mixed & ((first == UPPER_HALF) | (first == SPACE)) & (lengths < 1024)
        run_keys = keys.ravel()[flat]
        segments = np.empty(len(flat), object)
        if simple.any():
            ident = (run_keys[simple] << 11) | (lengths[simple] << 1) | (first[simple] == SPACE)
            unique, inverse = np.unique(ident, return_inverse=True)
            made = np.empty(len(unique), object)
            cache, style = self._segments, self._style
            for i, u in enumerate(unique.tolist()):
                segment = cache.get(u)
                if segment is None:
                    text = (" " if u & 1 else "▀") * ((u >> 1) & 1023)
                    segment = cache[u] = Segment(text, style(u >> 11))
                made[i] = segment
            segments[simple] = made[inverse]
        if not simple.all():
            text = glyph.astype("<u4", copy=False).tobytes().decode("utf-32-le")
            for i in np.flatnonzero(~simple).tolist():
                start = int(flat[i])
                segments[i] = Segment(text[start:start + int(lengths[i])],
                                      self._style(int(run_keys[i])))
        bounds = np.append(0, np.cumsum(starts.sum(axis=1))).tolist()
        return [Strip(segments[a:b].tolist(), cols) for a, b in pairwise(bounds)]


def changed_spans(styled: StyledCells, previous: StyledCells | None
                  ) -> tuple[list[int], list[tuple[int, int]]] | None:
    """Rows that changed and, for each, its first and last changed column (inclusive).

    None when nothing is comparable (first frame, new size or mode): redraw everything.
    """
    same = styled.same_as(previous)
    if same is None:
        return None
    changed = ~same
    rows = np.flatnonzero(changed.any(axis=1))
    if not len(rows):
        return [], []
    sub = changed[rows]
    first = sub.argmax(axis=1)
    last = sub.shape[1] - 1 - sub[:, ::-1].argmax(axis=1)
    return rows.tolist(), list(zip(first.tolist(), last.tolist()))


class Preview(Widget, can_focus=True):
    """The newest frame with tracks; click (or move the cursor and press `a`) to pick a point.

    The app calls `show(state)` with each new TrackState; drawing is paced by
    `preview.fps` and the bandwidth budget, and costs nothing when nothing changed.
    """

    BINDINGS = [
        Binding("left", "move_cursor(-1, 0)", "cursor", show=False),
        Binding("right", "move_cursor(1, 0)", "cursor", show=False),
        Binding("up", "move_cursor(0, -1)", "cursor", show=False),
        Binding("down", "move_cursor(0, 1)", "cursor", show=False),
        Binding("shift+left", "move_cursor(-8, 0)", "cursor", show=False),
        Binding("shift+right", "move_cursor(8, 0)", "cursor", show=False),
        Binding("shift+up", "move_cursor(0, -8)", "cursor", show=False),
        Binding("shift+down", "move_cursor(0, 8)", "cursor", show=False),
        Binding("a", "add_point", "add point"),
    ]

    DEFAULT_CSS = """
    Preview { width: 1fr; height: 1fr; background: black; color: $text-muted; }
    """

    class PointPicked(Message):
        """A point was picked on the preview, at image pixel (x, y)."""

        def __init__(self, x: float, y: float) -> None:
            super().__init__()
            self.x, self.y = x, y

    trails: reactive[bool] = reactive(True, layout=False, repaint=False)
    gray: reactive[bool] = reactive(False, layout=False, repaint=False)

    def __init__(self, params: PreviewParams | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._state: TrackState | None = None
        self._overlay: Overlay | None = None
        self._cursor: tuple[float, float] | None = None
        self._layout: Layout | None = None
        self._styled: StyledCells | None = None
        self._strips: list[Strip] = []
        self._rows = RowBuilder()
        self._meter: ByteMeter | None = None
        self._budget = BudgetController()
        self._draws: deque[float] = deque()
        self._frames = 0
        self._next_draw = 0.0
        self._timer: Timer | None = None
        self._image_size: tuple[int, int] | None = None
        self.set_params(params or PreviewParams())

    # -- public API ------------------------------------------------------------------------

    def show(self, state: TrackState | None) -> None:
        """Draw `state` (the newest) when the preview rate allows; the same state is free."""
        if state is self._state:
            return
        self._state = state
        if state is not None:
            self._image_size = (state.image.shape[1], state.image.shape[0])
        self._schedule()

    def set_params(self, preview: PreviewParams) -> None:
        """Colour mode, rate cap, budget, quantisation and hysteresis from `preview`."""
        self._params = preview
        self._mode = resolve_mode(preview.color)
        self._stabilizer = Stabilizer(preview.quantize_bits, preview.hysteresis)
        self._budget.configure(preview.max_kbps, preview.fps, self._mode)
        self._styled = None
        self._next_draw = 0.0
        if self.is_mounted:
            self._draw()

    def set_overlay(self, overlay: Overlay | None) -> None:
        """Extra marks in image pixels (calibration points, lines, labels), or None."""
        self._overlay = overlay
        self._redraw_now()

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the frames shown, once one arrived."""
        return self._image_size

    @property
    def layout_info(self) -> Layout | None:
        """Where the picture sits in the widget's cells (None before the first frame)."""
        return self._layout

    @property
    def cursor(self) -> tuple[float, float] | None:
        """The keyboard cursor in image pixels (shown while the preview has focus)."""
        return self._cursor

    @property
    def stats(self) -> PreviewStats:
        now = time.monotonic()
        self._trim_draws(now)
        draws = self._draws
        fps = (len(draws) - 1) / (draws[-1] - draws[0]) if len(draws) > 1 and \
            draws[-1] > draws[0] else 0.0
        cols, rows = self.content_size
        kbps = self._meter.kbps(now) if self._meter is not None else 0.0
        return PreviewStats(kbps, self._budget.budget_kbps, fps, self._budget.level.mode,
                            cols, rows)

    # -- drawing ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        try:
            self._meter = install_byte_meter(self.app)
        except RuntimeError:
            self._meter = None

    def on_resize(self, event: events.Resize) -> None:
        self._styled = None
        self._redraw_now()

    def watch_trails(self) -> None:
        self._redraw_now()

    def watch_gray(self) -> None:
        self._redraw_now()

    def on_focus(self) -> None:
        self._redraw_now()

    def on_blur(self) -> None:
        self._redraw_now()

    def _redraw_now(self) -> None:
        if self.is_mounted:
            self._draw()

    def _schedule(self) -> None:
        if not self.is_mounted:
            return
        wait = self._next_draw - time.monotonic()
        if wait <= 0:
            self._draw()
        elif self._timer is None:
            self._timer = self.set_timer(wait, self._draw)

    def _trim_draws(self, now: float) -> None:
        while self._draws and self._draws[0] < now - FPS_WINDOW_S:
            self._draws.popleft()

    def _draw(self) -> None:
        """Render the current state; refresh only the spans of rows that changed."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        cols, rows = self.content_size
        state = self._state
        if state is None or cols < 1 or rows < 1:
            self._layout, self._styled, self._strips = None, None, []
            self.refresh()
            return
        now = time.monotonic()
        level = self._budget.level
        overlay = self._overlay
        if self._cursor is None:
            h, w = state.image.shape[:2]
            self._cursor = ((w - 1) / 2, (h - 1) / 2)
        if self.has_focus:
            overlay = replace(overlay or Overlay(), cursor=self._cursor)
        cells = render_cells(state.image, state, cols, rows, trails=self.trails, gray=self.gray,
                             overlay=overlay, scale=level.scale,
                             picture_filter=self._stabilizer)
        styled = style_cells(cells, level.mode)
        self._layout = cells.layout
        spans = changed_spans(styled, self._styled)
        self._styled = styled
        if spans is None:
            self._strips = self._rows.build(styled, range(rows), self.rich_style)
            self.refresh()
        else:
            changed, extents = spans
            for r, strip in zip(changed, self._rows.build(styled, changed, self.rich_style)):
                self._strips[r] = strip
            if changed:
                self.refresh(*(Region(a, r, b - a + 1, 1) for r, (a, b) in zip(changed, extents)))
        self._frames += 1
        self._draws.append(now)
        self._trim_draws(now)
        total = self._meter.total if self._meter is not None else 0
        level = self._budget.update(now, total, self._frames)
        self._next_draw = now + 1.0 / max(level.fps, 0.1)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        if y < len(self._strips):
            return self._strips[y]
        if self._state is None and y == self.content_size.height // 2:
            text = WAITING[:width]
            left = max(0, (width - len(text)) // 2)
            return Strip([Segment(" " * left + text + " " * (width - left - len(text)),
                                  self.rich_style)], width)
        return Strip.blank(width, self.rich_style)

    # -- picking points --------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        if self._layout is None:
            return
        offset = self.content_offset
        px, py = event.pointer_x - offset.x, event.pointer_y - offset.y
        within = py - math.floor(py)
        picked = self._layout.cell_to_image(math.floor(px), math.floor(py),
                                            within if within > 0 else 0.5)
        if picked is None:
            return
        self._cursor = picked
        self.post_message(self.PointPicked(*picked))
        if self.has_focus:
            self._redraw_now()

    def action_move_cursor(self, dx: int, dy: int) -> None:
        """Move the cursor by (dx, dy) preview pixels (half cells vertically)."""
        layout = self._layout
        if layout is None:
            return
        x, y = self._cursor or ((layout.image_w - 1) / 2, (layout.image_h - 1) / 2)
        self._cursor = layout.clamp_image(x + dx / layout.sx, y + dy / layout.sy)
        self._redraw_now()

    def action_add_point(self) -> None:
        if self._cursor is not None and self._layout is not None:
            self.post_message(self.PointPicked(*self._cursor))
