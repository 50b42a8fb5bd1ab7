"""The app's calibration mode (`k`): the frame holds still while points are picked on it in
the calibration panel (`tui.calibration`), whose overlay the preview shows; saving applies
the new speed parameters, closing resumes what ran before."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import trap_overlay
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.params import ParamsPanel

if TYPE_CHECKING:
    from flowtop.tracker.config.params import Params
    from flowtop.tracker.runtime.loop import TrackingLoop


class Calibrating(App[int]):
    """The calibration keys and the panel's messages, for `FlowtopApp`."""

    _paused_before_calibration = False

    if TYPE_CHECKING:  # what FlowtopApp provides
        loop: TrackingLoop
        params: Params

        @property
        def frame_size(self) -> tuple[int, int] | None: ...

        def apply_layout(self, width: int | None = None) -> None: ...

        def apply_params(self, params: Params, undoable: bool = True) -> None: ...

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
        self.apply_layout()
        self.query_one(Preview).focus()

    def action_calibrate(self) -> None:
        """Calibration mode (k): the frame holds still while points are picked on it."""
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            panel.action_close()
            return
        self._paused_before_calibration = self.loop.paused
        self.loop.set_paused(True)
        panel.open(self.frame_size)
        self.apply_layout()

    def action_calibration(self, name: str) -> None:
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            getattr(panel, f"action_{name}")()
