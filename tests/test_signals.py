"""Data safety: outputs complete after Ctrl-C, SIGTERM, SIGHUP; flushed every second; atomic
config saves; nothing overwritten without --force; a live source's outages logged."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fakes import MjpegServer

from tracker import config as config_module
from tracker import writers
from tracker.config import load_params, save_params
from tracker.params import Params
from tracker.writers import TRACK_COLUMNS, OutputError, RowWriter, open_output

ROOT = Path(__file__).resolve().parents[1]
HANG_GUARD_S = 60.0


class Track:
    """`flowtop track SOURCE --out FILE` in a subprocess, its stdout and stderr in files."""

    def __init__(self, tmp: Path, source: str, out: str) -> None:
        self.out = tmp / out
        self.stdout, self.stderr = tmp / "stdout.txt", tmp / "stderr.txt"
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp / "cfg"), "PYTHONPATH": str(ROOT)}
        with self.stdout.open("w") as so, self.stderr.open("w") as se:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tui.cli", "track", source, "--out", str(self.out)],
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


@pytest.mark.parametrize(("sig", "out"), [
    (signal.SIGINT, "x.csv"), (signal.SIGTERM, "x.csv"), (signal.SIGHUP, "x.csv"),
    (signal.SIGTERM, "x.jsonl")])
def test_signal_leaves_a_complete_file(sig: signal.Signals, out: str, tmp_path: Path) -> None:
    run = Track(tmp_path, "demo", out)
    time.sleep(1.0)
    run.wait_until(run.has_rows, "the first flush")
    assert run.finish(sig) == 0
    rows = parse_rows(run.out)
    assert rows
    assert summary_rows(run.stdout.read_text()) == len(rows)
    assert f"interrupted by {sig.name}: outputs closed" in run.log()
    assert "Traceback" not in run.log()


def test_a_second_signal_while_closing_does_not_cut_the_file(tmp_path: Path) -> None:
    run = Track(tmp_path, "demo", "x.csv")
    time.sleep(1.0)
    run.wait_until(run.has_rows, "the first flush")
    assert run.finish(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) == 0
    assert parse_rows(run.out)
    log = run.log()  # pending signals arrive lowest number first: SIGHUP wins
    assert log.count("interrupted by SIG") == 1 and "Traceback" not in log


@pytest.fixture
def network_camera() -> Iterator[MjpegServer]:
    server = MjpegServer().start()
    yield server
    server.stop()


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
    assert run.finish(signal.SIGINT) == 0
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
    rows = RowWriter(open_output(path), "%d,%d\n", "a,b\n")
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
    with pytest.raises(OutputError, match="exists; pass --force"):
        open_output(path)
    assert path.read_text() == "precious\n"
    with open_output(path, force=True) as fh:
        fh.write("new\n")
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
        open_output(path)
    assert path.read_text() == "theirs\n"


def test_config_save_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    old = Params().with_value("lk.win_size", 21)
    save_params(old, path)

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(config_module.os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        save_params(Params().with_value("lk.win_size", 31), path)
    assert load_params(path).lk.win_size == 21  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left
