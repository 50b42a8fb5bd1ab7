"""What the rewind buffer costs: memory for 30 s of a source, time per frame, and its budget
held over a long run; and what `flowtop tune` gains from a second process.

    python benchmarks/replay_buffer.py ../shared/data/highway.mp4            # the buffer
    python benchmarks/replay_buffer.py ../shared/data/highway.mp4 --loops 20 # a long run
    python benchmarks/replay_buffer.py ../shared/data/highway.mp4 --tune 3   # 1 vs 2 jobs

The buffer part plays the file through a `FrameRing` with the default `[replay]` settings
(30 s, 64 MB, quality 85), `--loops` times (time going on, as `--loop` plays it), and prints
what the ring holds, its bytes against the budget, the process's RSS growth, and the time to
encode and to decode a frame. `--tune N` runs the same `flowtop tune` search N times with
`--jobs 1` and `--jobs 2` alternately, as fresh processes, and prints the wall times.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from flowtop.tracker.config.params import ReplayParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.runtime.rewind import MB, FrameRing
from flowtop.tracker.sources.open import open_source

TUNE = ["--objective", "lifetime", "--frames", "300", "--search", "lk.win_size=9,15,21",
        "--search", "tracking.fb_threshold=0.5,1,2"]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def frames(path: str, loops: int):
    """The file's frames `loops` times, times going on as a looped file's do."""
    offset = 0.0
    for _ in range(loops):
        source = open_source(path, paced=False, resilient=False)
        last = 0.0
        for frame in iter(source.read, None):
            last = frame.t
            yield Frame(frame.index, frame.t + offset, frame.image)
        source.close()
        offset += last + 1 / (source.nominal_fps or 30.0)


def buffer(path: str, loops: int) -> None:
    params = ReplayParams()
    ring = FrameRing(params)
    start = rss_mb()
    encode_s, count, peak = 0.0, 0, 0
    for frame in frames(path, loops):
        t0 = time.perf_counter()
        ring.add(frame)
        encode_s += time.perf_counter() - t0
        count += 1
        peak = max(peak, ring.nbytes)
    clip = ring.clip()
    t0 = time.perf_counter()
    for entry in clip:
        entry.decode()
    decode_s = time.perf_counter() - t0
    print(f"{count} frames read; the ring holds {len(clip)} frames, {clip.seconds:.1f} s")
    print(f"bytes held {ring.nbytes / MB:.1f} MB, peak {peak / MB:.1f} MB, budget "
          f"{params.max_mb:.0f} MB; RSS +{rss_mb() - start:.1f} MB")
    print(f"encode {1000 * encode_s / count:.2f} ms/frame, decode "
          f"{1000 * decode_s / len(clip):.2f} ms/frame (quality {params.quality})")


def tune(path: str, runs: int) -> None:
    times: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(runs):
        for jobs in (1, 2):
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "flowtop.tui.cli", "tune", path, *TUNE,
                            "--jobs", str(jobs), "--json"], check=True,
                           stdout=subprocess.DEVNULL)
            times[jobs].append(time.perf_counter() - t0)
    for jobs, values in times.items():
        print(f"--jobs {jobs}: " + " ".join(f"{v:.1f}" for v in values)
              + f" s, median {statistics.median(values):.1f} s")
    print(f"ratio 1 job / 2 jobs: {statistics.median(times[1]) / statistics.median(times[2]):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source")
    parser.add_argument("--loops", type=int, default=1)
    parser.add_argument("--tune", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.tune:
        tune(args.source, args.tune)
    else:
        buffer(args.source, args.loops)


if __name__ == "__main__":
    main()
