"""Time `flowtop track FILE` against a bare OpenCV decode + LK + FB loop, same file, same run.

Both run as fresh processes (each pays interpreter and import start-up), alternating, `--runs`
times each; the ratio compares the medians: flowtop fps / bare fps (goal >= 0.95).

    python benchmarks/track_vs_opencv.py ../shared/data/highway.mp4 [--runs 3] [--out]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE = (
    "import sys, time; t0 = time.perf_counter()\n"
    "from flowtop.tracker.runtime.baseline import bare_loop\n"
    "from flowtop.tracker.config.params import Params\n"
    "n, s = bare_loop(sys.argv[1], Params())\n"
    "print(n, time.perf_counter() - t0)\n"
)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default=str(
        Path(__file__).resolve().parents[2] / "shared" / "data" / "highway.mp4"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", action="store_true", help="flowtop also writes a CSV")
    args = parser.parse_args()
    frames = int(subprocess.run([sys.executable, "-c", BARE, args.video], check=True,
                                capture_output=True, text=True).stdout.split()[0])
    bare, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        flowtop = [sys.executable, "-m", "flowtop.tui.cli", "track", args.video]
        if args.out:
            flowtop += ["--out", str(Path(tmp) / "t.csv"), "--force"]
        for _ in range(args.runs):
            bare.append(timed([sys.executable, "-c", BARE, args.video]))
            ours.append(timed(flowtop))
    b, o = statistics.median(bare), statistics.median(ours)
    result = {"video": args.video, "frames": frames, "runs": args.runs,
              "bare_s": round(b, 3), "flowtop_s": round(o, 3),
              "bare_fps": round(frames / b, 1), "flowtop_fps": round(frames / o, 1),
              "ratio": round(b / o, 3), "with_csv": args.out}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
