"""What the live UI costs against the tracking it shows: CPU of the UI over CPU of a bare
OpenCV loop, measured back to back in one run (same machine, same minute).

The bare loop decodes the same file at its own frame rate (paced, looping, as a camera
delivers), converts to gray, runs LK forward and backward with the forward-backward check,
re-detects corners every `tracking.detect_interval` frames with a mask around live points,
up to `tracking.max_points`: `lk_track.py`'s work with flowtop's parameters, nothing shown.
The UI runs `flowtop --source FILE --loop` in tmux (under `script`, TERM=xterm-256color;
COLORTERM=truecolor for the truecolor rows) at the given size, defaults unless `--set`.

    python benchmarks/ui_vs_bare.py [FILE] [--seconds 20] [--size 160x50] \\
        [--modes 256,truecolor] [--set preview.fps=30 ...] [--cpus 0] [--rounds 3]

Prints one JSON object: per colour mode the UI's CPU %, the bare loop's (the mean of the
bare runs just before and after it: this machine's speed drifts within minutes), their ratio
(goal <= 1.5; the median round of `--rounds`, the higher of two middle ones; each round's
ratio is listed), the UI thread's share of it (drawing, panels, keys; the rest is tracking,
decoding and writing), the preview fps reached and the source frames dropped while
measuring.

The bare loop runs in two settings: as OpenCV sets itself up (a thread per core: what a loop written
the plain way costs, the issue's yardstick, `ratio`) and on one OpenCV thread, as flowtop
runs it while tracking keeps up (`tracker.runtime.cv_threads`; `ratio_to_one_thread`): the
second says what flowtop adds beyond what that setting saves. A third bare run has the C
allocator keep freed scratch buffers, as flowtop's engine has it (`tracker.core.memory`;
`ratio_to_kept_memory`): what flowtop adds beyond what that setting saves.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tui_wire import measure_ui  # beside this script, on its path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "highway.mp4"
BARE = (
    "import sys\n"
    "import cv2\n"
    "threads, _, keep = sys.argv[3].partition('+')\n"
    "if threads != 'default':\n"
    "    cv2.setNumThreads(int(threads))\n"
    "if keep:\n"
    "    from flowtop.tracker.core.memory import keep_freed_memory\n"
    "    keep_freed_memory()\n"
    "from flowtop.tracker.config.files import apply_overrides\n"
    "from flowtop.tracker.config.params import Params\n"
    "from flowtop.tracker.runtime.baseline import bare_loop\n"
    "params = apply_overrides(Params(), sys.argv[4:])\n"
    "bare_loop(sys.argv[1], params, paced=True, seconds=float(sys.argv[2]))\n"
)


def bare_cpu(video: str, seconds: float, warmup: float, overrides: list[str],
             cpus: str, threads: str = "default") -> float:
    """CPU % of the bare paced loop over `seconds`, after `warmup` seconds; `threads`:
    OpenCV's thread count ("default": as OpenCV sets it, a thread per core), "+keep" after
    it: with the allocator setting flowtop's engine makes (`tracker.core.memory`)."""
    cmd = [sys.executable, "-c", BARE, video, str(warmup + seconds + 1), threads, *overrides]
    if cpus:
        cmd = ["taskset", "-c", cpus, *cmd]
    proc = subprocess.Popen(cmd)
    try:
        time.sleep(warmup)
        c0, t0 = _cpu(proc.pid), time.monotonic()  # taskset execs: the same pid
        time.sleep(seconds)
        c1, t1 = _cpu(proc.pid), time.monotonic()
    finally:
        proc.kill()
        proc.wait()
    return 100 * (c1 - c0) / (t1 - t0)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", default=str(SAMPLE))
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--size", default="160x50")
    parser.add_argument("--modes", default="256,truecolor")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--cpus", default="", help="pin both to these CPUs (taskset -c)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="UI runs per mode, each between two bare runs (median reported)")
    args = parser.parse_args()
    result: dict = {"video": args.video, "size": args.size, "overrides": args.overrides,
                    "cpus": args.cpus or "all", "modes": {}}
    for mode in args.modes.split(","):
        bare1 = bare_cpu(args.video, args.seconds, args.warmup, args.overrides, args.cpus, "1")
        kept = bare_cpu(args.video, args.seconds, args.warmup, args.overrides, args.cpus,
                        "default+keep")
        before = bare_cpu(args.video, args.seconds, args.warmup, args.overrides, args.cpus)
        rounds = []
        for _ in range(args.rounds):  # the UI between two bare runs: drift cancels out
            ui = measure_ui(args.video, args.seconds, args.warmup, args.size,
                            (*args.overrides, f"preview.color={mode}"), cpus=args.cpus)
            after = bare_cpu(args.video, args.seconds, args.warmup, args.overrides, args.cpus)
            rounds.append((ui, (before + after) / 2))
            before = after
        ratios = [ui["cpu_percent"] / bare for ui, bare in rounds if bare]
        ui, bare = rounds[ratios.index(statistics.median_high(ratios))] if ratios else rounds[0]
        result["modes"][mode] = {
            "bare_cpu_percent": round(bare, 1), "ui_cpu_percent": ui["cpu_percent"],
            "ratio": round(ui["cpu_percent"] / bare, 2) if bare else None,
            "ratios_each_round": [round(r, 2) for r in ratios],
            "bare_one_thread_cpu_percent": round(bare1, 1),
            "ratio_to_one_thread": round(ui["cpu_percent"] / bare1, 2) if bare1 else None,
            "bare_kept_memory_cpu_percent": round(kept, 1),
            "ratio_to_kept_memory": round(ui["cpu_percent"] / kept, 2) if kept else None,
            "ui_thread_cpu_percent": ui["ui_thread_cpu_percent"],
            "ui_thread_over_bare": round(ui["ui_thread_cpu_percent"] / bare, 2) if bare else None,
            "preview_fps": ui["preview_fps"], "dropped_during": ui["dropped_during"],
            "wire_kbps": ui["wire_kbps"], "status": ui["status"]}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
