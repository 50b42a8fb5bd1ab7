"""Pilot tests of the live app, with the source injected through the constructor."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console
from waiting import wait_for

from flowtop.tracker.config.files import load_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.app.help import HelpScreen
from flowtop.tui.app.keys import Moment, bar_keys
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.key_bar import key_text
from flowtop.tui.widgets.params import ParamsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel

SIZE = (140, 44)


async def select_parameter(app: FlowtopApp, pilot, key: str) -> None:
    """Focus the parameter panel and select `key` (walking the list: see
    test_parameter_panel_shows_every_parameter)."""
    panel = app.query_one(ParamsPanel)
    panel.focus()
    panel.select_key(key)
    await pilot.pause()
    assert panel.selected_key == key


def make_app(tmp_path: Path, full_size: bool = False, **kwargs) -> FlowtopApp:
    """The app on the live demo (paced, endless), at 320x180 unless `full_size` (640x360)."""
    scene = DemoScene() if full_size else DemoScene(320, 180)
    return FlowtopApp(source=DemoSource(fps=30, scene=scene), params=Params(),
                      config_path=tmp_path / "flowtop.toml", **kwargs)


def ended_app(tmp_path: Path, frames: int = 3, full_size: bool = False) -> FlowtopApp:
    """The app on a few demo frames tracked as fast as they come: for what needs no motion."""
    scene = DemoScene() if full_size else DemoScene(320, 180)
    return FlowtopApp(source=DemoSource(fps=30, paced=False, frames=frames, scene=scene),
                      params=Params(), config_path=tmp_path / "flowtop.toml")


def index_of(app: FlowtopApp) -> int:
    """The frame index the app shows (-1 before the first)."""
    state = app.snapshot.state
    return -1 if state is None else state.index


def engine_params(app: FlowtopApp) -> Params:
    """The parameters the engine last published that it uses."""
    assert app.snapshot.params is not None
    return app.snapshot.params


async def pause_app(pilot, app: FlowtopApp) -> None:
    """Press space and wait for PAUSED and the frame the loop was tracking when the key came
    (shown after the state turned PAUSED)."""
    await pilot.press("space")
    await wait_for(pilot, lambda: app.run_state == RunState.PAUSED, "PAUSED")
    await pilot.pause(0.3)


def shown(app: FlowtopApp):
    """The TrackState the app shows; the tests wait for one before asking."""
    assert app.snapshot.state is not None
    return app.snapshot.state


@pytest.mark.slow
async def test_space_pauses_and_resumes(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: index_of(app) > 5)
        await pause_app(pilot, app)
        frozen = index_of(app)
        await pilot.pause(0.5)
        assert index_of(app) == frozen
        assert "PAUSED" in str(app.query_one("#status").render())
        await pilot.press("space")
        await wait_for(pilot, lambda: index_of(app) > frozen + 3)
        assert app.run_state == RunState.LIVE


async def test_n_steps_exactly_one_frame(tmp_path: Path) -> None:
    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        start = index_of(app)
        for k in range(1, 4):
            await pilot.press("n")
            await wait_for(pilot, lambda k=k: index_of(app) == start + k)
        await pilot.pause(0.3)
        assert index_of(app) == start + 3


@pytest.mark.slow
async def test_r_reseeds_with_new_ids(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: index_of(app) > 3)
        await pause_app(pilot, app)
        before = set(shown(app).ids.tolist())
        await pilot.press("r")
        await pilot.press("n")
        await wait_for(pilot, lambda: shown(app).seeded > 0)
        after = set(shown(app).ids.tolist())
        assert after and not (after & before)


async def test_c_clears_tracks(tmp_path: Path) -> None:
    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: index_of(app) >= 0 and shown(app).live > 0)
        await pilot.press("c")
        await wait_for(pilot, lambda: shown(app).live == 0)


async def test_parameter_change_reaches_the_engine(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await select_parameter(app, pilot, "lk.win_size")
        await pilot.press("right", "right")
        await wait_for(pilot, lambda: engine_params(app).lk.win_size == 19)
        await pilot.press("left")
        await wait_for(pilot, lambda: engine_params(app).lk.win_size == 17)


async def test_s_saves_a_config_that_loads_back_equal(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await select_parameter(app, pilot, "tracking.fb_threshold")
        await pilot.press("right")
        await pilot.press("s")
        await wait_for(pilot, (tmp_path / "flowtop.toml").exists, "the saved config")
        saved = load_params(tmp_path / "flowtop.toml")
        assert saved == app.params
        assert saved.tracking.fb_threshold == pytest.approx(1.1)


@pytest.mark.slow
async def test_click_adds_a_track_at_the_image_pixel(tmp_path: Path) -> None:
    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("c")
        await pilot.press("n")
        await wait_for(pilot, lambda: index_of(app) >= 0)
        preview = app.query_one(Preview)
        await wait_for(pilot, lambda: preview.layout_info is not None)
        # a cell near the middle of the preview; where it lands is the widget's own mapping
        col, row = preview.size.width // 2, preview.size.height // 2
        gutter = preview.styles.gutter
        expected = preview.layout_info.cell_to_image(col - gutter.left, row - gutter.top)
        assert expected is not None
        app.loop.clear()
        await pilot.click(Preview, offset=(col, row))
        await wait_for(pilot, lambda: shown(app).live == 1)
        x, y = shown(app).pts[0]
        assert x == pytest.approx(expected[0], abs=1.0)
        assert y == pytest.approx(expected[1], abs=1.0)


async def test_help_screen_opens_and_closes(tmp_path: Path) -> None:
    app = ended_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen)
                       and any(w.size.width for w in app.screen.query("#help-keys")), "the help")
        keys = app.screen.query_one("#help-keys")
        assert keys.size.width > 40 and keys.size.height >= len(app.BINDINGS)  # really shown
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), "the help gone")


@pytest.mark.slow
async def test_speeds_panel_lists_moving_tracks(tmp_path: Path) -> None:
    app = ended_app(tmp_path, frames=40, full_size=True)  # every frame tracked: settled speeds
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.run_state == RunState.ENDED)
        await pilot.pause(0.3)
        panel = app.query_one(SpeedsPanel)
        console = Console(width=panel.size.width, file=io.StringIO())
        console.print(panel.table(shown(app)))
        text = console.file.getvalue()
        assert re.search(r"[1-9]\d* moving · median \d+\.\d · max \d+\.\d px/s", text), text
        speeds = [float(m) for m in re.findall(r"^\s*\d+\s+\d+\s+\d+\s+(\d+\.\d)", text, re.M)]
        assert len(speeds) > 5
        assert speeds == sorted(speeds, reverse=True)  # fastest first
        assert 150 < speeds[0] < 170  # the taxi: 160 px/s


async def test_ended_file_shows_ended(tmp_path: Path) -> None:
    source = DemoSource(fps=30, paced=False, frames=8, scene=DemoScene(320, 180))
    app = FlowtopApp(source=source, params=Params(), config_path=tmp_path / "c.toml")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.run_state == RunState.ENDED)
        assert index_of(app) == 7


async def test_parameter_panel_shows_every_parameter(tmp_path: Path) -> None:
    from flowtop.tracker.config.params import iter_specs

    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(ParamsPanel)
        shown_ids = {panel.get_option_at_index(i).id for i in range(panel.option_count)}
        assert {key for key, _, _ in iter_specs()} <= shown_ids
        panel.focus()
        await pilot.press("down", "up")  # the keys move the selection
        for _ in range(panel.option_count):  # walk the whole list: never onto a fixed one
            assert panel.selected_key in panel.keys
            panel.action_cursor_down()


async def test_a_face_mode_that_cannot_load_is_refused(tmp_path: Path, monkeypatch) -> None:
    """Choosing `faces` when the cascade does not load: a notice, the old mode, no ERROR."""
    from flowtop.tracker.core import faces

    monkeypatch.setattr(faces, "default_cascade_path", lambda: str(tmp_path / "absent.xml"))
    app = ended_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.run_state == RunState.ENDED)
        await select_parameter(app, pilot, "features.mode")
        await pilot.press("right")
        await wait_for(pilot, lambda: any("face cascade" in str(n.message)
                                          for n in app._notifications), "the notice")
        assert app.params.features.mode == "corners"
        assert engine_params(app).features.mode == "corners"
        assert app.run_state == RunState.ENDED  # not ERROR
        assert any("face cascade" in str(n.message) for n in app._notifications)


@pytest.mark.slow
async def test_a_narrow_terminal_keeps_the_preview(tmp_path: Path) -> None:
    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        side, preview = app.query_one("#side"), app.query_one(Preview)
        assert side.display and preview.size.width < SIZE[0] // 2 + 40
        await pilot.resize_terminal(60, 20)
        await wait_for(pilot, lambda: preview.size.width >= 58, "the preview widened")
        assert not side.display or side.size.width == 0
        await pilot.resize_terminal(*SIZE)
        await wait_for(pilot, lambda: side.size.width > 0, "the side panels back")


@pytest.mark.slow
async def test_no_preview_frames_are_drawn_under_a_dialog(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: index_of(app) > 2)
        preview = app.query_one(Preview)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.pause(0.1)  # a draw under way when the help came up ends
        drawn, under = preview.frames_drawn, preview.drawn_index
        await wait_for(pilot, lambda: index_of(app) > under + 10, "frames tracked meanwhile")
        assert preview.frames_drawn == drawn  # none drawn
        await pilot.press("escape")
        await wait_for(pilot, lambda: preview.drawn_index > under + 5)  # the newest, at once


async def test_a_draw_before_the_resize_event_uses_the_new_width(tmp_path: Path) -> None:
    """Under load a frame can be drawn at a new size before the resize event recut the
    tiles; it used to crash the app (np.pad with a negative width)."""
    from flowtop.tui.preview.rows import tile_edges

    app = make_app(tmp_path, start_paused=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        preview = app.query_one(Preview)
        await wait_for(pilot, lambda: preview.layout_info is not None)
        tiling = preview._tiling
        tiling.edges, tiling.cols = tile_edges(400), 400  # tiles of another width
        tiling.styled = None
        preview._draw()  # must not raise
        assert tiling.edges == tile_edges(preview.content_size.width)


def preview_picture(preview: Preview) -> list[str]:
    """The preview's rows as the terminal text its tiles hold (glyphs and colours)."""
    from flowtop.tui.preview.tile import PreviewTile

    console = Console(color_system="truecolor", force_terminal=True, file=io.StringIO())
    return ["".join(tile.render_line(y).render(console) for tile in preview.query(PreviewTile))
            for y in range(preview.content_size.height)]


