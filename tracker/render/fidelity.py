"""How faithful a colour mode is: the perceived colour error of its cells against truecolor.

`shown_pixels` turns styled cells back into the RGB a terminal shows, two pixels per cell;
`colour_error` blurs that and the cells' own pixels (truecolor: what the picture is) with a
1-pixel Gaussian, as an eye at a normal distance merges neighbouring half blocks, and gives
the mean CIE76 colour difference (dE in CIELAB) over the picture. About 1 is just visible
side by side; 2-3 reads as the same picture; 10 is plain gray.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.render.cells import Cells, render_cells
from flowtop.tracker.render.dither import to_lab
from flowtop.tracker.render.palette import (
    ASCII_RAMP,
    UPPER_HALF,
    StyledCells,
    style_cells,
    xterm_256,
)

U8 = npt.NDArray[np.uint8]
BLUR_SIGMA = 1.0  # canvas pixels
DEFAULT_RGB = (0, 0, 0)  # the preview's background, where a cell keeps the default colour
OTHER_GLYPH_GRAY = 128  # an ASCII cell's glyph that is not on the ramp (a mark, a label)


def _ascii_grays() -> dict[int, int]:
    """The gray each glyph of the ASCII ramp stands for: the middle of its luma bucket."""
    n = len(ASCII_RAMP)
    return {ord(c): min(255, round((i + 0.5) * 256 / n)) for i, c in enumerate(ASCII_RAMP)}


def code_rgb(codes: npt.NDArray[np.int32], mode: str) -> U8:
    """(...) colour codes of `mode` -> (..., 3) RGB; -1 (default) is DEFAULT_RGB."""
    c = np.asarray(codes, np.int64)
    if mode == "truecolor":
        rgb = np.stack([(c >> 16) & 255, (c >> 8) & 255, c & 255], axis=-1)
    else:
        rgb = xterm_256()[np.clip(c, 0, 255)]
    return np.where((c < 0)[..., None], DEFAULT_RGB, rgb).astype(np.uint8)


def shown_pixels(styled: StyledCells) -> U8:
    """(2*rows, cols, 3) RGB as a terminal shows `styled` (xterm's colours for palette codes).

    `▀` shows its foreground above its background; any other glyph shows the background in
    both halves. In ASCII a ramp glyph stands for its gray on black (light text on a dark
    terminal), other glyphs for OTHER_GLYPH_GRAY.
    """
    rows, cols = styled.fg.shape
    out = np.empty((2 * rows, cols, 3), np.uint8)
    if styled.mode == "ascii":
        grays = _ascii_grays()
        lookup = np.vectorize(lambda g: grays.get(int(g), OTHER_GLYPH_GRAY), otypes=[np.uint8])
        gray = lookup(styled.glyph)
        out[0::2] = out[1::2] = gray[..., None]
        return out
    bg = code_rgb(styled.bg, styled.mode)
    fg = code_rgb(styled.fg, styled.mode)
    out[0::2] = np.where((styled.glyph == UPPER_HALF)[..., None], fg, bg)
    out[1::2] = bg
    return out


def colour_error(cells: Cells, styled: StyledCells, sigma: float = BLUR_SIGMA) -> float:
    """Mean CIE76 dE over the picture between `cells`' pixels and what `styled` shows,
    both blurred with a Gaussian of `sigma` canvas pixels."""
    lay = cells.layout

    def blurred_lab(rgb: U8) -> npt.NDArray[np.float32]:
        smooth = cv2.GaussianBlur(rgb.astype(np.float32), (0, 0), sigma) if sigma > 0 \
            else rgb.astype(np.float32)
        return to_lab(smooth[lay.y0:lay.y0 + lay.h, lay.x0:lay.x0 + lay.w])

    diff = blurred_lab(shown_pixels(styled)) - blurred_lab(cells.pixels)
    return float(np.sqrt((diff * diff).sum(axis=-1)).mean())


def mode_error(image: U8, cols: int, rows: int, mode: str) -> float:
    """The colour error of BGR `image` drawn (without tracks) in cols x rows cells in `mode`."""
    cells = render_cells(image, None, cols, rows)
    return colour_error(cells, style_cells(cells, mode))
