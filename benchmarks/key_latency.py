"""How fast keys act, seen on the screen: `space` to PAUSED and back to LIVE, and a burst of
parameter keys, while the live UI tracks a file at full speed.

flowtop runs in tmux (TERM=xterm-256color, the given size, defaults) on the file, looping.
For each press the benchmark sends the key with `send-keys` and polls `capture-pane` until
the status bar shows the new run state: the time includes tmux reading flowtop's output,
as a user's terminal would. Between presses it waits a random 0.3-0.8 s, so presses fall at
every phase of the preview's and the tracker's frames. The burst sends `+` 40 times in one
`send-keys` on the parameter panel (features.max_corners selected: 300 by default, 1300
after 40 steps) and reports how long until the panel shows the final value.

    python benchmarks/key_latency.py [FILE] [--presses 20] [--size 160x50] [--cpus 0]

Prints one JSON object: median and max ms for PAUSED and LIVE, the burst's ms, the load.
Needs tmux; Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "pedestrians.avi"
SESSION = f"flowtop-keys-{os.getpid()}"
POLL_S = 0.002


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def bottom() -> str:
    """The status bar (the pane's line above the key bar)."""
    return tmux("capture-pane", "-p", "-t", SESSION).splitlines()[-2]


def wait_for(pattern: str, timeout: float = 10.0, where=bottom) -> float:
    """Seconds until `pattern` (a regular expression) shows, polled as fast as tmux answers."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if re.search(pattern, where()):
            return time.perf_counter() - t0
        time.sleep(POLL_S)
    raise RuntimeError(f"{pattern!r} did not show within {timeout} s:\n{where()}")


def press_until(key: str, text: str) -> float:
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    wait_for(text)
    return time.perf_counter() - t0


def whole_screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("video", nargs="?", default=str(SAMPLE))
    ap.add_argument("--presses", type=int, default=20)
    ap.add_argument("--size", default="160x50")
    ap.add_argument("--cpus", default="", help="taskset CPU list for flowtop, e.g. 0")
    args = ap.parse_args()
    if not shutil.which("tmux"):
        sys.exit("key_latency: needs tmux")
    cols, rows = args.size.split("x")
    flowtop = f"{sys.executable} -m flowtop.tui.cli"
    if args.cpus:
        flowtop = f"taskset -c {args.cpus} {flowtop}"
    cmd = (f"env -u COLUMNS -u LINES -u COLORTERM TERM=xterm-256color {flowtop} "
           f"--source {args.video} --loop --config /dev/null")
    tmux("new-session", "-d", "-s", SESSION, "-x", cols, "-y", rows, cmd)
    paused: list[float] = []
    live: list[float] = []
    try:
        wait_for("^ LIVE ", timeout=30)
        time.sleep(4.0)  # tracking and drawing at full speed
        rng = random.Random(1)
        for _ in range(args.presses):
            time.sleep(rng.uniform(0.3, 0.8))
            paused.append(press_until("space", "^ PAUSED "))
            time.sleep(rng.uniform(0.3, 0.8))
            live.append(press_until("space", "^ LIVE "))
        tmux("send-keys", "-t", SESSION, "4")  # the parameters view, max_corners selected
        wait_for(r"max_corners\s+300\b", where=whole_screen)
        time.sleep(1.0)
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, *["+"] * 40)
        wait_for(r"max_corners\s+1300\b", where=whole_screen)  # 40 steps up from 300
        burst = time.perf_counter() - t0
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], check=False,
                       capture_output=True)

    def ms(values: list[float]) -> dict[str, float]:
        return {"median_ms": round(1000 * statistics.median(values), 1),
                "max_ms": round(1000 * max(values), 1)}

    print(json.dumps({"video": Path(args.video).name, "size": args.size,
                      "presses": args.presses, "cpus": args.cpus or "all",
                      "paused": ms(paused), "live": ms(live),
                      "burst_40_plus_ms": round(1000 * burst, 1),
                      "load_1min": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
