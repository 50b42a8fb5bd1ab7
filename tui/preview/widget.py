"""The preview widget: the newest frame in half-block cells with the tracks over it.

`tracker.render.cells` and `tracker.render.palette` turn a frame into arrays of colour codes
and glyphs; `tui.preview.tiling` shows them in narrow column tiles, sending only the cells
that changed (straight to the terminal while nothing covers the picture). A bandwidth budget
(`tracker.render.budget`) fed by the bytes the app writes lowers the rate, the size and the
colour depth when the link cannot keep up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.segment import Segment
from textual import events
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from flowtop.tracker.config.params import PreviewParams
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.render.budget import BudgetController
from flowtop.tracker.render.canvas import Layout
from flowtop.tracker.render.cells import Overlay, render_cells
from flowtop.tracker.render.dither import BlockDiffuser
from flowtop.tracker.render.palette import Stabilizer, resolve_mode, style_cells
from flowtop.tracker.render.scheme import Scheme, SchemeStream
from flowtop.tracker.runtime.rates import RateWindow
from flowtop.tui.preview.internals import (
    ByteMeter,
    install_byte_meter,
)
from flowtop.tui.preview.legend import legend_text
from flowtop.tui.preview.marks import CURSOR_BINDINGS, centre, clicked, marks, moved
from flowtop.tui.preview.pacing import (
    COVERED_POLL_S,
    FPS_WINDOW_S,
    PACE_SLACK_S,
    PreviewStats,
    next_draw_time,
)
from flowtop.tui.preview.tiling import Tiling

WAITING = "waiting for the first frame"


class Preview(Widget, can_focus=True):
    """The newest frame with tracks; click (or move the cursor and press `a`) to pick a point.

    The app calls `show(state)` with new TrackStates; a draw made at its paced time first
    asks `newest` for one the app holds but did not show. Drawing is paced by
    `preview.fps` and the bandwidth budget, and costs nothing when nothing changed. Tracks
    are drawn as `tracker.render.scheme` says (static ones hidden, moving ones in their
    speed's colour, or with `all_tracks` every track in a colour of its id); the border's
    subtitle is the legend.
    """

    BINDINGS = CURSOR_BINDINGS

    DEFAULT_CSS = """
    Preview {
        layout: horizontal; width: 1fr; height: 1fr; overflow: hidden hidden;
        background: black; color: $text-muted;
    }
    """

    class PointPicked(Message):
        """A point was picked on the preview, at image pixel (x, y)."""

        def __init__(self, x: float, y: float) -> None:
            super().__init__()
            self.x, self.y = x, y

    trails: reactive[bool] = reactive(True, layout=False, repaint=False)
    all_tracks: reactive[bool] = reactive(False, layout=False, repaint=False)

    def __init__(self, params: PreviewParams | None = None, *, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._state: TrackState | None = None
        self._overlay: Overlay | None = None
        self._cursor: tuple[float, float] | None = None
        self._layout: Layout | None = None
        self._tiling = Tiling(self)
        self._meter: ByteMeter | None = None
        self._budget = BudgetController()
        self._draws = RateWindow(FPS_WINDOW_S)
        self._frames = 0
        self._drawn_index = -1
        self._next_draw = 0.0
        self._timer: Timer | None = None
        self._image_size: tuple[int, int] | None = None
        self.on_drawn: Callable[[float], None] | None = None  # seconds each drawn frame took
        self.newest: Callable[[], TrackState | None] | None = None  # a state not shown yet
        self.highlight: int | None = None  # a track id marked on the picture
        self._schemes = SchemeStream()
        self._scheme = Scheme()
        self._legend = ""
        self.set_params(params or PreviewParams())

    # -- public API ------------------------------------------------------------------------

    def show(self, state: TrackState | None) -> None:
        """Draw `state` (the newest) when the preview rate allows; the same state is free."""
        if state is self._state:
            return
        self._adopt(state)
        self._schedule()

    def _adopt(self, state: TrackState | None) -> None:
        self._state = state
        if state is not None:
            self._image_size = (state.image.shape[1], state.image.shape[0])

    def set_params(self, preview: PreviewParams) -> None:
        """Colour mode, rate cap, budget, quantisation and hysteresis from `preview`."""
        self._params = preview
        self._mode = resolve_mode(preview.color)
        self._stabilizer = Stabilizer(preview.quantize_bits, preview.hysteresis)
        self._diffuser = BlockDiffuser()
        self._schemes.configure(preview)
        self._budget.configure(preview.max_kbps, preview.fps, self._mode)
        self._tiling.styled = None
        self._next_draw = 0.0
        if self.is_mounted:
            self._draw()

    def mark_track(self, track_id: int | None) -> None:
        """Mark track `track_id` on the picture (None: no mark)."""
        self.highlight = track_id
        self._redraw_now()

    def set_overlay(self, overlay: Overlay | None) -> None:
        """Extra marks in image pixels (calibration points, lines, labels), or None."""
        self._overlay = overlay
        self._redraw_now()

    @property
    def due_at(self) -> float:
        """The monotonic time from which a new state is drawn at once."""
        return self._next_draw - PACE_SLACK_S

    @property
    def image_size(self) -> tuple[int, int] | None:
        """(width, height) of the frames shown, once one arrived."""
        return self._image_size

    @property
    def layout_info(self) -> Layout | None:
        """Where the picture sits in the widget's cells (None before the first frame)."""
        return self._layout

    @property
    def frames_drawn(self) -> int:
        """Frames drawn since the widget was made."""
        return self._frames

    @property
    def drawn_index(self) -> int:
        """The frame index of the picture on screen (-1 before the first)."""
        return self._drawn_index

    @property
    def scheme(self) -> Scheme:
        """How the picture on screen draws its tracks (its speed scale fixed)."""
        return self._scheme

    @property
    def legend(self) -> str:
        """What the colours mean, as the border's subtitle shows it ('' before a frame)."""
        return self._legend

    @property
    def cursor(self) -> tuple[float, float] | None:
        """The keyboard cursor in image pixels (shown while the preview has focus)."""
        return self._cursor

    @property
    def last_refresh(self) -> list[Region] | None:
        """The cells the last draw sent, a region per changed span (None: all of them)."""
        sent = self._tiling.sent
        return None if sent is None else [Region(c.first, c.row, c.last - c.first + 1, 1)
                                          for c in sent]

    @property
    def direct_draws(self) -> int:
        """Frames whose changed cells were written straight to the terminal."""
        return self._tiling.direct_draws

    @property
    def stats(self) -> PreviewStats:
        now = time.monotonic()
        fps = self._draws.per_second(now)
        cols, rows = self.content_size
        kbps = self._meter.kbps(now) if self._meter is not None else 0.0
        level = self._budget.level
        return PreviewStats(kbps, self._budget.budget_kbps, fps, level.mode, cols, rows,
                            level.scale)

    # -- tiles and drawing -----------------------------------------------------------------

    def on_mount(self) -> None:
        try:
            self._meter = install_byte_meter(self.app)
        except RuntimeError:  # no driver (not running): nothing to count
            self._meter = None
        self._retile()

    def on_resize(self, event: events.Resize) -> None:
        self._retile()
        self._tiling.styled = None
        self._redraw_now()

    def watch_trails(self) -> None:
        self._redraw_now()

    def watch_all_tracks(self, value: bool) -> None:
        self._schemes.all_tracks = value
        self._redraw_now()

    def on_focus(self) -> None:
        self._redraw_now()

    def on_blur(self) -> None:
        self._redraw_now()

    def _retile(self) -> None:
        self._tiling.retile(self.content_size.width)

    def tile_line(self, tile: int, y: int) -> Strip:
        """Line `y` of tile `tile` (what `PreviewTile.render_line` shows)."""
        line = self._tiling.line(tile, y)
        if line is not None:
            return line
        cols, rows = self.content_size
        edges = self._tiling.edges
        x0 = edges[tile] if tile < len(edges) else 0
        x1 = edges[tile + 1] if tile + 1 < len(edges) else cols
        if self._state is None and y == rows // 2:
            text = WAITING[:cols].center(cols)
            return Strip([Segment(text, self.rich_style)], cols).crop(x0, x1)
        return Strip.blank(max(0, x1 - x0), self.rich_style)

    def _redraw_now(self) -> None:
        if self.is_mounted:
            self._draw()

    def _schedule(self) -> None:
        """Draw now if the preview rate allows, else at the next allowed time (one timer).

        While a dialog covers the preview (help, command palette) nothing is drawn: a frame
        drawn under it is a full-screen repaint, ~10x the bytes. The newest state waits and is
        drawn when the preview shows again.
        """
        if not self.is_mounted or self._timer is not None:
            return
        wait = self._next_draw - time.monotonic()
        if not self._on_top:
            wait = max(wait, COVERED_POLL_S)
        if wait <= PACE_SLACK_S:
            self._draw()
        else:
            self._timer = self.set_timer(wait, self._paced_draw)

    @property
    def _on_top(self) -> bool:
        """Whether the preview's screen is the one in front (no dialog over it)."""
        return self.app.screen is self.screen

    def _paced_draw(self) -> None:
        self._timer = None
        newest = self.newest() if self.newest is not None else None
        if newest is not None:
            self._adopt(newest)
        if self._on_top:
            self._draw()
        else:
            self._schedule()

    def _draw(self) -> None:
        """Render the current state and send the cells that changed (`Tiling.draw`)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        cols, rows = self.content_size
        state = self._state
        if state is None or cols < 1 or rows < 1:
            self._layout = None
            self._tiling.clear()
            return
        started, now = time.perf_counter(), time.monotonic()
        level = self._budget.level
        if self._cursor is None:
            self._cursor = centre(state.image.shape[1], state.image.shape[0])
        overlay = marks(self._overlay, state, self._cursor if self.has_focus else None,
                        self.highlight)
        if self._tiling.cols != cols:  # resized since the tiles were cut (its event may follow)
            self._retile()
        self._scheme = self._schemes(state)
        cells = render_cells(state.image, state, cols, rows, trails=self.trails,
                             overlay=overlay, scale=level.scale,
                             picture_filter=self._stabilizer, scheme=self._scheme)
        legend = legend_text(self._scheme)
        if legend.plain != self._legend:  # only when it changes: setting it repaints
            self._legend, self.border_subtitle = legend.plain, legend
        self._layout = cells.layout
        self._tiling.draw(style_cells(cells, level.mode, self._diffuser))
        self._frames += 1
        self._drawn_index = state.index
        self._draws.add(now)
        total = self._meter.total if self._meter is not None else 0
        level = self._budget.update(now, total, self._frames)
        self._next_draw = next_draw_time(self._next_draw, now, 1.0 / max(level.fps, 0.1))
        if self.on_drawn is not None:
            self.on_drawn(time.perf_counter() - started)

    # -- picking points --------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        if self._layout is None:
            return
        origin = self.content_region.offset  # the click may come from a tile
        picked = clicked(self._layout, event.pointer_screen_x - origin.x,
                         event.pointer_screen_y - origin.y)
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
        self._cursor = moved(layout, self._cursor, dx, dy)
        self._redraw_now()

    def action_add_point(self) -> None:
        if self._cursor is not None and self._layout is not None:
            self.post_message(self.PointPicked(*self._cursor))
