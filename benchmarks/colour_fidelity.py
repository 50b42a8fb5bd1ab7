"""Colour fidelity per mode: how far each colour mode's picture is from truecolor.

    python benchmarks/colour_fidelity.py                    # highway.mp4 frame 30, 120x34
    python benchmarks/colour_fidelity.py --compare          # and the mappings weighed
    python benchmarks/colour_fidelity.py VIDEO --frame 60 --size 80x22
    python benchmarks/colour_fidelity.py --time --size 160x48  # what the dithering costs

The figure is `tracker.render.fidelity`'s (the one `flowtop bench` and the tests use): the
mean CIE76 dE in CIELAB between the mode's picture, in xterm's colours, and the truecolor
picture, both blurred by a 1-pixel Gaussian, tracks hidden. `--compare` also measures the
mappings considered for 256 and 16 colours: nearest by RGB distance (flowtop before),
nearest in CIELAB, ordered dithering (a 4x4 Bayer pattern over 16 candidate colours, Knoll's
method), error diffusion over the whole frame (Floyd-Steinberg: best on one frame, but a
changed pixel changes every pixel after it), and the block-local error diffusion flowtop
uses. The dithered ones take the mode's nearest colours (CIELAB for 256, RGB for 16).

`--time` draws 30 frames (every second one, as the 15 fps preview does) through the
preview's stabiliser and `style_cells` with the preview's `BlockDiffuser`, and prints the
CPU time (best of 5 passes, so other work on the box counts little) of a typical frame and
of a full repaint per mode: what dithering adds to 256 and 16 colours shows against
truecolor, which costs what 256 and 16 colours cost before it (a table lookup per pixel).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from flowtop.tracker.render.cells import Cells, render_cells
from flowtop.tracker.render.dither import BlockDiffuser, build_palette
from flowtop.tracker.render.fidelity import colour_error
from flowtop.tracker.render.palette import (
    MODES,
    UPPER_HALF,
    Stabilizer,
    StyledCells,
    style_cells,
    xterm_256,
    xterm_palette,
)

ROOT = Path(__file__).resolve().parents[1]
VIDEO = ROOT.parent / "shared" / "data" / "highway.mp4"
GOALS = {"256": 3.0, "16": 8.0}
BAYER_4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])
KNOLL_ERROR = 0.6  # share of the error fed back per candidate (best of 0.5-1.5 measured)


def read_frame(path: str, index: int) -> np.ndarray:
    capture = cv2.VideoCapture(path)
    image = None
    for _ in range(index + 1):
        ok, frame = capture.read()
        if not ok:
            break
        image = frame
    capture.release()
    if image is None:
        sys.exit(f"colour_fidelity: no frame in {path}")
    return image


def as_styled(codes: np.ndarray, mode: str) -> StyledCells:
    """Per-pixel codes (2*rows, cols) as half-block cells."""
    up, low = codes[0::2], codes[1::2]
    return StyledCells(up.astype(np.int32), low.astype(np.int32),
                       np.full(up.shape, UPPER_HALF, np.uint32), mode)


def palette_of(mode: str) -> tuple[np.ndarray, np.ndarray]:
    codes = np.arange(16, 256) if mode == "256" else np.arange(16)
    return codes, xterm_256()[codes].astype(np.float32)


def nearest_rgb(pixels: np.ndarray, mode: str) -> np.ndarray:
    codes, rgb = palette_of(mode)
    flat = pixels.reshape(-1, 3).astype(np.float32)
    d = (flat ** 2).sum(1)[:, None] - 2 * flat @ rgb.T + (rgb ** 2).sum(1)[None]
    return codes[d.argmin(axis=1)].reshape(pixels.shape[:2])


def ordered(pixels: np.ndarray, mode: str) -> np.ndarray:
    """Knoll's pattern dithering: 16 candidates per pixel, the Bayer cell picks one."""
    palette = xterm_palette(mode)
    rgb = xterm_256().astype(np.float32)
    target = pixels.reshape(-1, 3).astype(np.float32)
    error = np.zeros_like(target)
    candidates = []
    for _ in range(BAYER_4.size):
        code = palette.nearest(target + KNOLL_ERROR * error)
        candidates.append(code)
        error += target - rgb[code]
    stack = np.stack(candidates, axis=1)
    luma = rgb[stack] @ np.array([0.299, 0.587, 0.114], np.float32)
    stack = np.take_along_axis(stack, np.argsort(luma, axis=1, kind="stable"), axis=1)
    h, w = pixels.shape[:2]
    rank = BAYER_4[np.arange(h)[:, None] % 4, np.arange(w)[None, :] % 4].ravel()
    return stack[np.arange(h * w), rank].reshape(h, w)


