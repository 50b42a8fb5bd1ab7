"""One key press on a parameter: the next value up or down, on a grid that survives clamping.

A linear parameter moves on the grid `default + k * step`: after a clamp at a bound off the
grid, the next press lands back on it (fb_threshold 1.0 -> ... -> 0.05 -> 0.1, not 0.15). A
parameter spanning decades (`Spec.log`) moves through 1, 2, 5, 10, 20, 50 ... times its
smallest step, and from 0 to that step.
"""

from __future__ import annotations

import functools
import math

from flowtop.tracker.config.fields import spec_of
from flowtop.tracker.config.params import Params, field_of

EPS = 1e-9
DECADE = (1.0, 2.0, 5.0)


def default_of(key: str) -> object:
    """The schema's default value of `key`."""
    return _defaults().get(key)


@functools.cache
def _defaults() -> Params:
    return Params()  # frozen: one set serves every caller


def stepped(params: Params, key: str, direction: int) -> Params:
    """A copy with `key` moved one step up (+1) or down (-1), within its bounds."""
    spec = spec_of(field_of(key))
    value = params.get(key)
    if spec.choices:
        i = (spec.choices.index(value) + direction) % len(spec.choices)
        return params.with_value(key, spec.choices[i])
    if isinstance(value, bool):
        return params.with_value(key, not value)
    if spec.step is None:
        return params
    if spec.log:
        new = _log_step(float(value), direction, spec.step)
    else:
        anchor = default_of(key)
        assert isinstance(anchor, (int, float))
        new = _grid_step(float(value), direction, spec.step, float(anchor))
    if spec.lo is not None:
        new = max(spec.lo, new)
    if spec.hi is not None:
        new = min(spec.hi, new)
    new = round(new) if isinstance(value, int) else float(f"{new:.10g}")
    return params.with_value(key, new)


def _grid_step(value: float, direction: int, step: float, anchor: float) -> float:
    """The next grid point (anchor + k * step) beyond `value` in `direction`."""
    k = (value - anchor) / step
    k = math.floor(k + EPS) + 1 if direction > 0 else math.ceil(k - EPS) - 1
    return anchor + k * step


def _log_step(value: float, direction: int, smallest: float) -> float:
    """The next of smallest * (1, 2, 5) * 10**n beyond `value` in `direction` (0 below the
    smallest)."""
    if direction > 0 and value < smallest * (1 - EPS):
        return smallest
    if direction < 0 and value <= smallest * (1 + EPS):
        return 0.0
    n = math.floor(math.log10(value / smallest) + EPS)
    ladder = [smallest * m * 10.0 ** e for e in (n - 1, n, n + 1) for m in DECADE]
    if direction > 0:
        return min(v for v in ladder if v > value * (1 + EPS))
    return max(v for v in ladder if v < value * (1 - EPS))
