"""The rows of the most recent tracked frames, for exporting what was just seen.

`TrackHistory` keeps the rows (not the images) of the last HISTORY_FRAMES frames, at most
HISTORY_ROWS rows, so memory stays bounded however long a run lasts. The tracking loop adds
every frame; `frames()` is an immutable tuple another thread may keep.
"""

from __future__ import annotations

from collections import deque

from flowtop.tracker.contracts import FrameRows, TrackState

HISTORY_FRAMES = 1800  # a minute at 30 fps
HISTORY_ROWS = 200_000  # rows kept at most (about 10 MB of arrays)


class TrackHistory:
    """The rows of the most recent frames, oldest first; `add` from one thread."""

    def __init__(self, frames: int = HISTORY_FRAMES, rows: int = HISTORY_ROWS) -> None:
        self.max_frames, self.max_rows = frames, rows
        self._frames: deque[FrameRows] = deque()
        self._rows = 0
        self._last: tuple[int, float] | None = None
        self._view: tuple[FrameRows, ...] = ()

    def add(self, state: TrackState | None) -> None:
        """Keep `state`'s rows; a state of the frame added last (republished while paused)
        is skipped."""
        if state is None or (state.index, state.t) == self._last:
            return
        self._last = (state.index, state.t)
        rows = FrameRows.of(state)
        self._frames.append(rows)
        self._rows += len(rows)
        while len(self._frames) > 1 and (len(self._frames) > self.max_frames
                                         or self._rows > self.max_rows):
            self._rows -= len(self._frames.popleft())
        self._view = ()

    def frames(self) -> tuple[FrameRows, ...]:
        """The kept frames, oldest first (made once per change)."""
        if len(self._view) != len(self._frames) or (
                self._frames and self._view[-1] is not self._frames[-1]):
            self._view = tuple(self._frames)
        return self._view

    @property
    def rows(self) -> int:
        return self._rows

    def __len__(self) -> int:
        return len(self._frames)
