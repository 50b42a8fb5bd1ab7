"""Frames lost while the live UI starts: the demo (a camera-like source that drops frames a
late reader misses) started again and again in tmux, its status bar read after 1, 3 and 6
seconds.

    python benchmarks/startup_drops.py [--starts 5] [--size 160x50] [--source demo]

Prints one JSON object: per start the `drop N` figure at each reading, and the worst.
Needs tmux; Linux.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time

from tui_wire import status_line, tmux  # beside this script, on its path

SESSION = f"flowtop-startup-{os.getpid()}"
READINGS_S = (1.0, 3.0, 6.0)


def one_start(source: str, size: str) -> dict[str, int | None]:
    """Start flowtop once; the drop count shown at each reading (None: not shown yet)."""
    cols, rows = size.split("x")
    cmd = (f"env -u COLORTERM TERM=xterm-256color {sys.executable} -m flowtop.tui.cli "
           f"--source {source}")
    tmux("new-session", "-d", "-s", SESSION, "-x", cols, "-y", rows, cmd)
    t0, found = time.monotonic(), {}
    try:
        for at in READINGS_S:
            time.sleep(max(0.0, t0 + at - time.monotonic()))
            status = status_line(tmux("capture-pane", "-p", "-t", SESSION))
            drop = re.search(r"drop (\d+)", status)
            found[f"{at:g}s"] = int(drop.group(1)) if drop else None
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], check=False,
                       capture_output=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    parser.add_argument("--size", default="160x50")
    parser.add_argument("--source", default="demo")
    args = parser.parse_args()
    starts = []
    for _ in range(args.starts):
        starts.append(one_start(args.source, args.size))
        time.sleep(0.5)
    shown = [v for s in starts for v in s.values() if v is not None]
    print(json.dumps({"source": args.source, "size": args.size, "starts": starts,
                      "worst": max(shown) if shown else None,
                      "load_1min": os.getloadavg()[0]}, indent=1))


if __name__ == "__main__":
    main()
