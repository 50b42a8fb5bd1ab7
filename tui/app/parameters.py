"""How the app changes its parameters: apply a new set everywhere, take a change back (`u`),
cycle the colour mode (`m`), save the set to the config file (`s`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowtop.tracker.config.files import save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import check_params
from flowtop.tracker.errors import OutputError, ParamError
from flowtop.tracker.render.palette import next_mode, resolve_mode
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import trap_overlay
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.params import ParamsPanel

if TYPE_CHECKING:
    from flowtop.tui.app.app import FlowtopApp

UNDO_DEPTH = 50  # parameter changes `u` can take back


def apply(app: FlowtopApp, params: Params, undoable: bool = True) -> None:
    """Use `params` everywhere: engine (at its next frame), preview, panels.

    Parameters the engine cannot apply (a calibration missing its keys, an unreadable
    intrinsics file, a face cascade that does not load) are refused with a notice, and the
    parameter panel shows the old set.
    """
    try:
        check_params(params, app.frame_size)
    except ParamError as exc:
        app.notify(str(exc), severity="error")
        app.query_one(ParamsPanel).set_params(app.params)
        return
    old, app.params = app.params, params
    if undoable and params != old:
        app.undo_stack[:] = [*app.undo_stack[-(UNDO_DEPTH - 1):], old]
    app.query_one(ParamsPanel).set_params(params)
    app.loop.set_params(params)
    if params.trap != old.trap and not app.query_one(CalibrationPanel).active:
        app.query_one(Preview).set_overlay(trap_overlay(params.trap))
    if params.preview != old.preview:
        app.query_one(Preview).set_params(params.preview)


def undo(app: FlowtopApp) -> None:
    """Take back the last parameter change (`s` then saves the set shown)."""
    if not app.undo_stack:
        app.notify("nothing to undo", timeout=2)
        return
    apply(app, app.undo_stack.pop(), undoable=False)
    app.notify("parameter change undone", timeout=2)


def cycle_colour(app: FlowtopApp) -> None:
    """The preview's next colour mode (auto, truecolor, 256, 16, gray, ascii); `s` saves it
    as preview.color."""
    apply(app, app.params.with_value("preview.color", next_mode(app.params.preview.color)))
    color = app.params.preview.color
    shown = resolve_mode(color)
    app.notify(f"colour: {shown}" + (" (auto)" if color == "auto" else ""), timeout=3)


def save(app: FlowtopApp) -> None:
    """Write the parameters shown to the config file (comments and layout kept)."""
    try:
        saved = save_params(app.params, app.config_path)
    except (OSError, OutputError) as exc:
        app.notify(f"cannot save: {exc}", severity="error")
        return
    how = " (its old text was not TOML: written anew)" if saved.rewritten else ""
    app.notify(f"saved parameters to {saved.path}{how}")
