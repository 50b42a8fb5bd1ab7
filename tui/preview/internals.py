"""Everything in flowtop that relies on Textual's (and Rich's) internals, in one place.

Written against Textual 8.2.8 and Rich 15.0 (pyproject pins `textual>=8.2,<9`). What it uses:
- `Strip`'s slots (`_segments`, `_cell_length`, `_render_cache`, `_link_ids`, `_cell_count`
  and its seven caches), filled without calling `Strip.__init__`: `LazyStrip`, `AnsiStrip`.
  `strips_fit()` checks them once; `tests/test_rows.py::test_the_strips_fit_this_textual`
  fails loudly when a Textual release changes them, and the preview then uses plain Strips.
- Rich's `Color`, `ColorTriplet` and `Segment` are NamedTuples: `fast_color` and
  `fast_segment` build them with `tuple.__new__`, without their keyword handling.
- The app driver's `process_message` (called in its input thread: `watch_input`).
- The app driver's `write` (wrapped to count the bytes sent: `install_byte_meter`), and
  `sys.__stderr__`, the stream Textual's driver draws on (made hang-up safe:
  `hangup_safe_terminal`).
- The screen's `_on_timer_update` (what its update timer runs): `paint_now` runs it at once.
- The screen compositor's `visible_widgets` (regions in paint order), the app's
  `_sync_available`, `_driver.is_inline` and `cursor_position`: `place_direct` and
  `write_direct` send the preview's changed cells to the terminal as the compositor would,
  without its per-update work.

`LazyStrip` makes Strip's seven per-strip caches only when one is used. `AnsiStrip` also
arrives with its terminal text made (by `tui.preview.rows`, one cached text per run
of equal cells, exactly what Textual writes for the same Segments) and makes its Segments only
when asked: the compositor draws a preview tile with `render()`, or `crop(0, end).render()`
when only the start of the row changed, and neither needs a Rich Style or Segment. Anything
else (a filter under a dialog, a style, a divide, a screenshot) reads `_segments`, which are
then made from the strip's own runs, so the strip is the Strip of the same Segments.
"""

from __future__ import annotations

import functools
import io
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich.color import ColorSystem
from rich.console import Console
from rich.control import Control
from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.cache import FIFOCache
from textual.geometry import Region
from textual.message import Message
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from flowtop.tracker.render.palette import KEY_SHIFT
from flowtop.tracker.runtime.rates import RateWindow
from flowtop.tui.preview.run_styles import RunStyles, run_text

# Strip makes seven FIFOCaches in __init__ (~1 us a strip); a tile row rarely uses any of
# them, and a typical frame builds a few hundred strips. LazyStrip makes each on first use.
_STRIP_CACHES = {"_divide_cache": 4, "_crop_cache": 16, "_style_cache": 16, "_filter_cache": 4,
                 "_line_length_cache": 4, "_crop_extend_cache": 4, "_offsets_cache": 4}
_STRIP_SLOTS = {"_segments", "_cell_length", "_render_cache", "_link_ids", "_cell_count"}


class LazyStrip(Strip):
    """A Strip whose per-strip caches are made when first used; it behaves as a Strip."""

    __slots__ = ()

    def __init__(self, segments: list[Segment], cell_length: int | None = None) -> None:
        self._segments = segments
        self._cell_length = cell_length
        self._render_cache = None
        self._link_ids = None
        self._cell_count = None

    def __getattr__(self, name: str) -> FIFOCache:
        size = _STRIP_CACHES.get(name)
        if size is None:
            raise AttributeError(name)
        cache: FIFOCache = FIFOCache(size)
        setattr(self, name, cache)
        return cache


# where a Strip keeps its Segments (a slot descriptor; `strips_fit` checks it is there)
_SEGMENTS_SLOT: Any = Strip.__dict__.get("_segments")


Run = tuple[str, int, int, "str | int"]  # terminal text, style key, length, text or tail


