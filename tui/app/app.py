"""The flowtop Textual app: preview, speeds and parameter panels, status bar, keys.

The capture + LK loop runs in a thread worker and publishes only its newest result into a
`Latest` slot; the app reads that slot on its own timers (preview rate, panel rate), so
tracking never waits for drawing and drawing never queues stale frames.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from flowtop.tracker.config.files import default_config_path, save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source
from flowtop.tracker.core.engine import check_params
from flowtop.tracker.errors import ParamError
from flowtop.tracker.runtime.loop import Latest, TrackingLoop
from flowtop.tui.app.export import TrackHistory, start_export
from flowtop.tui.app.help import HelpScreen
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import trap_overlay
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.health import HealthMonitor, HealthPanel
from flowtop.tui.widgets.objects import ObjectsPanel
from flowtop.tui.widgets.params import ParamsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel
from flowtop.tui.widgets.status_bar import PreviewFigures, StatusBar

PANEL_HZ = 4.0
NARROW_COLS = 100  # below this width the side panels are hidden


class FlowtopApp(App[int]):
    """Live optical-flow tracking of `source` with `params`, saved to `config_path` on `s`."""

    CSS_PATH = "flowtop.tcss"
    TITLE = "flowtop"
    BINDINGS = [
        Binding("space", "toggle_pause", "pause"),
        Binding("n", "step", "step"),
        Binding("r", "reseed", "reseed"),
        Binding("c", "clear", "clear"),
        Binding("t", "toggle_trails", "trails"),
        Binding("m", "toggle_gray", "colour"),
        Binding("o", "cycle_sort", "sort", show=False),
        Binding("s", "save", "save"),
        Binding("k", "calibrate", "calibrate"),
        Binding("e", "export", "export"),
        Binding("h", "toggle_health", "health"),
        # calibration mode's keys while the preview (not the panel) has the focus
        Binding("ctrl+s", "calibration('save')", "save calibration", show=False),
        Binding("ctrl+z", "calibration('undo')", "undo point", show=False),
        Binding("ctrl+t", "calibration('mode')", "calibration mode", show=False),
        Binding("escape", "calibration('close')", "leave calibration", show=False),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, source: Source, params: Params | None = None,
                 config_path: Path | None = None, start_paused: bool = False) -> None:
        super().__init__(ansi_color=True)  # no ANSI->truecolor filter: it costs ~20 ms/frame
        self.source = source
        self.params = params or Params()
        self.config_path = config_path or default_config_path()
        self.latest: Latest[Snapshot] = Latest()
        self.loop = TrackingLoop(source, self.params, self.latest)
        self.loop.on_state_change = lambda _status: self.post_message(self.RunStateChanged())
        self.loop.set_paused(start_paused)
        # every tracked frame, in the loop's thread: counters for the Health view, rows for `e`
        self.health, self.history = HealthMonitor(), TrackHistory()
        self.loop.on_publish = self._tap_frame
        self.snapshot = Snapshot(None, LoopStatus(source=source.name, size=source.size))
        self._preview_timer: Timer | None = None
        self._paused_before_calibration = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            yield Preview(id="preview")
            with Vertical(id="side"):
                yield CalibrationPanel(self.config_path, lambda: self.params, id="calibration")
                yield SpeedsPanel(id="speeds")
                yield ObjectsPanel(id="objects")
                yield HealthPanel(id="health")
                yield ParamsPanel(self.params, id="params")
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#speeds").border_title = "speeds"
        self.query_one("#objects").border_title = "objects"
        self.query_one("#health").border_title = "health"
        self.query_one("#params").border_title = "parameters"
        preview = self.query_one(Preview)
        preview.border_title = self.source.name
        preview.set_params(self.params.preview)
        preview.set_overlay(trap_overlay(self.params.trap))
        self.query_one(ParamsPanel).focus()
        self._restart_preview_timer()
        self.set_interval(1 / PANEL_HZ, self.refresh_panels)
        choice = getattr(self.source, "auto_choice", None)
        if choice:
            self.notify(f"source: {choice}", timeout=6)
        self.run_loop()

    # -- worker ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="tracking")
    def run_loop(self) -> None:
        worker = get_current_worker()
        self.loop.run(lambda: worker.is_cancelled)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.group == "tracking":
            self.notify(f"tracking stopped: {event.worker.error}", severity="error")

    # -- drawing, on timers ----------------------------------------------------------------

    class RunStateChanged(Message):
        """The loop's run state changed (posted from its thread): show it now."""

    def on_flowtop_app_run_state_changed(self, _event: RunStateChanged) -> None:
        self._draw_preview()

    def _restart_preview_timer(self) -> None:
        if self._preview_timer is not None:
            self._preview_timer.stop()
        self._preview_timer = self.set_interval(1 / self.params.preview.fps, self._draw_preview)

    def on_resize(self, event: events.Resize) -> None:
        """On a narrow terminal the preview keeps the screen; the side panels step aside."""
        self.screen.set_class(event.size.width < NARROW_COLS, "narrow")

    def shown_status(self, status: LoopStatus) -> LoopStatus:
        """`status` with LIVE/PAUSED as commanded: a frame that was in flight when the user
        paused still arrives marked LIVE, and the key must show at once, not a frame later."""
        if status.state in (RunState.LIVE, RunState.PAUSED):
            want = RunState.PAUSED if self.loop.paused else RunState.LIVE
            if status.state != want:
                return replace(status, state=want)
        return status

    def _draw_preview(self) -> None:
        try:
            preview = self.query_one(Preview)
        except NoMatches:  # the app is closing: its widgets go before its timers
            return
        if self.screen is not preview.screen:
            # a dialog (help, command palette) is over the preview: a frame drawn under it is
            # a full-screen repaint, ~10x the bytes. The newest frame waits in `latest`.
            return
        snap = self.latest.take()
        if snap is None:
            return
        snap = replace(snap, status=self.shown_status(snap.status))
        state_changed = snap.status.state != self.snapshot.status.state
        self.snapshot = snap
        before, started = preview.last_refresh, time.perf_counter()
        preview.show(snap.state)
        if preview.last_refresh is not before:  # it drew now (a paced draw may come later)
            self.health.add_timing("render", time.perf_counter() - started)
        if state_changed:
            self.refresh_panels()

    def preview_figures(self) -> PreviewFigures:
        stats = self.query_one(Preview).stats
        return PreviewFigures(stats.fps, stats.kbps, stats.budget_kbps)

    def refresh_panels(self) -> None:
        snap = self.snapshot
        live = snap.state.live if snap.state is not None else 0
        try:
            status_bar = self.query_one(StatusBar)
        except NoMatches:  # the app is closing: its widgets go before its timers
            return
        status_bar.show(snap.status, live, self.preview_figures())
        self.query_one(SpeedsPanel).show(snap.state)
        self.query_one(ObjectsPanel).show(snap.state)
        self.query_one(HealthPanel).show(snap.state, self.health,
                                         self.params.tracking.fb_threshold)

    def _tap_frame(self) -> None:
        """The loop published (in its thread): count the frame and keep its rows."""
        state = self.loop.last_state
        self.health.add(state)
        self.history.add(state)

    # -- events ----------------------------------------------------------------------------

    def on_params_panel_changed(self, event: ParamsPanel.Changed) -> None:
        self.apply_params(event.params)

    def apply_params(self, params: Params) -> None:
        """Use `params` everywhere: engine (at its next frame), preview, timers.

        Parameters the engine cannot apply (a calibration missing its keys, an unreadable
        intrinsics file, a face cascade that does not load) are refused with a notice, and the
        parameter panel shows the old set.
        """
        try:
            check_params(params, self.query_one(Preview).image_size)
        except ParamError as exc:
            self.notify(str(exc), severity="error")
            self.query_one(ParamsPanel).set_params(self.params)
            return
        old, self.params = self.params, params
        self.loop.set_params(params)
        if params.trap != old.trap and not self.query_one(CalibrationPanel).active:
            self.query_one(Preview).set_overlay(trap_overlay(params.trap))
        if params.preview != old.preview:
            self.query_one(Preview).set_params(params.preview)
            if params.preview.fps != old.preview.fps:
                self._restart_preview_timer()

    def on_preview_point_picked(self, event: Preview.PointPicked) -> None:
        calibration = self.query_one(CalibrationPanel)
        if calibration.active:
            calibration.pick(event.x, event.y)
        else:
            self.loop.add_point(event.x, event.y)

    def on_calibration_panel_overlay_changed(self, event: CalibrationPanel.OverlayChanged
                                             ) -> None:
        self.query_one(Preview).set_overlay(event.overlay)

    def on_calibration_panel_saved(self, event: CalibrationPanel.Saved) -> None:
        self.apply_params(event.params)
        self.query_one(ParamsPanel).set_params(self.params)

    def on_calibration_panel_pick_next(self, _event: CalibrationPanel.PickNext) -> None:
        self.query_one(Preview).focus()

    def on_calibration_panel_closed(self, _event: CalibrationPanel.Closed) -> None:
        self.loop.set_paused(self._paused_before_calibration)
        self.query_one(Preview).set_overlay(trap_overlay(self.params.trap))
        self.query_one(Preview).focus()

    # -- actions ---------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        self.loop.set_paused(not self.loop.paused)
        self.snapshot = replace(self.snapshot, status=self.shown_status(self.snapshot.status))
        self.refresh_panels()

    def action_step(self) -> None:
        if self.loop.paused:
            self.loop.step()
        else:
            self.action_toggle_pause()

    def action_reseed(self) -> None:
        """Reseed; after an ERROR (the worker stopped), restart the worker instead."""
        if self.run_state is RunState.ERROR:
            self.run_loop()
            return
        self.loop.reseed()

    def action_clear(self) -> None:
        self.loop.clear()

    def action_toggle_trails(self) -> None:
        preview = self.query_one(Preview)
        preview.trails = not preview.trails

    def action_toggle_gray(self) -> None:
        preview = self.query_one(Preview)
        preview.gray = not preview.gray

    def action_cycle_sort(self) -> None:
        self.query_one(SpeedsPanel).cycle_sort()

    def action_save(self) -> None:
        try:
            path = save_params(self.params, self.config_path)
        except OSError as exc:
            self.notify(f"cannot save: {exc}", severity="error")
            return
        self.notify(f"saved parameters to {path}")

    def action_calibrate(self) -> None:
        """Calibration mode (k): the frame holds still while points are picked on it."""
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            panel.action_close()
            return
        self._paused_before_calibration = self.loop.paused
        self.loop.set_paused(True)
        panel.open(self.query_one(Preview).image_size)

    def action_calibration(self, name: str) -> None:
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            getattr(panel, f"action_{name}")()

    def action_export(self) -> None:
        """The shown frame as an annotated PNG and the recent tracks as CSV, written into
        the working directory; a notification says where."""
        start_export(self, self.snapshot.state, self.history)

    def action_toggle_health(self) -> None:
        """Show the Health view in place of the speeds and objects panels, or go back."""
        health = self.query_one(HealthPanel)
        health.display = not health.display
        self.query_one(SpeedsPanel).display = not health.display
        self.query_one(ObjectsPanel).display = not health.display
        self.refresh_panels()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(list(self.BINDINGS)))

    @property
    def run_state(self) -> RunState:
        return self.snapshot.status.state
