"""Pictures of the whole layout, with a deterministic source (12 demo frames, then ENDED):
160x50 with the panels beside the picture, and the views of the default SSH window (80x24)."""

from __future__ import annotations

from pathlib import Path

import pytest
from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.speeds import SpeedsPanel


def ended_app(tmp_path: Path) -> FlowtopApp:
    # hysteresis keeps colours from whichever earlier frames the preview drew: off, so the
    # picture is a function of the last frame alone; a fixed colour mode, not one that
    # follows the TERM of whoever runs the test
    params = Params().with_value("preview.hysteresis", 0)
    # the speed scale's top follows the traffic over seconds: fixed, the colours are too
    params = params.with_value("preview.speed_max", 200.0).with_value("preview.color", "256")
    return FlowtopApp(source=DemoSource(fps=30, paced=False, frames=12), params=params,
                      config_path=tmp_path / "c.toml")


def settled(app: FlowtopApp, keys: tuple[str, ...] = ()):
    async def settle(pilot) -> None:
        await wait_for(pilot, lambda: app.run_state == RunState.ENDED
                       and app.snapshot.state is not None and app.snapshot.state.index == 11,
                       "the 12 frames tracked")
        if keys:
            await pilot.press(*keys)
        # sparklines hold what the panel timer happened to sample: start them afresh
        app.query_one(SpeedsPanel).reset_history()
        app.refresh_panels()
        app.query_one(Preview).show(app.snapshot.state)
        await pilot.pause(0.3)

    return settle


@pytest.mark.slow
def test_layout_snapshot(snap_compare, tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    assert snap_compare(app, terminal_size=(160, 50), run_before=settled(app))


@pytest.mark.parametrize("keys", [(), ("2",), ("4",), ("k",), ("6",)],
                         ids=["picture", "speeds", "parameters", "calibration", "tuning"])
def test_80x24_views(snap_compare, tmp_path: Path, keys: tuple[str, ...]) -> None:
    app = ended_app(tmp_path)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settled(app, keys))
