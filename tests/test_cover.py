"""The overlay's cover: the measure itself, and the goal on highway.mp4 frame 60 at 80x24."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.render.canvas import MARK_BOX
from flowtop.tracker.render.cells import Overlay, render_cells
from flowtop.tracker.render.cover import STRONG_DE, cells_cover, delta_e76, overlay_cover
from flowtop.tracker.render.scheme import Scheme, SchemeStream
from flowtop.tracker.sources.open import open_source

PREVIEW_80X24 = (78, 20)  # the preview panel of an 80x24 terminal (test_app checks it)
GOAL = 0.08


def test_delta_e_is_zero_for_equal_colours_and_large_for_black_and_white() -> None:
    a = np.array([[10, 200, 30], [0, 0, 0]], np.uint8)
    b = np.array([[10, 200, 30], [255, 255, 255]], np.uint8)
    de = delta_e76(a, b)
    assert de[0] == pytest.approx(0.0, abs=1e-3) and de[1] == pytest.approx(100.0, abs=0.1)
    near = np.array([[128, 128, 128]], np.uint8)
    assert delta_e76(near, near + 3)[0] < STRONG_DE  # a faint change is not strong


def test_cover_counts_strongly_changed_picture_pixels_and_labels() -> None:
    img = np.full((20, 40, 3), 90, np.uint8)  # 40x10 cells: 800 canvas pixels
    bare = render_cells(img, None, 40, 10)
    marked = render_cells(img, None, 40, 10, overlay=Overlay(points=((5, 5), (30, 15))))
    assert cells_cover(marked, bare) == pytest.approx(4 / 800)  # two cells, two halves each
    labelled = render_cells(img, None, 40, 10, overlay=Overlay(labels=((10, 11, "ab"),)))
    assert cells_cover(labelled, bare) == pytest.approx(4 / 800)
    faint = render_cells(img + 4, None, 40, 10)
    assert cells_cover(faint, bare) == 0.0
    with pytest.raises(ValueError, match="differ"):
        cells_cover(render_cells(img, None, 20, 10), bare)


def test_cover_leaves_the_letterbox_out() -> None:
    img = np.full((40, 20, 3), 90, np.uint8)  # tall: 40x20 cells show it in columns 10..29
    bare = render_cells(img, None, 40, 20)
    assert (bare.layout.x0, bare.layout.w, bare.layout.h) == (10, 20, 40)
    label = render_cells(img, None, 40, 20, overlay=Overlay(labels=((19, 20, "abc"),)))
    assert np.flatnonzero(label.text.any(axis=0)).tolist() == [29, 30, 31]
    assert cells_cover(label, bare) == pytest.approx(2 / 800)  # one cell on the picture


def tracked(path: Path, index: int) -> TrackState:
    source = open_source(str(path), paced=False)
    tracker = Tracker(Params())
    try:
        for _ in range(index + 1):
            frame = source.read()
            assert frame is not None
            state = tracker.update(frame)
    finally:
        source.close()
    return state


def test_default_overlay_leaves_the_highway_legible_at_80x24(highway: Path) -> None:
    state = tracked(highway, 60)
    cols, rows = PREVIEW_80X24
    scheme = SchemeStream(Params().preview)(state)
    cover = overlay_cover(state, cols, rows, scheme)
    every = overlay_cover(state, cols, rows, Scheme(all_tracks=True))
    assert cover <= GOAL, f"the default overlay covers {cover:.1%} of the picture"
    assert every > 3 * GOAL  # the measure tells a buried picture from a clear one
    moving = [o for o in state.objects if o.speed >= 20.0]
    assert len(moving) >= 3  # the vehicles are still found and reported
    cells = render_cells(state.image, state, cols, rows, scheme=scheme)
    lay = cells.layout
    for obj in moving:  # and each is boxed: its top edge is drawn where the box says
        u, v = (int(c) for c in np.floor(lay.to_canvas([(obj.x, obj.y - obj.h / 2)])[0]))
        row, col = min(max(v, lay.y0), lay.y0 + lay.h - 1) // 2, u
        assert (cells.marks[row, col] == MARK_BOX), f"object #{obj.id} has no box"