class AnsiStrip(LazyStrip):
    """A Strip with its terminal text made ahead and its Segments made when first read.

    It keeps its own runs (terminal text, style key, cell length, and text: a str, or the
    run identity's low bits naming a run of one glyph, `run_text`), so a tile that does not
    change for an hour pins a few hundred bytes, not a frame's tables; `styles` makes the
    Rich styles if Segments are asked for, and the text of a crop that cuts a run.
    """

    __slots__ = ("_end", "_runs", "_styles")

    def __init__(self, styles: RunStyles, runs: list[Run], cell_length: int, render: str,
                 end: int | None = None) -> None:
        _SEGMENTS_SLOT.__set__(self, None)
        self._cell_length = cell_length
        self._render_cache = render
        self._link_ids = None
        self._cell_count = None
        self._styles, self._runs, self._end = styles, runs, end

    @property
    def _segments(self) -> list[Segment]:
        segments = _SEGMENTS_SLOT.__get__(self, Strip)
        if segments is None:
            style = self._styles.style
            segments = [Segment(_text(text), style(key)) for _, key, _, text in self._runs]
            if self._end is not None:  # a crop of the strip the runs are of
                segments = Strip(segments).crop(0, self._end)._segments
            _SEGMENTS_SLOT.__set__(self, segments)
        return segments

    @_segments.setter
    def _segments(self, segments: list[Segment]) -> None:
        _SEGMENTS_SLOT.__set__(self, segments)

    def crop(self, start: int, end: int | None = None) -> Strip:
        """As Strip.crop; the start of the strip (what a partial refresh draws) keeps its
        terminal text made ahead."""
        if start != 0 or end is None or not 0 < end < self.cell_length or self._end is not None:
            return super().crop(start, end)
        cache = self._crop_cache
        cropped = cache.get((0, end))
        if cropped is None:
            cropped = cache[(0, end)] = AnsiStrip(self._styles, self._runs, end,
                                                  self._render_prefix(end), end)
        return cropped

    def _render_prefix(self, end: int) -> str:
        """Terminal text of the first `end` cells (as Strip.crop(0, end) renders)."""
        out, x = [], 0
        for piece, key, n, text in self._runs:
            if x + n < end:
                out.append(piece)
                x += n
                continue
            if x + n == end:
                out.append(piece)
            else:  # the cut falls inside this run: one cell is one character
                out.append(self._styles.wrap(key, _text(text)[:end - x]))
            break
        return "".join(out)


def _text(text: str | int) -> str:
    return run_text(text) if isinstance(text, int) else text


def _probe_segments() -> list[Segment]:
    return [Segment("▀▀▀", Style(color="#ff0000", bgcolor="#0000ff")),
            Segment("  ", Style(bgcolor="#00ff00")), Segment("ab", Style(color="#123456"))]


@functools.cache
def strips_fit() -> bool:
    """Whether this Textual's Strip has the slots these strips fill, and they behave as it."""
    slots = set(getattr(Strip, "__slots__", ()))
    if not (_STRIP_SLOTS | _STRIP_CACHES.keys()) <= slots or _SEGMENTS_SLOT is None:
        return False
    try:
        probe = LazyStrip(_probe_segments(), 7)
        if probe.crop(0, 1).text != "▀" or probe.apply_style(Style(bold=True)).text != "▀▀▀  ab":
            return False
        styles = RunStyles("truecolor", Style(), ColorSystem.TRUECOLOR)
        keys = [(0xff0000 + 1) << KEY_SHIFT | (0x0000ff + 1), 0x00ff00 + 1,
                (0x123456 + 1) << KEY_SHIFT]
        runs: list[Run] = [(styles.wrap(k, t), k, len(t), t)
                           for k, t in zip(keys, ["▀▀▀", "  ", "ab"])]
        ansi = AnsiStrip(styles, runs, 7, "".join(run[0] for run in runs))
        plain = Strip(_probe_segments(), 7)
        console = Console(file=io.StringIO(), color_system="truecolor", force_terminal=True)
        return (ansi.render(console) == plain.render(console)
                and ansi.crop(0, 4).render(console) == plain.crop(0, 4).render(console)
                and ansi.crop(1, 6).render(console) == plain.crop(1, 6).render(console)
                and list(ansi) == list(plain) and ansi.text == plain.text)
    except Exception:  # any surprise means: use Strip as it is
        return False


def make_strips(segments: Sequence[list[Segment]], widths: Sequence[int]) -> list[Strip]:
    """Strips of `segments` (LazyStrips where they fit)."""
    make = LazyStrip if strips_fit() else Strip
    return [make(s, w) for s, w in zip(segments, widths)]


class HangupSafeStream:
    """Wraps the terminal stream; once a write or flush fails (EIO: the SSH session or pty is
    gone), later output is dropped instead of raised.

    Textual writes from a thread whose loop has no error handling: one OSError ends it, its
    queue of 30 writes fills, and the app blocks forever when it next writes or shuts down.
    """

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.hung_up = False

    def write(self, text: str) -> int:
        if not self.hung_up:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # ValueError: the stream was closed under us
                self.hung_up = True
        return len(text)

    def flush(self) -> None:
        if not self.hung_up:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.hung_up = True

    def __getattr__(self, name: str) -> object:  # fileno, isatty, encoding, ...
        return getattr(self._stream, name)


