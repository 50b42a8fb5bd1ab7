"""A live source that survives faults: it reconnects, skips bad frames and notices stalls.

`ResilientSource(opener)` reads through a source made by `opener()`. When a read fails, the
stream ends, or no usable frame arrives for `stall_timeout` seconds, the source counts as lost:
`read()` raises `SourceLost` (its message says why and when the next attempt is) while
`opener()` is retried after 1, 2, 4 ... at most 10 seconds. The first frame after a recovery,
or after the frame size changed, carries `restart=True` so the tracker starts afresh.
Empty or corrupt frames are skipped and counted in `skipped`.

Reads and reconnects run in helper threads, so a hung driver call never blocks `read()` longer
than the stall timeout, and `close()` (from any thread) ends a waiting `read()` at once.
"""

from __future__ import annotations

import contextlib
import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from flowtop.tracker.contracts import Frame, Source
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.redact import redact
from flowtop.tracker.sources.base import SourceBase

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 10.0
STALL_TIMEOUT_S = 5.0
LOST_POLL_S = 0.1  # how long one read() waits while lost before reporting again
CLOSE_JOIN_S = 1.0


def backoff_delay(attempt: int, start: float = BACKOFF_START_S, cap: float = BACKOFF_MAX_S
                  ) -> float:
    """Seconds to wait before reconnect `attempt` (1-based): start, 2 start, 4 start ... cap."""
    return min(cap, start * 2.0 ** max(0, attempt - 1))


def frame_problem(image: object) -> str | None:
    """Why `image` cannot be tracked, or None for a non-empty uint8 gray, BGR or BGRA image."""
    if not isinstance(image, np.ndarray):
        return f"no image ({type(image).__name__})"
    if image.dtype != np.uint8:
        return f"pixels are {image.dtype}, not uint8"
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        return f"image shape {image.shape} is not gray, BGR or BGRA"
    if image.size == 0:
        return "empty image"
    return None


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A checked image as 3-channel BGR (gray and BGRA are converted)."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2)
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    if image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    return image


@dataclass(frozen=True)
class SourceEvent:
    """A change a log should mention: 'lost', 'retry' (an attempt failed) or 'recovered'.

    `attempt` counts reconnect attempts since the loss; `retry_in` is the wait before the next;
    `outage` is how long the source was gone (for 'recovered').
    """

    kind: str
    message: str
    attempt: int = 0
    retry_in: float = 0.0
    outage: float = 0.0

    def __str__(self) -> str:
        if self.kind == "lost":
            return f"source lost: {self.message}; reconnecting in {self.retry_in:g} s"
        if self.kind == "retry":
            return (f"reconnect {self.attempt} failed: {self.message}; "
                    f"next in {self.retry_in:g} s")
        return (f"source back: {self.message} after {self.outage:.1f} s "
                f"({self.attempt} attempt{'s' if self.attempt != 1 else ''})")


class _Stalled(Exception):
    """No answer from the read thread within the timeout."""


