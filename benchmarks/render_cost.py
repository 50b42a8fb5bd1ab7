"""What the engine side of the preview costs per drawn frame: `render_cells` and `style_cells`.

Tracks highway.mp4 with the default parameters (500 tracks at most), keeps every second state
from frame 30 on (the 15 fps preview of a 30 fps source), then draws them as the preview does:
stage `scheme` (the default scheme from a `SchemeStream`), `render` (`render_cells`, trails on,
the preview's `Stabilizer`), `style` (`style_cells`, one `BlockDiffuser` per picture stream)
and `keys` (the style keys its rows are built from). Per preview size and colour mode it
prints the CPU ms per frame of each stage and their total as JSON (per frame the best of
`--rounds` passes, then the median over the frames), a digest of every picture drawn
(equal digests: identical pictures), and what the frame's INTER_AREA resize alone costs
(`resize in render`: part of `render` in every tree, measured the same way).

    python benchmarks/render_cost.py                     # 158x48 and 112x46, 256/truecolor/16
    python benchmarks/render_cost.py --against main      # and main's tracker/, in one run

Sizes: 158x48 is the preview of a 160x50 terminal showing the picture alone (view 1), 112x46
the same terminal's default wide view. `--against REV` loads the tracker/ of git revision REV
beside this tree's (as another package) and draws each frame with both in turn, so that the
load of the machine weighs on both alike; it adds the ratios REV / this tree.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.render.canvas import fit
from flowtop.tracker.sources.open import open_source

ROOT = Path(__file__).resolve().parents[1]
HIGHWAY = ROOT.parent / "shared" / "data" / "highway.mp4"
SIZES = ("158x48", "112x46")
MODES = ("256", "truecolor", "16")
STAGES = ("scheme", "render", "style", "keys")
BASE_PACKAGE = "render_cost_base"  # what --against's tree is imported as


def tracked(spec: str, first: int, count: int, every: int) -> list[Any]:
    """`count` states of `spec`, every `every`-th from frame `first`, tracked from its start."""
    source = open_source(spec, paced=False)
    tracker, states, index = Tracker(Params()), [], 0
    try:
        while len(states) < count:
            frame = source.read()
            if frame is None:
                break
            state = tracker.update(frame)
            if index >= first and (index - first) % every == 0:
                states.append(state)
            index += 1
    finally:
        source.close()
    return states


def export(rev: str, into: Path) -> str:
    """tracker/ of git revision `rev` written under `into`, importable as BASE_PACKAGE.tracker;
    returns the package name."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "tracker"],
                             check=True, capture_output=True).stdout
    (into / BASE_PACKAGE).mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into / BASE_PACKAGE)], input=archive, check=True)
    for path in (into / BASE_PACKAGE).rglob("*.py"):
        text = path.read_text()
        path.write_text(re.sub(r"\bflowtop\.tracker\b", f"{BASE_PACKAGE}.tracker", text))
    sys.path.insert(0, str(into))
    return BASE_PACKAGE