@contextmanager
def hangup_safe_terminal() -> Iterator[HangupSafeStream]:
    """While inside, Textual's driver (which draws on `sys.__stderr__`) gets the safe stream."""
    original = sys.__stderr__
    if original is None:  # no terminal stream at all: nothing to guard
        yield HangupSafeStream(sys.stderr)
        return
    safe = HangupSafeStream(original)
    setattr(sys, "__stderr__", safe)  # noqa: B010 - a typed final name, replaced on purpose
    try:
        yield safe
    finally:
        setattr(sys, "__stderr__", original)  # noqa: B010


WINDOW_S = 1.0
_METERS: weakref.WeakKeyDictionary[App, ByteMeter] = weakref.WeakKeyDictionary()


class ByteMeter:
    """A running total of bytes written, and the rate over the last `window_s` seconds.

    Times come from `clock` (monotonic seconds) unless passed in, so tests can feed them.
    KB here and everywhere in flowtop is 1000 bytes.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 window_s: float = WINDOW_S) -> None:
        self.clock = clock
        self._window = RateWindow(window_s)
        self._lock = threading.Lock()

    @property
    def total(self) -> int:
        """Bytes written since the meter was made."""
        return int(self._window.total)

    @property
    def writes(self) -> int:
        return self._window.count

    def add(self, nbytes: int, now: float | None = None) -> None:
        """Record `nbytes` written at `now`."""
        now = self.clock() if now is None else now
        with self._lock:
            self._window.add(now, nbytes)

    def kbps(self, now: float | None = None) -> float:
        """KB/s written over the last window."""
        now = self.clock() if now is None else now
        with self._lock:
            return self._window.amount_per_second(now) / 1000.0


def install_byte_meter(app: App) -> ByteMeter:
    """Wrap `app`'s driver so every write is counted; the same meter on a second call."""
    meter = _METERS.get(app)
    if meter is not None:
        return meter
    driver = app._driver
    if driver is None:
        raise RuntimeError("install_byte_meter: the app has no driver yet (call it on mount)")
    meter = ByteMeter()
    write = driver.write

    def counted_write(data: str) -> None:
        meter.add(len(data.encode("utf-8", "surrogateescape")))
        write(data)

    driver.write = counted_write  # type: ignore[method-assign]
    _METERS[app] = meter
    return meter


def watch_input(app: App, callback: Callable[[Message], None]) -> bool:
    """Call `callback(message)` in the terminal's input thread as each input message (a key,
    a mouse event) arrives, before the app reads it; False if the app has no driver."""
    driver = app._driver
    if driver is None:
        return False
    process = driver.process_message

    def watched(message: Message) -> None:
        callback(message)
        process(message)

    driver.process_message = watched  # type: ignore[method-assign]
    return True


SYNC_START, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"  # Textual's synchronized-output marks


def paint_now(screen: Screen) -> None:
    """Send `screen`'s pending repaints to the terminal now, not at its update timer's next
    tick: that tick waits behind whatever the app's other tasks (a picture being drawn) do
    first, tens of ms while tracking holds the other core. Nothing if the screen is gone."""
    if screen.is_current and screen.is_running:
        screen._on_timer_update()


def place_direct(widget: Widget, parts: Sequence[Widget]) -> list[Region] | None:
    """The screen region of each of `widget`'s children `parts`, if their cells may be written
    straight to the terminal: the app draws on a real full-screen terminal, `widget`'s screen
    is in front, every part is wholly visible and nothing is painted over `widget`. Else None.
    """
    app = widget.app
    driver = app._driver
    if (driver is None or driver.is_inline or app.is_headless or not app._running
            or app.screen is not widget.screen):
        return None
    try:
        shown = widget.screen._compositor.visible_widgets  # topmost first
    except Exception:  # a Textual that arranges this differently: the compositor draws
        return None
    area = widget.region
    for other, (region, clip) in shown.items():
        if other is widget:
            break
        if other.parent is not widget and region.overlaps(area) and clip.overlaps(area):
            return None  # a toast, a tooltip, a menu over the picture
    regions = []
    for part in parts:
        found = shown.get(part)
        if found is None or found[1].intersection(found[0]) != found[0]:
            return None  # hidden or cut by its container
        regions.append(found[0])
    return regions


def write_direct(app: App, pieces: Sequence[tuple[int, int, str]]) -> None:
    """Write each (x, y, terminal text) at screen cell (x, y), in one synchronized update that
    leaves the cursor where Textual keeps it, through the driver (so after, and before, any
    update Textual queued)."""
    driver = app._driver
    if driver is None or not pieces:
        return
    out = [SYNC_START] if app._sync_available else []
    for x, y, text in pieces:
        out.append(f"\x1b[{y + 1};{x + 1}H")  # what Control.move_to(x, y) writes
        out.append(text)
    out.append(Control.move_to(*app.screen.outer_size.clamp_offset(app.cursor_position))
               .segment.text)
    if app._sync_available:
        out.append(SYNC_END)
    driver.write("".join(out))
