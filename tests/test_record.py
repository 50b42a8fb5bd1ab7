"""`flowtop record`: annotated videos that open with the right frames, the output rules,
and a signal that finishes the file instead of breaking it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.errors import OutputError
from flowtop.tracker.output.video import VideoRecorder
from flowtop.tracker.sources.demo import DemoScene
from flowtop.tui.cli.main import main

FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]


def read_video(path: Path) -> tuple[list[np.ndarray], float]:
    """Every frame of `path` (decoded) and its frame rate."""
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened(), f"{path} does not open"
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames, fps


def test_record_demo_writes_every_frame_annotated(tmp_path: Path, capsys) -> None:
    out = tmp_path / "demo.mp4"
    assert main(["record", "demo", "--out", str(out), "--frames", "25", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 25 and summary["out"] == str(out)
    frames, fps = read_video(out)
    assert len(frames) == 25
    assert frames[0].shape == (360, 640, 3)
    assert fps == pytest.approx(30.0)
    raw = DemoScene().render(24 / 30)
    diff = np.abs(frames[-1].astype(int) - raw.astype(int)).max(axis=2)
    assert (diff > 60).mean() > 0.01  # tracks drawn, far beyond compression noise
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


def test_record_all_tracks_draws_the_static_ones_too(tmp_path: Path, capsys) -> None:
    raw = DemoScene().render(9 / 30)
    marked = {}
    for name, extra in (("calm", []), ("every", ["--all-tracks"])):
        out = tmp_path / f"{name}.avi"
        assert main(["record", "demo", "--out", str(out), "--frames", "10", *extra]) == 0
        frames, _ = read_video(out)
        marked[name] = (np.abs(frames[-1].astype(int) - raw.astype(int)).max(axis=2) > 60).mean()
    assert 0.0 < marked["calm"] < 0.75 * marked["every"]  # every track in full colour


@pytest.mark.slow
def test_record_file_keeps_its_rate_and_size(highway: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "highway.avi"
    assert main(["record", str(highway), "--out", str(out), "--frames", "40"]) == 0
    assert "wrote 40 frames (640x360 at 29.97 fps)" in capsys.readouterr().out
    frames, fps = read_video(out)
    assert len(frames) == 40
    assert fps == pytest.approx(29.97, abs=0.01)


def test_record_refuses_an_existing_out(tmp_path: Path, capsys) -> None:
    out = tmp_path / "old.mp4"
    out.write_bytes(b"precious")
    assert main(["record", "demo", "--out", str(out), "--frames", "3"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--force" in err
    assert out.read_bytes() == b"precious"
    assert main(["record", "demo", "--out", str(out), "--frames", "3", "--force"]) == 0
    assert len(read_video(out)[0]) == 3


@pytest.mark.parametrize(("name", "says"), [("clip.gif", "a video must end in"),
                                             ("missing/clip.mp4", "does not exist")])
def test_record_bad_out_is_one_line(tmp_path: Path, capsys, name: str, says: str) -> None:
    assert main(["record", "demo", "--out", str(tmp_path / name), "--frames", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_video(tmp_path: Path, sig: signal.Signals) -> None:
    out = tmp_path / "live.mp4"
    proc = subprocess.Popen([*FLOWTOP, "record", "demo", "--out", str(out), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size > 50_000 for p in tmp_path.glob(".live.*.part.mp4")):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(proc.communicate())
        time.sleep(0.1)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr  # interrupted, the video finished
    summary = json.loads(stdout)
    assert summary["interrupted_by"] == sig.name
    assert "video finished" in stderr
    frames, _ = read_video(out)
    assert len(frames) == summary["frames"] > 0
    assert not list(tmp_path.glob(".*"))  # no partial file left


def test_recorder_scales_odd_frames_and_keeps_nothing_without_frames(tmp_path: Path) -> None:
    out = tmp_path / "sizes.mkv"
    rec = VideoRecorder(out, fps=12)
    rec.write(np.full((48, 64, 3), 200, np.uint8))
    rec.write(np.full((96, 128, 3), 50, np.uint8))  # a camera that changed mode
    rec.write(np.full((48, 64), 120, np.uint8))  # gray
    assert rec.close() == out
    frames, fps = read_video(out)
    assert [f.shape for f in frames] == [(48, 64, 3)] * 3
    assert fps == pytest.approx(12)
    empty = VideoRecorder(tmp_path / "empty.mp4", fps=0)
    assert empty.fps == 30.0  # an unknown source rate
    assert empty.close() is None
    assert not (tmp_path / "empty.mp4").exists()
    with pytest.raises(OutputError, match="exists"):
        VideoRecorder(out, fps=12)
