"""Engine parameters: one dataclass per TOML section, each field with bounds and a description,
and `Params`, all of them, read and changed by flat key ('lk.win_size').

The CLI flags (`--set section.key=value`), the TOML config, the live parameter panel and the
saved file all read these definitions; nothing else lists parameters. How a field is declared
and checked is in `fields`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flowtop.tracker.config.fields import (
    Section,
    Spec,
    check_points,
    clip,
    param,
    parse_as,
    show,
    spec_of,
)
from flowtop.tracker.config.modes import COLOR_MODES
from flowtop.tracker.errors import ParamError

MODELS = ("auto", "off", "scale", "pinhole", "homography")


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class FeatureParams(Section):
    """Where new points are seeded: corners (goodFeaturesToTrack) or faces, and how densely."""

    name = "features"
    max_corners: int = param(300, "corners asked of goodFeaturesToTrack per detection",
                             1, 5000, 25)
    quality_level: float = param(0.01, "corner quality relative to the best corner",
                                 0.0001, 1.0, 0.0001, log=True)
    min_distance: float = param(7.0, "minimum distance between seeded corners", 1, 200, 1, "px")
    motion_min_distance: float = param(4.0, "minimum distance between corners seeded on moving "
                                            "things (the foreground): denser, so a vehicle has "
                                            "points soon", 1, 200, 1, "px")
    block_size: int = param(7, "neighbourhood for the corner measure", 3, 31, 2, "px")
    mode: str = param("corners", "how new points are seeded", choices=("corners", "faces"))
    roi: list = param([], "seed only inside [x, y, w, h] (pixels); empty = whole frame")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.roi and (len(self.roi) != 4 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.roi)
                or self.roi[2] <= 0 or self.roi[3] <= 0):
            raise ParamError(f"features.roi: expected [x, y, w, h] with w, h > 0, "
                             f"got {show(self.roi)}")


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class LKParams(Section):
    """The pyramidal Lucas-Kanade step that follows each point from frame to frame."""

    name = "lk"
    win_size: int = param(15, "Lucas-Kanade search window per pyramid level", 5, 61, 2, "px")
    max_level: int = param(2, "pyramid levels above the full image", 0, 6, 1)
    max_iter: int = param(10, "iterations per level at most", 1, 100, 1)
    epsilon: float = param(0.03, "stop iterating when a step is smaller than this",
                           0.001, 1.0, 0.001, "px", log=True)
    min_eig_threshold: float = param(1e-4, "drop points whose gradient matrix is this weak",
                                     1e-6, 0.1, 1e-6, log=True)
    max_error: float = param(30.0, "drop points whose LK patch error exceeds this",
                             1.0, 255.0, 1.0)


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class TrackingParams(Section):
    """Which tracks live, how many, and how their velocities are smoothed."""

    name = "tracking"
    fb_threshold: float = param(1.0, "forward-backward distance above which a point is dropped",
                                0.05, 20.0, 0.1, "px")
    detect_interval: int = param(5, "seed new corners every this many frames", 1, 300, 1,
                                 "frames")
    min_points: int = param(20, "seed at once when fewer points are live", 0, 5000, 5)
    max_points: int = param(500, "hard cap on live tracks", 1, 10000, 25)
    trail_length: int = param(20, "positions kept per trail", 1, 500, 2, "frames")
    smoothing: float = param(0.3, "velocity EMA factor: 1 = raw, smaller = smoother",
                             0.01, 1.0, 0.05)
    min_speed: float = param(0.0, "hide points slower than this (0 = show all)", 0.0, 10000.0,
                             1.0, "px/s")
    max_jump: float = param(3.0, "a point whose step misses where its velocity said it would be "
                                 "by more than this (or half the step) jumped: it restarts "
                                 "instead of giving a speed", 0.5, 1000.0, 0.5, "px")
    still_radius: float = param(2.0, "a track that stays within this distance of where it came "
                                     "to rest is still", 0.1, 50.0, 0.5, "px")
    still_life: float = param(1.0, "a track still this long is background: dropped if something "
                                   "drags it away, retired first when points run short",
                              0.1, 600.0, 0.5, "s")
    motion_share: float = param(0.4, "share of max_points kept for moving things: still tracks "
                                     "beyond the rest are retired", 0.0, 1.0, 0.05)
    region_points: int = param(40, "a moving region (a vehicle) holding this many points gets "
                                   "no more, so many vehicles share max_points; 0 = no limit",
                               0, 10000, 5)
    foreground_threshold: float = param(20.0, "grey-level difference from the background that "
                                              "counts as something moving (seeded first; one "
                                              "region, one object)", 1.0, 255.0, 2.0)
    background_memory: float = param(2.0, "how long the background model of a fixed camera "
                                          "remembers", 0.1, 600.0, 0.5, "s")


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class SpeedParams(Section):
    """How image motion becomes world speed; `calibration.calibration_from_params` builds it.

    `model = auto` picks homography when image_points are set, else pinhole when a distance is
    set, else scale when meters_per_pixel or a known length is set, else none. Each field is
    checked here; whether they fit together (a model's required keys, matching point counts)
    is checked when the calibration is built, so `--set` may give them one at a time.
    """

    name = "speed"
    model: str = param("auto", "calibration model", choices=MODELS)
    meters_per_pixel: float = param(0.0, "scale model: ground scale; 0 = use the known length",
                                    0.0, 1000.0, 0.0001, "m/px", log=True)
    length_points: list = param([], "scale model: two image points [[x, y], [x, y]] a known "
                                    "length apart (px)")
    length_m: float = param(0.0, "scale model: metres between length_points", 0.0, 1e6, 0.1,
                            "m", log=True)
    fx: float = param(0.0, "pinhole: focal length along x; 0 = from intrinsics or hfov",
                      0.0, 1e6, 10.0, "px", log=True)
    fy: float = param(0.0, "pinhole: focal length along y; 0 = same as fx", 0.0, 1e6, 10.0,
                      "px", log=True)
    hfov: float = param(0.0, "pinhole: horizontal field of view, gives fx from the frame "
                             "width; 0 = unused", 0.0, 179.0, 1.0, "deg")
    distance: float = param(0.0, "pinhole: camera to plane of motion; 0 = unused", 0.0, 1e6,
                            0.1, "m", log=True)
    intrinsics: str = param("", "OpenCV FileStorage file with camera_matrix and "
                                "distortion_coefficients (flowtop calibrate); '' = none")
    image_points: list = param([], "homography: >= 4 image points [[x, y], ...] (px)")
    world_points: list = param([], "homography: the same points on the ground [[X, Y], ...] "
                                   "(m)")
    unit: str = param("m/s", "unit of world speeds", choices=("m/s", "km/h", "mph"))

    def __post_init__(self) -> None:
        super().__post_init__()
        check_points("speed.length_points", self.length_points, count=2)
        check_points("speed.image_points", self.image_points, least=4)
        check_points("speed.world_points", self.world_points)
        if self.length_points and self.length_points[0] == self.length_points[1]:
            raise ParamError("speed.length_points: the two points are the same pixel")

    @property
    def active_model(self) -> str:
        """The model in use: scale, pinhole, homography, or '' when uncalibrated."""
        if self.model != "auto":
            return "" if self.model == "off" else self.model
        if self.image_points:
            return "homography"
        if self.distance > 0 and (self.fx > 0 or self.hfov > 0 or self.intrinsics):
            return "pinhole"
        if self.meters_per_pixel > 0 or (self.length_points and self.length_m > 0):
            return "scale"
        return ""


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class ObjectParams(Section):
    """How moving tracks are grouped into objects (vehicles, people)."""

    name = "objects"
    enabled: bool = param(True, "group moving tracks into objects")
    min_speed: float = param(5.0, "tracks slower than this are static, not part of an object",
                             0.0, 10000.0, 1.0, "px/s")
    link_distance: float = param(40.0, "tracks closer than this may belong to one object",
                                 1.0, 2000.0, 5.0, "px")
    velocity_tolerance: float = param(0.25, "velocity difference allowed within an object, "
                                            "as a fraction of its speed", 0.0, 2.0, 0.05)
    velocity_floor: float = param(12.0, "velocity difference always allowed within an object",
                                  0.0, 1000.0, 1.0, "px/s")
    use_foreground: bool = param(True, "an object's tracks lie on one region of the foreground "
                                       "(what differs from the background): the road between "
                                       "two vehicles keeps them apart; off = link across it")
    split_speeds: float = param(1.35, "a group whose tracks move at two speeds this many times "
                                      "apart (5 or more tracks each) is two vehicles that "
                                      "touch in the picture; 1 = never split", 1.0, 10.0, 0.05)
    speed_band: float = param(0.04, "an object's speed is the median of its tracks within this "
                                   "fraction of their densest speed (edge tracks that slide "
                                   "are left out)", 0.01, 1.0, 0.01)
    min_tracks: int = param(3, "tracks an object needs", 1, 1000, 1)
    min_size: float = param(0.4, "when calibrated, an object's tracks must span this much of "
                                 "the ground (smaller groups are noise, not vehicles or "
                                 "people); 0 = any", 0.0, 100.0, 0.1, "m")
    min_frames: int = param(3, "frames an object must be seen before it is shown", 1, 1000, 1,
                            "frames")
    min_track_age: int = param(2, "frames a track must be followed before it joins an object",
                               1, 1000, 1, "frames")
    keep_s: float = param(0.5, "how long an unseen object keeps its id", 0.0, 60.0, 0.1, "s")


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class TrapParams(Section):
    """A speed trap: two lines a known distance apart; off while a line or distance is unset."""

    name = "trap"
    line_a: list = param([], "first line: two image points [[x, y], [x, y]] (px)")
    line_b: list = param([], "second line: two image points [[x, y], [x, y]] (px)")
    distance: float = param(0.0, "metres between the two lines; 0 = trap off", 0.0, 1e5, 0.1,
                            "m", log=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        for key in ("line_a", "line_b"):
            line = getattr(self, key)
            check_points(f"trap.{key}", line, count=2)
            if line and line[0] == line[1]:
                raise ParamError(f"trap.{key}: the two points are the same pixel")
        a, b = self.line_a, self.line_b
        if a and b and sorted(map(tuple, a)) == sorted(map(tuple, b)):
            raise ParamError("trap.line_b: the same line as trap.line_a; the trap needs two "
                             "lines a distance apart")

    @property
    def active(self) -> bool:
        return bool(self.line_a and self.line_b and self.distance > 0)


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class PreviewParams(Section):
    """The terminal preview: its rate, byte budget and colours."""

    name = "preview"
    fps: float = param(15.0, "preview redraws per second at most", 1.0, 60.0, 1.0, "fps")
    max_kbps: float = param(0.0, "bytes-per-second budget for the preview; 0 = none",
                            0.0, 100000.0, 10.0, "KB/s", log=True)
    color: str = param("auto", "colour mode of the preview",
                       choices=("auto", *COLOR_MODES))
    quantize_bits: int = param(8, "bits kept per colour channel (8 = all); fewer = fewer "
                               "distinct colours, longer runs, fewer bytes", 1, 8, 1, "bits")
    hysteresis: int = param(16, "a preview pixel keeps its colour unless a channel moved by more "
                            "than this (0 = off): sensor noise stops repainting", 0, 128, 2)
    min_speed: float = param(5.0, "tracks slower than this are static background: hidden in "
                             "the preview, faint dots in PNGs and videos", 0.0, 10000.0, 1.0,
                             "px/s")
    speed_max: float = param(0.0, "speed at the top of the colour scale, in px/s (in "
                             "speed.unit when calibrated); 0 = follow the fastest tracks",
                             0.0, 1e6, 10.0)


@dataclass(frozen=True, eq=False, repr=False)  # eq, hash, repr: Section's
class ReplayParams(Section):
    """The rewind buffer: the last stretch of the live source, JPEG-encoded in memory, that
    the live view replays while tuning (`tracker.runtime.rewind`)."""

    name = "replay"
    seconds: float = param(30.0, "seconds of the live source kept for replay (0 = off)",
                           0.0, 600.0, 5.0, "s")
    max_mb: float = param(64.0, "memory the replay buffer may use at most; the oldest frames "
                                "go first", 1.0, 4096.0, 1.0, "MB", log=True)
    quality: int = param(85, "JPEG quality of buffered frames: higher is truer and bigger",
                         50, 100, 5)


SECTIONS: dict[str, type[Section]] = {
    s.name: s for s in (FeatureParams, LKParams, TrackingParams, SpeedParams, ObjectParams,
                        TrapParams, PreviewParams, ReplayParams)
}


@dataclass(frozen=True)
class Params:
    """All parameters; sections are frozen, so a change makes a new Params (`with_value`)."""

    features: FeatureParams = field(default_factory=FeatureParams)
    lk: LKParams = field(default_factory=LKParams)
    tracking: TrackingParams = field(default_factory=TrackingParams)
    speed: SpeedParams = field(default_factory=SpeedParams)
    objects: ObjectParams = field(default_factory=ObjectParams)
    trap: TrapParams = field(default_factory=TrapParams)
    preview: PreviewParams = field(default_factory=PreviewParams)
    replay: ReplayParams = field(default_factory=ReplayParams)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        """Build from nested dicts (TOML); unknown sections or keys raise ParamError."""
        sections: dict[str, Section] = {}
        for sname, values in data.items():
            if sname not in SECTIONS:
                raise ParamError(f"unknown section [{clip(sname)}] "
                             f"(known: {', '.join(SECTIONS)})")
            if not isinstance(values, dict):
                raise ParamError(f"[{sname}] must be a table of keys")
            known = {f.name for f in dataclasses.fields(SECTIONS[sname])}
            for key in values:
                if key not in known:
                    raise ParamError(f"unknown key {sname}.{clip(key)} "
                                     f"(known: {', '.join(known)})")
            sections[sname] = SECTIONS[sname](**values)
        return cls(**sections)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {name: dataclasses.asdict(getattr(self, name)) for name in SECTIONS}

    def get(self, key: str) -> Any:
        section, name = split_key(key)
        return getattr(getattr(self, section), name)

    def with_value(self, key: str, value: Any) -> Params:
        """A copy with `section.name` set to `value` (validated)."""
        section, name = split_key(key)
        old = getattr(self, section)
        return dataclasses.replace(self, **{section: dataclasses.replace(old, **{name: value})})

    def with_text(self, key: str, text: str) -> Params:
        """A copy with `key` set from a command-line string, parsed by the field's type."""
        return self.with_value(key, parse_text(key, text))


def split_key(key: str) -> tuple[str, str]:
    """'lk.win_size' -> ('lk', 'win_size'), or ParamError for an unknown key."""
    section, _, name = key.partition(".")
    if section not in SECTIONS:
        raise ParamError(f"unknown section in {show(key)} (known: {', '.join(SECTIONS)})")
    if name not in {f.name for f in dataclasses.fields(SECTIONS[section])}:
        raise ParamError(f"unknown key {show(key)}")
    return section, name


def field_of(key: str) -> dataclasses.Field:
    section, name = split_key(key)
    return next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == name)


def parse_text(key: str, text: str) -> Any:
    """Parse a command-line value for `key` into the field's type (validation comes later)."""
    return parse_as(field_of(key), key, text)


def iter_specs() -> Iterator[tuple[str, dataclasses.Field, Spec]]:
    """Every parameter as (key, field, spec), in section and field order."""
    for sname, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            yield f"{sname}.{f.name}", f, spec_of(f)
