"""Degenerate scenes through the engine, the loop and the renderer: never a crash, and the
state says what is happening (`TrackState.notice`, shown as the loop's status message)."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from fakes import FlakyCamera

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, RunState, Snapshot, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.render.cells import render_cells
from flowtop.tracker.render.palette import MODES, style_cells
from flowtop.tracker.runtime.loop import TrackingLoop
from flowtop.tracker.sources.demo import DemoScene
from flowtop.tracker.sources.resilient import ResilientSource

Image = npt.NDArray[np.uint8]
RNG = np.random.default_rng(3)
DEMO = DemoScene().render(0.0)
GRIDS = [(1, 1), (3, 2), (20, 10), (80, 24), (240, 70)]
TINY_PARAMS = Params().with_value("lk.win_size", 61).with_value("lk.max_level", 6) \
    .with_value("features.block_size", 31)


def noise(h: int, w: int) -> Image:
    return RNG.integers(0, 256, (h, w, 3), dtype=np.uint8)


SCENES: dict[str, tuple[Image, str]] = {  # image, what the notice must say ('' = none)
    "all black": (np.zeros((360, 640, 3), np.uint8), "flat image"),
    "all white": (np.full((360, 640, 3), 255, np.uint8), "flat image"),
    "uniform gray": (np.full((360, 640, 3), 97, np.uint8), "flat image"),
    "pure noise": (noise(360, 640), ""),
    "1x1": (noise(1, 1), "too small"),
    "1x640": (noise(1, 640), "too small"),
    "16x16": (noise(16, 16), ""),
    "3840x2160": (cv2.resize(DEMO, (3840, 2160)), ""),
    "gray 2-D": (cv2.cvtColor(DEMO, cv2.COLOR_BGR2GRAY), ""),
    "smooth ramp": (np.tile(np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None],
                            (360, 1, 3)), "no corners found"),
}


def moved(image: Image, i: int) -> Image:
    """The scene shifted by i pixels right (tiny frames stay as they are)."""
    return np.roll(image, i, axis=1) if image.shape[1] > 32 else image


def check_state(state: TrackState, image: Image) -> None:
    n = len(state.ids)
    h, w = image.shape[:2]
    assert state.pts.shape == (n, 2) and state.vel.shape == (n, 2)
    assert state.trails.shape[0] == n and state.trails.shape[2] == 2
    assert len(state.speed) == len(state.age) == len(state.trail_len) == n
    assert np.isfinite(state.pts).all() and np.isfinite(state.vel).all()
    assert ((state.pts >= 0) & (state.pts <= [w - 1, h - 1])).all()


def render_everywhere(state: TrackState) -> None:
    for cols, rows in GRIDS:
        cells = render_cells(state.image, state, cols, rows)
        assert cells.shape == (rows, cols)
        assert cells.pixels.shape == (2 * rows, cols, 3)
        for mode in MODES:
            styled = style_cells(cells, mode)
            assert styled.glyph.shape == (rows, cols)


@pytest.mark.parametrize("params", [Params(), TINY_PARAMS], ids=["default", "large windows"])
@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if "3840" in name
                                  else name for name in SCENES])
def test_scene_through_engine_and_renderer(name: str, params: Params) -> None:
    image, says = SCENES[name]
    tracker = Tracker(params)
    for i in range(6):
        frame_image = moved(image, i)
        if i == 3:
            tracker.add_point(0, 0)  # a manual point in the corner, even of a 1x1 frame
        state = tracker.update(Frame(i, i / 30, frame_image))
        check_state(state, frame_image)
    render_everywhere(state)
    if says:
        assert says in state.notice and state.live <= 1
    else:
        assert state.live > 0 and state.notice == ""


def test_every_point_lost_at_once_is_said_and_reseeded() -> None:
    tracker = Tracker()
    state = tracker.update(Frame(0, 0.0, DEMO))
    state = tracker.update(Frame(1, 1 / 30, DEMO))
    before = state.live
    assert before > 50
    state = tracker.update(Frame(2, 2 / 30, noise(360, 640)))  # a different world
    assert state.lost == before and state.seeded == state.live > 0
    assert "every point was lost at once" in state.notice
    render_everywhere(state)
    for i in range(3, 6):  # the notice stays a moment of frame time, then goes
        state = tracker.update(Frame(i, i / 30, state.image))
    assert state.notice
    state = tracker.update(Frame(60, 2.0, state.image))
    assert state.notice == ""


def test_every_point_lost_into_darkness() -> None:
    tracker = Tracker()
    tracker.update(Frame(0, 0.0, DEMO))
    live = tracker.update(Frame(1, 1 / 30, DEMO)).live
    state = tracker.update(Frame(2, 2 / 30, np.zeros_like(DEMO)))  # the lights go out
    assert state.lost == live and state.live == 0 and "flat image" in state.notice
    render_everywhere(state)
    state = tracker.update(Frame(3, 3 / 30, DEMO))  # and come back
    assert state.live > 0 and state.notice == ""


@pytest.mark.slow
def test_size_jumps_in_a_live_stream_through_the_loop() -> None:
    """1x1, 16x16 and 3840x2160 frames mid-stream: no ERROR, tracking on each size."""
    cam = FlakyCamera(["frames:4", "resize:1x1", "frames:3", "resize:16x16", "frames:3",
                       "resize:3840x2160", "frames:4", "resize:320x180"])
    source = ResilientSource(cam.open, cam.open(), stall_timeout=30.0)
    seen: list[tuple[RunState, tuple[int, int], int, str]] = []

    def record(snap: Snapshot) -> None:
        if snap.state is not None:
            seen.append((snap.status.state, snap.status.size, snap.state.live,
                         snap.status.message))

    loop = TrackingLoop(source, Params(), record)
    stop = threading.Event()
    thread = threading.Thread(target=loop.run, args=(stop.is_set,), daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while sum(1 for s in seen if s[1] == (320, 180)) < 8:  # back at the start size
        assert time.monotonic() < deadline and thread.is_alive(), seen[-3:]
        time.sleep(0.02)
    stop.set()
    thread.join(10)
    assert {s[0] for s in seen} == {RunState.LIVE}
    by_size = {size: [live for _, sz, live, _ in seen if sz == size] for size in
               [(1, 1), (16, 16), (3840, 2160), (320, 180)]}
    assert all(by_size.values()), by_size
    assert max(by_size[(1, 1)]) <= 1
    assert any("too small" in msg for _, sz, _, msg in seen if sz == (1, 1))
    assert by_size[(3840, 2160)][-1] > 0 and by_size[(320, 180)][-1] > 0
