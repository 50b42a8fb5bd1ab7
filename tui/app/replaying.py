"""The app's replay keys: `b` loops the rewind buffer or goes back to live, `,` steps a frame
back (from a paused live view: into the buffer), `E` writes the buffer as a video.

The loop does the work (`TrackingLoop.replay`, `step_back`, `clip`); these functions decide
what a key means at the moment and which view shows it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowtop.tui.app import views
from flowtop.tui.app.export import start_clip_export

if TYPE_CHECKING:
    from flowtop.tui.app.app import FlowtopApp


def buffered(app: FlowtopApp) -> bool:
    """Whether the rewind buffer holds frames to replay; if not, the app says why."""
    if app.snapshot.status.buffer_s > 0:
        return True
    off = app.params.replay.seconds == 0
    app.notify("nothing to replay: " + ("the buffer is off (replay.seconds = 0)" if off
                                        else "no frame buffered yet"), severity="warning")
    return False


def toggle_replay(app: FlowtopApp) -> None:
    """Loop the buffer (REPLAY; on a wide screen the tuning panel comes beside the picture),
    or go back to live."""
    loop = app.loop
    if loop.replaying:
        loop.replay(False)
        if app.view == "tuning":
            app.view = views.DEFAULT
            app.apply_layout()
        return
    if app.calibrating or not buffered(app):
        return
    loop.set_paused(False)
    loop.replay(True)
    if app.wide:
        app.view = "tuning"
        app.apply_layout()


def step_back(app: FlowtopApp) -> None:
    """A frame back while paused: in the replayed stretch, or, from live, into the buffer
    (its last frame but one, tracked from the buffer's start). Playing: pause first."""
    loop = app.loop
    if not loop.paused:
        loop.set_paused(True)
    elif loop.replaying:
        loop.step_back()
    elif not app.calibrating and buffered(app):
        loop.replay(True, at_end=True)


def export_buffer(app: FlowtopApp) -> None:
    start_clip_export(app, app.loop.clip())
