"""Camera probe: which video devices exist, whether they deliver, in which modes, how fast.

A network stream (rtsp://, http://...) is probed the same way apart from the modes, which a
stream cannot switch; its report names it without its credentials.

`probe_devices(devices, opener)` runs without a display and without a real camera: `opener`
is any callable turning a device path into a `cv2.VideoCapture`-like object, so tests pass
fakes. Every blocking call on a capture (open, read) runs under a timeout, and each device
gets a time budget, so a dead driver costs seconds, not minutes.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

from flowtop.tracker.redact import redact

MODES = ((640, 480), (1280, 720), (1920, 1080))
FOURCCS = ("MJPG", "YUYV")
MEASURE_S = 2.0  # frame-rate measurement window
CALL_TIMEOUT_S = 3.0  # an open or a read taking longer counts as hung
STEPS_BUDGET_S = 18.0  # per device beyond the measurement: open, first frame, the modes
WARMUP_READS = 3  # a new mode's first frames may still come in the old one
DEVICE_GLOB = "/dev/video*"


class CaptureLike(Protocol):
    """The part of cv2.VideoCapture the probe uses."""

    def isOpened(self) -> bool: ...  # noqa: N802 - OpenCV's names
    def read(self) -> tuple[bool, Any]: ...
    def get(self, prop: int) -> float: ...
    def set(self, prop: int, value: float) -> bool: ...
    def getBackendName(self) -> str: ...  # noqa: N802
    def release(self) -> None: ...


Opener = Callable[[str], CaptureLike]
Clock = Callable[[], float]


@dataclass
class ModeResult:
    """One requested mode and what the device delivered when asked for it.

    `delivered` is True when a frame came in the requested size and FOURCC, False when
    another came (or none: `got_*` are then None), None when the mode was not tried.
    """

    width: int
    height: int
    fourcc: str
    delivered: bool | None = None
    got_width: int | None = None
    got_height: int | None = None
    got_fourcc: str | None = None
    reported_fps: float | None = None  # what the driver claims for this mode
    switch_s: float | None = None  # from the request to the first frame
    error: str | None = None


@dataclass
class DeviceReport:
    """What the probe learnt about one device; None where it could not find out."""

    path: str
    name: str | None = None  # from sysfs, e.g. "HD Webcam C270"
    opens: bool = False
    backend: str | None = None
    width: int | None = None  # the default mode, before any request
    height: int | None = None
    fps: float | None = None
    fourcc: str | None = None
    first_frame_s: float | None = None  # from the open call to the first frame
    measured_fps: float | None = None  # over `measure_s`, in the default mode
    measure_s: float | None = None
    frames: int = 0  # frames read while measuring
    failed_reads: int = 0
    modes: list[ModeResult] = field(default_factory=list)
    probe_s: float = 0.0
    error: str | None = None  # why the probe stopped early, or why the device does not open

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_devices(pattern: str = DEVICE_GLOB) -> list[str]:
    """Video device paths, in numeric order (/dev/video2 before /dev/video10)."""

    def number(path: str) -> tuple[int, str]:
        digits = re.search(r"(\d+)$", path)
        return (int(digits.group(1)) if digits else -1, path)

    return sorted(glob.glob(pattern), key=number)


def device_name(path: str) -> str | None:
    """The driver's name for a V4L2 device, from sysfs; None when unknown."""
    node = os.path.join("/sys/class/video4linux", os.path.basename(path), "name")
    try:
        with open(node, encoding="utf-8", errors="replace") as f:
            return f.read().strip() or None
    except OSError:
        return None


def is_stream(target: str) -> bool:
    """Whether `target` is a network stream's URL rather than a device."""
    from flowtop.tracker.sources.open import URL_SCHEMES

    return target.strip().lower().startswith(URL_SCHEMES)


def open_device(path: str) -> cv2.VideoCapture:
    """The real opener: a stream through FFmpeg with timeouts; a device through V4L2 on
    Linux, any backend elsewhere; backend warnings silenced."""
    from flowtop.tracker.sources.capture import quiet_backend_logs, stream_capture

    if is_stream(path):
        return stream_capture(path)
    quiet_backend_logs()
    cap = cv2.VideoCapture()
    backend = cv2.CAP_V4L2 if os.name == "posix" else cv2.CAP_ANY
    with contextlib.suppress(cv2.error):
        cap.open(path, backend)
    return cap


def fourcc_text(value: float) -> str | None:
    """CAP_PROP_FOURCC as four characters ('MJPG'); None for 0 or garbage."""
    code = int(value) if np.isfinite(value) else 0
    if code <= 0:
        return None
    text = code.to_bytes(4, "little").decode("latin-1").rstrip("\0 ")
    return text if text and text.isprintable() else None


