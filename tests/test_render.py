"""Frame -> half-block cells: exact pixels for tiny images, geometry, tracks, boxes, labels,
overlay; by default tracks in their speed's colour, static ones hidden; every track with
`Scheme(all_tracks=True)`."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from states import object_state, track_state

from flowtop.tracker.render.canvas import (
    MARK_BOX,
    MARK_NONE,
    MARK_OVERLAY,
    MARK_POINT,
    MARK_TRAIL,
    fit,
)
from flowtop.tracker.render.cells import Overlay, render_cells, shrink
from flowtop.tracker.render.colors import object_colors, track_colors
from flowtop.tracker.render.scheme import Scheme
from flowtop.tracker.render.speed_scale import SpeedScale

ALL = Scheme(all_tracks=True)
SCALE = SpeedScale(100.0)  # px/s 0..100
BY_SPEED = Scheme(scale=SCALE)


def gradient(w: int, h: int) -> np.ndarray:
    """A BGR image whose pixel (x, y) is (b=x*10, g=y*10, r=200)."""
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = (np.arange(w) * 10)[None, :]
    img[..., 1] = (np.arange(h) * 10)[:, None]
    img[..., 2] = 200
    return img


def tracks(pts, trails=None, objects=(), speed=None, **fields):
    """Tracks 1..N at `pts`; `speed` (px/s, default 0: static) for every track or one each."""
    n = len(np.asarray(pts).reshape(-1, 2))
    speeds = np.broadcast_to(np.asarray(0.0 if speed is None else speed, np.float32), (n,))
    return track_state(pts, trails, objects, speed=speeds.copy(), **fields)


def rgb(bgr) -> tuple[int, int, int]:
    b, g, r = (int(c) for c in bgr)
    return r, g, b


def test_same_size_image_maps_pixel_for_pixel_upper_and_lower():
    img = gradient(4, 4)
    cells = render_cells(img, None, 4, 2)
    assert cells.shape == (2, 4)
    assert cells.layout == fit(4, 4, 4, 2)
    rgb = img[..., ::-1]
    np.testing.assert_array_equal(cells.upper, rgb[0::2])
    np.testing.assert_array_equal(cells.lower, rgb[1::2])
    assert not cells.blank.any()
    assert (cells.marks == MARK_NONE).all()


def test_inter_area_halves_average_two_by_two_blocks():
    img = np.zeros((4, 4, 3), np.uint8)
    img[:2, :2] = (0, 0, 200)  # top-left block red (BGR)
    img[2:, 2:] = (100, 100, 100)
    cells = render_cells(img, None, 2, 1)  # canvas 2x2: one pixel per 2x2 block
    np.testing.assert_array_equal(cells.upper[0], [[200, 0, 0], [0, 0, 0]])
    np.testing.assert_array_equal(cells.lower[0], [[0, 0, 0], [100, 100, 100]])


def test_shrink_halves_exactly_then_averages_the_rest():
    rng = np.random.default_rng(3)
    image = cv2.GaussianBlur(rng.integers(0, 256, (360, 640, 3), np.uint8), (0, 0), 1.5)
    area = cv2.INTER_AREA
    half = shrink(image, 320, 180)  # OpenCV's own 2x2 average
    assert np.array_equal(half, cv2.resize(image, (320, 180), interpolation=area))
    quarter = shrink(image, 160, 90)  # two halvings: the 4x4 average, rounded twice
    blocks = image.reshape(90, 4, 160, 4, 3).mean(axis=(1, 3))
    assert np.abs(quarter - blocks).max() <= 1.0
    odd = shrink(image, 158, 89)  # halved to 320x180, then the general INTER_AREA
    direct = cv2.resize(image, (158, 89), interpolation=area).astype(int)
    assert odd.shape == (89, 158, 3) and np.abs(odd - direct).mean() < 1.0
    assert shrink(image, 640, 360) is not image  # a new array, as cv2.resize gives
    odd_sized = image[:359, :639]  # odd sizes go the general way at once
    assert np.array_equal(shrink(odd_sized, 150, 80),
                          cv2.resize(odd_sized, (150, 80), interpolation=area))


def test_letterbox_keeps_aspect_and_centres():
    layout = fit(640, 360, 160, 48)  # canvas 160x96: picture 160x90, 3 px bands
    assert (layout.w, layout.h, layout.x0) == (160, 90, 0)
    assert layout.y0 == 2 and layout.y0 % 2 == 0
    tall = fit(100, 400, 40, 20)  # canvas 40x40 -> picture 10x40, centred horizontally
    assert (tall.w, tall.h, tall.x0, tall.y0) == (10, 40, 15, 0)
    cells = render_cells(np.full((400, 100, 3), 255, np.uint8), None, 40, 20)
    assert cells.blank[:, :15].all() and cells.blank[:, 25:].all()
    assert not cells.blank[:, 15:25].any()
    half = fit(640, 360, 160, 48, scale=0.5)
    assert half.w == 80 and half.x0 == 40


def test_cell_to_image_and_back():
    layout = fit(80, 40, 8, 2)  # 10x10 image pixels per canvas pixel
    assert layout.cell_to_image(3, 1) == pytest.approx((34.5, 29.5))  # cell centre
    assert layout.cell_to_image(3, 1, 0.25) == pytest.approx((34.5, 24.5))  # upper pixel
    assert layout.cell_to_image(3, 1, 0.75) == pytest.approx((34.5, 34.5))  # lower pixel
    assert layout.image_to_cell(34.5, 24.5) == (3, 1, 0)
    assert layout.image_to_cell(34.5, 34.5) == (3, 1, 1)
    boxed = fit(100, 400, 40, 20)
    assert boxed.cell_to_image(0, 5) is None  # on the letterbox
    assert boxed.cell_to_image(15, 0, 0.25) == pytest.approx((4.5, 4.5))


def test_every_track_view_fills_a_point_cell_in_its_id_colour():
    img = np.zeros((40, 80, 3), np.uint8)
    cells = render_cells(img, tracks([(34, 25)]), 8, 2, scheme=ALL)  # static, still drawn
    col, row, _ = cells.layout.image_to_cell(34, 25)
    r, g, b = rgb(track_colors([1])[0])
    assert (col, row) == (3, 1)
    assert tuple(cells.upper[row, col]) == (r, g, b) == tuple(cells.lower[row, col])
    assert cells.marks[row, col] == MARK_POINT
    assert (cells.marks == MARK_POINT).sum() == 1


def test_a_moving_point_is_one_pixel_in_its_speed_colour():
    img = np.full((40, 80, 3), 60, np.uint8)
    cells = render_cells(img, tracks([(34, 25)], speed=50.0), 8, 2, scheme=BY_SPEED)
    col, row, half = cells.layout.image_to_cell(34, 25)
    assert (col, row, half) == (3, 1, 0)
    assert tuple(cells.upper[row, col]) == rgb(SCALE.colors([50.0])[0])
    assert tuple(cells.lower[row, col]) == (60, 60, 60)  # the other half keeps the picture
    assert cells.marks[row, col] == MARK_POINT and (cells.marks == MARK_POINT).sum() == 1
    slow = render_cells(img, tracks([(34, 25)], speed=10.0), 8, 2, scheme=BY_SPEED)
    assert tuple(slow.upper[row, col]) == rgb(SCALE.colors([10.0])[0])
    assert tuple(slow.upper[row, col]) != tuple(cells.upper[row, col])


def test_static_tracks_are_hidden_with_their_trails():
    img = gradient(80, 40)
    still = [[(34, 25), (30, 25), (26, 25)]]  # a trail, but the track reads under min_speed
    bare = render_cells(img, None, 8, 2)
    for speed in (0.0, 4.9):
        cells = render_cells(img, tracks([(34, 25)], still, speed=speed), 8, 2)
        np.testing.assert_array_equal(cells.pixels, bare.pixels)
        assert (cells.marks == MARK_NONE).all()
    unmeasured = tracks([(34, 25)], still, speed=50.0, age=np.zeros(1, np.int32))
    assert (render_cells(img, unmeasured, 8, 2).marks == MARK_NONE).all()
    moving = render_cells(img, tracks([(34, 25)], still, speed=5.0), 8, 2)
    assert (moving.marks == MARK_POINT).sum() == 1  # min_speed itself moves
    hidden = render_cells(img, tracks([(34, 25)], still, speed=20.0), 8, 2,
                          scheme=Scheme(min_speed=30.0))
    assert (hidden.marks == MARK_NONE).all()


def test_trail_is_a_fading_line_from_the_point():
    img = np.zeros((10, 100, 3), np.uint8)  # a 100x5 grid is 100x10 pixels: one per pixel
    trail = [[(90, 4), (70, 4), (50, 4), (30, 4), (10, 4)]]  # newest first
    cells = render_cells(img, tracks([(90, 4)], trail, speed=80.0), 100, 5, trails=True,
                         scheme=BY_SPEED)
    row = cells.layout.image_to_cell(0, 4)[1]
    marked = np.flatnonzero(cells.marks[row] == MARK_TRAIL)
    assert marked.min() <= 11 and marked.max() >= 85  # continuous, no gaps along 10..90
    assert len(marked) >= 75
    half = cells.layout.image_to_cell(0, 4)[2]
    lum = (cells.upper if half == 0 else cells.lower)[row].astype(int).sum(axis=1)
    assert lum[85] > lum[50] > lum[12] > 0  # fades with age into the black picture
    newest = (cells.upper if half == 0 else cells.lower)[row, 85]
    assert tuple(newest) == rgb(SCALE.colors([80.0])[0])  # in the speed's colour
    plain = render_cells(img, tracks([(90, 4)], trail, speed=80.0), 100, 5, trails=False,
                         scheme=BY_SPEED)
    assert not (plain.marks == MARK_TRAIL).any()


def test_trail_leaving_the_picture_stops_at_its_edge():
    img = np.zeros((100, 100, 3), np.uint8)  # in 40x10 cells: canvas columns 10..29
    trail = [[(5, 50), (-40, 50), (-80, 50)]]  # runs off the picture's left edge
    cells = render_cells(img, tracks([(5, 50)], trail, speed=80.0), 40, 10, scheme=BY_SPEED)
    trailed = np.argwhere(cells.marks == MARK_TRAIL)
    assert len(trailed) and (trailed[:, 1] >= 10).all()  # none on the letterbox...
    assert set(trailed[:, 0]) == {5}  # ...nor wrapped round into another row
    assert not cells.upper[:, :10].any() and not cells.lower[:, :10].any()


def test_newer_trail_segments_cover_older_ones():
    img = np.zeros((10, 100, 3), np.uint8)  # one canvas pixel per image pixel
    # track 1's old part and track 2's new part share pixels 40..60 on row 4
    old = [(80, 4), (60, 4), (40, 4), (20, 4), (10, 4)]
    new = [(60, 4), (40, 4), (30, 4), (25, 4), (22, 4)]
    state = tracks([(80, 4), (60, 4)], [old, new], speed=np.array([20.0, 90.0], np.float32))
    cells = render_cells(img, state, 100, 5, scheme=BY_SPEED)
    row, half = cells.layout.image_to_cell(0, 4)[1:]
    shown = (cells.upper if half == 0 else cells.lower)[row]
    fast = rgb(SCALE.colors([90.0])[0])
    assert tuple(shown[50]) == fast  # track 2's newest band, opaque, over track 1's older one


def test_static_trail_hides_under_its_point():
    img = np.zeros((40, 80, 3), np.uint8)
    cells = render_cells(img, tracks([(34, 25)], [[(34, 25), (34.2, 25.1), (33.9, 25)]]), 8, 2,
                         scheme=ALL)
    assert not (cells.marks == MARK_TRAIL).any()


def test_object_box_outline_and_label_in_its_speed_colour():
    img = np.zeros((20, 20, 3), np.uint8)
    obj = object_state(7, 10.0, 10.0, 8.0, 8.0, speed=30.0)
    cells = render_cells(img, tracks(np.zeros((0, 2)), np.zeros((0, 1, 2)), (obj,)), 20, 10,
                         scheme=BY_SPEED)
    color = rgb(SCALE.colors([30.0])[0])
    boxed = cells.marks == MARK_BOX
    assert boxed.any() and not boxed[5, 10]  # the outline, not the inside
    rows, cols = np.nonzero(boxed)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (3, 7, 6, 14)
    assert (tuple(cells.upper[3, 10]) == color) or (tuple(cells.lower[3, 10]) == color)
    label = "".join(chr(c) for c in cells.text[2] if c)  # the row above the box
    assert label == "#7 30" and np.flatnonzero(cells.text[2])[0] == 6
    assert (cells.text_rgb[2, 6:11] == color).all()
    by_id = render_cells(img, tracks(np.zeros((0, 2)), np.zeros((0, 1, 2)), (obj,)), 20, 10,
                         scheme=ALL)
    id_color = rgb(object_colors([7])[0])
    assert (tuple(by_id.upper[3, 10]) == id_color) or (tuple(by_id.lower[3, 10]) == id_color)


def test_labels_go_below_at_the_top_fastest_first_never_over_a_box():
    img = np.zeros((20, 40, 3), np.uint8)  # 40x10 cells: one canvas pixel per image pixel
    top = object_state(1, 10.0, 3.0, 8.0, 4.0, speed=20.0)  # its box starts on row 0
    slow = object_state(2, 30.0, 12.0, 8.0, 4.0, speed=10.0)  # box rows 5..7
    fast = object_state(3, 30.0, 12.5, 8.0, 4.0, speed=90.0)  # nearly on top of `slow`
    cells = render_cells(img, tracks(np.zeros((0, 2)), np.zeros((0, 1, 2)),
                                     (top, slow, fast)), 40, 10, scheme=BY_SPEED)
    text = ["".join(chr(c) for c in row if c) for row in cells.text]
    assert text[3] == "#1 20"  # below its box, which has no room above
    assert text[4] == "#3 90" and text[8] == "#2 10"  # the faster one takes the row above
    low = object_state(5, 30.0, 17.5, 8.0, 3.0, speed=50.0)  # box rows 8..9: under the others
    cells = render_cells(img, tracks(np.zeros((0, 2)), np.zeros((0, 1, 2)),
                                     (top, slow, fast, low)), 40, 10, scheme=BY_SPEED)
    text = ["".join(chr(c) for c in row if c) for row in cells.text]
    assert [t for t in text if t] == ["#1 20", "#3 90"]  # #5 and #2 would cover a box
    assert not ((cells.text != 0) & (cells.marks == MARK_BOX)).any()
    calibrated = object_state(4, 20.0, 10.0, 8.0, 4.0, speed=30.0, speed_world=12.4,
                              unit="km/h")
    state = tracks(np.zeros((0, 2)), np.zeros((0, 1, 2)), (calibrated,), unit="km/h")
    cells = render_cells(img, state, 40, 10, scheme=Scheme(scale=SpeedScale(50.0, "km/h")))
    assert any("".join(chr(c) for c in row if c) == "#4 12" for row in cells.text)


def test_overlay_points_lines_labels_and_cursor():
    img = np.zeros((20, 40, 3), np.uint8)
    overlay = Overlay(points=((5, 5),), lines=((0, 15, 39, 15),), labels=((20, 2, "A1"),),
                      cursor=(30, 10))
    cells = render_cells(img, None, 40, 10, overlay=overlay)
    assert cells.marks[2, 5] == MARK_OVERLAY  # the point's cell
    assert (cells.marks[7] == MARK_OVERLAY).sum() >= 39  # the line across row y=15
    assert chr(cells.text[1, 20]) == "A" and chr(cells.text[1, 21]) == "1"
    assert cells.marks[5, 30] == MARK_OVERLAY  # the cursor's centre


def test_gray_picture_keeps_track_colours():
    img = gradient(8, 8)
    cells = render_cells(img, tracks([(1, 1)], speed=60.0), 8, 4, gray=True, scheme=BY_SPEED)
    pic = cells.pixels.astype(int)
    mask = np.ones((8, 8), bool)
    mask[1, 1] = False  # the point's pixel
    assert (pic[mask][:, 0] == pic[mask][:, 1]).all() and (pic[mask][:, 1] == pic[mask][:, 2]).all()
    assert tuple(cells.pixels[1, 1]) == rgb(SCALE.colors([60.0])[0])


def test_track_colours_stable_and_distinct():
    a = track_colors([1, 2, 3, 4, 5])
    np.testing.assert_array_equal(a, track_colors([1, 2, 3, 4, 5]))
    np.testing.assert_array_equal(track_colors([3])[0], a[2])
    assert len({tuple(c) for c in a}) == 5
    assert (a.max(axis=1) == 255).all()  # bright
    assert track_colors([]).shape == (0, 3)

