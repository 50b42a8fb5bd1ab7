"""How long `flowtop --help`, `flowtop config` and each subcommand's `--help` take to start,
against a bare `python -c pass` of the same interpreter.

    python benchmarks/startup.py [--runs 20] [--flowtop PATH] [--against PATH] [--json]

Runs an installed console script (--flowtop, else the one beside this Python, else PATH's;
it says which), each command as a fresh process, the commands in turn within each round so
that a change in the machine's load touches them alike. Bytecode is written and used
(PYTHONDONTWRITEBYTECODE is dropped) as for an installed package, and every command runs
once before timing. Prints, per command, the best and median wall-clock ms of the runs and
of CPU time (user + system, steadier on a busy box), and each one's difference over bare
Python start: the part flowtop adds. --against times another install's console script (an
older version, say) in the same rounds, its rows marked "against".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def find_flowtop(given: str | None) -> Path:
    """The console script: --flowtop, else the one beside this Python, else PATH's."""
    if given:
        return Path(given)
    beside = Path(sys.executable).parent / "flowtop"
    if beside.exists():
        return beside
    found = shutil.which("flowtop")
    if not found:
        raise SystemExit("no flowtop console script beside this Python or on PATH; "
                         "pass --flowtop PATH")
    return Path(found)


def interpreter_of(script: Path) -> str:
    """The Python the console script runs (its #! line), so bare start is timed alike."""
    first = script.read_bytes().split(b"\n", 1)[0].decode()
    return first[2:].strip().split()[0] if first.startswith("#!") else sys.executable


def subcommands(python: str) -> tuple[str, ...]:
    """The subcommands, in help order, as the installed package names them."""
    out = subprocess.run([python, "-c", "from flowtop.tui.cli.main import COMMANDS;"
                          "print(' '.join(COMMANDS))"], capture_output=True, text=True,
                         check=True)
    return tuple(out.stdout.split())


def run_ms(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU (user + system) ms of one fresh process running `argv`."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - start) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{' '.join(argv)} exited with {proc.returncode}")
    return wall, (usage.ru_utime + usage.ru_stime) * 1000


def measure(commands: dict[str, list[str]], runs: int, env: dict[str, str]
            ) -> dict[str, list[tuple[float, float]]]:
    for argv in commands.values():  # writes the bytecode, fills the page cache
        run_ms(argv, env)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_ms(argv, env))
    return times


def figures(samples: list[tuple[float, float]], bare: dict[str, float]) -> dict[str, float]:
    """Best and median wall and CPU ms, and each one's difference over bare start (`bare`:
    the same figures of `python -c pass`)."""
    wall, cpu = [s[0] for s in samples], [s[1] for s in samples]
    out = {"best_ms": min(wall), "median_ms": statistics.median(wall),
           "cpu_best_ms": min(cpu), "cpu_median_ms": statistics.median(cpu)}
    if bare:
        out |= {f"{k[:-3]}_over_python_ms": v - bare[k] for k, v in list(out.items())}
    return {k: round(v, 1) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="fresh processes per command")
    ap.add_argument("--flowtop", help="the console script to time (default: found)")
    ap.add_argument("--against", help="another console script, timed in the same rounds")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args()

    script = find_flowtop(args.flowtop)
    python = interpreter_of(script)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    commands = {"python -c pass": [python, "-c", "pass"]}
    for label, path in (("", script), ("against: ", args.against)):
        if path:
            commands[f"{label}flowtop --help"] = [str(path), "--help"]
            commands[f"{label}flowtop config"] = [str(path), "config"]
            for name in subcommands(interpreter_of(Path(path))):
                commands[f"{label}flowtop {name} --help"] = [str(path), name, "--help"]
    load_before = os.getloadavg()[0]
    times = measure(commands, args.runs, env)
    load_after = os.getloadavg()[0]

    bare = figures(times["python -c pass"], {})
    rows = {name: figures(t, bare) for name, t in times.items()}
    report = {"flowtop": str(script), "against": args.against, "python": python,
              "runs": args.runs,
              "load": [round(load_before, 2), round(load_after, 2)], "commands": rows}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    against = f"\nagainst: {args.against}" if args.against else ""
    print(f"flowtop: {script}{against}\npython:  {python}\n{args.runs} runs each, alternating; "
          f"load average {load_before:.2f} before, {load_after:.2f} after\n")
    width = max(map(len, rows))
    keys = ("best", "median", "cpu_best", "cpu_median")
    print(f"{'':<{width}}  {'wall clock':^15}   {'over python':^15}   {'CPU':^15}   "
          f"{'over python':^15}")
    print(f"{'command':<{width}}  " + "   ".join(f"{'best':>7} {'median':>7}" for _ in keys))
    for name, r in rows.items():
        cells = [(r[f"{k}_ms"], r[f"{k}_over_python_ms"]) for k in keys]
        print(f"{name:<{width}}  {cells[0][0]:7.1f} {cells[1][0]:7.1f}   "
              f"{cells[0][1]:+7.1f} {cells[1][1]:+7.1f}   {cells[2][0]:7.1f} {cells[3][0]:7.1f}"
              f"   {cells[2][1]:+7.1f} {cells[3][1]:+7.1f}")
    print("\nms per fresh process; 'over python' is the difference over `python -c pass`; CPU "
          "is user + system time, steadier than wall clock on a busy box")


if __name__ == "__main__":
    main()
