"""Open the source a user names: `open_source("demo")`, `open_source("0")`,
`open_source("/dev/video2")`, `open_source("a.mp4")`, `open_source("rtsp://...")`,
`open_source("frames/*.png")`, `open_source("auto")`.

Every frame carries its index and a timestamp in seconds; speeds use those timestamps.
"""

from __future__ import annotations

import os

from flowtop.tracker.contracts import Source
from flowtop.tracker.sources.capture import (
    CaptureSource,
    ImageSequenceSource,
    camera_delivers,
    open_camera,
    open_file,
    open_url,
)
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tracker.sources.resilient import ResilientSource

URL_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "rtmp://", "udp://", "tcp://")
GLOB_CHARS = set("*?[")
AUTO_CAMERA_TIMEOUT_S = 2.0
DEFAULT_FPS = 30.0


def open_source(spec: str, *, paced: bool = True, loop: bool = False, fps: float | None = None,
                width: int = 0, height: int = 0, resilient: bool = True) -> Source:
    """Open the source named by `spec`; raise SourceError with a one-line reason.

    `paced` plays files (and the demo) in real time; unpaced files run as fast as possible.
    `fps` is the rate of the demo and of image sequences (default 30), and the rate requested
    of a camera (default: its own). With `resilient`, cameras and streams come wrapped in a
    `ResilientSource`: they reconnect after a fault instead of failing.
    """
    source = _open_plain(spec, paced=paced, loop=loop, fps=fps, width=width, height=height)
    if not (resilient and isinstance(source, CaptureSource) and source.live):
        return source
    again = "0" if spec.strip() == "auto" else spec  # a lost auto camera comes back as camera 0
    return ResilientSource(
        lambda: _open_plain(again, paced=paced, fps=fps, width=width, height=height), source)


def _open_plain(spec: str, *, paced: bool = True, loop: bool = False, fps: float | None = None,
                width: int = 0, height: int = 0) -> Source:
    spec = spec.strip()
    rate = fps or DEFAULT_FPS
    if spec == "demo":
        return DemoSource(fps=rate, paced=paced)
    if spec == "auto":
        if not os.path.exists("/dev/video0") and os.name == "posix":
            cap = None
        else:
            cap = camera_delivers(0, AUTO_CAMERA_TIMEOUT_S)
        if cap is not None:
            return CaptureSource(cap, "camera 0", live=True, auto_choice="camera 0")
        return DemoSource(fps=rate, paced=paced, auto_choice="demo (no camera delivered a frame)")
    if spec.lower().startswith(URL_SCHEMES):
        return open_url(spec)
    if spec.isdigit():
        return open_camera(int(spec), width, height, fps or 0)
    if spec.startswith("/dev/video"):
        return open_camera(spec, width, height, fps or 0)
    if GLOB_CHARS & set(spec) and not os.path.exists(spec):
        return ImageSequenceSource(spec, fps=rate, paced=paced, loop=loop)
    return open_file(spec, paced=paced, loop=loop)

