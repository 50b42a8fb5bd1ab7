"""Where a picture sits in a half-block grid, and the canvas the preview draws into.

A terminal cell is about twice as tall as wide, so one cell shows two square pixels: a grid
of cols x rows cells is a canvas of (2*rows, cols) pixels. `fit` places the picture in it,
letterboxed; `Canvas` holds the BGR pixels being drawn and, per pixel, what was drawn there
(MARK_*), with the label characters of each cell.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

A = TypeVar("A", bound=np.ndarray)
U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
# what a cell shows besides the picture; larger wins when two halves differ
MARK_NONE, MARK_TRAIL, MARK_BOX, MARK_OVERLAY, MARK_POINT = range(5)


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

    @functools.cached_property
    def _scale(self) -> F32:
        return _frozen(np.array([self.sx, self.sy], np.float32))

    @functools.cached_property
    def _origin(self) -> F32:
        return _frozen(np.array([self.x0, self.y0], np.float32))

    @functools.cached_property
    def corner(self) -> npt.NDArray[np.int32]:
        """(x0, y0) as an int32 array."""
        return _frozen(np.array([self.x0, self.y0], np.int32))

    @functools.cached_property
    def extent(self) -> npt.NDArray[np.uint32]:
        """(w, h) as a uint32 array."""
        return _frozen(np.array([self.w, self.h], np.uint32))

    def uv(self, xy: F32) -> F32:
        """(..., 2) float32 image pixels -> continuous canvas coordinates, same shape."""
        return (xy + np.float32(0.5)) * self._scale + self._origin

    def to_canvas(self, xy: npt.ArrayLike) -> F32:
        """(N, 2) image pixels -> (N, 2) continuous canvas coordinates (u, v)."""
        return self.uv(np.asarray(xy, np.float32).reshape(-1, 2))

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

    @functools.cached_property
    def letterbox(self) -> npt.NDArray[np.bool_]:
        """(rows, cols) read-only: cells with no picture pixel in either half."""
        pic_rows = np.zeros(2 * self.rows, bool)
        pic_rows[self.y0:self.y0 + self.h] = True
        pic_cols = np.zeros(self.cols, bool)
        pic_cols[self.x0:self.x0 + self.w] = True
        return _frozen(~((pic_rows[0::2] | pic_rows[1::2])[:, None] & pic_cols[None, :]))


def _frozen(a: A) -> A:
    """`a`, read-only: a Layout is shared (`fit` is cached) and never changes."""
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=32)
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


@dataclass
class Canvas:
    """The BGR pixels being drawn, a parallel layer of MARK_* values, and per cell a label's
    character (code point, 0 for none) and its BGR colour."""

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
        inside = (ij - lay.corner).view(np.uint32) < lay.extent  # left of it wraps round
        return inside[:, 0] & inside[:, 1]

    def _at(self, xy: npt.ArrayLike, bgr: npt.ArrayLike
            ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], U8]:
        """Canvas pixel (u, v) under each image point (N, 2) on the picture, and its colour."""
        ij = np.floor(self.layout.to_canvas(xy)).astype(np.int32)
        colors = np.asarray(bgr, np.uint8)
        inside = self.on_picture(ij)
        if np.count_nonzero(inside) < len(inside):
            ok = inside.nonzero()[0]
            ij = ij.take(ok, axis=0)
            colors = colors.take(ok, axis=0) if colors.ndim == 2 else colors
        if colors.ndim == 1:
            colors = np.broadcast_to(colors, (len(ij), 3))
        return ij[:, 0], ij[:, 1], colors

    def fill_cells(self, xy: npt.ArrayLike, bgr: npt.ArrayLike, mark: int) -> None:
        """Paint both halves of the cell under each image point (N, 2) in its colour (N, 3)
        or in one colour (3,)."""
        u, v, colors = self._at(xy, bgr)
        top = v & ~1
        for row in (top, top + 1):
            self.bgr[row, u] = colors
            self.marks[row, u] = mark

    def fill_pixels(self, xy: npt.ArrayLike, bgr: npt.ArrayLike, mark: int) -> None:
        """Paint the one canvas pixel (half a cell) under each image point (N, 2)."""
        u, v, colors = self._at(xy, bgr)
        self.bgr[v, u] = colors
        self.marks[v, u] = mark
