"""Engine parameters: one dataclass per TOML section, each field with bounds and a description.

The CLI flags (`--set section.key=value`), the TOML config, the live parameter panel and the
saved file all read these definitions; nothing else lists parameters.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Spec:
    """What a parameter may hold: bounds or choices, the step of one key press, unit, help."""

    help: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    unit: str = ""
    choices: tuple[str, ...] = ()


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None,
          step: float | None = None, unit: str = "", choices: tuple[str, ...] = ()) -> Any:
    """A dataclass field carrying its `Spec` in the metadata."""
    spec = Spec(help=help, lo=lo, hi=hi, step=step, unit=unit, choices=choices)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


class ParamError(ValueError):
    """A parameter value or key a user gave is not acceptable; the message names the key."""


def spec_of(f: dataclasses.Field) -> Spec:
    return f.metadata["spec"]


def _check(section: str, f: dataclasses.Field, value: Any) -> Any:
    """Validate and coerce one value for field `f`; raise ParamError naming the key."""
    spec = spec_of(f)
    key = f"{section}.{f.name}"
    kind = type(f.default) if f.default is not dataclasses.MISSING else list
    if kind is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{key}: expected true or false, got {value!r}")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
            raise ParamError(f"{key}: expected a whole number, got {value!r}")
        value = int(value)
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{key}: expected a number, got {value!r}")
        value = float(value)
    elif kind is str:
        if not isinstance(value, str):
            raise ParamError(f"{key}: expected a string, got {value!r}")
        if spec.choices and value not in spec.choices:
            raise ParamError(f"{key}: {value!r} is not one of {', '.join(spec.choices)}")
        return value
    elif kind is list:
        if not isinstance(value, list):
            raise ParamError(f"{key}: expected a list, got {value!r}")
        return value
    if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
        raise ParamError(f"{key}: {value} is out of range [{_num(spec.lo)}, {_num(spec.hi)}]")
    return value


def _num(x: float | None) -> str:
    if x is None:
        return "-inf"
    return str(int(x)) if float(x).is_integer() else str(x)


class Section:
    """Mixin for a section dataclass: validation on construction, iteration over fields."""

    name: str = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            object.__setattr__(self, f.name, _check(self.name, f, getattr(self, f.name)))


@dataclass(frozen=True)
class FeatureParams(Section):
    name = "features"
    max_corners: int = param(300, "corners asked of goodFeaturesToTrack per detection",
                             1, 5000, 25)
    quality_level: float = param(0.01, "corner quality relative to the best corner",
                                 0.0001, 1.0, 0.005)
    min_distance: float = param(7.0, "minimum distance between seeded corners", 1, 200, 1, "px")
    block_size: int = param(7, "neighbourhood for the corner measure", 3, 31, 2, "px")
    mode: str = param("corners", "how new points are seeded", choices=("corners", "faces"))
    roi: list = param([], "seed only inside [x, y, w, h] (pixels); empty = whole frame")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.roi and (len(self.roi) != 4 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in self.roi)
                or self.roi[2] <= 0 or self.roi[3] <= 0):
            raise ParamError(f"features.roi: expected [x, y, w, h] with w, h > 0, "
                             f"got {self.roi!r}")


@dataclass(frozen=True)
class LKParams(Section):
    name = "lk"
    win_size: int = param(15, "Lucas-Kanade search window per pyramid level", 5, 61, 2, "px")
    max_level: int = param(2, "pyramid levels above the full image", 0, 6, 1)
    max_iter: int = param(10, "iterations per level at most", 1, 100, 1)
    epsilon: float = param(0.03, "stop iterating when a step is smaller than this",
                           0.001, 1.0, 0.01, "px")
    min_eig_threshold: float = param(1e-4, "drop points whose gradient matrix is this weak",
                                     1e-6, 0.1, 1e-4)
    max_error: float = param(30.0, "drop points whose LK patch error exceeds this",
                             1.0, 255.0, 1.0)


@dataclass(frozen=True)
class TrackingParams(Section):
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


@dataclass(frozen=True)
class SpeedParams(Section):
    name = "speed"
    meters_per_pixel: float = param(0.0, "ground scale; 0 = uncalibrated", 0.0, 1000.0,
                                    0.001, "m/px")
    unit: str = param("m/s", "unit of world speeds", choices=("m/s", "km/h", "mph"))


@dataclass(frozen=True)
class PreviewParams(Section):
    name = "preview"
    fps: float = param(15.0, "preview redraws per second at most", 1.0, 60.0, 1.0, "fps")
    max_kbps: float = param(0.0, "bytes-per-second budget for the preview; 0 = none",
                            0.0, 100000.0, 50.0, "KB/s")
    color: str = param("auto", "colour mode of the preview",
                       choices=("auto", "truecolor", "256", "16", "gray", "ascii"))


SECTIONS: dict[str, type[Section]] = {
    s.name: s for s in (FeatureParams, LKParams, TrackingParams, SpeedParams, PreviewParams)
}


@dataclass(frozen=True)
class Params:
    """All parameters; sections are frozen, so a change makes a new Params (`with_value`)."""

    features: FeatureParams = field(default_factory=FeatureParams)
    lk: LKParams = field(default_factory=LKParams)
    tracking: TrackingParams = field(default_factory=TrackingParams)
    speed: SpeedParams = field(default_factory=SpeedParams)
    preview: PreviewParams = field(default_factory=PreviewParams)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Params:
        """Build from nested dicts (TOML); unknown sections or keys raise ParamError."""
        sections: dict[str, Section] = {}
        for sname, values in data.items():
            if sname not in SECTIONS:
                raise ParamError(f"unknown section [{sname}] (known: {', '.join(SECTIONS)})")
            if not isinstance(values, dict):
                raise ParamError(f"[{sname}] must be a table of keys")
            known = {f.name for f in dataclasses.fields(SECTIONS[sname])}
            for key in values:
                if key not in known:
                    raise ParamError(f"unknown key {sname}.{key} (known: {', '.join(known)})")
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
        raise ParamError(f"unknown section in {key!r} (known: {', '.join(SECTIONS)})")
    if name not in {f.name for f in dataclasses.fields(SECTIONS[section])}:
        raise ParamError(f"unknown key {key!r}")
    return section, name


def field_of(key: str) -> dataclasses.Field:
    section, name = split_key(key)
    return next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == name)


def parse_text(key: str, text: str) -> Any:
    """Parse a command-line value for `key` into the field's type (validation comes later)."""
    f = field_of(key)
    kind = type(f.default) if f.default is not dataclasses.MISSING else list
    text = text.strip()
    try:
        if kind is bool:
            lowered = text.lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise ValueError
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        if kind is list:
            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError
            return value
    except ValueError:
        raise ParamError(f"{key}: cannot read {text!r} as {kind.__name__}") from None
    return text


def iter_specs() -> Iterator[tuple[str, dataclasses.Field, Spec]]:
    """Every parameter as (key, field, spec), in section and field order."""
    for sname, cls in SECTIONS.items():
        for f in dataclasses.fields(cls):
            yield f"{sname}.{f.name}", f, spec_of(f)


def stepped(params: Params, key: str, direction: int) -> Params:
    """A copy with `key` moved one step up (+1) or down (-1), clamped to its bounds."""
    f = field_of(key)
    spec = spec_of(f)
    value = params.get(key)
    if spec.choices:
        i = (spec.choices.index(value) + direction) % len(spec.choices)
        return params.with_value(key, spec.choices[i])
    if isinstance(value, bool):
        return params.with_value(key, not value)
    if spec.step is None:
        return params
    new = value + direction * spec.step
    if spec.lo is not None:
        new = max(spec.lo, new)
    if spec.hi is not None:
        new = min(spec.hi, new)
    new = round(new) if isinstance(value, int) else round(new, 10)
    return params.with_value(key, new)