@pytest.mark.slow
async def test_v_shows_every_track_and_the_legend_says_what_colours_mean(tmp_path: Path
                                                                         ) -> None:
    from flowtop.tui.preview.legend import ALL_TRACKS_LEGEND

    app = make_app(tmp_path, full_size=True)  # tracks on many rows of the picture
    async with app.run_test(size=(80, 24)) as pilot:
        preview = app.query_one(Preview)
        assert tuple(preview.content_size) == (78, 20)  # test_cover's PREVIEW_80X24
        await wait_for(pilot, lambda: index_of(app) > 10 and preview.frames_drawn > 0)
        await pause_app(pilot, app)
        await wait_for(pilot, lambda: preview.drawn_index == index_of(app))
        scale = preview.scheme.scale
        assert scale is not None and not preview.all_tracks
        assert preview.legend == scale.legend_text()
        assert re.fullmatch(r"px/s 0 ▁▂▃▄▅▆▇█ \d+(\.\d+)?", preview.legend)
        calm = preview_picture(preview)
        drawn = preview.frames_drawn
        await pilot.press("v")
        await wait_for(pilot, lambda: preview.frames_drawn > drawn)
        assert preview.all_tracks and preview.scheme.all_tracks
        assert preview.legend == ALL_TRACKS_LEGEND
        busy = preview_picture(preview)
        assert busy != calm
        changed = sum(a != b for a, b in zip(busy, calm))
        assert changed >= len(calm) // 4  # every track drawn: marks on many rows
        drawn = preview.frames_drawn
        await pilot.press("v")
        await wait_for(pilot, lambda: preview.frames_drawn > drawn and not preview.all_tracks)
        assert preview_picture(preview) == calm and preview.legend == scale.legend_text()
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert any(t.startswith("all tracks") for t in commands)  # the palette and help
    wide = key_text(bar_keys(Moment(RunState.LIVE, 160)), 160).plain
    assert "v all tracks" in wide  # the key bar, where there is room
