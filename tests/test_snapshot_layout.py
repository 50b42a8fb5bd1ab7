"""A picture of the whole layout, with a deterministic source (12 demo frames, then ENDED)."""

from __future__ import annotations

from pathlib import Path

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.speeds import SpeedsPanel


def test_layout_snapshot(snap_compare, tmp_path: Path) -> None:
    # hysteresis keeps colours from whichever earlier frames the preview drew: off, so the
    # picture is a function of the last frame alone
    params = Params().with_value("preview.hysteresis", 0)
    app = FlowtopApp(source=DemoSource(fps=30, paced=False, frames=12), params=params,
                     config_path=tmp_path / "c.toml")

    async def settle(pilot) -> None:
        for _ in range(200):
            if (app.run_state == RunState.ENDED and app.snapshot.state is not None
                    and app.snapshot.state.index == 11):
                break
            await pilot.pause(0.05)
        # sparklines hold what the 4 Hz panel timer happened to sample: start them afresh
        app.query_one(SpeedsPanel).reset_history()
        app.refresh_panels()
        app.query_one(Preview).show(app.snapshot.state)
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=(160, 50), run_before=settle)
