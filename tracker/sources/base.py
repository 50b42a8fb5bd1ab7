"""What every frame source shares: real-time pacing, counters, a description.

`SourceBase` implements the `tracker.contracts.Source` protocol apart from `read()`; its
counters start at zero and a subclass that has them keeps them up to date.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from flowtop.tracker.contracts import Frame


class SourceBase(ABC):
    """A stream of frames (`tracker.contracts.Source`): subclasses implement `read()`."""

    name: str = ""
    live: bool = False
    paced: bool = False
    nominal_fps: float = 0.0
    dropped: int = 0  # frames a late reader lost
    skipped: int = 0  # unreadable frames passed over
    frame_count: int = 0  # frames in the source; 0 = unknown or endless
    duration_s: float = 0.0  # seconds of media in the source; 0 = unknown or endless
    auto_choice: str = ""  # why `auto` chose this source

    def __init__(self, auto_choice: str = "") -> None:
        self.size: tuple[int, int] = (0, 0)
        if auto_choice:
            self.auto_choice = auto_choice
        self._pace_origin: tuple[float, float] | None = None  # (wall clock, frame time)

    @abstractmethod
    def read(self) -> Frame | None: ...

    def close(self) -> None:  # noqa: B027 - most sources have nothing to release
        """Release the device or file."""

    def rewind(self) -> bool:
        """Play again from the start, time going on; False: this source cannot."""
        return False

    def resync(self) -> None:
        """Restart real-time pacing from the next frame (after a pause), dropping nothing."""
        self._pace_origin = None

    def pace(self, t: float) -> None:
        """Sleep until frame time `t` is due on the wall clock (for real-time playback)."""
        now = time.monotonic()
        if self._pace_origin is None or t < self._pace_origin[1]:
            self._pace_origin = (now, t)
            return
        due = self._pace_origin[0] + (t - self._pace_origin[1])
        if due > now:
            time.sleep(due - now)
        elif now - due > 1.0:  # fell far behind: resynchronise instead of racing
            self._pace_origin = (now, t)

    def __enter__(self) -> SourceBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> str:
        w, h = self.size
        fps = f" @ {self.nominal_fps:.4g} fps" if self.nominal_fps else ""
        return f"{self.name} {w}x{h}{fps}" if w else f"{self.name}{fps}"