class _Reader:
    """One opened source and a thread that runs its blocking `read()` on request."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self._requests: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._results: queue.SimpleQueue[tuple[Frame | None, BaseException | None]] = (
            queue.SimpleQueue())
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"read {source.name}")
        self._thread.start()

    def _serve(self) -> None:
        try:
            while self._requests.get():
                try:
                    self._results.put((self.source.read(), None))
                except BaseException as exc:  # handed to the caller, who decides
                    self._results.put((None, exc))
        finally:
            with contextlib.suppress(Exception):
                self.source.close()

    def read(self, timeout: float, stop: threading.Event) -> Frame | None:
        """The next frame; raises what the source raised, or `_Stalled` after `timeout`."""
        self._requests.put(True)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or stop.is_set():
                raise _Stalled
            try:
                frame, error = self._results.get(timeout=min(left, LOST_POLL_S))
            except queue.Empty:
                continue
            if error is not None:
                raise error
            return frame

    def close(self, wait: float = 0.0) -> None:
        """Release the source once any read in progress returns (a hung one is abandoned)."""
        self._requests.put(False)
        if wait:
            self._thread.join(wait)


class _Attempt:
    """One reconnect: `opener()` in a thread; a source opened after `cancel()` is closed."""

    def __init__(self, opener: Callable[[], Source]) -> None:
        self.done = threading.Event()
        self.source: Source | None = None
        self.error = ""
        self._lock = threading.Lock()
        self._cancelled = False
        threading.Thread(target=self._run, args=(opener,), daemon=True, name="reconnect").start()

    def _run(self, opener: Callable[[], Source]) -> None:
        try:
            source = opener()
        except Exception as exc:
            self.error = describe(exc)
            self.done.set()
            return
        with self._lock:
            if self._cancelled:
                source.close()
            else:
                self.source = source
        self.done.set()

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self.source is not None:
                self.source.close()
                self.source = None


def describe(exc: BaseException) -> str:
    """An exception as one line: its message (credentials masked), or its type when it has
    none."""
    text = str(exc).strip().splitlines()
    return redact(text[0]) if text else type(exc).__name__


class ResilientSource(SourceBase):
    """Reads a live source through faults; see the module docstring.

    `first` is an already opened source to start with (so a bad device fails before any UI);
    without it the first `read()` opens one. `on_event` receives each `SourceEvent`.
    Call `read()` from one thread; `close()` may come from any.
    """

    live = True

    def __init__(self, opener: Callable[[], Source], first: Source | None = None, *,
                 stall_timeout: float = STALL_TIMEOUT_S, backoff_start: float = BACKOFF_START_S,
                 backoff_max: float = BACKOFF_MAX_S,
                 on_event: Callable[[SourceEvent], None] | None = None) -> None:
        super().__init__(first.auto_choice if first is not None else "")
        self.opener, self.on_event = opener, on_event
        self.stall_timeout, self.backoff_start, self.backoff_max = (
            stall_timeout, backoff_start, backoff_max)
        self.skipped = 0  # empty or corrupt frames dropped
        self.losses = 0
        self.recoveries = 0
        self.attempts = 0  # reconnect attempts since the current loss
        self.reason = ""  # why the source is lost ('' while it delivers)
        self._closed = threading.Event()
        self._lock = threading.Lock()  # guards _reader and _attempt against close()
        self._reader: _Reader | None = None
        self._attempt: _Attempt | None = None
        self._retry_at = 0.0
        self._lost_at = 0.0
        self._last_good = time.monotonic()
        self._index = 0
        self._last_t = -math.inf
        self._last_wall = time.monotonic()  # when the last frame was handed out
        self._t_offset = 0.0
        self._restart = False
        self._dropped_before = 0
        self.name = "live source"
        if first is not None:
            self._adopt(first)
        else:
            self.reason = "not connected yet"

    @property
    def lost(self) -> bool:
        return self._reader is None

    def _count_dropped(self) -> None:
        """`dropped`: frames the inner sources reported dropped, over every connection."""
        current = self._reader.source.dropped if self._reader else 0
        self.dropped = self._dropped_before + current

    def retry_in(self) -> float:
        """Seconds until the next reconnect attempt (0 while one runs or when connected)."""
        if self._reader is not None or self._attempt is not None:
            return 0.0
        return max(0.0, self._retry_at - time.monotonic())

    # -- reading -------------------------------------------------------------------------

    def read(self) -> Frame | None:
        """The next usable frame; SourceLost while the source is gone; None once closed."""
        while not self._closed.is_set():
            reader = self._reader
            if reader is None:
                if not self._try_reconnect():
                    raise SourceLost(self._lost_message())
                continue
            left = self._last_good + self.stall_timeout - time.monotonic()
            try:
                frame = reader.read(max(0.0, left), self._closed)
            except _Stalled:
                if self._closed.is_set():
                    break
                self._lose(f"no usable frame for {self.stall_timeout:g} s")
                raise SourceLost(self._lost_message()) from None
            except Exception as exc:
                self._lose(describe(exc))
                raise SourceLost(self._lost_message()) from None
            if frame is None:
                self._lose("the stream ended")
                raise SourceLost(self._lost_message())
            if frame_problem(frame.image) is not None:
                self.skipped += 1
                continue  # the stall deadline still runs from the last good frame
            return self._emit(frame)
        return None

    def _emit(self, frame: Frame) -> Frame:
        now = time.monotonic()
        image = as_bgr(frame.image)
        size = (image.shape[1], image.shape[0])
        restart = self._restart or frame.restart or (self._index > 0 and size != self.size)
        if restart and frame.t + self._t_offset <= self._last_t:  # keep time moving forward,
            gap = max(1e-3, now - self._last_wall)  # by the wall-clock length of the outage
            self._t_offset = self._last_t + gap - frame.t
        t = frame.t + self._t_offset
        if self.reason:  # first good frame since a loss (or since connecting)
            if self.losses:
                self.recoveries += 1
                self._notify(SourceEvent("recovered", self.name, self.attempts, 0.0,
                                         now - self._lost_at))
            self.reason, self.attempts = "", 0
        self._last_good, self._restart, self.size = now, False, size
        self._last_t, self._last_wall = t, now
        out = Frame(self._index, t, image, restart=restart)
        self._index += 1
        self._count_dropped()
        return out

    # -- losing and reconnecting ----------------------------------------------------------

    def _lose(self, reason: str) -> None:
        with self._lock:
            reader, self._reader = self._reader, None
        if reader is not None:
            self._dropped_before += reader.source.dropped
            self.dropped = self._dropped_before
            reader.close()
        named = reason.startswith(self.name)  # a CaptureSource names itself already
        self.reason = reason if named else f"{self.name}: {reason}"
        self._lost_at = time.monotonic()
        self.losses += 1
        delay = backoff_delay(1, self.backoff_start, self.backoff_max)
        self._retry_at = self._lost_at + delay
        self._notify(SourceEvent("lost", self.reason, 0, delay))

    def _try_reconnect(self) -> bool:
        """Start or finish one attempt, waiting at most LOST_POLL_S; True when connected."""
        if self._attempt is None:
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                self._closed.wait(min(wait, LOST_POLL_S))
                return False
            self.attempts += 1
            self._attempt = _Attempt(self.opener)
        attempt = self._attempt
        if not attempt.done.wait(LOST_POLL_S):
            return False
        with self._lock:
            self._attempt = None
            if self._closed.is_set():
                return False
        if attempt.source is None:
            delay = backoff_delay(self.attempts + 1, self.backoff_start, self.backoff_max)
            self._retry_at = time.monotonic() + delay
            self._notify(SourceEvent("retry", attempt.error, self.attempts, delay))
            return False
        self._adopt(attempt.source)
        self._restart = True
        return True

    def _adopt(self, source: Source) -> None:
        with self._lock:
            if self._closed.is_set():
                source.close()
                return
            self._reader = _Reader(source)
        self.name, self.nominal_fps = source.name, source.nominal_fps
        if source.size[0] > 0:
            self.size = source.size
        self._last_good = time.monotonic()  # the stall clock starts at the connection

    def _lost_message(self) -> str:
        if self._attempt is not None:
            return f"{self.reason}; reconnecting (attempt {self.attempts})"
        return f"{self.reason}; reconnecting in {math.ceil(self.retry_in())} s"

    def _notify(self, event: SourceEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    # -- the rest of the Source interface ---------------------------------------------------

    def resync(self) -> None:
        super().resync()
        if self._reader is not None:
            self._reader.source.resync()

    def close(self) -> None:
        """Stop reading and reconnecting; a read waiting in another thread returns None."""
        with self._lock:
            self._closed.set()
            attempt, reader = self._attempt, self._reader
            self._attempt = self._reader = None
        if attempt is not None:
            attempt.cancel()
        if reader is not None:
            reader.close(wait=CLOSE_JOIN_S)

    def describe(self) -> str:
        return super().describe() + (f" (lost: {self.reason})" if self.reason else "")
