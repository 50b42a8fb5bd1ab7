"""`flowtop probe`: the engine on fake devices and a fake clock, the command on a machine
without cameras, the JSON shape, and one run on a real cv2.VideoCapture (a sample file)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.sources import probe
from flowtop.tracker.sources.probe import DeviceReport, fourcc_text, list_devices, probe_device
from flowtop.tui.cli.main import main

Mode = tuple[int, int, str]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeCamera:
    """A V4L2-like device on a fake clock. As OpenCV's V4L2 backend does, each `set` asks the
    driver for the format at once: the device switches when it supports the whole requested
    mode and otherwise keeps the one it has. A frame takes 1/fps, a switch `switch_s`."""

    def __init__(self, clock: FakeClock, supported: set[Mode], default: Mode = (640, 480, "YUYV"),
                 fps: float = 30.0, opens: bool = True, delivers: bool = True,
                 open_s: float = 0.2, switch_s: float = 0.0,
                 hang: threading.Event | None = None) -> None:
        self.clock, self.supported, self.mode, self.fps = clock, supported, default, fps
        self.opens, self.delivers, self.switch_s, self.hang = opens, delivers, switch_s, hang
        self.wanted = list(default)
        self.released = False
        self.reads = 0
        clock.now += open_s

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opens and not self.released

    def getBackendName(self) -> str:  # noqa: N802
        return "V4L2"

    def get(self, prop: int) -> float:
        w, h, fourcc = self.mode
        return {cv2.CAP_PROP_FRAME_WIDTH: float(w), cv2.CAP_PROP_FRAME_HEIGHT: float(h),
                cv2.CAP_PROP_FPS: self.fps,
                cv2.CAP_PROP_FOURCC: float(cv2.VideoWriter_fourcc(*fourcc))}.get(prop, 0.0)

    def set(self, prop: int, value: float) -> bool:
        index = {cv2.CAP_PROP_FRAME_WIDTH: 0, cv2.CAP_PROP_FRAME_HEIGHT: 1,
                 cv2.CAP_PROP_FOURCC: 2}[prop]
        self.wanted[index] = fourcc_text(value) if index == 2 else int(value)
        wanted = (self.wanted[0], self.wanted[1], self.wanted[2])
        if wanted != self.mode and wanted in self.supported:
            self.mode = wanted
            self.clock.now += self.switch_s
        return True

    def read(self) -> tuple[bool, np.ndarray | None]:
        if self.hang is not None:
            self.hang.wait()
            return False, None
        self.clock.now += 1.0 / self.fps
        self.reads += 1
        if not self.delivers:
            return False, None
        w, h, _ = self.mode
        return True, np.zeros((h, w, 3), np.uint8)

    def release(self) -> None:
        self.released = True


WEBCAM = {(640, 480, "YUYV"), (640, 480, "MJPG"), (1280, 720, "MJPG"), (1920, 1080, "MJPG")}


def fake_opener(cameras: dict[str, FakeCamera]) -> probe.Opener:
    return lambda path: cameras[path]


def test_fake_webcam_every_figure() -> None:
    clock = FakeClock()
    cam: list[FakeCamera] = []

    def opener(path: str) -> FakeCamera:
        assert path == "/dev/video0"
        cam.append(FakeCamera(clock, WEBCAM, open_s=0.2))
        return cam[0]

    r = probe_device("/dev/video0", opener, measure_s=2.0, clock=clock)
    assert r.error is None
    assert (r.opens, r.backend, r.width, r.height, r.fps, r.fourcc) == (
        True, "V4L2", 640, 480, 30.0, "YUYV")
    assert r.first_frame_s == pytest.approx(0.2 + 1 / 30, abs=1e-3)
    assert r.measured_fps == pytest.approx(30.0, rel=1e-3)
    assert r.frames in (60, 61) and r.failed_reads == 0  # 2 s of 1/30 s, give or take a float
    got = {(m.width, m.height, m.fourcc): m for m in r.modes}
    assert set(got) == {(w, h, c) for w, h in probe.MODES for c in probe.FOURCCS}
    for mode, result in got.items():
        assert result.delivered is (mode in WEBCAM), mode
    # 1280x720 YUYV is refused: the camera stays in the 1280x720 MJPG asked just before,
    # so the size alone would pass; the FOURCC check must catch it
    refused = got[(1280, 720, "YUYV")]
    assert (refused.got_width, refused.got_height, refused.got_fourcc) == (1280, 720, "MJPG")
    assert got[(1920, 1080, "MJPG")].reported_fps == 30.0
    assert cam[0].mode == (640, 480, "YUYV"), "the default mode was not restored"
    assert cam[0].released


def test_device_that_does_not_open_is_reported_and_released() -> None:
    clock = FakeClock()
    cam = FakeCamera(clock, WEBCAM, opens=False)
    r = probe_device("/dev/video1", fake_opener({"/dev/video1": cam}), clock=clock)
    assert not r.opens and "does not open" in (r.error or "")
    assert r.backend is None and r.measured_fps is None
    assert all(m.delivered is None for m in r.modes)
    assert cam.reads == 0


def test_device_that_opens_but_delivers_nothing() -> None:
    clock = FakeClock()
    cam = FakeCamera(clock, WEBCAM, delivers=False)
    r = probe_device("/dev/video0", fake_opener({"/dev/video0": cam}), clock=clock)
    assert r.opens and r.first_frame_s is None
    assert r.error == "opens but delivers no frame"
    assert all(m.delivered is None for m in r.modes)
    assert cam.released


def test_a_hung_read_stops_the_probe_at_the_call_timeout() -> None:
    clock = FakeClock()
    stuck = threading.Event()
    cam = FakeCamera(clock, WEBCAM, hang=stuck)
    try:
        r = probe_device("/dev/video0", fake_opener({"/dev/video0": cam}), clock=clock,
                         call_timeout_s=0.2)
    finally:
        stuck.set()  # let the abandoned reader thread finish
    assert r.opens and r.first_frame_s is None
    assert "did not answer within 0.2 s" in (r.error or "")
    assert not cam.released, "released under a read still in progress"


def test_time_budget_leaves_later_modes_untried() -> None:
    clock = FakeClock()
    cam = FakeCamera(clock, WEBCAM, switch_s=1.0)
    r = probe_device("/dev/video0", fake_opener({"/dev/video0": cam}), clock=clock,
                     measure_s=1.0, budget_s=4.0)
    tried = [m for m in r.modes if m.delivered is not None]
    assert 0 < len(tried) < len(r.modes)
    assert r.modes[-1].delivered is None
    assert "time budget of 4 s spent" in (r.error or "")
    assert cam.released and cam.mode == (640, 480, "YUYV")


def test_probe_of_a_real_capture(highway: Path) -> None:
    """A file through cv2.VideoCapture: the real API, and no mode request is honoured."""
    r = probe_device(str(highway), lambda p: cv2.VideoCapture(p, cv2.CAP_FFMPEG),
                     measure_s=0.3)
    assert r.error is None, r.error
    assert (r.opens, r.backend, r.width, r.height) == (True, "FFMPEG", 640, 360)
    assert r.fps == pytest.approx(29.97, abs=0.01)
    assert r.frames > 1 and r.measured_fps is not None and r.measured_fps > 0
    assert all(m.delivered is False and (m.got_width, m.got_height) == (640, 360)
               for m in r.modes)


def test_fourcc_text() -> None:
    assert fourcc_text(cv2.VideoWriter_fourcc(*"MJPG")) == "MJPG"
    assert fourcc_text(float(cv2.VideoWriter_fourcc(*"YUYV"))) == "YUYV"
    assert fourcc_text(0.0) is None
    assert fourcc_text(float("nan")) is None
    assert fourcc_text(-1.0) is None


def test_devices_are_listed_in_numeric_order(tmp_path: Path) -> None:
    for n in (10, 2, 0):
        (tmp_path / f"video{n}").touch()
    assert list_devices(str(tmp_path / "video*")) == [str(tmp_path / f"video{n}")
                                                      for n in (0, 2, 10)]


# -- the command -----------------------------------------------------------------------------


def test_no_devices_says_so_and_exits_0(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(probe, "list_devices", lambda pattern=probe.DEVICE_GLOB: [])
    assert main(["probe"]) == 0
    out = capsys.readouterr()
    assert out.out == "no video devices found (/dev/video* matches nothing)\n"
    assert main(["probe", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"devices": [], "count": 0}


@pytest.mark.skipif(bool(glob.glob(probe.DEVICE_GLOB)), reason="this machine has a camera")
def test_no_devices_on_this_machine_in_a_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([sys.executable, "-m", "flowtop.tui.cli", "probe"], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert "no video devices found" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_device_that_does_not_exist_is_a_usage_error(capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert main(["probe", "/dev/video97"]) == 2
    assert capsys.readouterr().err == "flowtop: /dev/video97 does not exist\n"


def webcam_and_dead_node(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()  # only the fakes' own bookkeeping; the command runs on real time
    monkeypatch.setattr(probe, "list_devices",
                        lambda pattern=probe.DEVICE_GLOB: ["/dev/video0", "/dev/video1"])
    monkeypatch.setattr(probe, "open_device", lambda path: FakeCamera(
        clock, WEBCAM, opens=path == "/dev/video0"))


def test_json_shape_with_fake_devices(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    webcam_and_dead_node(monkeypatch)
    assert main(["probe", "--json", "--seconds", "0.1"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1, "one JSON object on one line"
    data = json.loads(out)
    assert set(data) == {"devices", "count"} and data["count"] == 2
    device_keys = set(DeviceReport("x").to_dict())
    assert device_keys >= {"path", "opens", "backend", "width", "height", "fps", "fourcc",
                           "first_frame_s", "measured_fps", "modes", "error"}
    cam, dead = data["devices"]
    assert set(cam) == device_keys and set(dead) == device_keys
    assert (cam["path"], cam["opens"], cam["backend"], cam["width"], cam["height"],
            cam["fps"], cam["fourcc"]) == ("/dev/video0", True, "V4L2", 640, 480, 30.0, "YUYV")
    assert isinstance(cam["first_frame_s"], float) and isinstance(cam["measured_fps"], float)
    mode_keys = {"width", "height", "fourcc", "delivered", "got_width", "got_height",
                 "got_fourcc", "reported_fps", "switch_s", "error"}
    assert len(cam["modes"]) == 6 and all(set(m) == mode_keys for m in cam["modes"])
    delivered = {(m["width"], m["height"], m["fourcc"]) for m in cam["modes"] if m["delivered"]}
    assert delivered == WEBCAM
    assert (dead["path"], dead["opens"], dead["measured_fps"]) == ("/dev/video1", False, None)
    assert all(m["delivered"] is None for m in dead["modes"])


def test_text_report_with_fake_devices(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    webcam_and_dead_node(monkeypatch)
    assert main(["probe", "--seconds", "0.1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "/dev/video0"
    assert "  backend      V4L2" in lines and "  default      640x480 YUYV 30 fps" in lines
    assert any(line.startswith("  measured     ") and "fps over" in line for line in lines)
    assert "  modes        640x480 MJPG    yes, 30 fps" in lines
    assert "               1280x720 YUYV   no: got 1280x720 MJPG" in lines
    assert lines[-2:] == ["/dev/video1", "  does not open (busy, no permission, or not a "
                                         "capture node)"]