def fourcc_code(text: str) -> int:
    return cv2.VideoWriter_fourcc(*text)


class Hung(Exception):
    """A capture call did not return within its timeout (the argument, in seconds)."""


class OutOfTime(Exception):
    """The device's time budget is spent."""


def within(call: Callable[[], Any], timeout: float) -> Any:
    """`call()`'s result, or Hung after `timeout` seconds (the call goes on in a daemon
    thread, which a driver stuck in a read may keep forever)."""
    box: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            box.append(call())
        except BaseException as exc:  # handed to the caller below
            failure.append(exc)

    worker = threading.Thread(target=run, daemon=True, name="probe-call")
    worker.start()
    worker.join(max(0.0, timeout))
    if worker.is_alive():
        raise Hung(timeout)
    if failure:
        raise failure[0]
    return box[0]


def _frame_size(frame: Any) -> tuple[int, int] | None:
    shape = getattr(frame, "shape", None)
    if shape is None or len(shape) < 2 or shape[0] <= 0 or shape[1] <= 0:
        return None
    return int(shape[1]), int(shape[0])


def _whole(value: float) -> int | None:
    return int(value) if np.isfinite(value) and value >= 1 else None


def _num(value: float) -> float | None:
    return round(float(value), 3) if np.isfinite(value) and value > 0 else None


class _DeviceProbe:
    """The steps of one device's probe, sharing its capture, clock and budget."""

    def __init__(self, report: DeviceReport, target: str, clock: Clock, budget_s: float,
                 call_timeout_s: float) -> None:
        self.report, self.target, self.clock = report, target, clock
        self.deadline = clock() + budget_s
        self.call_timeout_s = call_timeout_s
        self.cap: CaptureLike | None = None

    def left(self) -> float:
        return self.deadline - self.clock()

    def call(self, fn: Callable[[], Any]) -> Any:
        left = self.left()
        if left <= 0:
            raise OutOfTime
        return within(fn, min(self.call_timeout_s, left))

    def read(self) -> tuple[bool, Any]:
        assert self.cap is not None
        ok, frame = self.call(self.cap.read)
        return bool(ok) and _frame_size(frame) is not None, frame

    def open(self, opener: Opener) -> bool:
        r, t0 = self.report, self.clock()
        self.cap = self.call(lambda: opener(self.target))
        if not self.cap.isOpened():
            r.error = ("does not open (address, path or credentials?)" if is_stream(self.target)
                       else "does not open (busy, no permission, or not a capture node)")
            return False
        r.opens = True
        try:
            r.backend = str(self.cap.getBackendName())
        except cv2.error:
            r.backend = None
        r.width = _whole(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        r.height = _whole(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        r.fps = _num(self.cap.get(cv2.CAP_PROP_FPS))
        r.fourcc = fourcc_text(self.cap.get(cv2.CAP_PROP_FOURCC))
        ok, frame = self.read()
        if not ok:
            r.error = "opens but delivers no frame"
            return False
        r.first_frame_s = round(self.clock() - t0, 3)
        size = _frame_size(frame)
        if size and (r.width, r.height) != size:  # the frame is the truth
            r.width, r.height = size
        return True

    def measure(self, seconds: float) -> None:
        """Frames per second over `seconds` (less if the budget is short): frames after the
        first, over the time from the first to the last."""
        r = self.report
        window = min(seconds, max(0.0, self.left() - 1.0))
        t0 = self.clock()
        times: list[float] = []
        while self.clock() - t0 < window:
            ok, _ = self.read()
            if ok:
                times.append(self.clock())
            else:
                r.failed_reads += 1
        r.frames, r.measure_s = len(times), round(self.clock() - t0, 3)
        if len(times) >= 2 and times[-1] > times[0]:
            r.measured_fps = round((len(times) - 1) / (times[-1] - times[0]), 2)

    def try_mode(self, mode: ModeResult) -> None:
        assert self.cap is not None
        t0 = self.clock()
        self.cap.set(cv2.CAP_PROP_FOURCC, fourcc_code(mode.fourcc))
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, mode.width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, mode.height)
        size = None
        for _ in range(WARMUP_READS):
            ok, frame = self.read()
            if ok:
                size = _frame_size(frame)
                if mode.switch_s is None:
                    mode.switch_s = round(self.clock() - t0, 3)
                if size == (mode.width, mode.height):
                    break
        mode.got_fourcc = fourcc_text(self.cap.get(cv2.CAP_PROP_FOURCC))
        mode.reported_fps = _num(self.cap.get(cv2.CAP_PROP_FPS))
        if size is None:
            mode.delivered, mode.error = False, "no frame after the request"
            return
        mode.got_width, mode.got_height = size
        mode.delivered = size == (mode.width, mode.height) and mode.got_fourcc == mode.fourcc

    def restore(self) -> None:
        """Ask for the default mode again: V4L2 drivers keep the last format set."""
        r = self.report
        if self.cap is None or not (r.fourcc and r.width and r.height):
            return
        self.cap.set(cv2.CAP_PROP_FOURCC, fourcc_code(r.fourcc))
        self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, r.width)
        self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, r.height)


