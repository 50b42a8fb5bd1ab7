"""Frame to terminal cells: the picture in half-block pixels with the tracks drawn over it.

A terminal cell is about twice as tall as wide, so one cell shows two square pixels: the
upper as the foreground of `▀`, the lower as its background. `render_cells` scales the frame
with INTER_AREA into a canvas of (2*rows, cols) pixels, letterboxed, and draws trails, live
points, object boxes with their labels (which and in what colours: `tracker.render.scheme`)
and an optional overlay into it. Pure numpy/OpenCV: no Python call per cell. Turning the
pixels into terminal colours is `tracker.render.palette`'s job.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import ObjectState, TrackState
from flowtop.tracker.render.colors import TRAIL_BANDS, TRAIL_MIN_ALPHA
from flowtop.tracker.render.scheme import DEFAULT_SCHEME, Scheme, object_speed, paint

U8 = npt.NDArray[np.uint8]
# what a cell shows besides the picture; larger wins when two halves differ
MARK_NONE, MARK_TRAIL, MARK_BOX, MARK_OVERLAY, MARK_POINT = range(5)
TRAIL_MAX_STEPS = 32  # samples per trail segment at most (segments are a few pixels long)
OVERLAY_BGR = (0, 255, 255)
CURSOR_BGR = (255, 0, 255)
CURSOR_ARM = 2  # canvas pixels each side of the cursor's centre
RING_RADIUS = 3  # canvas pixels from a ring's centre to its square


@dataclass(frozen=True)
class Layout:
    """Where the picture sits in a cols x rows cell grid (a (2*rows, cols) pixel canvas).

    The picture covers canvas pixels x0..x0+w-1, y0..y0+h-1. Coordinates named u, v are
    continuous canvas coordinates (pixel px spans [px, px+1)); image pixel centres are
    integers, as in OpenCV.
    """

    cols: int
    rows: int
    image_w: int
    image_h: int
    x0: int
    y0: int
    w: int
    h: int

    @property
    def sx(self) -> float:
        """Canvas pixels per image pixel, horizontally."""
        return self.w / self.image_w

    @property
    def sy(self) -> float:
        """Canvas pixels per image pixel, vertically."""
        return self.h / self.image_h

    def to_canvas(self, xy: npt.ArrayLike) -> npt.NDArray[np.float32]:
        """(N, 2) image pixels -> (N, 2) continuous canvas coordinates (u, v)."""
        xy = np.asarray(xy, np.float32).reshape(-1, 2)
        uv = np.empty_like(xy)
        uv[:, 0] = (xy[:, 0] + 0.5) * self.sx + self.x0
        uv[:, 1] = (xy[:, 1] + 0.5) * self.sy + self.y0
        return uv

    def to_image(self, u: float, v: float) -> tuple[float, float]:
        """Continuous canvas coordinates -> image pixel coordinates."""
        return (u - self.x0) / self.sx - 0.5, (v - self.y0) / self.sy - 0.5

    def inside(self, u: float, v: float) -> bool:
        """Whether canvas point (u, v) falls on the picture (not the letterbox)."""
        return self.x0 <= u < self.x0 + self.w and self.y0 <= v < self.y0 + self.h

    def cell_to_image(self, col: float, row: float, within: float = 0.5
                      ) -> tuple[float, float] | None:
        """Image pixel under cell (col, row), or None on the letterbox.

        `within` is the height inside the cell, 0 (top) to 1 (bottom): 0.25 is the centre of
        the upper pixel, 0.75 of the lower, 0.5 the cell's centre (between the two).
        """
        on_cols = self.x0 <= col < self.x0 + self.w
        on_rows = self.y0 < 2 * row + 2 and 2 * row < self.y0 + self.h
        if not (on_cols and on_rows):
            return None
        return self.clamp_image(*self.to_image(col + 0.5, 2 * (row + within)))

    def image_to_cell(self, x: float, y: float) -> tuple[int, int, int]:
        """(col, row, half) showing image pixel (x, y); half is 0 upper, 1 lower."""
        u, v = self.to_canvas([(x, y)])[0]
        py = math.floor(v)
        return math.floor(u), py // 2, py % 2

    def clamp_image(self, x: float, y: float) -> tuple[float, float]:
        """(x, y) moved inside the image."""
        return (min(max(x, 0.0), self.image_w - 1.0), min(max(y, 0.0), self.image_h - 1.0))


def fit(image_w: int, image_h: int, cols: int, rows: int, scale: float = 1.0) -> Layout:
    """The largest picture with the image's aspect ratio inside `scale` of the grid, centred.

    The top edge is an even canvas row, so the picture starts at the top of a cell.
    """
    if image_w < 1 or image_h < 1 or cols < 1 or rows < 1:
        raise ValueError(f"fit: empty image {image_w}x{image_h} or grid {cols}x{rows}")
    box_w = max(1, min(cols, round(cols * scale)))
    box_h = max(1, min(2 * rows, round(2 * rows * scale)))
    s = min(box_w / image_w, box_h / image_h)
    w = min(box_w, max(1, round(image_w * s)))
    h = min(box_h, max(1, round(image_h * s)))
    return Layout(cols, rows, image_w, image_h, (cols - w) // 2, (2 * rows - h) // 4 * 2, w, h)


@dataclass(frozen=True)
class Overlay:
    """Extra marks in image pixels: picked points, lines, text labels and a cursor.

    Colours are BGR, as in OpenCV. Labels are written in cells starting at their point.
    """

    points: tuple[tuple[float, float], ...] = ()
    lines: tuple[tuple[float, float, float, float], ...] = ()
    labels: tuple[tuple[float, float, str], ...] = ()
    cursor: tuple[float, float] | None = None
    rings: tuple[tuple[float, float], ...] = ()  # a square around each (a selected track)
    color: tuple[int, int, int] = OVERLAY_BGR


@dataclass(frozen=True)
class Cells:
    """A cols x rows grid of half-block cells.

    pixels (2*rows, cols, 3) uint8 RGB: row 2r is the upper half of cell row r, 2r+1 the lower.
    marks (rows, cols) uint8: MARK_* drawn in the cell (for the ASCII mode's glyphs).
    blank (rows, cols) bool: the cell is letterbox only.
    text (rows, cols) uint32: a label's character (code point) or 0; text_rgb its colour.
    """

    pixels: U8
    marks: U8
    blank: npt.NDArray[np.bool_]
    text: npt.NDArray[np.uint32]
    text_rgb: U8
    layout: Layout

    @property
    def upper(self) -> U8:
        return self.pixels[0::2]

    @property
    def lower(self) -> U8:
        return self.pixels[1::2]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols)."""
        rows, cols = self.marks.shape
        return rows, cols


@dataclass
class _Canvas:
    """The BGR pixels being drawn and a parallel layer of MARK_* values."""

    bgr: U8
    marks: U8
    layout: Layout
    text: npt.NDArray[np.uint32] = field(init=False)
    text_bgr: U8 = field(init=False)

    def __post_init__(self) -> None:
        rows, cols = self.layout.rows, self.layout.cols
        self.text = np.zeros((rows, cols), np.uint32)
        self.text_bgr = np.zeros((rows, cols, 3), np.uint8)

    def on_picture(self, ij: npt.NDArray[np.int32]) -> npt.NDArray[np.bool_]:
        """Which (N, 2) integer canvas points (u, v) fall on the picture."""
        lay = self.layout
        return ((ij[:, 0] >= lay.x0) & (ij[:, 0] < lay.x0 + lay.w)
                & (ij[:, 1] >= lay.y0) & (ij[:, 1] < lay.y0 + lay.h))

    def fill_cells(self, xy: npt.ArrayLike, bgr: npt.ArrayLike, mark: int) -> None:
        """Paint both halves of the cell under each image point (N, 2) in its colour (N, 3)."""
        ij = np.floor(self.layout.to_canvas(xy)).astype(np.int32)
        ok = self.on_picture(ij)
        ij, colors = ij[ok], np.broadcast_to(np.asarray(bgr, np.uint8), (len(ok), 3))[ok]
        top = ij[:, 1] & ~1
        for v in (top, top + 1):
            self.bgr[v, ij[:, 0]] = colors
            self.marks[v, ij[:, 0]] = mark

    def fill_pixels(self, xy: npt.ArrayLike, bgr: npt.ArrayLike, mark: int) -> None:
        """Paint the one canvas pixel (half a cell) under each image point (N, 2)."""
        ij = np.floor(self.layout.to_canvas(xy)).astype(np.int32)
        ok = self.on_picture(ij)
        ij, colors = ij[ok], np.broadcast_to(np.asarray(bgr, np.uint8), (len(ok), 3))[ok]
        self.bgr[ij[:, 1], ij[:, 0]] = colors
        self.marks[ij[:, 1], ij[:, 0]] = mark


def render_cells(image: U8, state: TrackState | None, cols: int, rows: int, *,
                 trails: bool = True,
                 gray: bool = False, overlay: Overlay | None = None, scale: float = 1.0,
                 picture_filter: Callable[[U8], U8] | None = None,
                 scheme: Scheme = DEFAULT_SCHEME) -> Cells:
    """The BGR `image` in a cols x rows half-block grid, with `state`'s tracks over it.

    `state` gives the live points, trails (when `trails`) and object boxes with their id and
    speed (None: the picture alone); `scheme` says which tracks show and in what colours
    (`tracker.render.scheme`): by default static tracks are hidden, moving ones are a pixel
    and a trail in their speed's colour, an object is its box, label and one trail.
    `gray` shows the picture in gray (tracks keep their colours); `scale` shrinks the
    picture inside the grid; `picture_filter` maps the scaled picture before anything is
    drawn over it (quantisation, hysteresis: see `tracker.render.palette.Stabilizer`).
    """
    h_img, w_img = image.shape[:2]
    layout = fit(w_img, h_img, cols, rows, scale)
    picture = cv2.resize(image, (layout.w, layout.h), interpolation=cv2.INTER_AREA)
    if picture.ndim == 2:
        picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
    elif gray:
        picture = cv2.cvtColor(cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if picture_filter is not None:
        picture = picture_filter(picture)
    canvas = _Canvas(np.zeros((2 * rows, cols, 3), np.uint8),
                     np.zeros((2 * rows, cols), np.uint8), layout)
    canvas.bgr[layout.y0:layout.y0 + layout.h, layout.x0:layout.x0 + layout.w] = picture
    if state is not None:
        draw_tracks(canvas, state, scheme, trails)
    if overlay is not None:
        draw_overlay(canvas, overlay)
    pic_rows = np.zeros(2 * rows, bool)
    pic_rows[layout.y0:layout.y0 + layout.h] = True
    pic_cols = np.zeros(cols, bool)
    pic_cols[layout.x0:layout.x0 + layout.w] = True
    on_picture = (pic_rows[0::2] | pic_rows[1::2])[:, None] & pic_cols[None, :]
    return Cells(pixels=cv2.cvtColor(canvas.bgr, cv2.COLOR_BGR2RGB),
                 marks=np.maximum(canvas.marks[0::2], canvas.marks[1::2]),
                 blank=~on_picture & (canvas.text == 0), text=canvas.text,
                 text_rgb=canvas.text_bgr[..., ::-1].copy(), layout=layout)


def draw_tracks(canvas: _Canvas, state: TrackState, scheme: Scheme, trails: bool) -> None:
    """`state`'s trails, object boxes and labels, and points, as `scheme` paints them."""
    look = paint(state, scheme)
    if trails and look.trailed.any():
        keep = look.trailed
        draw_trails(canvas, state.trails[keep], state.trail_len[keep], look.colors[keep])
    corners = _box_corners(canvas.layout, state.objects)
    draw_objects(canvas, corners, look.object_bgr)
    if scheme.all_tracks:
        canvas.fill_cells(state.pts, look.colors, MARK_POINT)
    elif look.marked.any():
        canvas.fill_pixels(state.pts[look.marked], look.colors[look.marked], MARK_POINT)
    if state.objects:
        draw_labels(canvas, state.objects, corners, look.object_bgr, state.calibrated)


def draw_trails(canvas: _Canvas, trails: npt.NDArray[np.float32],
                trail_len: npt.NDArray[np.int32], colors: U8) -> None:
    """Each trail (N, L, 2), newest first, as a line fading from its colour into the picture.

    Trails that never leave their point's cell are hidden under the point and skipped. The
    rest are sampled once per canvas pixel of length, all tracks at once; older segments are
    written first so newer ones cover them.
    """
    n, length = trails.shape[:2]
    if n == 0 or length < 2:
        return
    uv = canvas.layout.to_canvas(trails.reshape(-1, 2)).reshape(n, length, 2)
    px = np.floor(uv).astype(np.int32)
    cell = (px[..., 1] >> 1) * canvas.layout.cols + px[..., 0]  # (N, L) cell index
    valid = np.arange(length)[None, :] < np.asarray(trail_len)[:, None]
    moving = ((cell != cell[:, :1]) & valid).any(axis=1)
    if not moving.any():
        return
    uv, valid, track_ids = uv[moving], valid[moving], np.flatnonzero(moving)
    m = len(uv)
    # segment j runs from point j (newer) to j+1 (older); order them oldest first
    a = uv[:, :-1].transpose(1, 0, 2)[::-1].reshape(-1, 2)
    b = uv[:, 1:].transpose(1, 0, 2)[::-1].reshape(-1, 2)
    ok = valid[:, 1:].T[::-1].reshape(-1)
    age = np.repeat(np.arange(length - 2, -1, -1, dtype=np.float32), m)[ok]
    track = np.tile(track_ids, length - 1)[ok]
    a, b = a[ok], b[ok]
    if not len(a):
        return
    counts = np.clip(np.ceil(np.abs(b - a).max(axis=1)), 1, TRAIL_MAX_STEPS).astype(np.int64)
    seg = np.repeat(np.arange(len(a)), counts)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
    s = (k / counts[seg]).astype(np.float32)
    samples = a[seg] + (b - a)[seg] * s[:, None]
    # fade in a few steps of age: a trail's older part keeps its colour from frame to frame
    band = np.minimum(np.floor((age[seg] + s) / (length - 1) * TRAIL_BANDS), TRAIL_BANDS - 1)
    fade = 1.0 - (1.0 - TRAIL_MIN_ALPHA) * band / max(1, TRAIL_BANDS - 1)
    ij = np.floor(samples).astype(np.int32)
    keep = canvas.on_picture(ij)
    flat = ij[keep, 1] * canvas.layout.cols + ij[keep, 0]
    alpha = (fade[keep] * 256).astype(np.uint16)[:, None]
    pixels = canvas.bgr.reshape(-1, 3)
    under = pixels[flat].astype(np.uint16)
    pixels[flat] = ((alpha * colors[track[seg[keep]]] + (256 - alpha) * under) >> 8
                    ).astype(np.uint8)
    marks = canvas.marks.reshape(-1)
    marks[flat] = np.maximum(marks[flat], MARK_TRAIL)


def _box_corners(layout: Layout, objects: Sequence[ObjectState]) -> npt.NDArray[np.int32]:
    """(M, 4) canvas pixels u0, v0, u1, v1 of each object's box corners."""
    boxes = np.array([(o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2)
                      for o in objects], np.float32).reshape(-1, 2)
    return np.floor(layout.to_canvas(boxes)).astype(np.int32).reshape(-1, 4)


def draw_objects(canvas: _Canvas, corners: npt.NDArray[np.int32], colors: U8) -> None:
    """Each object's box outline (`corners` (M, 4) from `_box_corners`) in its colour
    (`colors` (M, 3) BGR)."""
    for (u0, v0, u1, v1), color in zip(corners.tolist(), colors.tolist()):
        cv2.rectangle(canvas.bgr, (u0, v0), (u1, v1), color, 1)
        cv2.rectangle(canvas.marks, (u0, v0), (u1, v1), MARK_BOX, 1)


def object_label(obj: ObjectState, calibrated: bool) -> str:
    """'#16 94': the object's id and its speed in the scale's unit (id alone without one)."""
    speed = object_speed(obj, calibrated)
    return f"#{obj.id} {speed:.0f}" if math.isfinite(speed) else f"#{obj.id}"


def draw_labels(canvas: _Canvas, objects: Sequence[ObjectState],
                corners: npt.NDArray[np.int32], colors: U8, calibrated: bool) -> None:
    """Each object's label in its colour, in the cell row above its box (below it at the
    top edge), fastest object first, where it covers no other label and no box."""
    layout = canvas.layout
    boxes = np.maximum(canvas.marks[0::2], canvas.marks[1::2]) == MARK_BOX
    speeds = [object_speed(o, calibrated) for o in objects]
    order = sorted(range(len(objects)),
                   key=lambda k: -speeds[k] if math.isfinite(speeds[k]) else math.inf)
    for k in order:
        u0, v0, _u1, v1 = (int(c) for c in corners[k])
        codes = np.frombuffer(object_label(objects[k], calibrated).encode("utf-32-le"),
                              np.uint32)
        codes = codes[:layout.cols]
        start = min(max(u0, 0), layout.cols - len(codes))
        end = start + len(codes)
        for row in (v0 // 2 - 1, v1 // 2 + 1):
            if 0 <= row < layout.rows and not (canvas.text[row, start:end].any()
                                               or boxes[row, start:end].any()):
                canvas.text[row, start:end] = codes
                canvas.text_bgr[row, start:end] = colors[k]
                break


def draw_overlay(canvas: _Canvas, overlay: Overlay) -> None:
    """Lines, points, labels and the cursor of `overlay`, in image pixels."""
    layout, color = canvas.layout, tuple(int(c) for c in overlay.color)
    for x1, y1, x2, y2 in overlay.lines:
        uv = np.floor(layout.to_canvas([(x1, y1), (x2, y2)])).astype(int)
        p1, p2 = (int(uv[0, 0]), int(uv[0, 1])), (int(uv[1, 0]), int(uv[1, 1]))
        cv2.line(canvas.bgr, p1, p2, color, 1)
        cv2.line(canvas.marks, p1, p2, MARK_OVERLAY, 1)
    if overlay.points:
        canvas.fill_cells(np.asarray(overlay.points, np.float32), color, MARK_OVERLAY)
    for ring in overlay.rings:
        u, v = np.floor(layout.to_canvas([ring])[0]).astype(int)
        r = RING_RADIUS
        cv2.rectangle(canvas.bgr, (u - r, v - r), (u + r, v + r), CURSOR_BGR, 1)
        cv2.rectangle(canvas.marks, (u - r, v - r), (u + r, v + r), MARK_OVERLAY, 1)
    if overlay.cursor is not None:
        u, v = np.floor(layout.to_canvas([overlay.cursor])[0]).astype(int)
        arm = CURSOR_ARM
        for p1, p2 in (((u - arm, v), (u + arm, v)), ((u, v - arm), (u, v + arm))):
            cv2.line(canvas.bgr, p1, p2, CURSOR_BGR, 1)
            cv2.line(canvas.marks, p1, p2, MARK_OVERLAY, 1)
    for x, y, label in overlay.labels:
        col, row, _ = layout.image_to_cell(x, y)
        if not 0 <= row < layout.rows or col >= layout.cols:
            continue
        codes = np.frombuffer(label.encode("utf-32-le"), np.uint32)
        start = max(col, 0)
        codes = codes[start - col:][:layout.cols - start]
        canvas.text[row, start:start + len(codes)] = codes
        canvas.text_bgr[row, start:start + len(codes)] = color
