"""The Preview widget in a tiny host app: picking points, change detection, messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.strip import Strip
from waiting import wait_for

from flowtop.tracker.config.params import PreviewParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tui.preview.internals import AnsiStrip
from flowtop.tui.preview.tile import PreviewTile
from flowtop.tui.preview.widget import WAITING, Preview

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


class Host(App):
    AUTO_FOCUS = None  # the keyboard cursor shows only with focus; tests focus when needed

    def __init__(self, **preview_kwargs) -> None:
        super().__init__()
        self.picked: list[tuple[float, float]] = []
        self.preview_kwargs = preview_kwargs

    def compose(self) -> ComposeResult:
        yield Preview(**self.preview_kwargs)

    def on_preview_point_picked(self, event: Preview.PointPicked) -> None:
        self.picked.append((event.x, event.y))


def state_of(image: np.ndarray, index: int = 0):
    """A TrackState of `image` with its tracks and objects taken away."""
    state = Tracker().update(Frame(index, index / 30, image, False))
    return dataclasses.replace(state, ids=state.ids[:0], pts=state.pts[:0], vel=state.vel[:0],
                               speed=state.speed[:0], age=state.age[:0],
                               fb_error=state.fb_error[:0], speed_world=state.speed_world[:0],
                               trails=state.trails[:0], trail_len=state.trail_len[:0],
                               objects=())


def checker(w: int = 80, h: int = 40) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[(np.arange(h)[:, None] // 10 + np.arange(w)[None, :] // 10) % 2 == 1] = 255
    return img


async def until_drawn(pilot, preview: Preview, frames: int) -> None:
    """Wait (the preview paces itself) until it has drawn `frames` frames."""
    await wait_for(pilot, lambda: preview.frames_drawn >= frames, f"{frames} frames drawn")


def line_text(preview: Preview, y: int) -> str:
    """Row `y` of the preview as text, across its tiles."""
    return "".join(seg.text for tile in preview.query(PreviewTile)
                   for seg in tile.render_line(y))


async def test_waiting_message_before_the_first_frame():
    app = Host()
    async with app.run_test(size=(60, 11)) as pilot:
        preview = app.query_one(Preview)
        await pilot.pause()
        assert WAITING in line_text(preview, 5)
        assert preview.image_size is None and preview.stats.rows == 11


async def test_click_posts_the_image_pixel_under_the_cell():
    app = Host(params=PreviewParams(color="256"))
    async with app.run_test(size=(8, 2)) as pilot:
        preview = app.query_one(Preview)
        preview.show(state_of(checker(80, 40)))  # 10x10 image pixels per half cell
        await pilot.pause()
        assert preview.image_size == (80, 40)
        await pilot.click(Preview, offset=(3, 1))
        await pilot.pause()
        assert app.picked == [pytest.approx((34.5, 29.5))]  # centre of cell (3, 1)


async def test_keyboard_cursor_and_a_add_a_point():
    app = Host()
    async with app.run_test(size=(8, 2)) as pilot:
        preview = app.query_one(Preview)
        preview.show(state_of(checker(80, 40)))
        preview.focus()
        await pilot.pause()
        assert preview.cursor == pytest.approx((39.5, 19.5))  # starts at the image centre
        await pilot.press("right", "right", "up", "a")
        await pilot.pause()
        assert app.picked == [pytest.approx((59.5, 9.5))]


async def test_unchanged_frame_refreshes_nothing_and_a_change_refreshes_its_cells():
    app = Host(params=PreviewParams(color="256"))
    async with app.run_test(size=(40, 10)) as pilot:
        preview = app.query_one(Preview)
        image = checker(80, 40)
        preview.show(state_of(image, 0))
        await pilot.pause()
        assert preview.last_refresh is None  # the first frame repaints everything
        strips = [list(row) for row in preview._tiling.strips]
        tiles = list(preview.query(PreviewTile))
        assert len(tiles) == 5 and [t.size.width for t in tiles] == [8] * 5
        calls: list[tuple[int, tuple]] = []
        for tile in tiles:
            original = tile.refresh

            def spy(*regions, _index=tile.index, _original=original, **kwargs):
                calls.append((_index, regions))
                return _original(*regions, **kwargs)

            tile.refresh = spy  # type: ignore[method-assign]
        preview.show(state_of(image.copy(), 1))  # a new state, the same picture
        await until_drawn(pilot, preview, 2)
        assert calls == [] and preview.last_refresh == []
        assert all(a is b for old, new in zip(strips, preview._tiling.strips)
                   for a, b in zip(old, new))
        changed = image.copy()
        changed[20:24, 40:44] = (0, 0, 255)  # canvas pixels 20-21 x 10-11: cells 20-21, row 5
        preview.show(state_of(changed, 2))
        await until_drawn(pilot, preview, 3)
        assert preview.last_refresh == [Region(20, 5, 2, 1)]
        assert calls == [(2, (Region(4, 5, 2, 1),))]  # tile 2 holds columns 16..23
        kept = [[a is b for a, b in zip(old, new)]
                for old, new in zip(strips, preview._tiling.strips)]
        assert all(all(row) for r, row in enumerate(kept) if r != 5)


async def test_in_a_truecolor_terminal_rows_arrive_as_text_and_still_draw_as_segments(
        monkeypatch):
    """The console the app writes to is truecolor: tile rows come with their terminal text
    made, equal to Textual's for the same Segments; a screenshot (which reads Segments)
    shows the same cells."""
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = Host(params=PreviewParams(color="truecolor", hysteresis=0))
    async with app.run_test(size=(20, 4)) as pilot:
        assert app.console.color_system == "truecolor"
        preview = app.query_one(Preview)
        image = checker(40, 16)
        image[0:8, 0:20] = (40, 200, 90)  # BGR: cells 0-9 of rows 0-1 green over green
        image[8:16, 20:40] = (200, 40, 90)  # cells 10-19 of rows 2-3 violet
        preview.show(state_of(image))
        await until_drawn(pilot, preview, 1)
        strips = [strip for row in preview._tiling.strips for strip in row]
        assert strips and all(isinstance(strip, AnsiStrip) for strip in strips)
        for strip in strips:
            assert strip.render(app.console) == Strip(list(strip)).render(app.console)
        await pilot.pause()
        svg = app.export_screenshot()
        assert "#5ac828" in svg.lower() and "#5a28c8" in svg.lower()  # the two patches (RGB)


async def test_same_state_object_is_free_and_trails_toggle_redraws():
    app = Host(params=PreviewParams(color="truecolor"))
    async with app.run_test(size=(40, 10)) as pilot:
        preview = app.query_one(Preview)
        source = DemoSource(fps=30, paced=False, frames=20)
        tracker = Tracker()
        for _ in range(8):
            state = tracker.update(source.read())
        preview.show(state)
        await pilot.pause()
        frames = preview.frames_drawn
        preview.show(state)
        await pilot.pause()
        assert preview.frames_drawn == frames
        preview.trails = False
        await pilot.pause()
        assert preview.frames_drawn == frames + 1
        assert preview.stats.mode == "truecolor"


async def test_resize_resizes_the_picture():
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = app.query_one(Preview)
        preview.show(state_of(checker(80, 40)))
        await pilot.pause()
        assert (preview.layout_info.cols, preview.layout_info.rows) == (40, 10)
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        assert (preview.layout_info.cols, preview.layout_info.rows) == (60, 20)
        assert preview.stats.cols == 60
        assert sum(t.size.width for t in preview.query(PreviewTile)) == 60


async def test_set_params_changes_mode_and_budget():
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = app.query_one(Preview)
        preview.show(state_of(checker(80, 40)))
        preview.set_params(dataclasses.replace(PreviewParams(), color="ascii", max_kbps=300.0))
        await pilot.pause()
        stats = preview.stats
        assert stats.mode == "ascii" and stats.budget_kbps == 300.0
        assert set(line_text(preview, 4)) <= set(" .:-=+*#%@")
