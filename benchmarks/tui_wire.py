"""Run the live UI in tmux and measure what it costs: bytes on the wire, CPU, preview rate.

The UI runs under `script`, which records every byte it writes to the terminal; the CPU of
the flowtop process comes from /proc; the status bar (read with `capture-pane`) gives the
preview fps, the dropped frames and the KB/s flowtop measured itself.

    python benchmarks/tui_wire.py [--source demo] [--seconds 20] [--size 160x50] \
        [--set preview.color=256 ...] [--preview-only]

The terminal is TERM=xterm-256color, with COLORTERM=truecolor when the preview is set to
truecolor (else Rich would write its colours as 256).

--preview-only runs `benchmarks/preview_app.py` (the preview alone, full screen) instead of
the whole UI, so the bytes measured are the preview's own.

Prints one JSON object. Needs tmux and script (util-linux); Linux only (/proc).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SESSION = f"flowtop-wire-{os.getpid()}"
ROOT = Path(__file__).resolve().parents[1]


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True,
                          text=True).stdout


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(p) for p in text]
    return found


def flowtop_pid(pane_pid: int, timeout: float = 10.0) -> int:
    """The python process running flowtop, below `script` in the pane."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        todo = [pane_pid]
        while todo:
            pid = todo.pop()
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                todo += children(pid)
            except OSError:
                continue
            is_ui = b"flowtop.tui.cli" in cmd or b"preview_app.py" in cmd
            if is_ui and b"python" in cmd.split(b" ")[0]:
                return pid
        time.sleep(0.2)
    raise RuntimeError("flowtop did not start")


def cpu_seconds(pid: int, thread: int | None = None) -> float:
    """CPU seconds of process `pid` so far, or of its thread `thread` alone."""
    stat = Path(f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat")
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def frames_between(log: Path, t0: float, t1: float) -> float | None:
    """Frames per second drawn between t0 and t1, from preview_app's 'time frames' log."""
    rows = [tuple(map(float, ln.split())) for ln in log.read_text().splitlines() if ln]
    inside = [r for r in rows if t0 <= r[0] <= t1]
    if len(inside) < 2:
        return None
    (ta, fa), (tb, fb) = inside[0], inside[-1]
    return (fb - fa) / (tb - ta)


def status_line(screen: str) -> str:
    """The status bar: the line that starts with the run state."""
    lines = [ln for ln in screen.splitlines()
             if re.match(r" (LIVE|PAUSED|ENDED|SOURCE LOST|ERROR) ", ln)]
    return lines[-1] if lines else ""


def measure_ui(source: str, seconds: float, warmup: float = 5.0, size: str = "160x50",
               overrides: tuple[str, ...] = (), preview_only: bool = False,
               loop: bool = True, cpus: str = "") -> dict:
    """Run the UI (or the preview alone) in tmux under `script` and measure it; `cpus` pins
    it with taskset (e.g. "0")."""
    cols, rows = size.split("x")
    with tempfile.TemporaryDirectory() as tmp:
        record = Path(tmp) / "typescript"
        frames_log = Path(tmp) / "frames"
        flowtop = [sys.executable, "-m", "flowtop.tui.cli", "--source", source]
        if loop:
            flowtop.append("--loop")
        if preview_only:
            flowtop = [sys.executable, str(ROOT / "benchmarks" / "preview_app.py"), source,
                       "--stats", str(frames_log)]
        for item in overrides:
            flowtop += ["--set", item]
        if cpus:
            flowtop = ["taskset", "-c", cpus, *flowtop]
        inner = " ".join(flowtop)
        # tmux takes 24-bit colour; say so when asked for it, else Rich writes 256 colours
        term = "TERM=xterm-256color"
        if "preview.color=truecolor" in overrides:
            term += " COLORTERM=truecolor"
        tmux("new-session", "-d", "-s", SESSION, "-x", cols, "-y", rows, "-c", str(ROOT),
             f"{term} script -q -f {record} -c '{inner}'")
        try:
            pid = flowtop_pid(int(tmux("display", "-p", "-t", SESSION, "#{pane_pid}")))
            time.sleep(warmup)
            ui0 = cpu_seconds(pid, pid)  # the main thread: Textual's, where drawing happens
            bytes0, cpu0, t0 = record.stat().st_size, cpu_seconds(pid), time.monotonic()
            screen0 = tmux("capture-pane", "-p", "-t", SESSION)
            time.sleep(seconds)
            bytes1, cpu1, t1 = record.stat().st_size, cpu_seconds(pid), time.monotonic()
            ui1 = cpu_seconds(pid, pid)
            screen1 = tmux("capture-pane", "-p", "-t", SESSION)
            tmux("send-keys", "-t", SESSION, "q")
            time.sleep(1.0)
            drawn = frames_between(frames_log, t0, t1) if preview_only else None
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], check=False,
                           capture_output=True)
    elapsed = t1 - t0
    status = status_line(screen1)
    prev = re.search(r"prev\s+([\d.]+) fps", status)
    preview_fps = drawn if drawn is not None else float(prev.group(1)) if prev else None
    drops = [re.search(r"drop (\d+)", status_line(s)) for s in (screen0, screen1)]
    result = {
        "source": source, "size": size, "overrides": list(overrides),
        "seconds": round(elapsed, 1),
        "wire_kbps": round((bytes1 - bytes0) / elapsed / 1000, 1),
        "cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "ui_thread_cpu_percent": round(100 * (ui1 - ui0) / elapsed, 1),
        "preview_fps": round(preview_fps, 2) if preview_fps else None,
        "dropped_during": (int(drops[1].group(1)) - int(drops[0].group(1))
                           if all(drops) else None),
        "status": status.strip(),
    }
    if result["preview_fps"]:
        result["bytes_per_preview_frame"] = round(
            (bytes1 - bytes0) / elapsed / result["preview_fps"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="demo")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--size", default="160x50")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--preview-only", action="store_true")
    args = parser.parse_args()
    if not shutil.which("tmux") or not shutil.which("script"):
        sys.exit("needs tmux and script")
    print(json.dumps(measure_ui(args.source, args.seconds, args.warmup, args.size,
                                tuple(args.overrides), args.preview_only)))


if __name__ == "__main__":
    main()
