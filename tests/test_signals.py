"""Data safety: outputs complete after Ctrl-C, SIGTERM, SIGHUP; flushed every second; atomic
config saves; nothing overwritten without --force; a live source's outages logged."""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes import MjpegServer

from flowtop.tracker.config.files import load_params, save_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.errors import OutputError, WriteError
from flowtop.tracker.files import sink as sink_module
from flowtop.tracker.files.sink import open_stream
from flowtop.tracker.output import rows as writers
from flowtop.tracker.output.rows import TRACK_COLUMNS, RowWriter

HANG_GUARD_S = 60.0


class Track:
    """`flowtop track SOURCE --out FILE` in a subprocess, its stdout and stderr in files."""

    def __init__(self, tmp: Path, source: str, out: str) -> None:
        self.out = tmp / out
        self.stdout, self.stderr = tmp / "stdout.txt", tmp / "stderr.txt"
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "cfg")}
        with self.stdout.open("w") as so, self.stderr.open("w") as se:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "flowtop.tui.cli", "track", source, "--out", str(self.out)],
                cwd=tmp, env=env, stdout=so, stderr=se, stdin=subprocess.DEVNULL)

    def wait_until(self, done: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + HANG_GUARD_S
        while not done():
            assert self.proc.poll() is None, f"exited early: {self.stderr.read_text()}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.05)

    def has_rows(self) -> bool:
        return self.out.exists() and self.out.stat().st_size > 200

    def log(self) -> str:
        return self.stderr.read_text()

    def finish(self, *signals: signal.Signals) -> int:
        for sig in signals:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(HANG_GUARD_S)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


def parse_rows(path: Path) -> list[dict]:
    """Every line of a CSV or JSONL track file, parsed strictly; fails on a cut row."""
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the last row is cut"
    if path.suffix == ".jsonl":
        rows = [json.loads(line) for line in text.splitlines()]
        assert all(set(r) == set(TRACK_COLUMNS) for r in rows)
        return rows
    lines = text.splitlines()
    assert lines[0] == ",".join(TRACK_COLUMNS)
    rows = list(csv.DictReader(lines))
    for row in rows:
        assert None not in row and None not in row.values(), row  # no short or long row
        int(row["frame"]), float(row["t"]), int(row["id"]), float(row["x"]), float(row["y"])
        float(row["speed"]), int(row["age"]), float(row["fb_error"])
    return rows


def summary_rows(stdout: str) -> int:
    line = next(x for x in stdout.splitlines() if x.startswith("wrote"))
    return int(line.split()[1])


@pytest.mark.slow
@pytest.mark.parametrize(("sig", "out"), [
    (signal.SIGINT, "x.csv"), (signal.SIGTERM, "x.csv"), (signal.SIGHUP, "x.csv"),
    (signal.SIGTERM, "x.jsonl")])
def test_signal_leaves_a_complete_file(sig: signal.Signals, out: str, tmp_path: Path) -> None:
    run = Track(tmp_path, "demo", out)
    run.wait_until(run.has_rows, "the first flush")
    assert run.finish(sig) == 130  # interrupted, the file finished whole
    rows = parse_rows(run.out)
    assert rows
    assert summary_rows(run.stdout.read_text()) == len(rows)
    assert f"interrupted by {sig.name}: outputs closed" in run.log()
    assert "Traceback" not in run.log()


@pytest.mark.slow
def test_a_second_signal_while_closing_does_not_cut_the_file(tmp_path: Path) -> None:
    run = Track(tmp_path, "demo", "x.csv")
    run.wait_until(run.has_rows, "the first flush")
    assert run.finish(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) == 130
    assert parse_rows(run.out)
    log = run.log()  # pending signals arrive lowest number first: SIGHUP wins
    assert log.count("interrupted by SIG") == 1 and "Traceback" not in log


@pytest.fixture
def network_camera() -> Iterator[MjpegServer]:
    server = MjpegServer().start()
    yield server
    server.stop()


@pytest.mark.slow
def test_live_source_outage_is_logged_and_the_file_stays_whole(
        network_camera: MjpegServer, tmp_path: Path) -> None:
    run = Track(tmp_path, network_camera.url, "x.csv")
    run.wait_until(run.has_rows, "the first flush")
    network_camera.stop()
    run.wait_until(lambda: "source lost" in run.log(), "the loss on stderr")
    size = run.out.stat().st_size
    time.sleep(1.5)  # rows seen before the loss reach the disk within a second
    run.wait_until(lambda: run.out.read_bytes().endswith(b"\n"), "a flush while lost")
    assert run.out.stat().st_size >= size
    parse_rows(run.out)  # whole rows on disk while the process still runs
    network_camera.start()
    run.wait_until(lambda: "source back" in run.log(), "the recovery on stderr")
    assert run.finish(signal.SIGINT) == 130
    log = run.log().splitlines()
    lost = next(i for i, line in enumerate(log) if "source lost" in line)
    back = next(i for i, line in enumerate(log) if "source back" in line)
    assert lost < back and network_camera.url in log[lost] and "reconnecting in 1 s" in log[lost]
    assert all("reconnect" in line and "failed" in line for line in log[lost + 1:back])
    assert len(parse_rows(run.out)) == summary_rows(run.stdout.read_text())


def test_rows_reach_the_disk_within_a_second(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    monkeypatch.setattr(writers.time, "monotonic", lambda: now[0])
    path = tmp_path / "rows.csv"
    rows = RowWriter(open_stream(path), "%d,%d\n", "a,b\n")
    rows.write_columns([[1], [2]])
    assert path.read_text() == ""  # buffered
    now[0] += 0.5
    rows.write_columns([[3], [4]])
    assert path.read_text() == ""
    now[0] += 0.5
    rows.flush_due()  # no new rows (a lost source), still flushed on time
    assert path.read_text() == "a,b\n1,2\n3,4\n"
    rows.write_columns([[5], [6]])
    rows.close()
    assert path.read_text().endswith("5,6\n")


def test_output_is_never_overwritten_without_force(tmp_path: Path) -> None:
    path = tmp_path / "tracks.csv"
    path.write_text("precious\n")
    with pytest.raises(OutputError, match="exists"):
        open_stream(path)
    assert path.read_text() == "precious\n"
    sink = open_stream(path, force=True)
    sink.write(b"new\n")
    sink.close()
    assert path.read_text() == "new\n"


def test_output_appearing_after_the_check_is_not_overwritten(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "tracks.csv"
    real_exists = Path.exists

    def exists_then_created(self: Path) -> bool:  # another process creates it just after
        found = real_exists(self)
        if self == path and not found:
            path.write_text("theirs\n")
        return found

    monkeypatch.setattr(Path, "exists", exists_then_created)
    with pytest.raises(OutputError, match="exists"):
        open_stream(path)
    assert path.read_text() == "theirs\n"


def test_config_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    old = Params().with_value("lk.win_size", 21)
    save_params(old, path)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(sink_module.os, "fsync", crash)
    with pytest.raises(WriteError, match="disk full"):
        save_params(Params().with_value("lk.win_size", 31), path)
    assert load_params(path).lk.win_size == 21  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


# -- the UI in a real terminal (a pty) -----------------------------------------------------


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class Terminal:
    """`flowtop --source demo` on its own pty, as over SSH: the child leads a session whose
    controlling terminal is the pty, so closing the master hangs it up."""

    def __init__(self, tmp: Path, term: str, extra_env: dict[str, str]) -> None:
        env = {**os.environ, "TERM": term, "XDG_CONFIG_HOME": str(tmp / "cfg"),
               **extra_env}
        env.pop("COLORTERM", None)
        argv = [sys.executable, "-m", "flowtop.tui.cli", "--source", "demo"]
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: become flowtop at once, never return into pytest
            try:
                os.chdir(tmp)
                os.execve(sys.executable, argv, env)
            finally:
                os._exit(127)
        set_size(self.fd, 100, 30)
        self.output = b""

    def pump(self, seconds: float) -> None:
        """Read what the app draws for `seconds` (or until it exits)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.fd, 1 << 16)
                except OSError:  # EIO: the child has gone
                    return
                if not data:
                    return
                self.output += data

    def resize(self, cols: int, rows: int) -> None:
        """Resize the terminal (the kernel sends SIGWINCH to the app) and read until the app
        has drawn again."""
        set_size(self.fd, cols, rows)
        drawn = len(self.output)
        deadline = time.monotonic() + HANG_GUARD_S
        while len(self.output) < drawn + 2000:
            assert time.monotonic() < deadline, self.output[-500:]
            self.pump(0.1)

    def wait(self, read: bool = True) -> int:
        """The exit code, reading the terminal meanwhile (unless it is closed)."""
        deadline = time.monotonic() + HANG_GUARD_S
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return os.waitstatus_to_exitcode(status)
            if read:
                self.pump(0.1)
            else:
                time.sleep(0.1)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("the app did not exit")


ALT_SCREEN_ON, ALT_SCREEN_OFF, CURSOR_ON = b"\x1b[?1049h", b"\x1b[?1049l", b"\x1b[?25h"


@pytest.mark.slow
@pytest.mark.parametrize(("end", "term", "env"), [
    ("SIGHUP", "xterm-256color", {}), ("SIGTERM", "xterm", {}),
    ("SIGHUP", "xterm-256color", {"NO_COLOR": "1"}), ("hang up", "xterm-256color", {})])
def test_the_ui_ends_cleanly_and_restores_the_terminal(end: str, term: str,
                                                      env: dict[str, str],
                                                      tmp_path: Path) -> None:
    tty = Terminal(tmp_path, term, env)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while ALT_SCREEN_ON not in tty.output or len(tty.output) < 20_000:  # up and drawing
            assert time.monotonic() < deadline, tty.output[-500:]
            tty.pump(0.1)
        tty.resize(20, 10)  # down to 20x10 and back
        tty.resize(100, 30)
        if end == "hang up":
            os.close(tty.fd)  # the SSH session drops: the kernel sends SIGHUP
            tty.fd = -1
            code = tty.wait(read=False)
        else:
            drawn = len(tty.output)
            os.kill(tty.pid, getattr(signal, end))
            code = tty.wait()
            tty.pump(1.0)
            after = tty.output[drawn:]
            assert ALT_SCREEN_OFF in after and CURSOR_ON in after, after[-300:]
        assert code == 130  # stopped by a signal, the terminal restored
        assert b"Traceback" not in tty.output
    finally:
        if tty.fd >= 0:
            os.close(tty.fd)


def test_a_signal_while_a_frame_is_handled_stops_after_it() -> None:
    """A frame's write and its count are never split by a stop signal; a signal during a
    (possibly blocking) read ends the run at once."""
    import signal as signal_module

    from flowtop.tracker.sources.demo import DemoSource
    from flowtop.tui.cli.runloop import frames_until_stopped
    from flowtop.tui.cli.stop import StopSignals

    signals = StopSignals()
    handled = []
    for frame in frames_until_stopped(DemoSource(paced=False, frames=10), signals, lambda: True):
        if frame.index == 2:
            signals._handle(signal_module.SIGTERM, None)  # arrives mid-frame: only noted
        handled.append(frame.index)  # written and counted
    assert handled == [0, 1, 2]
    assert signals.name == "SIGTERM"

    class BlockingRead(DemoSource):
        def read(self):  # the signal arrives while a camera read blocks
            signals2._handle(signal_module.SIGINT, None)
            raise AssertionError("the read was not interrupted")

    signals2 = StopSignals()
    assert list(frames_until_stopped(BlockingRead(paced=False), signals2, lambda: True)) == []
    assert signals2.name == "SIGINT"


def test_a_first_signal_python_only_reports_is_sent_again(capsys) -> None:
    """The first signal can land in a weakref callback (the import system runs some), where
    Python reports its KeyboardInterrupt as ignored and goes on: it is sent again, raises in
    the main thread, and nothing is printed."""
    import weakref

    from flowtop.tui.cli.stop import StopSignals

    class Thing:
        pass

    signals = StopSignals()
    signals.install()
    try:
        thing = Thing()
        ref = weakref.ref(thing, lambda _ref: signals._handle(signal.SIGINT, None))
        with pytest.raises(KeyboardInterrupt):
            del thing  # the callback raises here, where Python only reports it
            deadline = time.monotonic() + 60.0
            while time.monotonic() < deadline:
                time.sleep(0.01)
        assert ref() is None
        assert signals.name == "SIGINT"
    finally:
        signals.restore()
    assert capsys.readouterr().err == ""


def test_a_signal_while_a_native_library_loads_raises_once_it_is_in(tmp_path: Path,
                                                                     monkeypatch) -> None:
    """numpy and OpenCV load whole: a signal meanwhile is noted, then raises."""
    from flowtop.tui.cli.stop import StopSignals

    (tmp_path / "slow_native.py").write_text(
        "import os, signal, time\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "time.sleep(0.05)\n"
        "LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    signals = StopSignals()
    signals.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            signals.load("slow_native")
    finally:
        signals.restore()
        sys.modules.pop("slow_native", None)
    assert signals.name == "SIGTERM"


def test_an_error_a_stop_signal_turned_into_is_the_interruption(monkeypatch, capsys) -> None:
    """Python turns a KeyboardInterrupt raised while a class is made ("Error calling
    __set_name__") or a module imports into another error: with a signal in, it is one."""
    from flowtop.tui.cli import config
    from flowtop.tui.cli.main import run_command
    from flowtop.tui.cli.stop import StopSignals

    signals = StopSignals()

    def interrupted_while_loading(_args):
        signals.received = signal.SIGINT
        raise RuntimeError("Error calling __set_name__ on 'Field' instance 'win_size'")

    monkeypatch.setattr(config, "run", interrupted_while_loading)
    assert run_command(["config"], signals) == 130
    assert capsys.readouterr().err == "flowtop: interrupted by SIGINT\n"

    def a_bug(_args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(config, "run", a_bug)
    with pytest.raises(RuntimeError, match="a bug"):  # no signal: a bug stays a bug
        run_command(["config"], StopSignals())


def test_an_interrupt_inside_generated_code_still_exits_130_under_python_m(
        tmp_path: Path) -> None:
    """A KeyboardInterrupt inside code run from a string (dataclasses make their methods so)
    makes `python -m` end by SIGINT (-2) even once it is caught, unless forgotten."""
    (tmp_path / "caught_in_eval.py").write_text(
        "import signal, sys\n"
        "from flowtop.tui.cli.stop import StopSignals\n"
        "stop = StopSignals()\n"
        "stop.received = signal.SIGINT\n"
        "try:\n"
        "    exec('raise KeyboardInterrupt', {})\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        "if sys.argv[1:] == ['forget']:\n"
        "    stop.forget_interrupted_evals()\n"
        "sys.exit(130)\n")
    codes = [subprocess.run([sys.executable, "-m", "caught_in_eval", *extra], check=False,
                            cwd=tmp_path, timeout=60).returncode
             for extra in ([], ["forget"])]
    assert codes == [-signal.SIGINT, 130]  # the first shows the test can fail
