"""Calibration mode: the session's logic, and the panel with a real Preview in a host app."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Static
from waiting import wait_for

from flowtop.tracker.calibration.models import (
    HomographyCalibration,
    ScaleCalibration,
    calibration_from_params,
)
from flowtop.tracker.config.files import load_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.calibration.panel import CalibrationPanel
from flowtop.tui.calibration.session import CalibrationSession, parse_metres, parse_xy
from flowtop.tui.preview.widget import Preview

SIZE = (100, 24)


def test_parsing_typed_values() -> None:
    assert parse_metres("12.5") == parse_metres(" 12.5 m") == parse_metres("12.5m") == 12.5
    assert parse_xy("3 4") == parse_xy("3,4") == parse_xy(" 3 ; 4 ") == (3.0, 4.0)
    for bad in ("", "-2", "0", "ten"):
        with pytest.raises(ValueError):
            parse_metres(bad)
    with pytest.raises(ValueError):
        parse_xy("3")


def test_scale_session_gives_the_known_length() -> None:
    session = CalibrationSession(Params(), (640, 360))
    assert session.prompt() == "pick point A"
    session.pick(100, 200)
    session.pick(300, 200)
    assert session.prompt() == "metres between A and B"
    session.enter("eight")
    assert "expected a length" in session.message
    session.enter("8")
    outcome = session.result()
    assert isinstance(outcome.calibration, ScaleCalibration)
    assert outcome.calibration.meters_per_pixel == pytest.approx(0.04)
    assert outcome.params.speed.length_points == [[100, 200], [300, 200]]
    assert session.check_lines(outcome.calibration) == ["check: A–B = 8.00 m"]
    overlay = session.overlay()
    assert overlay.lines == ((100, 200, 300, 200),)
    assert any(label[2] == "8.00 m" for label in overlay.labels)
    session.pick(10, 10)  # a third point starts over
    assert len(session.points) == 1 and session.metres is None


def test_homography_session_and_its_check() -> None:
    session = CalibrationSession(Params(), (640, 360))
    session.set_mode("homography")
    image = [(30, 350), (610, 350), (430, 50), (210, 50)]
    world = ["0 0", "40 0", "40 24", "0 24"]
    for (x, y), xy in zip(image, world):
        session.pick(x, y)
        assert session.prompt().startswith(f"X Y of point {len(session.points)}")
        session.enter(xy)
    outcome = session.result()
    assert isinstance(outcome.calibration, HomographyCalibration)
    assert "homography from 4 points" in outcome.text and "H =" in outcome.text
    assert session.check_lines(outcome.calibration)[0] == "check: 40.00 m typed, 40.00 m measured"
    session.undo()
    assert session.result().params is None  # three placed points are not enough
    bad = CalibrationSession(Params(), (640, 360), mode="homography")
    for (x, y), xy in zip([(0, 0), (100, 0), (200, 0), (0, 100)], world):
        bad.pick(x, y)
        bad.enter(xy)
    assert bad.result().error and "three of the four" in bad.result().text


def test_trap_and_check_sessions() -> None:
    session = CalibrationSession(Params().with_value("speed.meters_per_pixel", 0.1), (640, 360))
    session.set_mode("trap")
    for x, y in ((200, 20), (200, 340), (440, 20), (440, 340)):
        session.pick(x, y)
    session.enter("12")
    trap = session.result().params.trap
    assert trap.line_a == [[200, 20], [200, 340]] and trap.distance == 12.0 and trap.active
    session.set_mode("check")  # measures with the calibration in the config
    session.pick(0, 0)
    session.pick(30, 40)
    assert session.check_lines(session.result().calibration) == ["1: 5.00 m"]


def test_session_starts_from_the_saved_calibration() -> None:
    params = Params().with_value("speed.length_points", [[1, 2], [3, 4]]).with_value(
        "speed.length_m", 2.0)
    session = CalibrationSession.from_params(params, None)
    assert session.mode == "scale" and session.metres == 2.0
    assert [(p.x, p.y) for p in session.points] == [(1, 2), (3, 4)]


class Host(App):
    """What FlowtopApp does for calibration mode, around a real Preview."""

    AUTO_FOCUS = None
    BINDINGS = [("k", "calibrate", "calibrate"), ("ctrl+s", "calibration('save')", ""),
                ("ctrl+t", "calibration('mode')", ""), ("escape", "calibration('close')", "")]

    def __init__(self, config_path: Path) -> None:
        super().__init__()
        self.params = Params()
        self.config_path = config_path
        self.saved: list[Params] = []

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Preview(id="preview")
            yield CalibrationPanel(self.config_path, lambda: self.params, id="calibration")

    def action_calibrate(self) -> None:
        self.query_one(CalibrationPanel).open(self.query_one(Preview).image_size)

    def action_calibration(self, name: str) -> None:
        getattr(self.query_one(CalibrationPanel), f"action_{name}")()

    def on_preview_point_picked(self, event: Preview.PointPicked) -> None:
        panel = self.query_one(CalibrationPanel)
        if panel.active:
            panel.pick(event.x, event.y)

    def on_calibration_panel_overlay_changed(self, event: CalibrationPanel.OverlayChanged
                                             ) -> None:
        self.query_one(Preview).set_overlay(event.overlay)

    def on_calibration_panel_saved(self, event: CalibrationPanel.Saved) -> None:
        self.params = event.params
        self.saved.append(event.params)

    def on_calibration_panel_pick_next(self, _event: CalibrationPanel.PickNext) -> None:
        self.query_one(Preview).focus()


def demo_state():
    source = DemoSource(30, paced=False, frames=3)
    tracker = Tracker()
    while (frame := source.read()) is not None:
        state = tracker.update(frame)
    return state


async def test_pick_two_points_type_a_length_and_the_scale_is_saved(tmp_path: Path) -> None:
    config = tmp_path / "flowtop.toml"
    app = Host(config)
    async with app.run_test(size=SIZE) as pilot:
        preview = app.query_one(Preview)
        panel = app.query_one(CalibrationPanel)
        preview.show(demo_state())
        await pilot.pause()
        assert not panel.active
        await pilot.press("k")
        await pilot.pause()
        assert panel.active and app.focused is preview  # picking comes first
        layout = preview.layout_info
        picks = []
        for col, row in ((5, 8), (25, 8)):  # two clicks on the picture, on one cell row
            await pilot.click(Preview, offset=(col, row))
            picks.append(layout.cell_to_image(col, row))
        await pilot.pause()
        assert [(p.x, p.y) for p in panel.session.points] == [pytest.approx(p) for p in picks]
        assert preview._overlay is not None and len(preview._overlay.lines) == 1
        await pilot.press("1", "2", ".", "5", "enter")
        await pilot.pause()
        result = str(panel.query_one("#cal-result", Static).content)
        pixels = math.dist(*picks)
        assert f"{12.5 / pixels:.6g} m/px" in result and "A–B = 12.50 m" in result
        await pilot.press("ctrl+s")
        await pilot.pause()
    saved = load_params(config)
    assert saved.speed.length_m == 12.5 and saved.speed.model == "scale"
    assert saved.speed.length_points == [[round(v, 2) for v in p] for p in picks]
    cal = calibration_from_params(saved.speed)
    assert cal.meters_per_pixel == pytest.approx(12.5 / pixels, rel=1e-4)
    assert app.saved and app.saved[-1] == saved


async def test_nothing_to_save_yet_and_escape_leaves(tmp_path: Path) -> None:
    config = tmp_path / "flowtop.toml"
    app = Host(config)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(Preview).show(demo_state())
        panel = app.query_one(CalibrationPanel)
        await pilot.press("k")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "nothing to save yet" in str(panel.query_one("#cal-message", Static).content)
        assert not config.exists()
        await pilot.press("ctrl+t")  # to homography mode
        await pilot.pause()
        assert panel.session.mode == "homography"
        await pilot.press("escape")
        await pilot.pause()
        assert not panel.active and app.query_one(Preview)._overlay is None


@pytest.mark.slow
async def test_calibration_mode_in_the_app(tmp_path: Path) -> None:
    from flowtop.tracker.contracts import RunState
    from flowtop.tui.app.app import FlowtopApp
    from flowtop.tui.widgets.objects import ObjectsPanel
    from flowtop.tui.widgets.params import ParamsPanel

    config = tmp_path / "flowtop.toml"
    source = DemoSource(fps=30, scene=DemoScene(320, 180))
    app = FlowtopApp(source=source, params=Params(), config_path=config)
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: app.snapshot.state is not None
                       and app.snapshot.state.index > 10)
        await pilot.press("k")
        panel = app.query_one(CalibrationPanel)
        await wait_for(pilot, lambda: app.run_state == RunState.PAUSED)
        assert panel.active
        for col, row in ((10, 10), (40, 10)):
            await pilot.click(Preview, offset=(col, row))
        await pilot.pause()
        assert len(panel.session.points) == 2 and app.focused is panel.query_one(Input)
        await pilot.press("k")  # typed into the input, not leaving the mode
        await pilot.press("backspace", "2", "0", "enter", "ctrl+s")
        await wait_for(pilot, config.exists)
        assert load_params(config).speed.length_m == 20.0
        assert app.params.speed.length_m == 20.0
        assert app.query_one(ParamsPanel).params.speed.length_m == 20.0
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.run_state == RunState.LIVE)
        assert not panel.active
        # the engine measures in metres now: world speeds reach the objects panel
        await wait_for(pilot, lambda: app.snapshot.state.unit == "m/s"
                       and any(math.isfinite(o.speed_world)
                               for o in app.snapshot.state.objects))

        def header() -> str:
            console = Console(file=io.StringIO(), width=44, color_system=None)
            console.print(app.query_one(ObjectsPanel).content)
            lines = console.file.getvalue().splitlines()
            return lines[1] if len(lines) > 1 else ""

        await wait_for(pilot, lambda: "m/s" in header(), "m/s in the objects panel")


@pytest.mark.slow
async def test_app_refuses_a_calibration_it_cannot_build(tmp_path: Path) -> None:
    from flowtop.tui.app.app import FlowtopApp

    app = FlowtopApp(source=DemoSource(fps=30, scene=DemoScene(320, 180)), params=Params(),
                     config_path=tmp_path / "flowtop.toml")
    async with app.run_test(size=(140, 44)) as pilot:
        await pilot.pause(0.2)
        app.apply_params(app.params.with_value("speed.model", "homography"))
        await pilot.pause(0.2)
        assert app.params.speed.model == "auto"
        assert app.run_state.value in ("LIVE", "PAUSED")


def test_trap_overlay() -> None:
    from flowtop.tracker.config.params import TrapParams
    from flowtop.tui.calibration.session import trap_overlay

    assert trap_overlay(TrapParams()) is None
    overlay = trap_overlay(TrapParams(line_a=[[1, 2], [3, 4]], line_b=[[5, 6], [7, 8]],
                                      distance=3.0))
    assert overlay.lines == ((1, 2, 3, 4), (5, 6, 7, 8))
    assert [label[2] for label in overlay.labels] == ["A", "B"]
