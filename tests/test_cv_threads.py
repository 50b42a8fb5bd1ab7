"""OpenCV's thread count under a live pace: one thread while tracking keeps up, the pool when
the work nears the frame period, and back as it was when the loop ends."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from waiting import HANG_GUARD_S

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, RunState, Snapshot
from flowtop.tracker.runtime.cv_threads import (
    ONE,
    POOL,
    RETRY,
    RETRY_MAX,
    SETTLE,
    WINDOW,
    CvThreads,
)
from flowtop.tracker.runtime.loop import TrackingLoop
from flowtop.tracker.sources.base import SourceBase
from flowtop.tracker.sources.demo import DemoScene


class Recorder:
    def __init__(self, initial: int = 2) -> None:
        self.count = initial
        self.calls: list[int] = []

    def set(self, n: int) -> None:
        self.calls.append(n)
        self.count = n

    def get(self) -> int:
        return self.count


def feed(policy: CvThreads, share: float, frames: int = WINDOW) -> None:
    for _ in range(frames):
        policy.observe(share * 0.04, 0.04)


def test_one_thread_while_the_work_fits_the_period() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    feed(policy, 0.5, 5 * WINDOW)
    assert rec.calls == [ONE] and policy.threads == ONE


def test_the_pool_when_the_work_nears_the_period_and_one_thread_again_after() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    feed(policy, 0.9, WINDOW - 1)
    assert policy.threads == ONE  # a decision per window, not per frame
    feed(policy, 0.9, 1)
    assert policy.threads == ONE  # one window over: a hiccup, perhaps
    feed(policy, 0.9)
    assert policy.threads == POOL and rec.calls == [ONE, POOL]  # two running: not a hiccup
    feed(policy, 0.5, 3 * WINDOW)  # with the pool, half the period: would not fit on one
    assert policy.threads == POOL
    feed(policy, 0.2)
    assert policy.threads == ONE and rec.calls == [ONE, POOL, ONE]


def test_one_window_behind_is_enough_and_windows_over_must_run_on() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    for share in (0.9, 0.5, 0.9, 0.5, 0.9):  # over now and then, never two running
        feed(policy, share)
    assert policy.threads == ONE
    feed(policy, 1.2)  # the work took longer than the period: behind
    assert policy.threads == POOL


def test_the_first_windows_after_start_are_not_judged() -> None:
    """The first frames are slow for reasons that pass (caches, a UI starting)."""
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get)
    policy.start()
    feed(policy, 2.0, SETTLE * WINDOW)
    assert policy.threads == ONE
    feed(policy, 2.0)
    assert policy.threads == POOL


def test_with_the_pool_one_thread_is_tried_again_and_a_failed_try_waits_twice_as_long(
) -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    feed(policy, 1.2)
    assert policy.threads == POOL
    feed(policy, 0.5, (RETRY - 1) * WINDOW)  # can't tell what one thread would take
    assert policy.threads == POOL
    feed(policy, 0.5)
    assert policy.threads == ONE  # tried
    feed(policy, 0.9)  # ... and it does not keep up: one window over is enough on a try
    assert policy.threads == POOL
    feed(policy, 0.5, (2 * RETRY - 1) * WINDOW)
    assert policy.threads == POOL
    feed(policy, 0.5)
    assert policy.threads == ONE  # tried again, twice as late
    feed(policy, 0.6, 3 * WINDOW)  # this time it keeps up: stays
    assert policy.threads == ONE
    assert rec.calls == [ONE, POOL, ONE, POOL, ONE]


def test_tries_that_fail_wait_at_most_retry_max_windows() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    feed(policy, 1.2)
    waits = []
    for _ in range(8):
        n = 0
        while policy.threads == POOL:
            feed(policy, 0.5)
            n += 1
        waits.append(n)
        feed(policy, 0.9)  # the try fails
    assert waits[:3] == [RETRY, 2 * RETRY, 4 * RETRY] and max(waits) == RETRY_MAX


def test_a_short_spike_is_averaged_over_the_window() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.start()
    feed(policy, 3.0, 3)  # three slow frames (a hiccup) among quick ones
    feed(policy, 0.3, WINDOW - 3)
    assert policy.threads == ONE


def test_restore_puts_back_what_was_found_and_only_once() -> None:
    rec = Recorder(initial=7)
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.restore()
    assert rec.calls == []  # never started: nothing to put back
    rec.count = 5  # set by someone else after the policy was made: what start finds counts
    policy.start()
    feed(policy, 1.2)
    policy.restore()
    policy.restore()
    assert rec.calls == [ONE, POOL, 5] and rec.count == 5


class PacedSynthetic(SourceBase):
    """A paced source whose frames are stamped `fps` apart but delivered at once: its frame
    period is whatever the test says, whatever the box's speed."""

    paced = True

    def __init__(self, fps: float, frames: int) -> None:
        super().__init__()
        self.name, self.nominal_fps, self.size = "synthetic", fps, (160, 90)
        self._fps, self._frames, self._i = fps, frames, 0
        self._scene = DemoScene(160, 90)

    def read(self) -> Frame | None:
        if self._i >= self._frames:
            return None
        i, self._i = self._i, self._i + 1
        return Frame(i, i / self._fps, self._scene.render(i / 30.0))


