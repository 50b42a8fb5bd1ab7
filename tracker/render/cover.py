"""How much of the picture the tracks overlay hides: its *cover*.

The cover is the share of the picture's canvas pixels (two per cell, the letterbox left out)
that the overlay changes strongly: a CIE76 colour difference (Euclidean distance in CIELAB)
above STRONG_DE between the frame drawn with its tracks and the same frame drawn without
them, both in truecolor. A cell that shows a label's character counts as changed in both
halves (its glyph stands where the picture was). 20 is a colour plainly different at a
glance; a faint mark stays below it.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import TrackState
from flowtop.tracker.render.cells import Cells, render_cells
from flowtop.tracker.render.scheme import DEFAULT_SCHEME, Scheme

U8 = npt.NDArray[np.uint8]
STRONG_DE = 20.0


def to_lab(rgb: U8) -> npt.NDArray[np.float32]:
    """(..., 3) uint8 RGB (sRGB) -> (..., 3) float32 CIELAB (L 0..100)."""
    shape = rgb.shape
    flat = np.ascontiguousarray(rgb, np.float32).reshape(-1, 1, 3) / np.float32(255.0)
    return cv2.cvtColor(flat, cv2.COLOR_RGB2Lab).reshape(shape)


def delta_e76(a: U8, b: U8) -> npt.NDArray[np.float32]:
    """CIE76 colour difference between two (..., 3) RGB arrays, per pixel."""
    diff: npt.NDArray[np.float32] = np.linalg.norm(to_lab(a) - to_lab(b), axis=-1)
    return diff


def cells_cover(drawn: Cells, bare: Cells, threshold: float = STRONG_DE) -> float:
    """The share of picture pixels `drawn` changes from `bare` (the same frame, same grid,
    no tracks) by more than `threshold` dE, or shows a label over."""
    if drawn.layout != bare.layout:
        raise ValueError("cells_cover: the two grids differ")
    lay = drawn.layout
    rows, cols = slice(lay.y0, lay.y0 + lay.h), slice(lay.x0, lay.x0 + lay.w)
    strong = delta_e76(drawn.pixels[rows, cols], bare.pixels[rows, cols]) > threshold
    texted = np.repeat(drawn.text != 0, 2, axis=0)[rows, cols]
    return float((strong | texted).mean())


def overlay_cover(state: TrackState, cols: int, rows: int, scheme: Scheme = DEFAULT_SCHEME,
                  threshold: float = STRONG_DE) -> float:
    """The cover of `state`'s tracks on its own frame in a cols x rows grid under `scheme`
    (trails on, as the preview starts)."""
    drawn = render_cells(state.image, state, cols, rows, scheme=scheme)
    bare = render_cells(state.image, None, cols, rows)
    return cells_cover(drawn, bare, threshold)
