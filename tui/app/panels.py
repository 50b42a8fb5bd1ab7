"""The bars and the panels beside the picture, refreshed from the app's newest snapshot.

The bars refresh at BARS_HZ, the tables at TABLES_HZ, never in the same update
(`FlowtopApp.on_mount` says why); the bars also at once when the run state changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.css.query import NoMatches

from flowtop.tui.app.keys import Moment, bar_keys
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.health import HealthPanel
from flowtop.tui.widgets.key_bar import KeyBar
from flowtop.tui.widgets.objects import ObjectsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel
from flowtop.tui.widgets.status_bar import PreviewFigures, StatusBar
from flowtop.tui.widgets.tuning import TuningPanel

if TYPE_CHECKING:
    from flowtop.tui.app.app import FlowtopApp


def refresh_tables(app: FlowtopApp) -> None:
    """The speeds, objects, health and tuning panels (each redraws only when on screen)."""
    snap = app.snapshot
    try:
        speeds = app.query_one(SpeedsPanel)
    except NoMatches:  # the app is closing: its widgets go before its timers
        return
    speeds.show(snap.state)
    app.query_one(ObjectsPanel).show(snap.state)
    app.query_one(HealthPanel).show(snap.state, snap.health, app.params.tracking.fb_threshold,
                                  snap.status.cv_threads)
    app.query_one(TuningPanel).show(snap.tuning, snap.status, app.params)


def refresh_bars(app: FlowtopApp) -> bool:
    """The status bar and the key bar; False while the app is closing."""
    snap = app.snapshot
    live = snap.state.live if snap.state is not None else 0
    try:
        status_bar = app.query_one(StatusBar)
    except NoMatches:  # the app is closing: its widgets go before its timers
        return False
    stats = app.query_one(Preview).stats
    status_bar.show(snap.status, live, PreviewFigures(stats.fps, stats.kbps,
                                                      stats.budget_kbps))
    app.query_one(KeyBar).show(bar_keys(Moment(
        snap.status.state, app.width_cells, app.calibrating,
        rewindable=not app.source.live, buffered=snap.status.buffer_s > 0)))
    return True
