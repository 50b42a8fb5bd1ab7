"""`flowtop bench [SOURCE]`: the command line; the measuring lives in `tui.cli.benchmark`,
loaded only when the command runs (it pulls in OpenCV and Textual's rendering)."""

from __future__ import annotations

import argparse
from pathlib import Path

from flowtop.tui.cli.options import at_least, number_in, parse_size

DEFAULT_FRAMES = 120
DEFAULT_LINK_KBPS = 300.0
SAMPLE_VIDEO = Path("..") / "shared" / "data" / "highway.mp4"


def register(p: argparse.ArgumentParser) -> None:
    p.description = ("Measure decode and tracking rates (against a bare OpenCV loop) and, per "
                     "colour mode, the time and bytes of the preview, for the current config.")
    p.add_argument("source", nargs="?", default=None,
                   help=f"what to measure (default: {SAMPLE_VIDEO} if present, else demo)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--size", type=parse_size, default=None, metavar="COLSxROWS",
                   help="preview size in cells (default: what this terminal would give)")
    p.add_argument("--link-kbps", type=number_in(0, 1e7, lo_open=True),
                   default=DEFAULT_LINK_KBPS, metavar="K",
                   help=f"link speed in KB/s for the preview fps it allows "
                        f"(default {DEFAULT_LINK_KBPS:g})")
    p.add_argument("--frames", type=at_least(2), default=DEFAULT_FRAMES, metavar="N",
                   help=f"frames to decode and track (default {DEFAULT_FRAMES})")
    p.set_defaults(func=run)


def default_source() -> str:
    """The sample highway video next to the project (or the working directory), else demo."""
    root = Path(__file__).resolve().parents[2]  # the project: tui/cli/bench.py -> ../..
    for base in (Path.cwd(), root):
        if (base / SAMPLE_VIDEO).is_file():
            return str((base / SAMPLE_VIDEO).resolve())
    return "demo"


def run(args: argparse.Namespace) -> int:
    from flowtop.tui.cli.benchmark import run as run_bench

    args.source = args.source or default_source()
    return run_bench(args)
