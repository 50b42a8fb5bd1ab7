"""The types that cross between the engine's parts, and between the engine and the UI.

Sources hand the tracker `Frame`s through the `Source` protocol; the tracker answers each
frame with a `TrackState` (holding the frame's `ObjectState`s and `TrapResult`s); the
tracking loop publishes a `Snapshot` (state, `LoopStatus`, `HealthFigures`, recent
`FrameRows`) for another thread. Every published value is immutable in fact: frozen
dataclasses, tuples, read-only mappings and read-only numpy arrays, so a snapshot handed to
another thread cannot change under it, nor be changed by it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Protocol

import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import Params

Image = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
MOVING_PX_S = 1.0  # a point slower than this counts as static (summaries, arrows)
NO_TIMINGS: Mapping[str, float] = MappingProxyType({})


def frozen(array: npt.NDArray) -> npt.NDArray:
    """A read-only view of `array` (the array itself is not copied)."""
    view = array.view()
    view.flags.writeable = False
    return view


# -- frames and their sources ------------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """One frame: BGR pixels, its index from the start and its time in seconds.

    `restart` marks the first frame after a discontinuity (a loop or a reconnect): what came
    before does not continue into it.
    """

    index: int
    t: float
    image: Image
    restart: bool = False


class Source(Protocol):
    """A stream of frames: `read()` returns the next one, or None when the source has ended.

    `size` is (w, h) in pixels (0, 0 until known) and `nominal_fps` the rate the source
    announces (0 if none); `live` sources (cameras, streams) cannot be rewound. The counters
    are 0 for sources that have none.
    """

    name: str
    live: bool
    paced: bool  # played in real time (cameras, the live demo, files in the UI)
    nominal_fps: float
    size: tuple[int, int]

    @property
    def dropped(self) -> int:
        """Frames a late reader lost (a camera's queue overflowed)."""
        ...

    @property
    def skipped(self) -> int:
        """Empty, corrupt or unreadable frames passed over."""
        ...

    @property
    def frame_count(self) -> int:
        """Frames in a finite source (a file, an image sequence); 0 when unknown or endless."""
        ...

    @property
    def duration_s(self) -> float:
        """Seconds of media in a finite source (a file); 0 when unknown or endless."""
        ...

    @property
    def auto_choice(self) -> str:
        """Why `auto` chose this source ('' when it was named)."""
        ...

    def read(self) -> Frame | None: ...

    def rewind(self) -> bool:
        """Play a finite source again from its start, time going on; False if it cannot."""
        ...

    def close(self) -> None: ...

    def resync(self) -> None:
        """Restart real-time pacing from the next frame (after a pause), dropping nothing."""
        ...

    def describe(self) -> str: ...


# -- what the tracker says about one frame ----------------------------------------------------


@dataclass(frozen=True)
class TrapResult:
    """One object's passage through the trap: crossing times (s), direction, speed in `unit`."""

    object_id: int
    t_first: float
    t_second: float
    direction: str  # "A→B" or "B→A"
    speed: float
    unit: str

    @property
    def seconds(self) -> float:
        return self.t_second - self.t_first


@dataclass(frozen=True)
class ObjectState:
    """One moving object in one frame. Box centre (x, y) and size (w, h) in image pixels,
    velocity (vx, vy) and speed in px/s (median of its tracks), speed_world in `unit` (NaN when
    uncalibrated), times in seconds of the source, trap_speed in `trap_unit` (NaN until the
    object has crossed both lines of the trap)."""

    id: int
    x: float
    y: float
    w: float
    h: float
    vx: float
    vy: float
    speed: float
    speed_world: float
    unit: str
    first_seen: float
    t: float
    top_speed: float
    top_speed_world: float
    tracks: int
    track_ids: tuple[int, ...] = ()
    trap_speed: float = math.nan
    trap_unit: str = ""

    @property
    def seen(self) -> float:
        """Seconds since the object was first seen."""
        return self.t - self.first_seen

    @property
    def direction(self) -> float:
        """Heading in degrees, counter-clockwise from image right (90 = up the image)."""
        return math.degrees(math.atan2(-self.vy, self.vx)) % 360.0


@dataclass(frozen=True)
class TrackState:
    """What the tracker knows after one frame; its arrays are read-only.

    Rows are the visible tracks (those not hidden by `tracking.min_speed`): ids (N,), pts,
    vel (N, 2) px and px/s, speed (N,) px/s, age (N,) frames since seeding, fb_error (N,) px
    of the last step. `trails` (N, L, 2) run newest first; row i holds `trail_len[i]` valid
    points. `speed_world` (N,) is in `unit`, NaN when uncalibrated (`unit` is then '').
    `timings` are the seconds each stage of the frame took.
    """

    index: int
    t: float
    image: Image
    ids: I64
    pts: F32
    vel: F32
    speed: F32
    age: I32
    fb_error: F32
    trails: F32
    trail_len: I32
    speed_world: F64
    unit: str
    live: int
    created: int
    lost: int
    seeded: int
    timings: Mapping[str, float] = field(default_factory=lambda: NO_TIMINGS)
    objects: tuple[ObjectState, ...] = ()  # moving objects, by id
    trap: tuple[TrapResult, ...] = ()  # latest passages through the speed trap, oldest first
    notice: str = ""  # why nothing is tracked, when a scene is degenerate ('' = all is well)

    @property
    def calibrated(self) -> bool:
        return bool(self.unit)

    @property
    def moving(self) -> npt.NDArray[np.bool_]:
        """(N,) which rows move: measured (age > 0) and at least MOVING_PX_S."""
        return (self.speed >= MOVING_PX_S) & (self.age > 0)


@dataclass(frozen=True)
class FrameRows:
    """One frame's tracks without its image: the rows a track file holds for that frame."""

    index: int
    t: float
    ids: I64
    pts: F32
    vel: F32
    speed: F32
    speed_world: F64
    unit: str
    age: I32
    fb_error: F32

    @classmethod
    def of(cls, state: TrackState) -> FrameRows:
        # a state's arrays are read-only: shared, not copied
        return cls(state.index, state.t, state.ids, state.pts, state.vel, state.speed,
                   state.speed_world, state.unit, state.age, state.fb_error)

    def __len__(self) -> int:
        return len(self.ids)


# -- what the tracking loop publishes ---------------------------------------------------------


class RunState(str, Enum):
    LIVE = "LIVE"
    PAUSED = "PAUSED"
    REPLAY = "REPLAY"  # looping the rewind buffer; the source is not read meanwhile
    REPLAY_PAUSED = "REPLAY PAUSED"
    SOURCE_LOST = "SOURCE LOST"
    ENDED = "ENDED"
    ERROR = "ERROR"


@dataclass(frozen=True)
class LoopStatus:
    """How the loop is doing: what the status bar shows."""

    state: RunState = RunState.LIVE
    source: str = ""
    size: tuple[int, int] = (0, 0)
    source_fps: float = 0.0  # frame rate by the frames' own timestamps
    track_fps: float = 0.0  # frames tracked per wall-clock second
    dropped: int = 0
    skipped: int = 0  # empty or corrupt frames a live source dropped
    message: str = ""
    position_s: float = 0.0  # media time since the source (re)started
    duration_s: float = 0.0  # media length of a finite source; 0 = unknown or endless
    pace: float = 1.0  # media seconds per wall-clock second of a paced file (1 = real time)
    buffer_s: float = 0.0  # seconds of the source held in the rewind buffer
    replay_pass: int = 0  # while replaying: the pass of the loop now playing, from 1
    cv_threads: int = 0  # OpenCV's threads under a live pace (runtime.cv_threads); 0 = not set


@dataclass(frozen=True)
class SecondFigures:
    """Sums over one second of source time: frames, points lost and seeded, reseeds, and the
    mean milliseconds of each stage per frame."""

    start: int
    frames: int = 0
    lost: int = 0
    seeded: int = 0
    reseeds: int = 0
    stage_ms: Mapping[str, float] = field(default_factory=lambda: NO_TIMINGS)


@dataclass(frozen=True)
class HealthFigures:
    """Closed seconds, oldest first, and totals since the start."""

    seconds: tuple[SecondFigures, ...] = ()
    frames: int = 0
    lost: int = 0
    seeded: int = 0
    reseeds: int = 0
    last_reseed_t: float | None = None
    last_t: float | None = None

    def series(self, name: str) -> list[float]:
        return [float(getattr(s, name)) for s in self.seconds]

    def stage_series(self, stage: str) -> list[float]:
        return [s.stage_ms.get(stage, 0.0) for s in self.seconds]

    def has_stage(self, stage: str) -> bool:
        return any(stage in s.stage_ms for s in self.seconds)


@dataclass(frozen=True)
class TuningFigures:
    """What one pass of tracking over a stretch of frames says about the parameters.

    live_tracks: median live tracks per frame; lifetime_s: median time a track that moved
    (reached 5 px/s) was followed within the stretch; lost_per_s: points dropped per second
    of source; fb_error: median forward-backward error (px) of measured points;
    still_noise: median speed (px/s) of points that stayed within a pixel over their last
    10 frames (what they show is measurement noise); objects: moving objects seen;
    id_changes: times an object vanished and its tracks went on under another id;
    object_life_s: median time an object kept its id; coverage: mean share of the frame's
    cells (16 x 9) holding a live track. NaN where there was nothing to measure.
    """

    frames: int = 0
    seconds: float = 0.0
    live_tracks: float = math.nan
    lifetime_s: float = math.nan
    lost_per_s: float = math.nan
    fb_error: float = math.nan
    still_noise: float = math.nan
    objects: int = 0
    id_changes: int = 0
    object_life_s: float = math.nan
    coverage: float = math.nan


@dataclass(frozen=True)
class PassResult:
    """The figures of one whole pass over the replayed stretch, and the parameters used."""

    params: Params
    figures: TuningFigures
    number: int  # which pass of the replay, from 1


@dataclass(frozen=True)
class TuningReport:
    """A/B while tuning on the replayed stretch: the last whole pass with the parameters now
    in use (`current`), the last whole pass with the set before them (`previous`), and how
    far the running pass has come (0-1)."""

    current: PassResult | None = None
    previous: PassResult | None = None
    progress: float = 0.0
    frames: int = 0  # in the replayed stretch
    seconds: float = 0.0
    replaying: bool = False


@dataclass(frozen=True)
class Snapshot:
    """One publication of the tracking loop: the state after the newest frame (None before the
    first), the loop's status, the health figures, the rows of the recent frames (oldest
    first), the parameters the engine is using and the A/B figures of the replay.
    `serial` counts publications."""

    state: TrackState | None
    status: LoopStatus
    serial: int = 0
    health: HealthFigures = field(default_factory=HealthFigures)
    history: tuple[FrameRows, ...] = ()
    params: Params | None = None
    tuning: TuningReport | None = None  # once a replay has started