def run_loop(source: SourceBase) -> tuple[list[int], int, list[int]]:
    """Run a loop to the source's end; OpenCV's thread count at every publish, after, and
    the counts the published statuses said."""
    seen: list[int] = []
    said: list[int] = []
    done = threading.Event()

    def publish(snap: Snapshot) -> None:
        seen.append(cv2.getNumThreads())
        said.append(snap.status.cv_threads)
        if snap.status.state is RunState.ENDED:
            done.set()

    loop = TrackingLoop(source, Params(), publish)
    thread = threading.Thread(target=loop.run, args=(done.is_set,), daemon=True)
    thread.start()
    thread.join(HANG_GUARD_S)
    assert not thread.is_alive()
    return seen, cv2.getNumThreads(), said


@pytest.fixture
def opencv_threads() -> object:
    """OpenCV's count set to 3 for the test (a value no decision sets), put back after."""
    before = cv2.getNumThreads()
    cv2.setNumThreads(3)
    yield
    cv2.setNumThreads(before)


@pytest.mark.usefixtures("opencv_threads")
def test_a_paced_source_that_is_easy_to_keep_up_with_runs_opencv_on_one_thread() -> None:
    seen, after, said = run_loop(PacedSynthetic(fps=1.0, frames=2 * WINDOW))  # 1 s a frame
    assert set(seen[1:]) == {1} and set(said[1:]) == {1}  # the health view shows it
    assert after == 3


@pytest.mark.usefixtures("opencv_threads")
def test_a_paced_source_faster_than_the_work_gets_the_pool() -> None:
    seen, after, said = run_loop(PacedSynthetic(fps=1e6, frames=(SETTLE + 2) * WINDOW))
    assert seen[1] == 1 and seen[-1] == cv2.getNumberOfCPUs()  # the default: one per core
    assert said[-1] == cv2.getNumberOfCPUs()
    assert after == 3


@pytest.mark.usefixtures("opencv_threads")
def test_an_unpaced_source_leaves_opencv_as_it_is() -> None:
    source = PacedSynthetic(fps=1e6, frames=3 * WINDOW)
    source.paced = False
    seen, after, said = run_loop(source)
    assert set(seen) == {3} and after == 3 and set(said) == {0}


def test_the_synthetic_source_moves() -> None:
    """The frames tracked above differ (there is work for LK to do)."""
    source = PacedSynthetic(fps=30.0, frames=2)
    a, b = source.read(), source.read()
    assert a is not None and b is not None
    assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() > 0.1


def test_hurry_gives_the_pool_over_one_thread_and_gives_it_back() -> None:
    rec = Recorder()
    policy = CvThreads(rec.set, rec.get, settle=0)
    policy.hurry(True)
    assert rec.calls == []  # not started: OpenCV is left as it is
    policy.start()
    policy.hurry(True)
    policy.hurry(True)
    assert rec.calls == [ONE, POOL] and policy.threads == ONE  # the policy's choice stays
    policy.hurry(False)
    policy.hurry(False)
    assert rec.calls == [ONE, POOL, ONE]
    feed(policy, 1.2)
    policy.hurry(True)  # already on the pool
    assert rec.calls == [ONE, POOL, ONE, POOL]


def test_a_replay_catching_up_has_the_pool_and_live_tracking_one_thread_again() -> None:
    """A step back into the buffer re-tracks it from its start at full speed: the user waits
    for that, so OpenCV has its pool meanwhile."""
    rec = Recorder()
    stop = threading.Event()
    ended = threading.Event()
    replayed = threading.Event()

    def publish(snap: Snapshot) -> None:
        if snap.status.state is RunState.ENDED:
            ended.set()
        if snap.status.state is RunState.REPLAY_PAUSED and snap.state is not None:
            replayed.set()

    loop = TrackingLoop(PacedSynthetic(fps=30.0, frames=40), Params(), publish)
    loop.cv_threads = CvThreads(rec.set, rec.get, settle=10**6)  # never judges: only hurry
    thread = threading.Thread(target=loop.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        assert ended.wait(HANG_GUARD_S)
        assert rec.calls == [ONE]
        loop.set_paused(True)
        loop.replay(True, at_end=True)
        assert replayed.wait(HANG_GUARD_S)
        loop.replay(False)
    finally:
        stop.set()
        thread.join(HANG_GUARD_S)
    assert rec.calls[:3] == [ONE, POOL, ONE]  # the pool for the catch-up only
