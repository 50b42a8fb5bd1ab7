"""Replay while tuning: the same stretch tracked twice gives the same tracks, a change of
parameters re-tracks from the loop's start, paused steps go back and forth, A/B figures come
after whole passes; and the loop replays its buffer without reading the source."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest
from waiting import HANG_GUARD_S

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import RunState, Snapshot, TrackState
from flowtop.tracker.runtime.loop import TrackingLoop
from flowtop.tracker.runtime.replay import ReplaySession
from flowtop.tracker.runtime.rewind import MB, Clip, FrameRing
from flowtop.tracker.sources.demo import DemoScene, DemoSource

FRAMES = 40
WAIT_S = HANG_GUARD_S  # a hang guard, not a timing assertion
CHANGED = Params().with_value("lk.win_size", 7).with_value("tracking.fb_threshold", 0.1)


@pytest.fixture(scope="module")
def clip() -> Clip:
    ring = FrameRing()
    source = DemoSource(fps=30, paced=False, frames=FRAMES, scene=DemoScene(320, 180))
    for frame in iter(source.read, None):
        ring.add(frame)
    return ring.clip()


def one_pass(session: ReplaySession) -> list[TrackState]:
    """The states of the next whole pass (from the loop's start to its end)."""
    states = []
    while True:
        shown = session.advance()
        if session.cursor == 0:
            states = []
        states.append(shown.state)
        if session.cursor == len(session.clip) - 1:
            return states


def state_bytes(state: TrackState) -> int:
    return sum(a.nbytes for a in (state.ids, state.pts, state.vel, state.speed, state.age,
                                  state.fb_error, state.trails, state.trail_len,
                                  state.speed_world))


def same_tracks(a: TrackState, b: TrackState) -> bool:
    return (a.index == b.index and np.array_equal(a.ids, b.ids)
            and np.array_equal(a.pts, b.pts) and np.array_equal(a.vel, b.vel)
            and np.array_equal(a.trails, b.trails) and a.objects == b.objects)


@pytest.mark.slow
def test_the_same_stretch_tracked_twice_gives_identical_tracks(clip: Clip) -> None:
    session = ReplaySession(clip, Params(), paced=False)
    first, second = one_pass(session), one_pass(session)
    other = one_pass(ReplaySession(clip, Params(), paced=False))
    assert len(first) == len(second) == len(other) == FRAMES
    assert all(same_tracks(a, b) for a, b in zip(first, second))
    assert all(same_tracks(a, b) for a, b in zip(first, other))
    assert sum(len(s.ids) for s in first) > 100  # there were tracks to compare
    assert any(s.objects for s in first)


@pytest.mark.slow
def test_a_change_during_replay_re_tracks_from_the_loop_start(clip: Clip) -> None:
    old = one_pass(ReplaySession(clip, Params(), paced=False))
    new = one_pass(ReplaySession(clip, CHANGED, paced=False))
    session = ReplaySession(clip, Params(), paced=False)
    for _ in range(25):
        session.advance()
    assert session.set_params(CHANGED, hold=False)
    after = [session.advance() for _ in range(FRAMES)]
    assert after[0].fresh and after[0].state.index == clip[0].index  # the loop's start
    assert all(same_tracks(a.state, b) for a, b in zip(after, new))
    assert not all(same_tracks(a, b) for a, b in zip(old, new))  # the change shows
    assert not session.set_params(CHANGED.with_value("preview.color", "gray"), hold=False)


@pytest.mark.slow
def test_paused_steps_go_back_and_forth_through_the_same_states(clip: Clip) -> None:
    probe = ReplaySession(clip, Params(), paced=False)
    for _ in range(30):
        size = state_bytes(probe.advance().state)
    session = ReplaySession(clip, Params(), paced=False, keep_mb=10 * size / MB)  # 10 kept
    states = [session.advance().state for _ in range(30)]
    back = session.back(1)
    assert back is not None and not back.fresh and session.cursor == 28
    assert same_tracks(back.state, states[28]) and back.state.image.shape == (180, 320, 3)
    assert same_tracks(session.advance().state, states[29])  # forward again: kept state
    assert session.back(25) is None and session.catching_up  # beyond what is kept
    while (shown := session.catch_up()) is None:
        pass
    assert session.cursor == 4 and same_tracks(shown.state, states[4])
    assert session.back(10) is None or session.cursor == 0  # not before the first frame


def test_a_b_figures_come_after_whole_passes(clip: Clip) -> None:
    session = ReplaySession(clip, Params(), paced=False)
    assert session.report().current is None
    one_pass(session)
    first = session.report()
    assert first.current is not None and first.previous is None and first.frames == FRAMES
    session.set_params(CHANGED, hold=False)
    pending = session.report()
    assert pending.current is None and pending.previous == first.current  # B runs, A stays
    one_pass(session)
    ab = session.report()
    assert ab.previous == first.current and ab.current is not None
    assert ab.current.params == CHANGED and ab.current.figures != ab.previous.figures
    session.set_params(Params(), hold=False)  # back to a set seen before: known at once
    again = session.report()
    assert again.current is not None and again.current.figures == first.current.figures
    assert again.previous is not None and again.previous.params == CHANGED


@pytest.mark.slow
def test_a_pass_touched_by_a_command_is_not_counted(clip: Clip) -> None:
    session = ReplaySession(clip, Params(), paced=False)
    session.advance()
    session.touched = True  # what the loop marks after a reseed, a clear, a point added
    one_pass(session)
    assert session.report().current is None
    one_pass(session)
    assert session.report().current is not None


# -- in the tracking loop -------------------------------------------------------------------


class CountedDemo(DemoSource):
    """The demo, counting its reads."""

    reads = 0

    def read(self):
        self.reads += 1
        return super().read()


class Run:
    """A TrackingLoop in a thread over a demo source, every snapshot recorded."""

    def __init__(self, frames: int = 0, paced: bool = True) -> None:
        self.snaps: list[Snapshot] = []
        self.source = CountedDemo(fps=30, paced=paced, frames=frames,
                                  scene=DemoScene(320, 180))
        self.loop = TrackingLoop(self.source, Params(), self.snaps.append)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop.run, args=(self.stop.is_set,),
                                       daemon=True)
        self.thread.start()

    def wait_for(self, done: Callable[[Snapshot], bool]) -> Snapshot:
        deadline = time.monotonic() + WAIT_S
        while not (self.snaps and done(self.snaps[-1])):
            assert time.monotonic() < deadline, f"timed out at {self.snaps[-1].status}"
            time.sleep(0.01)
        return self.snaps[-1]

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(WAIT_S)


