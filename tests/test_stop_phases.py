"""Stop signals in every phase, blocking outputs, and a standard output that is closed: what
needs a real process. Every stop ends with exit code 130 and one line on stderr, never a
traceback; a reader that left standard output is not an error.

Phases: starting (the engine still loading), opening a stream (a backend call that blocks),
opening outputs (a FIFO nobody reads), running with a reader that stopped reading. Running
and finishing on regular files are in test_signals.py; the UI in test_signals.py too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from fakes import SilentServer

from flowtop.tracker.sources.capture import _open_capture

FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]
HANG_GUARD_S = 60.0  # a run that takes this long has hung
IDLE_WINDOW_S = 0.3


def spawn(argv: list[str], tmp: Path, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "cfg")}
    options = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.Popen([*FLOWTOP, *argv], cwd=tmp, env=env, text=True,
                            stdin=subprocess.DEVNULL, **options)  # type: ignore[call-overload]


def wait_for(proc: subprocess.Popen[str], done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while not done():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{what}: {proc.communicate()}")
        time.sleep(0.02)


def catches_stop_signals(pid: int) -> bool:
    """Whether flowtop has taken over SIGTERM (it does before loading anything slow)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line for line in status.splitlines() if line.startswith("SigCgt:"))
                 .split()[1], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def idle(pid: int) -> bool:
    """Whether the process used no CPU for IDLE_WINDOW_S (it waits on something)."""
    before = cpu_ticks(pid)
    time.sleep(IDLE_WINDOW_S)
    return cpu_ticks(pid) == before


def stop(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, err


def assert_stopped(code: int, err: str, sig: signal.Signals) -> str:
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"flowtop: interrupted by {sig.name}"), lines[0]
    assert code == 130
    return lines[0]


pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="reads the process state from /proc")


def test_a_signal_while_starting(tmp_path: Path) -> None:
    proc = spawn(["track", "demo", "--out", "x.csv"], tmp_path)
    wait_for(proc, lambda: catches_stop_signals(proc.pid), "the stop signals taken over")
    assert_stopped(*stop(proc, signal.SIGINT), signal.SIGINT)


@pytest.mark.slow
def test_a_signal_while_a_fifo_waits_for_its_reader(tmp_path: Path) -> None:
    """(The three stop signals share one handler; each phase here sends another one.)"""
    os.mkfifo(tmp_path / "f.csv")
    proc = spawn(["track", "demo", "--frames", "30", "--out", "f.csv", "--force"], tmp_path)
    wait_for(proc, lambda: catches_stop_signals(proc.pid) and idle(proc.pid),
             "the wait for a reader")
    assert_stopped(*stop(proc, signal.SIGHUP), signal.SIGHUP)


@pytest.mark.slow
def test_a_signal_while_the_reader_of_a_fifo_does_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    proc = spawn(["track", "demo", "--out", "f.csv", "--force"], tmp_path)
    reader = os.open(fifo, os.O_RDONLY)  # opens it, never reads: the pipe fills up
    try:
        wait_for(proc, lambda: idle(proc.pid), "a full pipe")
        line = assert_stopped(*stop(proc, signal.SIGTERM), signal.SIGTERM)
    finally:
        os.close(reader)
    assert "cannot write f.csv: stopped while its reader was not reading" in line


@pytest.mark.slow
def test_a_fifo_with_a_reader_gets_every_row(tmp_path: Path) -> None:
    fifo = tmp_path / "f.csv"
    os.mkfifo(fifo)
    proc = spawn(["track", "demo", "--frames", "10", "--out", "f.csv", "--force", "--json"],
                 tmp_path)
    with fifo.open() as reader:
        rows = reader.read().splitlines()
    out, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    assert len(rows) - 1 == int(out.split('"rows": ')[1].split(",")[0].rstrip("}\n"))


def test_opening_a_stream_is_interrupted_at_once() -> None:
    """A stream whose open hangs (a silent server): a KeyboardInterrupt in the waiting thread
    ends the wait while the backend call still blocks in its helper thread, not after the
    backend's own 5 s timeout."""
    server = SilentServer()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        def interrupt_when_connected() -> None:
            server.accepted.wait(HANG_GUARD_S)
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C

        threading.Thread(target=interrupt_when_connected, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            _open_capture(f"http://127.0.0.1:{server.port}/x", cv2.CAP_FFMPEG, [])
        # the helper is still in the backend's call (is_alive() cannot tell: an interrupted
        # join marks the thread stopped); without a helper, the interrupt waited for the call
        assert "open-capture" in [t.name for t in threading.enumerate()], \
            "the interrupt came only once the backend had given up"
    finally:
        signal.signal(signal.SIGINT, previous)
        server.close()


def close_stdout() -> None:
    os.close(1)


@pytest.mark.parametrize("argv", [
    ["config"], ["snapshot", "demo", "--frame", "1"],
    ["track", "demo", "--frames", "5", "--out", "x.csv"],
], ids=["config", "snapshot", "track"])
def test_a_closed_stdout_is_not_an_error(argv: list[str], tmp_path: Path) -> None:
    proc = spawn(argv, tmp_path, stdout=None, preexec_fn=close_stdout)  # as `>&-`
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert (proc.returncode, err) == (0, "")
    if argv[0] == "track":  # the file did not take the closed descriptor's number
        assert (tmp_path / "x.csv").read_text().startswith("frame,t,id,")
        assert "frames" not in (tmp_path / "x.csv").read_text()


@pytest.mark.parametrize("argv", [["config"], ["track", "demo", "--frames", "5"]],
                         ids=["config", "track"])
def test_a_reader_that_left_is_not_an_error(argv: list[str], tmp_path: Path) -> None:
    proc = spawn(argv, tmp_path)
    assert proc.stdout is not None
    proc.stdout.close()  # `| true`
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert (proc.returncode, err) == (0, "")


def test_frames_too_small_for_mjpg_are_padded(tmp_path: Path) -> None:
    """4x4 frames into MJPG would corrupt memory inside FFmpeg (the process aborts): padded,
    said once, and the video holds them all. A process of its own, for safety."""
    (tmp_path / "tiny").mkdir()
    rng = np.random.default_rng(4)
    for i in range(5):
        cv2.imwrite(str(tmp_path / "tiny" / f"t{i}.png"), rng.integers(0, 255, (4, 4, 3),
                                                                        np.uint8))
    proc = spawn(["record", "tiny/*.png", "--out", "tiny.avi"], tmp_path)
    _, err = proc.communicate(timeout=HANG_GUARD_S)
    assert proc.returncode == 0, err
    assert err.splitlines() == ["flowtop: frames of 4x4 were padded to 16x16: smaller ones "
                                "crash the MJPG encoder"]
    cap = cv2.VideoCapture(str(tmp_path / "tiny.avi"))
    frames = []
    while (frame := cap.read())[0]:
        frames.append(frame[1])
    assert [f.shape for f in frames] == [(16, 16, 3)] * 5
