"""How many threads OpenCV uses while a live source sets the pace: one while tracking keeps
up easily, its thread pool when a frame's work nears the frame period.

OpenCV's pool makes one frame's work finish sooner but costs more CPU in all (its workers
wait for the next parallel region awake, and split small images in pieces that cost more
together): on this project's 2-core box a bare LK loop takes about a third more CPU per frame
with the pool than on one thread. Under a live source finishing sooner gains nothing while
the work fits in the period, so the loop runs OpenCV on its own thread then, and turns the
pool on when the work takes most of the period (a large frame, a busy box), off again when
it shrinks. Sources read as fast as possible (`flowtop track` on a file) keep the pool: there
the time per frame is what the user waits for.
"""

from __future__ import annotations

from collections.abc import Callable

ONE = 1  # OpenCV's own thread only
POOL = -1  # OpenCV's default: a thread per core
WINDOW = 30  # frames per decision (about a second of a camera)
UP = 0.7  # on one thread, work over period above this: use the pool
DOWN = 0.35  # with the pool, below this: one thread again (the pool shortens LK by ~1/3)


class CvThreads:
    """Decides OpenCV's thread count from the work per frame against the frame period.

    `observe(work_s, period_s)` after each frame; every `WINDOW` frames it compares the mean
    share of the period the work took with the thresholds and calls `set_threads` when the
    count changes. `restore()` puts back the count found at the start.
    """

    def __init__(self, set_threads: Callable[[int], None], get_threads: Callable[[], int],
                 window: int = WINDOW) -> None:
        self._set = set_threads
        self._initial = get_threads()
        self._window = window
        self._share = 0.0
        self._n = 0
        self._get = get_threads
        self.threads = 0  # ONE or POOL; 0 until `start` (OpenCV's count as found)
        self.count = 0  # OpenCV's thread count after the last decision; 0 until `start`

    def start(self) -> None:
        """One thread from the first frame (the cheap setting, until the work says not)."""
        self._use(ONE)

    def observe(self, work_s: float, period_s: float) -> None:
        """Count one frame that took `work_s` seconds of a `period_s` frame period."""
        if period_s <= 0:
            return
        self._share += work_s / period_s
        self._n += 1
        if self._n < self._window:
            return
        share = self._share / self._n
        self._share, self._n = 0.0, 0
        if self.threads == ONE and share > UP:
            self._use(POOL)
        elif self.threads == POOL and share < DOWN:
            self._use(ONE)

    def restore(self) -> None:
        """Put back OpenCV's thread count as it was before `start`."""
        if self.threads:
            self._set(self._initial)
            self.threads = self.count = 0

    def _use(self, threads: int) -> None:
        if threads != self.threads:
            self._set(threads)
            self.threads, self.count = threads, self._get()
