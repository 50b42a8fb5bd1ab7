"""The replay keys in the live app: b loops the buffer and comes back, the tuning view shows
A/B beside the parameters, , and . step while paused, E writes the buffer as a video."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tracker.sources.open import open_source
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.app.views import DEFAULT
from flowtop.tui.widgets.key_bar import KeyBar
from flowtop.tui.widgets.params import ParamsPanel
from flowtop.tui.widgets.status_bar import PreviewFigures, StatusBar, fields
from flowtop.tui.widgets.tuning import TuningPanel

WIDE, SMALL = (140, 44), (80, 24)


def demo_app(tmp_path: Path, frames: int = 0, params: Params | None = None) -> FlowtopApp:
    source = DemoSource(fps=30, paced=not frames, frames=frames, scene=DemoScene(320, 180))
    return FlowtopApp(source=source, params=params or Params(),
                      config_path=tmp_path / "c.toml")


def text(widget) -> str:
    """What a panel shows, as plain text."""
    console = Console(width=widget.content_size.width or 76, file=io.StringIO(),
                      color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


@pytest.mark.slow
async def test_b_replays_the_buffer_beside_its_figures_and_comes_back(tmp_path: Path) -> None:
    app = demo_app(tmp_path)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.snapshot.status.buffer_s >= 1.0)
        app.refresh_panels()  # on a slow box a notice may crowd the bar: read all its fields
        assert any(f.text.startswith("buf ") for f in fields(app.snapshot.status, 0,
                                                            PreviewFigures()))
        assert "b replay" in app.query_one(KeyBar).content.plain
        await pilot.press("b")
        await wait_for(pilot, lambda: app.run_state is RunState.REPLAY)
        assert app.view == "tuning" and app.query_one(TuningPanel).display
        await wait_for(pilot, lambda: app.snapshot.tuning is not None
                       and app.snapshot.tuning.current is not None)
        app.refresh_panels()
        assert "b live" in app.query_one(KeyBar).content.plain
        assert " REPLAY " in app.query_one(StatusBar).content.plain
        assert "live tracks" in text(app.query_one(TuningPanel))
        app.apply_params(app.params.with_value("lk.win_size", 9))  # as the panel's → does
        await wait_for(pilot, lambda: app.snapshot.tuning.previous is not None
                       and app.snapshot.tuning.current is not None)
        app.refresh_panels()
        assert "lk.win_size 15 → 9" in text(app.query_one(TuningPanel))
        await pilot.press("b")
        await wait_for(pilot, lambda: app.run_state is RunState.LIVE)
        assert app.view == DEFAULT


@pytest.mark.slow
async def test_the_tuning_view_fits_80x24_with_the_parameters(tmp_path: Path) -> None:
    app = demo_app(tmp_path, frames=20)
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: app.run_state is RunState.ENDED)
        await pilot.press("b")
        await wait_for(pilot, lambda: app.run_state is RunState.REPLAY)
        assert app.view == DEFAULT  # narrow: the picture stays
        await pilot.press("6")
        tuning, params = app.query_one(TuningPanel), app.query_one(ParamsPanel)
        await wait_for(pilot, lambda: tuning.region.height > 0 and params.has_focus,
                       "the tuning view")
        assert tuning.display and params.display
        assert tuning.region.height == 14 and params.region.height >= 6
        assert tuning.region.bottom <= params.region.y
        await pilot.press("right")  # the focused parameter, one step: the pass restarts
        await wait_for(pilot, lambda: app.snapshot.params != Params())
        await pilot.press("b")
        await wait_for(pilot, lambda: app.run_state is RunState.ENDED)


@pytest.mark.slow
async def test_comma_steps_back_into_the_buffer_and_dot_forward(tmp_path: Path) -> None:
    app = demo_app(tmp_path, frames=30)
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: app.run_state is RunState.ENDED)
        last = app.snapshot.state.index
        await pilot.press("space", "comma")  # paused: one frame back, into the buffer
        await wait_for(pilot, lambda: app.run_state is RunState.REPLAY_PAUSED
                       and app.snapshot.state.index == last - 1)
        await pilot.press("comma", "comma")
        await wait_for(pilot, lambda: app.snapshot.state.index == last - 3)
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: app.snapshot.state.index == last - 2)
        app.refresh_panels()
        assert ", . frame" in app.query_one(KeyBar).content.plain
        await pilot.press("b")
        await wait_for(pilot, lambda: app.snapshot.state.index == last
                       and app.run_state is RunState.ENDED)


@pytest.mark.slow
async def test_shift_e_writes_the_buffer_as_a_video(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = demo_app(tmp_path, frames=24)
    async with app.run_test(size=WIDE) as pilot:
        await wait_for(pilot, lambda: app.run_state is RunState.ENDED)
        await pilot.press("E")
        await wait_for(pilot, lambda: any("wrote the buffer" in n.message
                                          for n in app._notifications))
    videos = list(tmp_path.glob("flowtop-*-replay.mp4"))
    assert len(videos) == 1
    source = open_source(str(videos[0]), paced=False)
    assert source.size == (320, 180) and len(list(iter(source.read, None))) == 24


async def test_no_replay_without_a_buffer(tmp_path: Path) -> None:
    app = demo_app(tmp_path, frames=10, params=Params().with_value("replay.seconds", 0.0))
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: app.run_state is RunState.ENDED)
        await pilot.press("b")
        await wait_for(pilot, lambda: any("buffer is off" in n.message
                                          for n in app._notifications))
        assert app.run_state is RunState.ENDED and not app.loop.replaying
        app.refresh_panels()
        assert "b replay" not in app.query_one(KeyBar).content.plain