class Drawer:
    """One tree's preview drawing: a scheme stream, stabiliser and diffuser per stream."""

    def __init__(self, package: str) -> None:
        def mod(name: str) -> ModuleType:
            return importlib.import_module(f"{package}.tracker.{name}")

        self.params = mod("config.params").PreviewParams()
        self.render_cells = mod("render.cells").render_cells
        self.style_cells = mod("render.palette").style_cells
        self._palette, self._dither = mod("render.palette"), mod("render.dither")
        self._scheme = mod("render.scheme")
        self.spent: dict[str, list[list[float]]] = {stage: [] for stage in STAGES}
        self.digest = hashlib.sha256()

    def start(self) -> None:
        """A new picture stream (a new pass over the frames)."""
        p = self.params
        self.schemes = self._scheme.SchemeStream(p)
        self.stabilizer = self._palette.Stabilizer(p.quantize_bits, p.hysteresis)
        self.diffuser = self._dither.BlockDiffuser()
        self.digest = hashlib.sha256()
        for times in self.spent.values():
            times.append([])

    def draw(self, state: Any, cols: int, rows: int, mode: str) -> None:
        """Draw `state` as the preview does, timing each stage."""
        spent = {stage: times[-1] for stage, times in self.spent.items()}
        scheme = timed(lambda: self.schemes(state), spent["scheme"])
        cells = timed(lambda: self.render_cells(state.image, state, cols, rows, trails=True,
                                                picture_filter=self.stabilizer, scheme=scheme),
                      spent["render"])
        styled = timed(lambda: self.style_cells(cells, mode, self.diffuser), spent["style"])
        keys = timed(styled.keys, spent["keys"])
        for array in (cells.pixels, cells.marks, cells.blank, cells.text, cells.text_rgb,
                      styled.fg, styled.bg, styled.glyph, keys):
            self.digest.update(array.tobytes())

    def figures(self) -> dict[str, Any]:
        """Per stage the median over frames of each frame's best pass, in ms; the digest."""
        ms = {}
        for stage, passes in self.spent.items():
            best = sorted(min(frame) for frame in zip(*passes))
            ms[stage] = 1000 * best[len(best) // 2]
        ms["total"] = sum(ms.values())
        return {**{k: round(v, 3) for k, v in ms.items()}, "digest": self.digest.hexdigest()[:16]}


def timed(call: Callable[[], Any], into: list[float]) -> Any:
    """call()'s result; its CPU seconds (all threads of the process) appended to `into`."""
    t0 = time.process_time()
    out = call()
    into.append(time.process_time() - t0)
    return out


def measure(states: list[Any], size: str, mode: str, packages: list[str],
            rounds: int) -> tuple[list[dict[str, Any]], float]:
    """Each package's figures for drawing `states` at `size` in `mode`, frame by frame in
    turns (the order swapped every frame), and the ms of the INTER_AREA resize of the frame
    that `render` does (the same in every tree), measured likewise."""
    cols, rows = (int(x) for x in size.split("x"))
    drawers = [Drawer(p) for p in packages]
    h, w = states[0].image.shape[:2]
    layout = fit(w, h, cols, rows)
    resize: list[list[float]] = []
    for _ in range(rounds):
        resize.append([])
        for d in drawers:
            d.start()
        for i, state in enumerate(states):
            for d in drawers[::-1] if i % 2 else drawers:
                d.draw(state, cols, rows, mode)
            timed(partial(cv2.resize, state.image, (layout.w, layout.h),
                          interpolation=cv2.INTER_AREA), resize[-1])
    best = sorted(min(frame) for frame in zip(*resize))
    return [d.figures() for d in drawers], round(1000 * best[len(best) // 2], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(HIGHWAY))
    parser.add_argument("--first", type=int, default=30, help="first frame drawn")
    parser.add_argument("--frames", type=int, default=40, help="frames drawn")
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), metavar="COLSxROWS")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--against", metavar="REV", help="also time tracker/ of this revision")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the frames")
    args = parser.parse_args()
    states = tracked(args.source, args.first, args.frames, 2)
    with tempfile.TemporaryDirectory(prefix="render-cost-") as tmp:
        packages = ["flowtop"]
        if args.against:
            packages.append(export(args.against, Path(tmp)))
        result: dict[str, Any] = {"frames": len(states), "resize in render": {},
                                  "this tree": {}}
        if args.against:
            result |= {args.against: {}, f"{args.against} / this tree": {}}
        for size in args.sizes:
            for key in result:
                if key != "frames":
                    result[key][size] = {}
            for mode in args.modes:
                figures, resize = measure(states, size, mode, packages, args.rounds)
                result["resize in render"][size][mode] = resize
                result["this tree"][size][mode] = now = figures[0]
                if args.against:
                    result[args.against][size][mode] = then = figures[1]
                    ratio = {k: round(then[k] / max(now[k], 1e-6), 2)
                             for k in (*STAGES, "total")}
                    result[f"{args.against} / this tree"][size][mode] = {
                        **ratio, "identical": then["digest"] == now["digest"]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
