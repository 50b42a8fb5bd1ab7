"""Every size from 80x24 up is a layout: views, what shows, where the keys act, the bars."""

from __future__ import annotations

from pathlib import Path

import pytest
from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.app.keys import Moment, bar_keys
from flowtop.tui.app.views import DEFAULT, Screen, shown
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.key_bar import fit, key_text
from flowtop.tui.widgets.params import ParamsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel
from flowtop.tui.widgets.status_bar import PreviewFigures, status_text

SMALL, MEDIUM = (80, 24), (100, 30)


@pytest.mark.parametrize(("view", "width", "preview", "panels"), [
    (DEFAULT, 140, True, {"speeds", "objects", "params"}),
    ("health", 140, True, {"health", "params"}),
    ("picture", 140, True, set()),
    (DEFAULT, 80, True, set()),
    ("speeds", 80, False, {"speeds"}),
    ("params", 99, False, {"params"}),
    ("health", 80, False, {"health"}),
    ("tuning", 140, True, {"tuning", "params"}),
    ("tuning", 80, False, {"tuning", "params"}),
])
def test_what_each_view_shows(view: str, width: int, preview: bool, panels: set[str]) -> None:
    out = shown(Screen(view, False, width))
    assert out.preview is preview and out.panels == panels and out.side == bool(panels)


def test_calibration_keeps_the_picture_at_every_width() -> None:
    for width in (80, 119, 120, 200):
        out = shown(Screen("speeds", True, width))
        assert out.preview and "calibration" in out.panels
        assert out.stacked is (width < 120)


def test_the_status_bar_starts_with_the_run_state_at_any_width() -> None:
    status = LoopStatus(RunState.PAUSED, "highway.mp4", (640, 360), 30.0, 29.9, 3, 0, "",
                        12.0, 30.0)
    for width in (20, 40, 80, 100, 160):
        text = status_text(status, 312, PreviewFigures(15.0, 80.0), width).plain
        assert text.startswith(" PAUSED ") and len(text) <= width
    assert "0:12/0:30" in status_text(status, 312, PreviewFigures(), 80).plain
    wide = status_text(status, 312, PreviewFigures(), 200).plain
    for field in ("highway.mp4 640x360", "pts 312", "drop 3", "KB/s"):
        assert field in wide


def test_a_slow_paced_file_says_so() -> None:
    status = LoopStatus(RunState.LIVE, "clip.mp4", (640, 360), 15.0, 15.0, duration_s=30.0,
                        pace=0.5)
    assert "x0.50 slow" in status_text(status, 10, PreviewFigures(), 60).plain
    fine = LoopStatus(RunState.LIVE, "clip.mp4", (640, 360), 30.0, 30.0, pace=1.0)
    assert "slow" not in status_text(fine, 10, PreviewFigures(), 200).plain


def test_the_key_bar_keeps_help_and_quit_and_follows_the_state() -> None:
    for width in (40, 80, 100, 200):
        for state in RunState:
            text = key_text(bar_keys(Moment(state, width)), width).plain
            assert "? help" in text and "q quit" in text and len(text) <= width, (width, text)
    assert "space resume" in key_text(bar_keys(Moment(RunState.PAUSED, 80)), 80).plain
    assert "space pause" in key_text(bar_keys(Moment(RunState.LIVE, 80)), 80).plain
    ended = bar_keys(Moment(RunState.ENDED, 80, rewindable=True))
    assert "r play again" in key_text(ended, 80).plain
    calibrating = key_text(bar_keys(Moment(RunState.PAUSED, 80, calibrating=True)), 80).plain
    assert "esc leave" in calibrating and "ctrl+s save" in calibrating
    assert [k.key for k in fit(bar_keys(Moment(RunState.LIVE, 80)), 80)][:2] == ["space", "n"] \
        or "1-6" in key_text(bar_keys(Moment(RunState.LIVE, 80)), 80).plain


def test_the_key_bar_offers_the_replay_keys_of_the_moment() -> None:
    def bar(state: RunState, buffered: bool = True) -> str:
        return key_text(bar_keys(Moment(state, 80, buffered=buffered)), 80).plain

    assert "b replay" in bar(RunState.LIVE) and "b replay" not in bar(RunState.LIVE, False)
    assert ", . frame" in bar(RunState.PAUSED) and "n step" in bar(RunState.PAUSED, False)
    assert "b live" in bar(RunState.REPLAY) and "space pause" in bar(RunState.REPLAY)
    paused = bar(RunState.REPLAY_PAUSED)
    assert "b live" in paused and ", . frame" in paused and "space resume" in paused


def test_the_status_bar_shows_the_buffer_and_the_replay() -> None:
    live = LoopStatus(RunState.LIVE, "cam", (640, 360), 30.0, 30.0, buffer_s=12.34)
    assert "buf 12.3s" in status_text(live, 10, PreviewFigures(), 120).plain
    replay = LoopStatus(RunState.REPLAY_PAUSED, "cam", (640, 360), 30.0, 30.0,
                        position_s=3.5, duration_s=12.3, buffer_s=12.3, replay_pass=4)
    text = status_text(replay, 10, PreviewFigures(), 80).plain
    assert text.startswith(" REPLAY PAUSED ") and "3.50/12.30 s · pass 4" in text
    assert "buf" not in text


