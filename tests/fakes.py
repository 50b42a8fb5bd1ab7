"""A camera that misbehaves on a script, for driving the loop, the wrapper and the app.

`FlakyCamera(script)` stands for a device; `camera.open()` (the opener a `ResilientSource`
calls) returns a `FaultySource` reading the demo scene. Every connection works through the
one shared script, a step per `read()`:

    "frames:N"    N good frames              "lost"         raise SourceLost once
    "raise"       raise RuntimeError once    "none"         return None once (stream ended)
    "empty:N"     N frames with no pixels    "corrupt:N"    N frames of float noise
    "resize:WxH"  later frames are WxH       "stall:S"      block S seconds, then go on
    "down:K"      drop the connection: this read raises SourceLost, the next K opens fail

After the script, frames keep coming (or `read()` returns None with `end="none"`). Each
connection numbers its frames and times from 0, as a camera reopened would.

`MjpegServer` is a real network camera (MJPEG over HTTP on 127.0.0.1) that can be switched
off and on, for end-to-end runs through OpenCV's FFmpeg backend; with `user`/`password` it
asks for HTTP basic auth, with `query_password` for `?password=` in the URL.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, urlsplit

import cv2
import numpy as np

from flowtop.tracker.contracts import Frame
from flowtop.tracker.errors import SourceError, SourceLost
from flowtop.tracker.sources.base import SourceBase
from flowtop.tracker.sources.demo import DemoScene

FPS = 30.0


class DriverFault(RuntimeError):
    """What a buggy driver raises in the middle of a read."""


@dataclass
class Step:
    kind: str
    count: int = 1
    size: tuple[int, int] = (0, 0)
    seconds: float = 0.0


def parse(script: list[str]) -> deque[Step]:
    steps: deque[Step] = deque()
    for item in script:
        kind, _, arg = item.partition(":")
        if kind == "resize":
            w, h = (int(v) for v in arg.split("x"))
            steps.append(Step(kind, size=(w, h)))
        elif kind == "stall":
            steps.append(Step(kind, seconds=float(arg)))
        elif kind in ("frames", "empty", "corrupt", "down"):
            steps.append(Step(kind, count=int(arg or 1)))
        elif kind in ("lost", "raise", "none"):
            steps.append(Step(kind))
        else:
            raise ValueError(f"unknown fault step {item!r}")
    return steps


@dataclass
class FlakyCamera:
    """The device behind the fault script: counts opens, refuses them while it is down."""

    script: list[str]
    size: tuple[int, int] = (320, 180)
    end: str = "frames"  # what follows the script: endless "frames", or "none"
    paced: bool = False  # deliver good frames at FPS in real time, like a camera
    steps: deque[Step] = field(init=False)
    opens: int = 0
    failed_opens: int = 0
    down: int = 0
    frames_served: int = 0
    release: threading.Event = field(default_factory=threading.Event)  # ends stalls early
    scene: DemoScene = field(init=False)

    def __post_init__(self) -> None:
        self.steps = parse(self.script)
        self.scene = DemoScene(*self.size)

    def open(self) -> FaultySource:
        if self.down > 0:
            self.down -= 1
            self.failed_opens += 1
            raise SourceError("fake camera does not open")
        self.opens += 1
        return FaultySource(self)

    def render(self, t: float) -> np.ndarray:
        """The demo scene at time `t`, scaled to the camera's current size."""
        w, h = self.size
        image = self.scene.render(t)
        return image if image.shape[:2] == (h, w) else cv2.resize(image, (w, h))