def floyd_steinberg(pixels: np.ndarray, mode: str) -> np.ndarray:
    palette = xterm_palette(mode)
    rgb = xterm_256().astype(np.float32)
    work = pixels.astype(np.float32)
    h, w = work.shape[:2]
    out = np.zeros((h, w), np.int32)
    for y in range(h):
        for x in range(w):
            code = int(palette.nearest(work[y, x]))
            out[y, x] = code
            e = work[y, x] - rgb[code]
            if x + 1 < w:
                work[y, x + 1] += e * 7 / 16
            if y + 1 < h:
                if x > 0:
                    work[y + 1, x - 1] += e * 3 / 16
                work[y + 1, x] += e * 5 / 16
                if x + 1 < w:
                    work[y + 1, x + 1] += e / 16
    return out


def cpu_ms(work: Callable[[], object], repeats: int = 5) -> float:
    """Best CPU time of `work()` over `repeats` passes, in ms."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        work()
        best = min(best, time.process_time() - t0)
    return 1000 * best


def timing(video: str, cols: int, rows: int) -> None:
    capture = cv2.VideoCapture(video)
    stabilizer = Stabilizer(8, 16)
    frames = []
    while len(frames) < 30:
        ok, image = capture.read()
        if not ok:
            break
        if int(capture.get(cv2.CAP_PROP_POS_FRAMES)) % 2:
            frames.append(render_cells(image, None, cols, rows, picture_filter=stabilizer))
    capture.release()
    n = len(frames) - 1
    print(f"\nCPU ms per frame, {cols}x{rows}, {n} typical frames after a first one")
    print(f"{'mode':<10} {'typical':>8} {'full':>8}")
    for mode in MODES:
        best = float("inf")
        for _ in range(5):  # best of 5 passes, each with a fresh diffuser
            diffuser = BlockDiffuser()
            style_cells(frames[0], mode, diffuser)
            t0 = time.process_time()
            for cells in frames[1:]:
                style_cells(cells, mode, diffuser)
            best = min(best, time.process_time() - t0)
        full = cpu_ms(lambda mode=mode: [style_cells(c, mode) for c in frames]) / len(frames)
        print(f"{mode:<10} {1000 * best / n:8.2f} {full:8.2f}")


def compare(cells: Cells) -> None:
    ways = {"nearest, RGB distance (before)": nearest_rgb,
            "nearest, CIELAB": lambda p, m: build_palette(*palette_of(m), "lab").nearest(p),
            "ordered (Bayer 4x4, Knoll)": ordered,
            "error diffusion, whole frame": floyd_steinberg}
    print(f"\n{'mapping':<36} {'256':>6} {'16':>6}")
    for name, way in ways.items():
        errors = [colour_error(cells, as_styled(way(cells.pixels, m), m)) for m in ("256", "16")]
        print(f"{name:<36} {errors[0]:6.2f} {errors[1]:6.2f}")
    shipped = [colour_error(cells, style_cells(cells, m)) for m in ("256", "16")]
    print(f"{'error diffusion in 2x4 blocks (now)':<36} {shipped[0]:6.2f} {shipped[1]:6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("video", nargs="?", default=str(VIDEO))
    parser.add_argument("--frame", type=int, default=30)
    parser.add_argument("--size", default="120x34", help="COLSxROWS (default 120x34)")
    parser.add_argument("--compare", action="store_true", help="also weigh other mappings")
    parser.add_argument("--time", action="store_true", help="also time the colour modes")
    args = parser.parse_args()
    cols, rows = (int(n) for n in args.size.lower().split("x"))
    cells = render_cells(read_frame(args.video, args.frame), None, cols, rows)
    print(f"{Path(args.video).name} frame {args.frame}, {cols}x{rows} cells, tracks hidden: "
          "mean dE against truecolor after a 1-pixel blur")
    for mode in MODES:
        error = colour_error(cells, style_cells(cells, mode))
        goal = f"  (goal <= {GOALS[mode]:g})" if mode in GOALS else ""
        print(f"{mode:<10} {error:6.2f}{goal}")
    if args.compare:
        compare(cells)
    if args.time:
        timing(args.video, cols, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
