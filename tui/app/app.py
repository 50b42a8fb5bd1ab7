"""The flowtop Textual app: preview, speeds and parameter panels, status bar, keys.

Data flows one way. The capture + LK loop runs in a thread worker and publishes each
`Snapshot` (state, status, health figures, recent rows) through its `on_publish` callback
into an `Inbox` (`tui.app.inbox`), which keeps only the newest and posts a `Published`
message when the preview may draw again or the run state changed. The app hands the state
to the preview, which paces its own drawing (`preview.fps`, the bandwidth budget), and the
figures to the bars and panels, which redraw BARS_HZ and TABLES_HZ times a second. Tracking
never waits for drawing; drawing never queues stale frames. Keys reach the loop through its
thread-safe control methods; a pause is published at once.

Every terminal size from 80x24 up has a layout (`tui.app.views`): on a narrow one the picture
keeps the screen and the panels are views of their own (keys 1-5). A key never acts on
something the user cannot see: keys that need a panel bring it into view first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.console import RenderableType
from textual import events, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from flowtop.tracker.config.files import default_config_path
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source, TrackState
from flowtop.tracker.redact import redact
from flowtop.tracker.runtime.loop import TrackingLoop
from flowtop.tui.app import layout, panels, parameters, replaying, views
from flowtop.tui.app.bindings import APP_BINDINGS
from flowtop.tui.app.calibrating import Calibrating
from flowtop.tui.app.export import start_export
from flowtop.tui.app.help import HelpScreen
from flowtop.tui.app.inbox import Inbox
from flowtop.tui.app.keys import app_commands
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import trap_overlay
from flowtop.tui.preview.internals import paint_now, watch_input
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.health import HealthPanel
from flowtop.tui.widgets.key_bar import KeyBar
from flowtop.tui.widgets.objects import ObjectsPanel
from flowtop.tui.widgets.panel import on_screen
from flowtop.tui.widgets.params import ParamsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel
from flowtop.tui.widgets.status_bar import StatusBar
from flowtop.tui.widgets.tuning import TuningPanel
from flowtop.tui.widgets.value_dialog import ValueDialog

BARS_HZ, TABLES_HZ = 4.0, 2.0  # the status and key bars; the panels' tables (as top does)


class FlowtopApp(Calibrating):
    """Live optical-flow tracking of `source` with `params`, saved to `config_path` on `s`.
    `freeze_startup` (the command line, whose process is the app's alone) exempts what
    start-up made from the garbage collector's full passes, which otherwise stall keys."""

    CSS_PATH = "flowtop.tcss"
    TITLE = "flowtop"
    BINDINGS = APP_BINDINGS

    def __init__(self, source: Source, params: Params | None = None,
                 config_path: Path | None = None, start_paused: bool = False,
                 freeze_startup: bool = False) -> None:
        super().__init__(ansi_color=True)  # no ANSI->truecolor filter: it costs ~20 ms/frame
        self.source = source
        self.params = params or Params()
        self.config_path = config_path or default_config_path()
        self._inbox = Inbox()
        self._ui_thread: int | None = None  # the app's own thread, once mounted
        self._freeze_startup = freeze_startup  # the process is this app's alone (the CLI)
        self.loop = TrackingLoop(source, self.params, self._on_publish)
        self.loop.set_paused(start_paused)
        self.snapshot = Snapshot(None, LoopStatus(
            state=RunState.PAUSED if start_paused else RunState.LIVE, source=source.name,
            size=source.size))
        self.view = views.DEFAULT
        self._width = 0  # the terminal's, as the last resize said
        self.undo_stack: list[Params] = []  # parameter sets `u` goes back to
        self._quitting = threading.Event()  # set on the way out: tracking ends with it

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Preview(id="preview")
            with Vertical(id="side"):
                yield CalibrationPanel(self.config_path, lambda: self.params, id="calibration")
                yield SpeedsPanel(id="speeds")
                yield ObjectsPanel(id="objects")
                yield HealthPanel(id="health")
                yield TuningPanel(id="tuning")
                yield ParamsPanel(self.params, id="params")
        yield StatusBar(id="status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self._ui_thread = threading.get_ident()
        self.query_one("#speeds").border_title = "speeds"
        self.query_one("#objects").border_title = "objects"
        self.query_one("#health").border_title = "health"
        self.query_one("#tuning").border_title = "tuning: A/B on the replay"
        self.query_one("#params").border_title = "parameters"
        preview = self.query_one(Preview)
        preview.border_title = redact(self.source.name)
        preview.set_params(self.params.preview)
        preview.set_overlay(trap_overlay(self.params.trap))
        preview.on_drawn = lambda seconds: self._drawn(seconds, preview.due_at)
        preview.newest = self._take_state  # a paced draw shows the newest, woken for or not
        self.query_one(ParamsPanel).focus()
        self.apply_layout()
        # The bars and the tables never refresh together: Textual redraws one update's
        # changes within their bounding box, and the full-width status bar with the speeds
        # table in one update makes it re-cut every preview tile on the table's rows.
        self.set_interval(1 / BARS_HZ, lambda: self._tick(self.refresh_bars))
        self.set_timer(0.5 / BARS_HZ, lambda: self.set_interval(
            1 / TABLES_HZ, lambda: self._tick(self.refresh_tables)))
        if self.source.auto_choice:
            self.notify(f"source: {self.source.auto_choice}", timeout=6)
        watch_input(self, self._on_input)
        # tracking starts once the screen is up: the first paint does not cost it frames
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        if self._quitting.is_set():  # quit before the first refresh: nothing to start
            return
        if self._freeze_startup:  # what start-up made lives as long as the app: the
            gc.freeze()  # collector stops rescanning it (full collections 47-122 -> 16-50 ms)
        self.run_loop()

    def _on_input(self, message: Message) -> None:
        """In the input thread, as a key arrives: tracking waits at its next stage until the
        key is answered (`on_event`); the UI thread has Python to itself meanwhile."""
        if isinstance(message, events.Key):
            self.loop.input_hold.ask()

    async def on_event(self, event: events.Event) -> None:
        await super().on_event(event)
        if isinstance(event, events.Key):  # answered, and its repaint queued before this
            self.call_next(self.loop.input_hold.release)

    # -- worker ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="tracking")
    def run_loop(self) -> None:
        """Track until the worker is cancelled or the app exits. Textual cancels its workers
        when its message loop ends, and a worker started after that (a callback run during
        shutdown) would never be: the process would then wait for it at exit, forever."""
        worker = get_current_worker()
        self.loop.run(lambda: worker.is_cancelled or self._quitting.is_set())

    def exit(self, result: int | None = None, return_code: int = 0,
             message: RenderableType | None = None) -> None:
        """End the app (`q`, a stop signal, an error): the tracking thread stops too."""
        self._quitting.set()
        super().exit(result, return_code, message)

    def on_unmount(self) -> None:
        """Every way out, a crash inside Textual too, ends the tracking thread before the
        process waits for it."""
        self._quitting.set()

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification, with camera credentials masked."""
        super().notify(redact(message), title=redact(title), severity=severity,
                       timeout=timeout, markup=markup)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "tracking":
            self.notify(f"tracking stopped: {event.worker.error}", severity="error")

    # -- what the loop publishes ----------------------------------------------------------

    class Published(Message):
        """The loop published a snapshot (posted from its thread); a newer one replaces it."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, FlowtopApp.Published)

    def _on_publish(self, snapshot: Snapshot) -> None:
        """In the publishing thread: keep the newest snapshot, wake the app when it needs it
        (`tui.app.inbox`). A snapshot published by a key's own command (pause, step, reseed)
        arrives in the app's thread and is shown at once, not after the messages queued."""
        wake = self._inbox.put(snapshot)
        if threading.get_ident() == self._ui_thread:
            self._show_latest()
        elif wake:
            self.post_message(self.Published())

    def on_flowtop_app_published(self, _event: Published) -> None:
        self._show_latest()

    def _show_latest(self) -> None:
        """The newest snapshot to the bars (at once if the run state changed) and the
        preview; snapshots wake the app again once the preview may draw."""
        state = self._take_state()
        if state is None:
            return
        try:
            preview = self.query_one(Preview)
        except NoMatches:  # the app is closing: its widgets go before its messages
            return
        preview.show(state)
        self._inbox.wake_from(preview.due_at)

    def _drawn(self, seconds: float, due_at: float) -> None:
        """After each preview frame: its time to the health view; the next snapshot wakes
        the app when the preview may draw again (`due_at`)."""
        self.loop.add_timing("render", seconds)
        self._inbox.wake_from(due_at)

    def _take_state(self) -> TrackState | None:
        """The newest snapshot's state, its snapshot kept for the bars and panels; None if
        none came since, or while the app closes."""
        snap = self._inbox.take()
        if snap is None:
            return None
        state_changed = snap.status.state != self.snapshot.status.state
        self.snapshot = snap
        if state_changed:
            if not self.refresh_bars():
                return None
            self.call_next(paint_now, self.screen)  # a pause shows now, not after a frame
        return snap.state

    # -- layout ----------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self.apply_layout(event.size.width)

    @property
    def width_cells(self) -> int:
        """The terminal's width, as the last resize said."""
        return self._width or self.size.width

    @property
    def wide(self) -> bool:
        """Whether the panels fit beside the picture."""
        return self.width_cells >= views.WIDE_COLS

    @property
    def calibrating(self) -> bool:
        return self.query_one(CalibrationPanel).active

    def apply_layout(self, width: int | None = None) -> None:
        """Show what `views.shown` says for this size and view; keep the focus on screen."""
        if width is not None:
            self._width = width
        if self.screen_stack:
            layout.apply(self)
            self.refresh_panels()

    def show_panel(self, name: str) -> None:
        """Bring panel `name` into view (a narrow screen switches to it)."""
        layout.show_panel(self, name)

    def refresh_panels(self) -> None:
        """The bars and every panel, from the newest snapshot."""
        if self.refresh_bars():
            self.refresh_tables()

    def _tick(self, refresh: Callable[[], object]) -> None:
        self._show_latest()  # a snapshot that did not wake the app (`tui.app.inbox`)
        refresh()

    def refresh_tables(self) -> None:
        """Every panel beside the picture, from the newest snapshot (TABLES_HZ a second)."""
        panels.refresh_tables(self)

    def refresh_bars(self) -> bool:
        """The status bar and the key bar (at once when the run state changes: a pause shows
        without waiting for the tables); False while the app is closing."""
        return panels.refresh_bars(self)

    # -- events ----------------------------------------------------------------------------

    def on_speeds_panel_track_selected(self, event: SpeedsPanel.TrackSelected) -> None:
        self.query_one(Preview).mark_track(event.track_id)

    def on_params_panel_changed(self, event: ParamsPanel.Changed) -> None:
        self.apply_params(event.params)

    def on_params_panel_edit_requested(self, event: ParamsPanel.EditRequested) -> None:
        self.edit_parameter(event.key)

    def edit_parameter(self, key: str) -> None:
        """Ask for an exact value of `key` in a dialog; apply it if the schema accepts it."""

        def done(params: Params | None) -> None:
            if params is not None:
                self.apply_params(params)

        self.push_screen(ValueDialog(self.params, key), done)

    def apply_params(self, params: Params, undoable: bool = True) -> None:
        """Use `params` everywhere (`tui.app.parameters.apply`); `u` can take it back."""
        parameters.apply(self, params, undoable)

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.loop.set_paused(not self.loop.paused)

    def action_step(self) -> None:
        if self.loop.paused:
            self.loop.step()
        else:
            self.action_toggle_pause()

    def action_reseed(self) -> None:
        """Reseed now; at the end of a file, play it again; after an ERROR, restart."""
        if self.run_state is RunState.ERROR:
            self.run_loop()
            return
        if self.run_state is RunState.ENDED and not self.source.live:
            self.loop.rewind()
            return
        self.loop.reseed()

    def action_replay(self) -> None:
        replaying.toggle_replay(self)

    def action_step_back(self) -> None:
        replaying.step_back(self)

    def action_export_buffer(self) -> None:
        replaying.export_buffer(self)

    def action_clear(self) -> None:
        self.loop.clear()

    def action_toggle_trails(self) -> None:
        preview = self.query_one(Preview)
        preview.trails = not preview.trails

    def action_cycle_colour(self) -> None:
        parameters.cycle_colour(self)

    def action_toggle_all_tracks(self) -> None:
        preview = self.query_one(Preview)
        preview.all_tracks = not preview.all_tracks

    def action_cycle_sort(self) -> None:
        self.show_panel("speeds")
        self.query_one(SpeedsPanel).cycle_sort()

    def action_undo(self) -> None:
        parameters.undo(self)

    def action_view(self, name: str) -> None:
        """Keys 1-6: a panel (alone on a narrow screen, beside the picture on a wide one)."""
        if self.wide and name in ("speeds", "objects", "params"):
            self.view = views.DEFAULT  # these are beside the picture already
        else:
            self.view = views.DEFAULT if name == self.view else name
        self.apply_layout()
        if name in ("params", "tuning") and on_screen(self.query_one(ParamsPanel)):
            self.query_one(ParamsPanel).focus()

    def action_save(self) -> None:
        parameters.save(self)

    def action_export(self) -> None:
        """The frame as an annotated PNG and the recent tracks as CSV, in the working dir."""
        start_export(self, self.snapshot.state, self.snapshot.history,
                     scheme=self.query_one(Preview).scheme)

    def action_toggle_health(self) -> None:
        """The Health view (in place of the speeds and objects panels), or back."""
        self.view = views.DEFAULT if self.view == "health" else "health"
        self.apply_layout()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette (ctrl+p): flowtop's own commands, then every parameter."""
        for command in app_commands(self.BINDINGS, self.params, self.edit_parameter,
                                    self.run_action):
            yield SystemCommand(command.title, command.help, command.run)
        yield from super().get_system_commands(screen)

    @property
    def run_state(self) -> RunState:
        return self.snapshot.status.state

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) of the source's frames, once known."""
        w, h = self.snapshot.status.size
        return (w, h) if w > 0 and h > 0 else None

