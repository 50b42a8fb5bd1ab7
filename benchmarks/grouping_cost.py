"""What object grouping costs beside the LK step, per frame, from the engine's own stage timings.

Runs the tracker (default parameters: tracking.max_points 500) over each video frame by frame,
unpaced, and prints one JSON object: per video, the median and mean ms per frame of each stage
("lk" + "fb" is the LK step: forward-backward flow and the per-track checks), the mean number
of live points, and the ratios (as ratios of means, and of medians):

- `objects / (lk+fb)`: grouping proper (`tracker.core.objects`, `grouping`, and the foreground
  regions it labels, which are computed on its first use in a frame). This is issue 15's goal
  (at most 0.25 at 500 points on highway.mp4).
- `(objects+foreground) / (lk+fb)`: with the foreground model's update too. It is reported but
  is not part of the goal: the foreground does not exist only for grouping. Seeding places
  moving things' corners inside it and shares the point budget by it (`tracker.core.seeding`),
  and the 'motion too fast' check looks only at points on it, whether objects are grouped or
  not (`Tracker(group_objects=False)` still updates it).

Stages are timed on one thread: OpenCV's (`cv2.setNumThreads(1)`, as the live loop runs it
while tracking keeps up with the source: `tracker.runtime.cv_threads`) and the decoder's, so a
stage's time is the CPU it costs. `--pool` times them with OpenCV's thread pool instead: the
LK step then ends sooner (its wall time is shown) but costs more CPU in all, so the ratios
read higher there without grouping costing more. Decoding is outside every stage. Figures
move with the load of the box; compare ratios measured in one run.

    python benchmarks/grouping_cost.py [VIDEO ...] [--frames N] [--pool] [--set key=value]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import cv2

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VIDEOS = (DATA / "highway.mp4", DATA / "pedestrians.avi")
STAGES = ("lk", "fb", "foreground", "seed", "objects")


def run(path: Path, params: Params, frames: int, decoder_threads: int = 1) -> dict:
    """Track `path` (its first `frames` frames, 0 = all); the stage figures of the run."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, decoder_threads])
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    tracker = Tracker(params)
    per: dict[str, list[float]] = {k: [] for k in STAGES}
    points: list[int] = []
    n = 0
    while not frames or n < frames:
        ok, image = cap.read()
        if not ok:
            break
        state = tracker.update(Frame(n, n / fps, image))
        if n:  # the first frame has no LK step
            for k in STAGES:
                per[k].append(1000 * state.timings.get(k, 0.0))
            points.append(state.live)
        n += 1
    cap.release()
    step = [a + b for a, b in zip(per["lk"], per["fb"])]
    both = [a + b for a, b in zip(per["objects"], per["foreground"])]

    def ratio(values: list[float]) -> dict:
        return {"of_means": round(statistics.mean(values) / statistics.mean(step), 3),
                "of_medians": round(statistics.median(values) / statistics.median(step), 3)}

    return {
        "video": path.name, "frames": n, "mean_points": round(statistics.mean(points)),
        "ms_median": {k: round(statistics.median(v), 3) for k, v in per.items()},
        "ms_mean": {k: round(statistics.mean(v), 3) for k, v in per.items()},
        "ms_lk_step": {"median": round(statistics.median(step), 3),
                       "mean": round(statistics.mean(step), 3)},
        "objects/(lk+fb)": ratio(per["objects"]),
        "(objects+foreground)/(lk+fb)": ratio(both),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("videos", nargs="*", type=Path, default=list(VIDEOS))
    parser.add_argument("--frames", type=int, default=0, help="per video, 0 = all")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--pool", action="store_true",
                        help="OpenCV's thread pool and a threaded decoder (wall times)")
    args = parser.parse_args()
    if not args.pool:
        cv2.setNumThreads(1)
    params = Params()
    for item in args.set:
        key, _, value = item.partition("=")
        params = params.with_text(key, value)
    threads = 0 if args.pool else 1
    result = {"max_points": params.tracking.max_points,
              "opencv_threads": cv2.getNumThreads(),
              "runs": [run(path, params, args.frames, threads) for path in args.videos]}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