@pytest.mark.slow
def test_the_loop_replays_its_buffer_without_reading_the_source() -> None:
    run = Run()
    try:
        live = run.wait_for(lambda s: s.status.buffer_s >= 1.0)
        assert live.status.state is RunState.LIVE
        run.loop.replay(True)
        replay = run.wait_for(lambda s: s.status.state is RunState.REPLAY)
        read = run.source.reads
        first = replay.state.index if replay.state else -1
        run.wait_for(lambda s: s.status.replay_pass >= 2 and s.tuning and s.tuning.current)
        assert run.source.reads == read  # the source waited
        clip = run.loop.clip()
        assert clip[0].index <= first <= clip[-1].index
        run.loop.set_params(CHANGED)
        restart = run.wait_for(lambda s: s.params == CHANGED and s.state is not None
                               and s.state.index == clip[0].index)
        assert restart.status.state is RunState.REPLAY
        run.loop.replay(False)
        back = run.wait_for(lambda s: s.status.state is RunState.LIVE
                            and s.state is not None and s.state.index > clip[-1].index)
        assert back.params == CHANGED and back.tuning is not None and not back.tuning.replaying
    finally:
        run.finish()


def test_a_step_back_from_a_paused_live_view_enters_the_buffer() -> None:
    run = Run(frames=30, paced=False)
    try:
        ended = run.wait_for(lambda s: s.status.state is RunState.ENDED)
        last = ended.state.index
        run.loop.set_paused(True)
        run.loop.replay(True, at_end=True)
        paused = run.wait_for(lambda s: s.status.state is RunState.REPLAY_PAUSED
                              and s.state is not None and s.state.index == last - 1)
        assert paused.state.image.shape == (180, 320, 3)
        run.loop.step_back()
        run.wait_for(lambda s: s.state is not None and s.state.index == last - 2)
        run.loop.step()
        run.wait_for(lambda s: s.state is not None and s.state.index == last - 1)
        run.loop.replay(False)
        run.wait_for(lambda s: s.status.state is RunState.ENDED and s.state.index == last)
    finally:
        run.finish()