class FaultySource(SourceBase):
    """One connection to a `FlakyCamera`; see the module docstring."""

    live = True

    def __init__(self, camera: FlakyCamera) -> None:
        super().__init__()
        self.camera = camera
        self.name, self.nominal_fps, self.size = "flaky camera", FPS, camera.size
        self.closed = False
        self._index = 0

    def _frame(self, image: np.ndarray) -> Frame:
        frame = Frame(self._index, self._index / FPS, image)
        self._index += 1
        return frame

    def read(self) -> Frame | None:
        cam = self.camera
        if self.closed:
            raise SourceLost("read after close")
        while cam.steps:
            step = cam.steps[0]
            if step.kind == "resize":
                cam.steps.popleft()
                cam.size = step.size
                continue
            if step.kind == "stall":
                cam.steps.popleft()
                cam.release.wait(step.seconds)
                continue
            if step.kind == "down":
                cam.steps.popleft()
                cam.down = step.count
                raise SourceLost("fake camera unplugged")
            step.count -= 1
            if step.count <= 0:
                cam.steps.popleft()
            if step.kind == "frames":
                break
            if step.kind == "lost":
                raise SourceLost("fake camera: no frame")
            if step.kind == "raise":
                raise DriverFault("fake driver fault")
            if step.kind == "none":
                return None
            if step.kind == "empty":
                return self._frame(np.zeros((0, 0, 3), np.uint8))
            if step.kind == "corrupt":
                return self._frame(np.random.default_rng(0).random((8, 8, 3)))  # float64
        else:
            if cam.end == "none":
                return None
        cam.frames_served += 1
        if cam.paced:
            self.pace(self._index / FPS)
        return self._frame(cam.render(self._index / FPS))

    def close(self) -> None:
        self.closed = True


class MjpegServer:
    """A real network camera: an MJPEG stream over HTTP of the demo scene on 127.0.0.1.

    `stop()` drops every client and the listening socket (the camera goes off the network);
    `start()` brings it back on the same port. Use `url` as a flowtop source: it carries the
    credentials the camera asks for (`refused` counts the requests turned away).
    """

    BOUNDARY = b"frame"

    def __init__(self, size: tuple[int, int] = (160, 90), fps: float = 30.0, *,
                 user: str = "", password: str = "", query_password: str = "") -> None:
        self.scene = DemoScene(*size)
        self.fps = fps
        self.user, self.password, self.query_password = user, password, query_password
        self.refused = 0
        self.port = 0
        self._server: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self._lock = threading.Lock()
        self._running = threading.Event()

    @property
    def url(self) -> str:
        auth = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@" \
            if self.user or self.password else ""
        query = f"?password={quote(self.query_password, safe='')}" if self.query_password else ""
        return f"http://{auth}127.0.0.1:{self.port}/stream.mjpg{query}"

    def _authorised(self, request: bytes) -> bool:
        head = request.decode("latin-1")
        lines = head.split("\r\n")
        if self.query_password:
            target = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else ""
            if parse_qs(urlsplit(target).query).get("password") != [self.query_password]:
                return False
        if self.user or self.password:
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if f"authorization: basic {token}".lower() not in (x.lower() for x in lines):
                return False
        return True

    def start(self) -> MjpegServer:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen()
        self.port = server.getsockname()[1]
        self._server = server
        self._running.set()
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._running.clear()
        with self._lock:
            for conn in self._clients:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            self._clients.clear()
        if self._server is not None:
            with contextlib.suppress(OSError):
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None

    def _accept(self, server: socket.socket) -> None:
        while self._running.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if not self._authorised(conn.recv(4096)):
                self.refused += 1
                conn.sendall(b"HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic "
                             b"realm=\"camera\"\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; "
                         b"boundary=" + self.BOUNDARY + b"\r\n\r\n")
            i = 0
            while self._running.is_set():
                jpg = cv2.imencode(".jpg", self.scene.render(i / self.fps))[1]
                data = jpg.tobytes()
                conn.sendall(b"--" + self.BOUNDARY + b"\r\nContent-Type: image/jpeg\r\n"
                             b"Content-Length: %d\r\n\r\n" % len(data) + data + b"\r\n")
                i += 1
                time.sleep(1 / self.fps)
        except OSError:
            pass
        finally:
            conn.close()


class SilentServer:
    """A TCP port on 127.0.0.1 that accepts connections and never says a word: a stream whose
    open hangs until the client's own timeout. `accepted` is set at the first connection."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self.port = self._server.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._server.accept()[0]
            except (TimeoutError, OSError):
                continue
            self.held.append(conn)
            self.accepted.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.held:
            conn.close()
        self._server.close()
