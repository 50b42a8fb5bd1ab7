"""What the demo scene costs: building it (backdrop and sprites, once) and rendering a frame.

    python benchmarks/demo_scene.py                  # 640x360, 300 frames, best of 5
    python benchmarks/demo_scene.py --size 1280x720

The live UI renders one frame per source frame (30 fps) in the tracking thread, so a frame's
cost is time the tracker does not have. Prints milliseconds: the build, then the median and
the best of the per-run mean render times, in CPU time of this process (all its threads),
which a busy machine disturbs less than wall time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from flowtop.tracker.sources import demo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    t0 = time.process_time()
    scene = demo.DemoScene(width, height)
    build = time.process_time() - t0
    runs = []
    for _ in range(args.runs):
        t0 = time.process_time()
        for i in range(args.frames):
            scene.render(i / 30)
        runs.append((time.process_time() - t0) / args.frames)
    print(f"demo {width}x{height}: build {1000 * build:.0f} ms, render "
          f"{1000 * statistics.median(runs):.2f} ms/frame (best {1000 * min(runs):.2f}) "
          f"over {args.runs} runs of {args.frames} frames")


if __name__ == "__main__":
    main()
