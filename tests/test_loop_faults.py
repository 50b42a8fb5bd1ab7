"""The tracking loop under source faults and internal errors: states, messages, recovery."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fakes import FaultySource, FlakyCamera
from textual.pilot import Pilot
from waiting import HANG_GUARD_S

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, RunState, Snapshot, Source, TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.runtime.loop import TrackingLoop
from flowtop.tracker.sources.resilient import ResilientSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.status_bar import StatusBar

WAIT_S = HANG_GUARD_S  # a hang guard, not a timing assertion


class Run:
    """A TrackingLoop in a thread, every published snapshot recorded in order."""

    def __init__(self, source: Source, params: Params | None = None) -> None:
        self.snaps: list[Snapshot] = []
        self.loop = TrackingLoop(source, params or Params(), self.snaps.append)
        self.stop = threading.Event()
        self.thread = self.start()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.loop.run, args=(self.stop.is_set,), daemon=True)
        thread.start()
        return thread

    def wait_for(self, done: Callable[[list[Snapshot]], bool]) -> None:
        deadline = time.monotonic() + WAIT_S
        while not done(self.snaps):
            assert time.monotonic() < deadline, f"timed out; states {self.states()}"
            time.sleep(0.01)

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive()

    def states(self) -> list[RunState]:
        """The run states in order, repeats collapsed."""
        return [k for k, _ in itertools.groupby(s.status.state for s in self.snaps)]


def resilient(cam: FlakyCamera, stall: float = 0.4) -> ResilientSource:
    return ResilientSource(cam.open, cam.open(), stall_timeout=stall, backoff_start=0.01,
                           backoff_max=0.04)


def frames_after(snaps: list[Snapshot], state: RunState, n: int) -> bool:
    """True once `n` LIVE frames followed the first snapshot in `state`."""
    seen = [s.status.state for s in snaps]
    if state not in seen:
        return False
    return seen[seen.index(state):].count(RunState.LIVE) >= n


@pytest.mark.parametrize("fault", ["down:3", "none", "raise", "lost", "stall:30"])
def test_live_lost_live_and_tracking_resumes_with_a_reseed(fault: str) -> None:
    cam = FlakyCamera(["frames:15", fault])
    run = Run(resilient(cam))
    run.wait_for(lambda s: frames_after(s, RunState.SOURCE_LOST, 10))
    run.finish()
    cam.release.set()
    assert run.states()[:3] == [RunState.LIVE, RunState.SOURCE_LOST, RunState.LIVE]
    lost_at = next(i for i, s in enumerate(run.snaps) if s.status.state is RunState.SOURCE_LOST)
    before = run.snaps[lost_at - 1].state
    message = run.snaps[lost_at].status.message
    assert "reconnecting" in message and "flaky camera" in message
    back = next(s for s in run.snaps[lost_at:] if s.status.state is RunState.LIVE).state
    assert back.seeded > 0 and back.live > 0  # reseeded on the first frame back
    assert set(back.ids.tolist()).isdisjoint(before.ids.tolist())  # no track spans the gap
    assert run.snaps[-1].state.live > 0 and run.snaps[-1].status.message == ""
    assert back.index == before.index + 1


def test_skipped_frames_show_in_the_status() -> None:
    cam = FlakyCamera(["frames:3", "empty:2", "corrupt:2", "frames:3"])
    run = Run(resilient(cam))
    run.wait_for(lambda s: len(s) >= 8)
    run.finish()
    assert run.snaps[-1].status.skipped == 4
    assert RunState.SOURCE_LOST not in run.states()


def test_unwrapped_source_lost_is_shown_then_live_again() -> None:
    cam = FlakyCamera(["frames:5", "lost", "lost", "frames:5"], end="none")
    run = Run(FaultySource(cam))
    run.wait_for(lambda s: s and s[-1].status.state is RunState.ENDED)
    run.finish()
    assert run.states() == [RunState.LIVE, RunState.SOURCE_LOST, RunState.LIVE, RunState.ENDED]
    lost = next(s for s in run.snaps if s.status.state is RunState.SOURCE_LOST)
    assert lost.status.message == "fake camera: no frame"


def test_an_exception_in_the_loop_sets_error_and_run_restarts() -> None:
    cam = FlakyCamera(["frames:5", "raise", "frames:5"])
    source = FaultySource(cam)
    run = Run(source)
    run.wait_for(lambda s: s and s[-1].status.state is RunState.ERROR)
    run.thread.join(WAIT_S)
    assert not run.thread.is_alive(), "run() must return on an error"
    error = run.snaps[-1]
    assert error.status.message == "DriverFault: fake driver fault"
    assert "DriverFault" in run.loop.error_trace and not source.closed
    assert error.state is not None and error.state.index == 4  # the last good frame stays

    run.thread = run.start()  # what `r` does in the app
    run.wait_for(lambda s: frames_after(s, RunState.ERROR, 10))
    run.finish()
    assert run.states()[-2:] == [RunState.ERROR, RunState.LIVE]
    assert run.snaps[-1].state.live > 0 and source.closed


def test_an_exception_in_the_tracker_sets_error(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = itertools.count()
    update = Tracker.update

    def flaky_update(self: Tracker, frame: Frame, timings=None) -> TrackState:
        if next(calls) == 3:
            raise ValueError("bad\nmore lines")
        return update(self, frame, timings)

    monkeypatch.setattr(Tracker, "update", flaky_update)
    run = Run(FaultySource(FlakyCamera([])))
    run.wait_for(lambda s: s and s[-1].status.state is RunState.ERROR)
    run.thread.join(WAIT_S)
    assert run.snaps[-1].status.message == "ValueError: bad"
    run.thread = run.start()
    run.wait_for(lambda s: frames_after(s, RunState.ERROR, 3))
    run.finish()


def test_a_failing_command_does_not_kill_the_thread_silently() -> None:
    run = Run(FaultySource(FlakyCamera([])))
    run.wait_for(lambda s: len(s) > 2)
    run.loop.command(lambda tr: tr.add_point(np.nan, "x"))  # type: ignore[arg-type]
    run.wait_for(lambda s: s[-1].status.state is RunState.ERROR)
    run.thread.join(WAIT_S)
    assert run.snaps[-1].status.message.startswith("ValueError")


def test_commands_are_served_while_the_source_is_lost() -> None:
    cam = FlakyCamera(["frames:5", "down:1000000"])
    src = resilient(cam)
    src.backoff_start = src.backoff_max = 60.0  # stay lost
    run = Run(src)
    run.wait_for(lambda s: s and s[-1].status.state is RunState.SOURCE_LOST)
    run.loop.set_paused(True)
    run.wait_for(lambda s: s[-1].status.state is RunState.PAUSED)
    run.finish()
    assert src.read() is None  # the loop closed the source when it was cancelled


def test_source_closed_on_cancel_and_the_loop_ends_quickly_while_lost() -> None:
    cam = FlakyCamera(["frames:3", "stall:60"])
    src = resilient(cam, stall=60)
    run = Run(src)
    run.wait_for(lambda s: len(s) >= 3)
    time.sleep(0.2)  # now blocked in the stalled read
    run.stop.set()
    src.close()  # what an app does on exit: a stalled read returns at once
    run.thread.join(WAIT_S)
    assert not run.thread.is_alive()
    cam.release.set()


# -- the same faults through the app -------------------------------------------------------

APP_SIZE = (120, 36)


async def app_wait(pilot: Pilot, condition: Callable[[], bool], what: str,
                   seen: list[RunState] | None = None) -> None:
    """Let the app run until `condition()`; the states it shows meanwhile go to `seen`."""
    deadline = time.monotonic() + WAIT_S
    while True:
        if seen is not None and (not seen or seen[-1] is not pilot.app.run_state):
            seen.append(pilot.app.run_state)
        if condition():
            return
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


def status_line(app: FlowtopApp) -> str:
    return str(app.query_one(StatusBar).render())


def shown_index(app: FlowtopApp) -> int:
    state = app.snapshot.state
    return -1 if state is None else state.index


@pytest.mark.slow
async def test_app_goes_live_lost_live_and_tracks_again(tmp_path: Path) -> None:
    cam = FlakyCamera(["frames:60", "down:1000000"], paced=True)
    source = ResilientSource(cam.open, cam.open(), backoff_start=0.05, backoff_max=0.2)
    app = FlowtopApp(source=source, params=Params(), config_path=tmp_path / "flowtop.toml")
    seen: list[RunState] = []
    async with app.run_test(size=APP_SIZE) as pilot:
        await app_wait(pilot, lambda: shown_index(app) >= 10, "frames", seen)
        await app_wait(pilot, lambda: app.run_state is RunState.SOURCE_LOST, "SOURCE LOST",
                       seen)
        before = app.snapshot.state
        await app_wait(pilot, lambda: "SOURCE LOST" in status_line(app), "the status bar")
        assert "unplugged" in status_line(app) and "reconnecting" in status_line(app)
        trails = app.query_one(Preview).trails
        await pilot.press("t")  # the UI stays responsive while the source is gone
        assert app.query_one(Preview).trails is not trails
        lost_index = shown_index(app)
        cam.down = 0  # plugged back in
        await app_wait(pilot, lambda: app.run_state is RunState.LIVE
                       and shown_index(app) > lost_index + 5, "LIVE again", seen)
        assert seen == [RunState.LIVE, RunState.SOURCE_LOST, RunState.LIVE]
        await app_wait(pilot, lambda: "LIVE" in status_line(app), "the status bar")
        after = app.snapshot.state
        assert after.live > 0
        assert set(after.ids.tolist()).isdisjoint(before.ids.tolist())  # reseeded
    assert source.recoveries == 1


@pytest.mark.slow
async def test_app_shows_a_worker_error_and_r_restarts(tmp_path: Path) -> None:
    cam = FlakyCamera(["frames:10", "raise"], paced=True)
    app = FlowtopApp(source=FaultySource(cam), params=Params(),
                     config_path=tmp_path / "flowtop.toml")
    async with app.run_test(size=APP_SIZE) as pilot:
        await app_wait(pilot, lambda: app.run_state is RunState.ERROR, "ERROR")
        await app_wait(pilot, lambda: "DriverFault: fake driver fault" in status_line(app),
                       "the message in the status bar")
        failed_at = shown_index(app)
        await pilot.press("t")  # still usable
        await pilot.press("r")  # restart the worker
        await app_wait(pilot, lambda: app.run_state is RunState.LIVE
                       and shown_index(app) > failed_at + 5, "LIVE after the restart")
        assert app.snapshot.state.live > 0


def test_a_burst_of_parameter_changes_is_applied_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A key held down sends a burst of sets; the engine takes the newest, not each."""
    applied: list[Params] = []
    setter = Tracker.params.fset
    assert setter is not None

    def counting(self: Tracker, params: Params) -> None:
        applied.append(params)
        setter(self, params)

    monkeypatch.setattr(Tracker, "params", property(Tracker.params.fget, counting))
    run = Run(FaultySource(FlakyCamera([])))
    run.loop.set_paused(True)
    run.wait_for(lambda s: s and s[-1].status.state is RunState.PAUSED)
    sets = [Params().with_value("lk.win_size", 5 + 2 * k) for k in range(1, 28)]
    for params in sets:
        run.loop.set_params(params)
    run.wait_for(lambda s: s[-1].params == sets[-1])
    run.finish()
    # the loop may wake between two of the sets: still a handful at most, the newest last
    assert len(applied) <= 3 and applied[-1] == sets[-1]
