"""The flowtop Textual app: preview, speeds and parameter panels, status bar, keys.

Data flows one way. The capture + LK loop runs in a thread worker and publishes each
`Snapshot` (state, status, health figures, recent rows) through its `on_publish` callback,
which keeps only the newest in a `Latest` slot and posts a `Published` message (a newer one
replaces one still queued). The app hands the state to the preview, which paces its own
drawing (`preview.fps`, the bandwidth budget), and the figures to the panels, which redraw at
PANEL_HZ. Tracking never waits for drawing; drawing never queues stale frames. Keys reach the
loop through its thread-safe control methods; a pause is published at once.
"""

from __future__ import annotations

from pathlib import Path

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import Footer
from textual.worker import Worker, WorkerState, get_current_worker

from flowtop.tracker.config.files import default_config_path, save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source
from flowtop.tracker.core.engine import check_params
from flowtop.tracker.errors import ParamError
from flowtop.tracker.redact import redact
from flowtop.tracker.runtime.loop import Latest, TrackingLoop
from flowtop.tui.app.export import start_export
from flowtop.tui.app.help import HelpScreen
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import trap_overlay
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.health import HealthPanel
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
        # calibration mode's own keys, also while the preview (not the panel) has the focus
        *(Binding(b.key, f"calibration('{b.action}')", b.description, show=False)
          for b in CalibrationPanel.key_bindings()),
        Binding("question_mark", "help", "help", key_display="?"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, source: Source, params: Params | None = None,
                 config_path: Path | None = None, start_paused: bool = False) -> None:
        super().__init__(ansi_color=True)  # no ANSI->truecolor filter: it costs ~20 ms/frame
        self.source = source
        self.params = params or Params()
        self.config_path = config_path or default_config_path()
        self._latest: Latest[Snapshot] = Latest()
        self.loop = TrackingLoop(source, self.params, self._on_publish)
        self.loop.set_paused(start_paused)
        self.snapshot = Snapshot(None, LoopStatus(
            state=RunState.PAUSED if start_paused else RunState.LIVE, source=source.name,
            size=source.size))
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
        preview.border_title = redact(self.source.name)
        preview.set_params(self.params.preview)
        preview.set_overlay(trap_overlay(self.params.trap))
        preview.on_drawn = lambda seconds: self.loop.add_timing("render", seconds)
        self.query_one(ParamsPanel).focus()
        self.set_interval(1 / PANEL_HZ, self.refresh_panels)
        if self.source.auto_choice:
            self.notify(f"source: {self.source.auto_choice}", timeout=6)
        self.run_loop()

    # -- worker ----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="tracking")
    def run_loop(self) -> None:
        worker = get_current_worker()
        self.loop.run(lambda: worker.is_cancelled)

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
        """In the publishing thread: keep the newest snapshot, wake the app."""
        self._latest.put(snapshot)
        self.post_message(self.Published())

    def on_flowtop_app_published(self, _event: Published) -> None:
        snap = self._latest.take()
        if snap is None:
            return
        state_changed = snap.status.state != self.snapshot.status.state
        self.snapshot = snap
        try:
            self.query_one(Preview).show(snap.state)
        except NoMatches:  # the app is closing: its widgets go before its messages
            return
        if state_changed:
            self.refresh_panels()

    def on_resize(self, event: events.Resize) -> None:
        """On a narrow terminal the preview keeps the screen; the side panels step aside."""
        self.screen.set_class(event.size.width < NARROW_COLS, "narrow")

    def refresh_panels(self) -> None:
        snap = self.snapshot
        live = snap.state.live if snap.state is not None else 0
        try:
            status_bar = self.query_one(StatusBar)
        except NoMatches:  # the app is closing: its widgets go before its timers
            return
        stats = self.query_one(Preview).stats
        status_bar.show(snap.status, live, PreviewFigures(stats.fps, stats.kbps,
                                                          stats.budget_kbps))
        self.query_one(SpeedsPanel).show(snap.state)
        self.query_one(ObjectsPanel).show(snap.state)
        self.query_one(HealthPanel).show(snap.state, snap.health,
                                         self.params.tracking.fb_threshold)

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
            check_params(params, self.frame_size)
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
        panel.open(self.frame_size)

    def action_calibration(self, name: str) -> None:
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            getattr(panel, f"action_{name}")()

    def action_export(self) -> None:
        """The shown frame as an annotated PNG and the recent tracks as CSV, written into
        the working directory; a notification says where."""
        start_export(self, self.snapshot.state, self.snapshot.history)

    def action_toggle_health(self) -> None:
        """Show the Health view in place of the speeds and objects panels, or go back."""
        health = self.query_one(HealthPanel)
        health.display = not health.display
        self.query_one(SpeedsPanel).display = not health.display
        self.query_one(ObjectsPanel).display = not health.display
        self.refresh_panels()

    def action_help(self) -> None:
        self.push_screen(HelpScreen([b for b in self.BINDINGS if isinstance(b, Binding)]))

    @property
    def run_state(self) -> RunState:
        return self.snapshot.status.state

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """(width, height) of the source's frames, once known."""
        w, h = self.snapshot.status.size
        return (w, h) if w > 0 and h > 0 else None