def probe_device(path: str, opener: Opener = open_device, *, measure_s: float = MEASURE_S,
                 budget_s: float | None = None, call_timeout_s: float = CALL_TIMEOUT_S,
                 clock: Clock = time.monotonic) -> DeviceReport:
    """Open `path`, read its defaults and first frame, measure its rate, then try each of
    MODES x FOURCCS, within `budget_s` (default `measure_s` + STEPS_BUDGET_S). Stops early
    (saying why in `error`) on a hung call or a spent budget; modes not tried keep
    `delivered` None. A stream (`is_stream`) tries no modes and is reported as `redact(path)`."""
    if budget_s is None:
        budget_s = measure_s + STEPS_BUDGET_S
    stream = is_stream(path)
    report = DeviceReport(redact(path), name=None if stream else device_name(path),
                          modes=[] if stream else
                          [ModeResult(w, h, c) for w, h in MODES for c in FOURCCS])
    probe = _DeviceProbe(report, path, clock, budget_s, call_timeout_s)
    started = clock()
    try:
        if probe.open(opener):
            probe.measure(measure_s)
            for mode in report.modes:
                probe.try_mode(mode)
    except OutOfTime:
        report.error = f"time budget of {budget_s:g} s spent; later steps not tried"
    except Hung as exc:
        report.error = f"the device did not answer within {exc.args[0]:.3g} s; probe stopped"
        probe.cap = None  # still in use by the stuck call: not released under it
    except cv2.error as exc:
        report.error = redact(f"OpenCV error: {str(exc).strip().splitlines()[-1]}")
    finally:
        if probe.cap is not None:
            with contextlib.suppress(cv2.error):
                probe.restore()
            probe.cap.release()
    report.probe_s = round(clock() - started, 3)
    return report


def probe_devices(devices: Iterable[str], opener: Opener = open_device,
                  on_report: Callable[[DeviceReport], None] | None = None,
                  **options: Any) -> list[DeviceReport]:
    """`probe_device` for each path, in order; `on_report` hears each as it is done."""
    reports = []
    for path in devices:
        report = probe_device(path, opener, **options)
        if on_report:
            on_report(report)
        reports.append(report)
    return reports


def to_json(reports: list[DeviceReport]) -> dict[str, Any]:
    """The `--json` object: {"devices": [...], "count": N}; every key is always present."""
    return {"devices": [r.to_dict() for r in reports], "count": len(reports)}


def format_report(r: DeviceReport) -> list[str]:
    """A device's report as text lines for a terminal or a log."""
    head = f"{r.path}" + (f"  {r.name}" if r.name else "")
    if not r.opens:
        return [head, f"  {r.error or 'does not open'}"]
    lines = [head, f"  backend      {r.backend or '?'}"]
    default = (f"{r.width}x{r.height}" if r.width and r.height else "?x?") + \
        f" {r.fourcc or '?'}" + (f" {r.fps:g} fps" if r.fps else "")
    lines.append(f"  default      {default}")
    if r.first_frame_s is not None:
        lines.append(f"  first frame  {r.first_frame_s:.2f} s")
        rate = f"{r.measured_fps:.1f} fps" if r.measured_fps is not None else "-"
        lines.append(f"  measured     {rate} over {r.measure_s or 0:.1f} s ({r.frames} frames"
                     + (f", {r.failed_reads} failed reads" if r.failed_reads else "") + ")")
    for i, m in enumerate(r.modes):
        label = "modes" if i == 0 else ""
        want = f"{m.width}x{m.height} {m.fourcc}"
        if m.delivered is None:
            verdict = "not tried"
        elif m.delivered:
            verdict = "yes" + (f", {m.reported_fps:g} fps" if m.reported_fps else "")
        elif m.got_width is None:
            verdict = f"no: {m.error}"
        else:
            verdict = f"no: got {m.got_width}x{m.got_height} {m.got_fourcc or '?'}"
        lines.append(f"  {label:<12} {want:<15} {verdict}")
    if r.error:
        lines.append(f"  note         {r.error}")
    return lines
