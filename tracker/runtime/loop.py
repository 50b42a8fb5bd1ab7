"""The capture + track loop that a UI worker thread runs, and the slot a UI takes results from.

The loop knows nothing of any UI. Commands arrive through thread-safe methods; results leave
as immutable `Snapshot`s handed to `on_publish`, which holds everything a UI shows: the
newest state, the loop's status, the health figures and the recent rows. A UI keeps only
the newest one (`Latest`): stale frames are dropped, never queued.

Every frame read is also kept in the rewind buffer (`rewind.FrameRing`). `replay(True)`
loops that buffer instead of the source (`replay.ReplaySession`: REPLAY, REPLAY PAUSED)
until `replay(False)`. Meanwhile the source is not read, as while paused: the stretch being
tuned on cannot change under the user, memory stays within the one budget, and no core goes
to frames nobody sees. Back to live, a file goes on from where it was and a camera from its
newest frame; the live tracker goes on as after a pause.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Generic, TypeVar

import cv2

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import LoopStatus, RunState, Snapshot, Source
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.runtime.controls import Command, RunControls
from flowtop.tracker.runtime.cv_threads import CvThreads
from flowtop.tracker.runtime.input_hold import InputHold
from flowtop.tracker.runtime.publisher import Publisher
from flowtop.tracker.runtime.rates import PaceWindow, RateWindow
from flowtop.tracker.runtime.replay import ReplaySession, Shown
from flowtop.tracker.runtime.rewind import Clip, FrameRing

T = TypeVar("T")
RATE_WINDOW_S = 1.0
PACE_WINDOW_S = 2.0
CATCH_UP_NOTE_FRAMES = 15  # while tracking ahead unshown, say how far every this many frames


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
        self._tracker = Tracker(params)  # the loop's thread alone touches it
        self.input_hold = InputHold()  # a front end answering a key holds tracking briefly
        self._tracker.between_stages = self.input_hold.wait
        self._controls = RunControls(self._apply_params)
        self._out = Publisher(LoopStatus(source=source.name, size=source.size),
                              lambda: self._tracker_in_use().params, on_publish)
        self._ring = FrameRing(params.replay)
        self._replay: ReplaySession | None = None  # the loop's thread alone touches it
        self._src_rate, self._trk_rate = RateWindow(RATE_WINDOW_S), RateWindow(RATE_WINDOW_S)
        self._pass_start: float | None = None  # media time of the first frame of this pass
        self._pace = PaceWindow(PACE_WINDOW_S)  # of a paced file
        self.cv_threads = CvThreads(cv2.setNumThreads, cv2.getNumThreads)
        self.error_trace = ""  # the traceback behind the last ERROR

    # -- control, from any thread ----------------------------------------------------------

    def command(self, fn: Command) -> None:
        """Run `fn(tracker)` in the loop's thread before the next frame (on the replay's
        tracker while replaying)."""
        self._controls.command(fn)

    def set_params(self, params: Params) -> None:
        """Use `params` from the next frame. A burst of changes (a key held down) is applied
        once: only the newest set waits, never a queue of them (nor a replay started again
        for each)."""
        self._controls.set_params(params)

    def reseed(self) -> None:
        self.command(Tracker.reseed)

    def clear(self) -> None:
        self.command(Tracker.clear)

    def add_point(self, x: float, y: float) -> None:
        self.command(lambda tr: tr.add_point(x, y))

    def add_timing(self, stage: str, seconds: float) -> None:
        """A stage timed outside the loop (the preview's render), for the health figures."""
        self._out.health.add_timing(stage, seconds)

    @property
    def paused(self) -> bool:
        return self._controls.paused

    def set_paused(self, paused: bool) -> None:
        """Pause or resume; a running loop publishes the new state at once."""
        out = self._out
        with out.lock:  # the controls and the status change in one step
            self._controls.set_paused(paused)
            if out.status.state in (RunState.LIVE, RunState.PAUSED):
                out.set_state(RunState.PAUSED if paused else RunState.LIVE, out.status.message)
            elif out.status.state in (RunState.REPLAY, RunState.REPLAY_PAUSED):
                out.set_state(RunState.REPLAY_PAUSED if paused else RunState.REPLAY,
                              out.status.message)

    def rewind(self) -> None:
        """After the source ended: play it again from its start, if it can."""
        self._controls.rewind()

    def step(self) -> None:
        """Advance exactly one frame while paused."""
        self._controls.step()

    @property
    def replaying(self) -> bool:
        """Whether a replay of the buffer was asked for (and not left since)."""
        return self._controls.replay_wanted

    def replay(self, on: bool, at_end: bool = False) -> None:
        """Loop the rewind buffer instead of the source (`on`), or go back to the source.
        `at_end`: start paused on the buffer's last frame but one (a step back from live)."""
        self._controls.replay(on, at_end)

    def step_back(self) -> None:
        """One frame back while a replay is paused."""
        self._controls.step_back()

    def clip(self) -> Clip:
        """The frames the rewind buffer holds now (the stretch replayed, while replaying)."""
        replay = self._replay
        return replay.clip if replay is not None else self._ring.clip()

    def _tracker_in_use(self) -> Tracker:
        """The replay's tracker while replaying, else the live one."""
        replay = self._replay
        return self._tracker if replay is None else replay.tracker

    # -- the loop, in its own thread -------------------------------------------------------

    def run(self, cancelled: Callable[[], bool]) -> None:
        """Track until the source ends or `cancelled()` is true, then close the source.

        An exception in the per-frame work (a bug, a driver fault) does not end the thread
        silently: the state turns ERROR with its message (the traceback in `error_trace`) and
        `run` returns with the source still open. Calling `run` again restarts on a fresh
        tracker from the next frame; `close()` releases the source instead.
        """
        if self._out.status.state is RunState.ERROR:
            self._tracker.reset()
            self._controls.replay(False)  # a fault while replaying restarts live
            self._out.set_state(RunState.LIVE, "restarted after an error")
        if self.source.paced:  # the source sets the pace: OpenCV's pool only when needed
            self.cv_threads.start()
        try:
            self._serve(cancelled)
        except Exception as exc:
            self.error_trace = traceback.format_exc()
            lines = str(exc).strip().splitlines()
            message = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
            self._out.set_state(RunState.ERROR, message)
            return
        except BaseException:
            self.close()
            raise
        finally:
            self.cv_threads.restore()
        self.close()

    def close(self) -> None:
        """Release the source (after `run` has returned)."""
        self.source.close()

    def _serve(self, cancelled: Callable[[], bool]) -> None:
        while not cancelled():
            self._drain()
            if self._controls.replay_wanted:
                self._serve_replay(cancelled)
                continue
            hold, resync = self._controls.next_move()
            if hold:
                self._out.set_state(RunState.PAUSED)
                self._controls.idle()
                continue
            if resync:  # a pause is no lag: pacing and its measure start again
                self.source.resync()
                self._pace.reset()
            if not self._advance():
                self._out.set_state(RunState.ENDED)
                if not self._hold_end(cancelled):
                    return

    def _hold_end(self, cancelled: Callable[[], bool]) -> bool:
        """Keep serving commands on the last frame until cancelled (False) or asked to play
        the source again (True, once it has rewound)."""
        while not cancelled():
            self._controls.idle()
            self._drain(holding=True)
            if self._controls.replay_wanted:
                self._serve_replay(cancelled)
                self._out.set_state(RunState.ENDED)
                continue
            if self._controls.take_rewind():
                if self.source.rewind():
                    self._out.set_state(RunState.LIVE)
                    return True
                self._out.set_state(RunState.ENDED, "this source cannot play again")
        return False

    def _advance(self) -> bool:
        """Read, track and publish one frame; False when the source has ended."""
        t0 = time.perf_counter()
        try:
            frame = self.source.read()
        except SourceLost as exc:  # a resilient source reconnects by itself meanwhile
            self._out.set_state(RunState.SOURCE_LOST, str(exc))
            self._controls.idle()  # no busy loop; a command still wakes us at once
            return True
        if frame is None:
            return False
        read_s = time.perf_counter() - t0
        self._ring.add(frame)
        timings = {"read": read_s, "buffer": time.perf_counter() - t0 - read_s}
        state = self._tracker.update(frame, timings if self._ring.enabled else {"read": read_s})
        work_s = time.perf_counter() - t0 - read_s
        now = time.monotonic()
        if frame.restart or self._pass_start is None:  # a loop wrap or a reconnect: rates
            self._src_rate.reset()  # start again
            self._pace.reset()
            self._pass_start = frame.t
        self._src_rate.add(frame.t)
        self._trk_rate.add(now)
        source_fps = self._src_rate.per_second()
        if source_fps > 0:
            self.cv_threads.observe(work_s, 1.0 / source_fps)
        # below 1, tracking cannot keep up with a paced file; a camera or an unpaced file: 1
        pace = self._pace.add(now, frame.t) if self.source.paced and not self.source.live else 1.0
        self.input_hold.wait()
        with self._out.lock:
            self._out.show(state, replace(
                self._out.status, state=RunState.PAUSED if self._controls.paused else RunState.LIVE,
                size=(frame.image.shape[1], frame.image.shape[0]),
                source_fps=source_fps, track_fps=self._trk_rate.per_second(),
                dropped=self.source.dropped, skipped=self.source.skipped, message=state.notice,
                position_s=frame.t - self._pass_start, duration_s=self.source.duration_s,
                pace=pace, buffer_s=self._ring.seconds, replay_pass=0,
                cv_threads=self.cv_threads.count), counted=True)
        return True

    def _drain(self, holding: bool = False) -> None:
        """Run the queued commands; while the loop holds a frame (paused, ended) publish
        what they changed at once (a cleared or added track, new parameters)."""
        changed = False
        replay, tracker = self._replay, self._tracker_in_use()
        for fn, manual in self._controls.commands():
            fn(tracker)
            if replay is not None and manual:
                replay.touched = True
            changed = True
        if changed and (holding or self._controls.paused) and not (replay and replay.catching_up):
            self._out.show(tracker.current_state() or self._out.state)

    def _apply_params(self, params: Params) -> None:
        """New parameters for the live tracker, the buffer and a replay (which starts its
        pass again when tracking changed)."""
        self._tracker.params = params
        self._ring.configure(params.replay)
        if self._replay is not None:
            self._replay.set_params(params, hold=self._controls.paused)

    # -- replaying the buffer, in the loop's thread ------------------------------------------

    def _serve_replay(self, cancelled: Callable[[], bool]) -> None:
        """Loop the buffer until the replay is left or the loop cancelled; then show the
        live state again."""
        clip = self._ring.clip()
        at_end = self._controls.begin_replay()
        if len(clip) < 2:  # nothing to loop: stay live
            self._controls.replay(False)
            return
        out = self._out
        live_state, live_status = out.state, out.status
        replay = self._replay = ReplaySession(clip, self._tracker.params,
                                              between_stages=self.input_hold.wait)
        if at_end:
            replay.hold_at(len(clip) - 2)
        self._trk_rate.reset()
        with out.lock:
            out.show(out.state, replace(
                out.status,
                state=RunState.REPLAY_PAUSED if self._controls.paused else RunState.REPLAY,
                message="", position_s=0.0, duration_s=clip.seconds, buffer_s=clip.seconds,
                replay_pass=replay.number))
        try:
            while not cancelled() and self._controls.replay_wanted:
                self._drain()
                if not self._replay_step(replay):
                    self._out.set_state(RunState.REPLAY_PAUSED)
                    self._controls.idle()
        finally:
            self._replay = None
            self.cv_threads.hurry(False)
            with out.lock:
                out.tuning = replay.report(replaying=False)
                out.show(live_state, replace(live_status, state=RunState.PAUSED
                                             if self._controls.paused else live_status.state))
            self.source.resync()
            self._pace.reset()

    def _replay_step(self, replay: ReplaySession) -> bool:
        """Do one thing the replay needs now; False when there is nothing to do (paused)."""
        self.cv_threads.hurry(replay.catching_up)  # the user waits for a catch-up
        if replay.catching_up:
            shown = replay.catch_up()
            if shown is not None:
                self._show(replay, shown)
            elif replay.frontier % CATCH_UP_NOTE_FRAMES == 0:
                self._out.set_state(self._out.status.state, f"re-tracking from the loop's "
                                    f"start: frame {replay.frontier + 1} of {replay.target + 1}")
            return True
        back = self._controls.take_back()
        if back:
            shown = replay.back(back)
            if shown is not None:
                self._show(replay, shown)
            return True
        hold, resync = self._controls.next_move()
        if hold:
            return False
        if resync:
            replay.resync()
        self._show(replay, replay.advance())
        return True

    def _show(self, replay: ReplaySession, shown: Shown) -> None:
        """Publish a replayed state (a state tracked just now also counts in the health
        figures and the recent rows)."""
        state = shown.state
        self._trk_rate.add(time.monotonic())
        with self._out.lock:
            self._out.tuning = replay.report()
            self._out.show(state, replace(
                self._out.status,
                state=RunState.REPLAY_PAUSED if self._controls.paused else RunState.REPLAY,
                size=(state.image.shape[1], state.image.shape[0]),
                source_fps=replay.clip.fps, track_fps=self._trk_rate.per_second(),
                message=state.notice, position_s=state.t - replay.clip[0].t,
                duration_s=replay.clip.seconds, pace=1.0, buffer_s=replay.clip.seconds,
                replay_pass=replay.number), counted=shown.fresh)
