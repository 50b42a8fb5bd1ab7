"""Frame to terminal cells: the picture in half-block pixels with the tracks drawn over it.

A terminal cell is about twice as tall as wide, so one cell shows two square pixels: the
upper as the foreground of `▀`, the lower as its background. `render_cells` scales the frame
with INTER_AREA (`shrink`) into a canvas of (2*rows, cols) pixels, letterboxed
(`tracker.render.canvas`), and draws trails, live points, object boxes with their labels
(`tracker.render.track_marks`; which and in what colours: `tracker.render.scheme`) and an
optional overlay into it. Pure numpy/OpenCV: no Python call per cell. Turning the pixels
into terminal colours is `tracker.render.palette`'s job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import TrackState
from flowtop.tracker.render.canvas import (
    MARK_OVERLAY,
    Canvas,
    Layout,
    fit,
)
from flowtop.tracker.render.scheme import DEFAULT_SCHEME, Scheme
from flowtop.tracker.render.track_marks import draw_tracks

U8 = npt.NDArray[np.uint8]
OVERLAY_BGR = (0, 255, 255)
CURSOR_BGR = (255, 0, 255)
CURSOR_ARM = 2  # canvas pixels each side of the cursor's centre
RING_RADIUS = 3  # canvas pixels from a ring's centre to its square


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
    picture = shrink(image, layout.w, layout.h)
    if picture.ndim == 2:
        picture = cv2.cvtColor(picture, cv2.COLOR_GRAY2BGR)
    elif gray:
        picture = cv2.cvtColor(cv2.cvtColor(picture, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
    if picture_filter is not None:
        picture = picture_filter(picture)
    canvas = Canvas(np.zeros((2 * rows, cols, 3), np.uint8),
                    np.zeros((2 * rows, cols), np.uint8), layout)
    canvas.bgr[layout.y0:layout.y0 + layout.h, layout.x0:layout.x0 + layout.w] = picture
    if state is not None:
        draw_tracks(canvas, state, scheme, trails)
    if overlay is not None:
        draw_overlay(canvas, overlay)
    return Cells(pixels=cv2.cvtColor(canvas.bgr, cv2.COLOR_BGR2RGB),
                 marks=np.maximum(canvas.marks[0::2], canvas.marks[1::2]),
                 blank=layout.letterbox & (canvas.text == 0), text=canvas.text,
                 text_rgb=cv2.cvtColor(canvas.text_bgr, cv2.COLOR_BGR2RGB), layout=layout)


def shrink(image: U8, w: int, h: int) -> U8:
    """`image` averaged down to w x h pixels (INTER_AREA), halved first while it stays at
    least twice that size: OpenCV's exact-half path costs a sixth of its general one per
    pixel, so 640x360 to 158x89 takes 0.8 ms instead of 1.4, within a level of the direct
    result on video (the last step still averages two or more pixels each way)."""
    ih, iw = image.shape[:2]
    while not (iw % 2 or ih % 2) and iw >= 4 * w and ih >= 4 * h:
        iw, ih = iw // 2, ih // 2
        image = cv2.resize(image, (iw, ih), interpolation=cv2.INTER_AREA)
    return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


def draw_overlay(canvas: Canvas, overlay: Overlay) -> None:
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
