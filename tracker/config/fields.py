"""Parameter fields: how one is declared (`param`, its `Spec`), and how a value for it is
checked and read from text; `Section`, the base of every parameter section.

Each parameter is a dataclass field whose metadata holds its `Spec`; the kind it holds is
its default's type (bool, int, float, str) or a list. The sections themselves are in
`params`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from flowtop.tracker.errors import ParamError


@dataclass(frozen=True)
class Spec:
    """What a parameter may hold: bounds or choices, the step of one key press, unit, help."""

    help: str
    lo: float | None = None
    hi: float | None = None
    step: float | None = None  # a key press; with `log`, the smallest step above 0
    unit: str = ""
    choices: tuple[str, ...] = ()
    log: bool = False  # steps go 1, 2, 5, 10, 20 ...: for values spanning decades


def param(default: Any, help: str, lo: float | None = None, hi: float | None = None,
          step: float | None = None, unit: str = "", choices: tuple[str, ...] = (),
          log: bool = False) -> Any:
    """A dataclass field carrying its `Spec` in the metadata."""
    spec = Spec(help=help, lo=lo, hi=hi, step=step, unit=unit, choices=choices, log=log)
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata={"spec": spec})
    return field(default=default, metadata={"spec": spec})


def spec_of(f: dataclasses.Field) -> Spec:
    return f.metadata["spec"]


def kind_of(f: dataclasses.Field) -> type:
    """The type a field holds: its default's (bool, int, float, str), or list."""
    return type(f.default) if f.default is not dataclasses.MISSING else list


MAX_LIST_NUMBER = 1e9  # |x| of any number in a list parameter (pixels, metres) at most
SHOWN_CHARS = 40  # of a value quoted in an error message


def clip(text: str) -> str:
    """`text` shortened to about SHOWN_CHARS for an error message (a 5000-digit number)."""
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS - 16]}... ({len(text)} characters)"


def show(value: object) -> str:
    """`repr(value)`, clipped."""
    return clip(repr(value))


def _check(section: str, f: dataclasses.Field, value: Any) -> Any:
    """Validate and coerce one value for field `f`; raise ParamError naming the key.

    Bounds are checked on the value as given, before any conversion, so a number too large
    for a float is refused, not an OverflowError."""
    spec = spec_of(f)
    key = f"{section}.{f.name}"
    kind = kind_of(f)
    if kind is bool:
        if not isinstance(value, bool):
            raise ParamError(f"{key}: expected true or false, got {show(value)}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamError(f"{key}: expected a {'whole ' if kind is int else ''}number, "
                             f"got {show(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ParamError(f"{key}: expected a finite number, got {show(value)}")
        if kind is int and isinstance(value, float) and not value.is_integer():
            raise ParamError(f"{key}: expected a whole number, got {show(value)}")
        if (spec.lo is not None and value < spec.lo) or (spec.hi is not None and value > spec.hi):
            raise ParamError(f"{key}: {show(value)} is out of range "
                             f"[{_num(spec.lo)}, {_num(spec.hi)}]")
        return kind(value)
    if kind is str:
        if not isinstance(value, str):
            raise ParamError(f"{key}: expected a string, got {show(value)}")
        if spec.choices and value not in spec.choices:
            raise ParamError(f"{key}: {show(value)} is not one of {', '.join(spec.choices)}")
        return value
    if not isinstance(value, list):
        raise ParamError(f"{key}: expected a list, got {show(value)}")
    if not _all_finite(value):
        raise ParamError(f"{key}: numbers must be finite and within ±{MAX_LIST_NUMBER:g}, "
                         f"got {show(value)}")
    return value


def _finite(value: object) -> bool:
    """A number (not a bool) that is finite and within ±MAX_LIST_NUMBER."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and -MAX_LIST_NUMBER <= value <= MAX_LIST_NUMBER)


def _all_finite(value: object) -> bool:
    """Whether every number in a (nested) list is finite and within ±MAX_LIST_NUMBER: no NaN,
    no infinity, no 400-digit integer."""
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return not isinstance(value, (int, float)) or isinstance(value, bool) or _finite(value)


def _num(x: float | None) -> str:
    if x is None:
        return "-inf"
    return str(int(x)) if float(x).is_integer() else str(x)


def check_points(key: str, value: list, count: int | None = None, least: int = 0) -> None:
    """`value` must be a list of [x, y] number pairs: exactly `count`, or at least `least`."""
    ok = all(isinstance(p, list) and len(p) == 2 and all(_finite(v) for v in p) for p in value)
    if not ok:
        raise ParamError(f"{key}: expected a list of [x, y] number pairs, got {show(value)}")
    if value and count is not None and len(value) != count:
        raise ParamError(f"{key}: expected {count} points, got {len(value)}")
    if value and len(value) < least:
        raise ParamError(f"{key}: expected at least {least} points, got {len(value)}")


def parse_as(f: dataclasses.Field, key: str, text: str) -> Any:
    """Read command-line `text` as the type field `f` holds (validation comes later);
    ParamError names `key`."""
    kind = kind_of(f)
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
            import json  # only a list given on the command line needs it

            value = json.loads(text)
            if not isinstance(value, list):
                raise ValueError
            return value
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        raise ParamError(f"{key}: cannot read {show(text)} as {kind.__name__}") from None
    return text


class Section:
    """Mixin for a section dataclass: validation on construction; equality, hash and repr as
    @dataclass writes them.

    Every command loads the sections at start-up, and @dataclass compiles each method it
    writes for each of them: a section is declared `@dataclass(frozen=True, eq=False,
    repr=False)` and shares these three (a third of the sections' import time). It has a
    docstring too: for a class without one, @dataclass writes one with `inspect.signature`."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # made by @dataclass
    name: str = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _check(self.name, f, getattr(self, f.name)))

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, f.name) for f in dataclasses.fields(self))

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self))
        return f"{type(self).__qualname__}({shown})"
