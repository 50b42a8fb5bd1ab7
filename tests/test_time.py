"""Time never runs backwards: file clocks, loops, videos written at the frames' rate, jumps in
the content restarting tracks instead of giving speeds, motion beyond LK's reach said."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_motion import scene, texture

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.output.video import VideoRecorder
from flowtop.tracker.sources.capture import FileClock
from flowtop.tracker.sources.open import open_source
from flowtop.tui.cli.main import main

FPS = 30.0


def test_file_clock_never_runs_backwards_nor_jumps() -> None:
    clock = FileClock(nominal_fps=50)  # the container says 50; its stamps say 25
    stamps = [0, 40, 80, 0, math.nan, 80, 240, 200, 280]
    times = [clock.stamp(ms) for ms in stamps]
    assert times[:3] == pytest.approx([0, 0.04, 0.08])
    # 0 ms, NaN, a repeat: one measured interval each, no jump
    assert times[3:6] == pytest.approx([0.12, 0.16, 0.20])
    assert times[6] == pytest.approx(0.24)  # stamps that move forward are kept
    assert times[7] == pytest.approx(0.28)  # backwards: a step on from the last
    assert times[8] == pytest.approx(0.32)
    assert (np.diff(times) > 0).all()


@pytest.mark.slow
def test_pedestrians_time_runs_to_its_end_and_on_through_a_loop(pedestrians: Path) -> None:
    """pedestrians.avi reports 0 ms for its last frame; its 341 frames span 13.6 s."""
    source = open_source(str(pedestrians), paced=False, loop=True)
    frames = []
    for _ in range(345):
        frame = source.read()
        assert frame is not None
        frames.append((frame.t, frame.restart))
    source.close()
    times = np.array([t for t, _ in frames])
    assert (np.diff(times) > 0).all()
    assert times[340] == pytest.approx(13.64, abs=0.01)
    assert [i for i, (_, r) in enumerate(frames) if r] == [341]  # a new round restarts
    assert times[341] - times[340] == pytest.approx(0.04, abs=1e-6)


def test_recorder_keeps_to_the_frames_clock(tmp_path: Path) -> None:
    """Frames stamped 10 per second play at 10 fps whatever rate was guessed, and a gap in
    the stamps is held, not skipped: the video lasts as long as the frames did."""
    out = tmp_path / "timed.avi"
    rec = VideoRecorder(out, fps=30)
    times = [i / 10 for i in range(20)] + [2.5 + i / 10 for i in range(10)]  # 0.6 s gap
    for k, t in enumerate(times):
        rec.write(np.full((48, 64, 3), 8 * k, np.uint8), t)
    assert rec.close() == out
    cap = cv2.VideoCapture(str(out))
    count, fps = cap.get(cv2.CAP_PROP_FRAME_COUNT), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert fps == pytest.approx(10)
    assert count / fps == pytest.approx(times[-1] + 0.1, abs=0.051)


@pytest.mark.slow
def test_record_writes_at_the_rate_of_the_timestamps(pedestrians: Path, tmp_path: Path,
                                                      capsys) -> None:
    out = tmp_path / "ped.mp4"
    assert main(["record", str(pedestrians), "--out", str(out), "--frames", "30"]) == 0
    assert "at 25 fps" in capsys.readouterr().out  # not the container's 50
    cap = cv2.VideoCapture(str(out))
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(25)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) == 30
    cap.release()


def moving_scene(i: int) -> np.ndarray:
    ground = texture(240, 320, 11, sigma=1.5, contrast=25)
    car = texture(30, 50, 12, sigma=1.2, contrast=60)
    return cv2.cvtColor(scene([(car, 20 + 3 * i, 100)], ground), cv2.COLOR_GRAY2BGR)


@pytest.mark.slow
def test_a_jump_in_the_content_restarts_tracks_instead_of_a_speed() -> None:
    """Frames 0-59 then 20-59 again, time going on: the vehicle jumps back 60 px. Its tracks
    restart; no track reads faster than the vehicle's 90 px/s."""
    tracker = Tracker()
    order = list(range(60)) + list(range(20, 60))
    fastest = []
    for k, i in enumerate(order):
        state = tracker.update(Frame(k, k / FPS, moving_scene(i)))
        fastest.append(float(state.speed.max()) if len(state.speed) else 0.0)
        if k == 60:
            assert state.lost > 0
    assert max(fastest[10:]) < 90 * 1.1
    objects = [o.speed for o in state.objects]
    assert objects and objects[0] == pytest.approx(90, rel=0.03)


def test_a_cut_restarts_everything_and_says_so() -> None:
    tracker = Tracker()
    a, b = (cv2.cvtColor(texture(240, 320, s), cv2.COLOR_GRAY2BGR) for s in (13, 14))
    for k in range(5):
        tracker.update(Frame(k, k / FPS, a))
    before = tracker.update(Frame(5, 5 / FPS, a)).live
    after = tracker.update(Frame(6, 6 / FPS, b))  # another scene, most points lost
    assert after.lost >= 0.6 * before
    assert (after.age == 0).all() and (after.speed == 0).all()
    assert after.notice


@pytest.mark.parametrize(("step", "says"), [(10, False), (40, True)])
def test_motion_beyond_lk_reach_is_said(step: int, says: bool) -> None:
    """win_size 15 and max_level 2 follow about 7.5 * 4 = 30 px a frame."""
    tracker = Tracker(Params())
    ground = texture(240, 640, 15, sigma=1.5, contrast=25)
    car = texture(60, 90, 16, sigma=1.5, contrast=60)
    notices = set()
    for i in range(14):
        img = cv2.cvtColor(scene([(car, 10 + step * i, 90)], ground), cv2.COLOR_GRAY2BGR)
        notices.add(tracker.update(Frame(i, i / FPS, img)).notice)
    told = any("too fast for lk" in n for n in notices)
    assert told is says
