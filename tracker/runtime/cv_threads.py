"""How many threads OpenCV uses while a live source sets the pace: one while tracking keeps
up easily, its thread pool when a frame's work nears the frame period.

OpenCV's pool makes one frame's work finish sooner but costs more CPU in all (its workers
wait for the next parallel region awake, and split small images in pieces that cost more
together): on this project's 2-core box, LK forward and backward on a 640x360 frame took
0.6-0.7 times the wall time with the pool and 1.15-1.35 times the CPU. Under a live source
finishing sooner gains nothing while the work fits in the period, so the loop runs OpenCV on
its own thread then, and turns the pool on when the work takes most of the period (a large
frame, a busy box). With the pool on, one thread is tried again now and then (sooner when
the work is small), since how long the work would take on one thread cannot be read from
how long it takes with the pool; a try that does not keep up makes the next one wait twice
as long. Sources read as fast as possible (`flowtop track` on a file) keep the pool: there
the time per frame is what the user waits for, as it is while a replay re-tracks its loop
at full speed (`hurry`).
"""

from __future__ import annotations

from collections.abc import Callable

ONE = 1  # OpenCV's own thread only
POOL = -1  # OpenCV's default: a thread per core
WINDOW = 30  # frames per decision (about a second of a camera)
SETTLE = 2  # windows not judged after `start` (the first frames warm caches, a UI starts)
UP = 0.75  # on one thread, work over period above this in two windows running: the pool
BEHIND = 1.0  # ... or above this in one (tracking is falling behind)
DOWN = 0.35  # with the pool, below this: one thread again at once (the pool shortens LK ~1/3)
RETRY = 10  # windows with the pool before one thread is tried again ...
RETRY_MAX = 320  # ... doubling after each try that did not keep up, up to this many


class CvThreads:
    """Decides OpenCV's thread count from the work per frame against the frame period.

    `observe(work_s, period_s)` after each frame; every `window` frames it compares the mean
    share of the period the work took with the thresholds and calls `set_threads` when the
    count changes. `restore()` puts back the count found at the start.
    """

    def __init__(self, set_threads: Callable[[int], None], get_threads: Callable[[], int],
                 window: int = WINDOW, settle: int = SETTLE) -> None:
        self._set = set_threads
        self._get = get_threads
        self._initial = 0  # OpenCV's count when `start` found it
        self._window = window
        self._settle_windows = settle
        self._settle = 0
        self._share = 0.0
        self._n = 0
        self._retry = RETRY  # windows with the pool before trying one thread again
        self._pooled = 0  # windows with the pool since it was turned on or last tried
        self._trying = False  # one thread on trial: back to the pool if it does not keep up
        self._strikes = 0  # windows running on one thread above UP
        self._hurried = False  # the pool set by `hurry` over the policy's one thread
        self.threads = 0  # ONE or POOL; 0 until `start` (OpenCV's count as found)
        self.count = 0  # OpenCV's thread count after the last decision; 0 until `start`

    def start(self) -> None:
        """One thread from the first frame (the cheap setting, until the work says not)."""
        if not self.threads:
            self._initial = self._get()
        self._use(ONE)
        self._settle = self._settle_windows
        self._share, self._n = 0.0, 0

    def observe(self, work_s: float, period_s: float) -> None:
        """Count one frame that took `work_s` seconds of a `period_s` frame period."""
        if period_s <= 0 or not self.threads:
            return
        self._share += work_s / period_s
        self._n += 1
        if self._n < self._window:
            return
        share = self._share / self._n
        self._share, self._n = 0.0, 0
        if self._settle:
            self._settle -= 1
        elif self.threads == ONE:
            self._judge_one(share)
        else:
            self._judge_pool(share)

    def _judge_one(self, share: float) -> None:
        """A second's hiccup (another process, a disk stall) is not a reason: two windows
        running over UP are, or one over BEHIND, or one over UP while trying one thread."""
        self._strikes = self._strikes + 1 if share > UP else 0
        if self._strikes >= 2 or share > BEHIND or (self._trying and self._strikes):
            if self._trying:  # the try did not keep up: wait longer before the next
                self._retry = min(2 * self._retry, RETRY_MAX)
            self._use(POOL)
        elif self._trying:
            self._retry = RETRY
        self._trying = False

    def _judge_pool(self, share: float) -> None:
        self._pooled += 1
        if share < DOWN or self._pooled >= self._retry:
            self._trying = share >= DOWN
            self._use(ONE)

    def hurry(self, on: bool) -> None:
        """While `on`, work someone waits for (a replay catching up at full speed) has the
        pool; off, the policy's count again. Nothing before `start`."""
        if on and self.threads == ONE and not self._hurried:
            self._set(POOL)
            self._hurried = True
        elif not on and self._hurried:
            self._set(self.threads)
            self._hurried = False

    def restore(self) -> None:
        """Put back OpenCV's thread count as it was before `start`."""
        if self.threads:
            self._set(self._initial)
            self.threads = self.count = 0
            self._hurried = False

    def _use(self, threads: int) -> None:
        if threads != self.threads:
            self._set(threads)
            self.threads, self.count = threads, self._get()
        self._pooled = self._strikes = 0
