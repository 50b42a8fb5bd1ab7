"""The capture + track loop that a UI worker thread runs, and the slot a UI takes results from.

The loop knows nothing of any UI. Commands arrive through thread-safe methods; results leave
as immutable `Snapshot`s handed to `on_publish`, which holds everything a UI shows: the
newest state, the loop's status, the health figures and the recent rows. A UI keeps only
the newest one (`Latest`): stale frames are dropped, never queued.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.runtime.health import HealthMonitor
from flowtop.tracker.runtime.history import TrackHistory
from flowtop.tracker.runtime.rates import RateWindow

T = TypeVar("T")
RATE_WINDOW_S = 1.0
PAUSE_POLL_S = 0.05
PACE_WINDOW_S = 2.0


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


class TrackingLoop:
    """Reads frames from a source, tracks them, publishes a `Snapshot` after each.

    `on_publish(snapshot)` runs in the thread that publishes (the loop's; a caller's for a
    pause or resume, which show at once) and must be quick: put the snapshot in a `Latest`,
    post a message. Control methods may be called from any thread; commands take effect before
    the next frame.
    """

    def __init__(self, source: Source, params: Params,
                 on_publish: Callable[[Snapshot], None] | None = None) -> None:
        self.source = source
        self.on_publish = on_publish
        self._tracker = Tracker(params)  # the loop's thread alone touches it
        self._commands: queue.SimpleQueue[Callable[[Tracker], None]] = queue.SimpleQueue()
        self._wake = threading.Event()
        # guards the run controls, the status and each publication (loop thread vs callers)
        self._lock = threading.RLock()
        self._paused = False
        self._resumed = False
        self._steps = 0
        self._rewind = False
        self._new_params: Params | None = None
        self._serial = 0
        self._src_rate, self._trk_rate = RateWindow(RATE_WINDOW_S), RateWindow(RATE_WINDOW_S)
        self._pass_start: float | None = None  # media time of the first frame of this pass
        self._pace: deque[tuple[float, float]] = deque()  # (wall, media) of recent frames
        self._status = LoopStatus(source=source.name, size=source.size)
        self._state: TrackState | None = None
        self._health = HealthMonitor()
        self._history = TrackHistory()
        self.error_trace = ""  # the traceback behind the last ERROR

    # -- control, from any thread ----------------------------------------------------------

    def command(self, fn: Callable[[Tracker], None]) -> None:
        """Run `fn(tracker)` in the loop's thread before the next frame."""
        self._commands.put(fn)
        self._wake.set()

    def set_params(self, params: Params) -> None:
        """Use `params` from the next frame. A burst of changes (a key held down) is applied
        once: only the newest set waits, never a queue of them."""
        with self._lock:
            first = self._new_params is None
            self._new_params = params
        if first:
            self.command(self._apply_params)

    def _apply_params(self, tracker: Tracker) -> None:
        with self._lock:
            params, self._new_params = self._new_params, None
        if params is not None:
            tracker.params = params

    def reseed(self) -> None:
        self.command(Tracker.reseed)

    def clear(self) -> None:
        self.command(Tracker.clear)

    def add_point(self, x: float, y: float) -> None:
        self.command(lambda tr: tr.add_point(x, y))

    def add_timing(self, stage: str, seconds: float) -> None:
        """A stage timed outside the loop (the preview's render), for the health figures."""
        self._health.add_timing(stage, seconds)

    @property
    def paused(self) -> bool:
        return self._paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume; a running loop publishes the new state at once."""
        with self._lock:
            self._resumed = self._paused and not paused
            self._paused = paused
            if self._status.state in (RunState.LIVE, RunState.PAUSED):
                self._set_state(RunState.PAUSED if paused else RunState.LIVE,
                                self._status.message)
        self._wake.set()

    def rewind(self) -> None:
        """After the source ended: play it again from its start, if it can."""
        with self._lock:
            self._rewind = True
        self._wake.set()

    def step(self) -> None:
        """Advance exactly one frame while paused."""
        with self._lock:
            self._steps += 1
        self._wake.set()

    def _next_move(self) -> tuple[bool, bool]:
        """(hold, resync): whether to stay on this frame, and whether to restart pacing
        (after a pause or a step: a pause is not a backlog to drop). Takes one step."""
        with self._lock:
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
        if self._status.state is RunState.ERROR:
            self._tracker.reset()
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
                self._idle()
                continue
            if resync:  # a pause is no lag: pacing and its measure start again
                self.source.resync()
                self._pace.clear()
            if not self._advance():
                self._set_state(RunState.ENDED)
                if not self._hold_end(cancelled):
                    return

    def _hold_end(self, cancelled: Callable[[], bool]) -> bool:
        """Keep serving commands on the last frame until cancelled (False) or asked to play
        the source again (True, once it has rewound)."""
        while not cancelled():
            self._idle()
            self._drain(holding=True)
            with self._lock:
                again, self._rewind = self._rewind, False
            if again:
                if self.source.rewind():
                    self._set_state(RunState.LIVE)
                    return True
                self._set_state(RunState.ENDED, "this source cannot play again")
        return False

    def _idle(self) -> None:
        """Wait a little, or until a command or control call arrives."""
        self._wake.wait(PAUSE_POLL_S)
        self._wake.clear()

    def _advance(self) -> bool:
        """Read, track and publish one frame; False when the source has ended."""
        t0 = time.perf_counter()
        try:
            frame = self.source.read()
        except SourceLost as exc:  # a resilient source reconnects by itself meanwhile
            self._set_state(RunState.SOURCE_LOST, str(exc))
            self._idle()  # no busy loop; a command still wakes us at once
            return True
        if frame is None:
            return False
        read_s = time.perf_counter() - t0
        state = self._tracker.update(frame, {"read": read_s})
        now = time.monotonic()
        if frame.restart or self._pass_start is None:  # a loop wrap or a reconnect: rates
            self._src_rate.reset()  # start again
            self._pace.clear()
            self._pass_start = frame.t
        self._src_rate.add(frame.t)
        self._trk_rate.add(now)
        pace = self._pace_of(now, frame.t)
        with self._lock:
            self._state = state
            self._health.add(state)
            self._history.add(state)
            self._status = replace(
                self._status, state=RunState.PAUSED if self._paused else RunState.LIVE,
                size=(frame.image.shape[1], frame.image.shape[0]),
                source_fps=self._src_rate.per_second(), track_fps=self._trk_rate.per_second(),
                dropped=self.source.dropped, skipped=self.source.skipped, message=state.notice,
                position_s=frame.t - self._pass_start, duration_s=self.source.duration_s,
                pace=pace)
            self._publish()
        return True

    def _pace_of(self, now: float, t: float) -> float:
        """Media seconds per wall second over the last PACE_WINDOW_S, for a paced file (1.0
        otherwise, and while the window fills): below 1, tracking cannot keep up."""
        if self.source.live or not self.source.paced:
            return 1.0
        window = self._pace
        window.append((now, t))
        while len(window) > 2 and now - window[0][0] > PACE_WINDOW_S:
            window.popleft()
        wall, media = now - window[0][0], t - window[0][1]
        return media / wall if wall >= PACE_WINDOW_S / 2 and media > 0 else 1.0

    def _drain(self, holding: bool = False) -> None:
        """Run the queued commands; while the loop holds a frame (paused, ended) publish
        what they changed at once (a cleared or added track, new parameters)."""
        changed = False
        while True:
            try:
                fn = self._commands.get_nowait()
            except queue.Empty:
                break
            fn(self._tracker)
            changed = True
        if changed and (holding or self._paused):
            with self._lock:
                self._state = self._tracker.current_state() or self._state
                self._publish()

    def _set_state(self, state: RunState, message: str = "") -> None:
        with self._lock:
            if self._status.state != state or self._status.message != message:
                self._status = replace(self._status, state=state, message=message)
                self._publish()

    def _publish(self) -> None:
        """Hand out a snapshot of now (the caller holds the lock)."""
        self._serial += 1
        if self.on_publish is not None:
            self.on_publish(Snapshot(self._state, self._status, self._serial,
                                     self._health.figures(), self._history.frames(),
                                     self._tracker.params))
