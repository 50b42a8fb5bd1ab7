"""The capture + track loop that a UI worker thread runs, and the slot it publishes into.

The loop knows nothing of any UI: commands arrive through thread-safe methods, results leave
through `Latest.put`, which keeps only the newest value (stale frames are dropped, not queued).
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import SourceLost

T = TypeVar("T")
RATE_WINDOW_S = 1.0
PAUSE_POLL_S = 0.05




class Latest(Generic[T]):
    """A one-value slot between threads: `put` replaces, `take` returns each new value once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: T | None = None
        self._fresh = False

    def put(self, value: T) -> None:
        with self._lock:
            self._value, self._fresh = value, True

    def take(self) -> T | None:
        """The newest value if it was not taken yet, else None."""
        with self._lock:
            if not self._fresh:
                return None
            self._fresh = False
            return self._value

    def peek(self) -> T | None:
        with self._lock:
            return self._value


@dataclass
class _Rate:
    """Events per second over a sliding window of timestamps."""

    stamps: list[float] = field(default_factory=list)

    def add(self, t: float) -> float:
        self.stamps.append(t)
        while self.stamps and t - self.stamps[0] > RATE_WINDOW_S:
            self.stamps.pop(0)
        if len(self.stamps) < 2 or self.stamps[-1] == self.stamps[0]:
            return 0.0
        return (len(self.stamps) - 1) / (self.stamps[-1] - self.stamps[0])


class TrackingLoop:
    """Reads frames from a source, tracks them, publishes each result into `latest`.

    Control methods may be called from any thread; they take effect before the next frame.
    """

    def __init__(self, source: Source, params: Params, latest: Latest[Snapshot] | None = None,
                 on_publish: Callable[[], None] | None = None) -> None:
        self.source = source
        self.tracker = Tracker(params)
        self.latest: Latest[Snapshot] = latest or Latest()
        self.on_publish = on_publish
        # called (from the loop's thread) when the run state or its message changes, so a UI
        # can show PAUSED or SOURCE LOST at once instead of at its next redraw
        self.on_state_change: Callable[[LoopStatus], None] | None = None
        self._commands: queue.SimpleQueue[Callable[[Tracker], None]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._control = threading.Lock()  # guards _paused, _resumed, _steps (UI vs loop thread)
        self._paused = False
        self._resumed = False
        self._steps = 0
        self._serial = 0
        self._src_rate, self._trk_rate = _Rate(), _Rate()
        self.status = LoopStatus(source=source.name, size=source.size)
        self.last_state: TrackState | None = None
        self.error_trace = ""  # the traceback behind the last ERROR

    # -- control, from any thread ----------------------------------------------------------

    def command(self, fn: Callable[[Tracker], None]) -> None:
        """Run `fn(tracker)` in the loop's thread before the next frame."""
        self._commands.put(fn)
        self._wake.set()

    def set_params(self, params: Params) -> None:
        self.command(lambda tr: setattr(tr, "params", params))

    def reseed(self) -> None:
        self.command(Tracker.reseed)

    def clear(self) -> None:
        self.command(Tracker.clear)

    def add_point(self, x: float, y: float) -> None:
        self.command(lambda tr: tr.add_point(x, y))

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        with self._control:
            self._resumed = self._paused and not paused
            self._paused = paused
        self._wake.set()

    def step(self) -> None:
        """Advance exactly one frame while paused."""
        with self._control:
            self._steps += 1
        self._wake.set()

    def _next_move(self) -> tuple[bool, bool]:
        """(hold, resync): whether to stay on this frame, and whether to restart pacing
        (after a pause or a step: a pause is not a backlog to drop). Takes one step."""
        with self._control:
            if self._paused and self._steps == 0:
                return True, False
            resync = self._paused or self._resumed
            self._resumed = False
            if self._steps:
                self._steps -= 1
            return False, resync

    # -- the loop, in its own thread -------------------------------------------------------

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Track until the source ends or `cancelled()` is true, then close the source.

        An exception in the per-frame work (a bug, a driver fault) does not end the thread
        silently: the state turns ERROR with its message (the traceback in `error_trace`) and
        `run` returns with the source still open. Calling `run` again restarts on a fresh
        tracker from the next frame; `close()` releases the source instead.
        """
        if self.status.state is RunState.ERROR:
            self.tracker.reset()
            self._set_state(RunState.LIVE, "restarted after an error")
        try:
            self._serve(cancelled)
        except Exception as exc:
            self.error_trace = traceback.format_exc()
            lines = str(exc).strip().splitlines()
            self._set_state(RunState.ERROR, f"{type(exc).__name__}: {lines[0] if lines else ''}"
                            .rstrip(": "))
            return
        except BaseException:
            self.close()
            raise
        self.close()

    def close(self) -> None:
        """Release the source (after `run` has returned)."""
        self.source.close()

    def _serve(self, cancelled: Callable[[], bool]) -> None:
        while not cancelled():
            self._drain()
            hold, resync = self._next_move()
            if hold:
                self._set_state(RunState.PAUSED)
                self._wake.wait(PAUSE_POLL_S)
                self._wake.clear()
                continue
            if resync:
                self.source.resync()
            if not self._advance():
                self._set_state(RunState.ENDED)
                while not cancelled():  # keep serving commands on the last frame
                    self._wake.wait(PAUSE_POLL_S)
                    self._wake.clear()
                    self._drain()
                return

    def _advance(self) -> bool:
        """Read, track and publish one frame; False when the source has ended."""
        t0 = time.perf_counter()
        try:
            frame = self.source.read()
        except SourceLost as exc:  # a resilient source reconnects by itself meanwhile
            self._set_state(RunState.SOURCE_LOST, str(exc))
            self._wake.wait(PAUSE_POLL_S)  # no busy loop; a command still wakes us at once
            self._wake.clear()
            return True
        if frame is None:
            return False
        read_s = time.perf_counter() - t0
        state = self.tracker.update(frame)
        state.timings["read"] = read_s
        self.last_state = state
        before = self.status.state
        self.status = replace(
            self.status,
            state=RunState.PAUSED if self._paused else RunState.LIVE,
            size=(frame.image.shape[1], frame.image.shape[0]),
            source_fps=self._src_rate.add(frame.t),
            track_fps=self._trk_rate.add(time.monotonic()),
            dropped=getattr(self.source, "dropped", 0),
            skipped=getattr(self.source, "skipped", 0), message=state.notice)
        self._publish()
        if self.status.state != before and self.on_state_change is not None:
            self.on_state_change(self.status)
        return True

    def _drain(self) -> None:
        changed = False
        while True:
            try:
                fn = self._commands.get_nowait()
            except queue.Empty:
                break
            fn(self.tracker)
            changed = True
        if changed and self._paused:
            self.last_state = self.tracker.current_state() or self.last_state
            self._publish()  # show a cleared or added track while paused

    def _set_state(self, state: RunState, message: str = "") -> None:
        if self.status.state != state or self.status.message != message:
            self.status = replace(self.status, state=state, message=message)
            self._publish()
            if self.on_state_change is not None:
                self.on_state_change(self.status)

    def _publish(self) -> None:
        self._serial += 1
        self.latest.put(Snapshot(self.last_state, self.status, self._serial))
        if self.on_publish is not None:
            self.on_publish()