def ended_app(tmp_path: Path) -> FlowtopApp:
    source = DemoSource(fps=30, paced=False, frames=3, scene=DemoScene(320, 180))
    return FlowtopApp(source=source, params=Params(), config_path=tmp_path / "c.toml")


async def settle(pilot, app: FlowtopApp) -> None:
    await wait_for(pilot, lambda: app.run_state is RunState.ENDED, "the end of the frames")
    await pilot.pause(0.1)


def visible(app: FlowtopApp, selector: str) -> bool:
    from flowtop.tui.widgets.panel import on_screen

    return on_screen(app.query_one(selector))


@pytest.mark.parametrize("size", [SMALL, MEDIUM])
async def test_number_keys_switch_views_on_a_narrow_screen(tmp_path: Path, size) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        assert visible(app, "#preview") and not visible(app, "#side")
        for key, panel in (("2", "#speeds"), ("3", "#objects"), ("4", "#params"),
                           ("5", "#health")):
            await pilot.press(key)
            await wait_for(pilot, lambda panel=panel: visible(app, panel)
                           and not visible(app, "#preview"), f"{panel} instead of the picture")
            focused = app.screen.focused
            assert focused is None or visible(app, f"#{focused.id}") or \
                focused.id == "preview"
        await pilot.press("5")  # the same key again: back to the picture
        await wait_for(pilot, lambda: visible(app, "#preview") and not visible(app, "#side"),
                       "the picture alone")
        status = app.query_one("#status").render()
        assert str(status).startswith(" ENDED ")


async def test_parameter_keys_do_nothing_unseen(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        before = app.params
        await pilot.press("plus", "minus", "right", "left", "d")
        assert app.params == before  # the parameter panel is not on screen
        assert not visible(app, "#params")
        await pilot.press("4")
        await wait_for(pilot, lambda: app.screen.focused is app.query_one(ParamsPanel),
                       "the parameters focused")
        await pilot.press("right")  # max_corners, the first
        await wait_for(pilot, lambda: app.params.features.max_corners == 325, "a step up")
        await pilot.press("u")
        await wait_for(pilot, lambda: app.params.features.max_corners == 300, "the undo")


async def test_sorting_brings_the_speeds_into_view(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await wait_for(pilot, lambda: visible(app, "#speeds"), "the speeds")
        assert app.query_one(SpeedsPanel).sort == "id"


@pytest.mark.parametrize("size", [SMALL, MEDIUM, (140, 44)])
async def test_calibration_mode_shows_picture_and_panel(tmp_path: Path, size) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot, app)
        await pilot.press("k")
        panel = app.query_one(CalibrationPanel)
        await wait_for(pilot, lambda: panel.active and visible(app, "#calibration"),
                       "the calibration panel")
        assert visible(app, "#preview")
        preview = app.query_one(Preview)
        assert preview.size.height >= 6 and panel.size.height >= 4
        assert "esc leave" in str(app.query_one("#keys").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not panel.active and not visible(app, "#calibration"),
                       "the calibration panel gone")


async def test_the_help_screen_fits_80x24(tmp_path: Path) -> None:
    from flowtop.tui.app.help import HelpScreen

    app = ended_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen)
                       and any(w.region.height for w in app.screen.query("#help-box")),
                       "the help")
        box = app.screen.query_one("#help-box")
        assert box.region.right <= 80 and box.region.bottom <= 24
        assert box.max_scroll_y > 0  # the rest is a scroll away
        await pilot.press("escape")


async def test_typing_an_exact_value(tmp_path: Path) -> None:
    from flowtop.tui.widgets.value_dialog import ValueDialog

    app = ended_app(tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app)
        await pilot.press("4")
        app.query_one(ParamsPanel).select_key("tracking.fb_threshold")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ValueDialog), "the dialog")
        dialog = app.screen
        await pilot.press(*"99", "enter")  # typing replaces the value shown
        await wait_for(pilot, lambda: "out of range" in str(dialog.query_one("#value-error")
                                                            .render()), "the refusal")
        assert app.screen is dialog  # out of range: refused, and it says why
        await pilot.press("end", "backspace", "backspace", *"0.7", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, ValueDialog), "the dialog gone")
        assert app.params.tracking.fb_threshold == pytest.approx(0.7)
        await pilot.press("d")  # back to the default
        await wait_for(pilot, lambda: app.params.tracking.fb_threshold == pytest.approx(1.0),
                       "the default")


async def test_the_command_palette_offers_flowtop_commands(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=MEDIUM) as pilot:
        await settle(pilot, app)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for wanted in ("pause / resume", "clear all tracks", "health view",
                       "calibration mode", "set lk.win_size", "set speed.image_points"):
            assert any(wanted in t for t in titles), wanted


def test_the_live_view_refuses_a_pipe_in_one_line() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "flowtop.tui.cli", "--source", "demo"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "needs a terminal" in lines[0] and "flowtop track" in lines[0]
