"""Speed as colour: a perceptual scale from 0 to a round top speed, and its legend.

The colours are SCALE_STEPS samples of matplotlib's *plasma* map (as OpenCV ships it) from
SCALE_START on, their saturation raised (s -> sqrt(s) in HSV): lightness rises steadily from
purple (slow) through red and orange to yellow (fast), and every colour is saturated enough to
stand out on gray road, green grass and black alike, and to keep its hue when a 16- or
256-colour terminal shows it (plasma's own pinks would turn gray in 16 colours). A speed is in px/s,
or in the calibration's unit when the state is calibrated. `AutoTop` holds the top of the
scale steady over a stream of frames: it rises at once when the fast tracks outrun it and
falls only after they have stayed well below it for a while.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

U8 = npt.NDArray[np.uint8]
SCALE_START = 0.2  # the darkest fifth of plasma (near black-blue) reads poorly on asphalt
SCALE_STEPS = 32  # colours on the scale: each step is a visible rise in lightness
NO_SPEED_BGR = (200, 200, 200)  # a calibrated track without a world speed (NaN): light gray
NICE_STEPS = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)  # a top is one of these times 10**k
TOP_PERCENTILE = 95.0  # the top covers this share of the moving tracks' speeds
DEFAULT_TOP = 100.0  # until a track moves
FALL_RATIO = 0.5  # the top falls when what it needs is at most this share of it...
FALL_S = 3.0  # ...for this many seconds of source time
LEGEND_BARS = "▁▂▃▄▅▆▇█"


@functools.cache
def scale_lut() -> U8:
    """(SCALE_STEPS, 3) uint8 BGR: the scale's colours from slowest to fastest."""
    ramp = np.linspace(SCALE_START * 255, 255, SCALE_STEPS).round().astype(np.uint8)
    plasma = cv2.applyColorMap(ramp.reshape(-1, 1), cv2.COLORMAP_PLASMA)
    hsv = cv2.cvtColor(plasma, cv2.COLOR_BGR2HSV_FULL).astype(np.float32)
    hsv[..., 1] = np.round(255.0 * np.sqrt(hsv[..., 1] / 255.0))
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR_FULL).reshape(-1, 3)


def nice_top(value: float) -> float:
    """The smallest round number (NICE_STEPS times a power of ten) at or above `value`."""
    if not math.isfinite(value) or value <= 1.0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (*NICE_STEPS, 10.0):
        if step * power >= value * (1 - 1e-9):
            return step * power
    return 10.0 * power  # pragma: no cover - 10.0 always qualifies


@dataclass(frozen=True)
class SpeedScale:
    """Speeds 0..top (in `unit`) to colours; faster than top is top's colour."""

    top: float = DEFAULT_TOP
    unit: str = "px/s"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.top) and self.top > 0):
            raise ValueError(f"SpeedScale.top: must be a positive number, got {self.top}")

    def index(self, values: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """(N,) step of each speed on the scale, 0..SCALE_STEPS-1 (NaN counts as 0)."""
        last = SCALE_STEPS - 1
        v = np.asarray(values, np.float64).reshape(-1) * (last / self.top) + 0.5
        return np.minimum(np.fmax(v, 0.0), last).astype(np.intp)  # fmax: NaN -> 0

    def colors(self, values: npt.ArrayLike) -> U8:
        """(N, 3) uint8 BGR for (N,) speeds; NaN (no world speed) is NO_SPEED_BGR."""
        v = np.asarray(values, np.float64).reshape(-1)
        out = scale_lut().take(self.index(v), axis=0)
        unknown = np.isnan(v)
        if np.count_nonzero(unknown):
            out[unknown] = NO_SPEED_BGR
        return out

    def legend(self, bars: int = len(LEGEND_BARS)) -> list[tuple[str, tuple[int, int, int] | None]]:
        """The legend as (text, RGB or None) pieces: 'px/s 0 ', `bars` rising bars, each in
        the colour of the middle of its share of the scale, then ' 120'."""
        pieces: list[tuple[str, tuple[int, int, int] | None]] = [(f"{self.unit} 0 ", None)]
        glyphs = [LEGEND_BARS[round(i * (len(LEGEND_BARS) - 1) / max(1, bars - 1))]
                  for i in range(bars)]
        middles = (np.arange(bars) + 0.5) / bars * self.top
        for glyph, (b, g, r) in zip(glyphs, self.colors(middles).tolist()):
            pieces.append((glyph, (r, g, b)))
        pieces.append((f" {self.top:g}", None))
        return pieces

    def legend_text(self) -> str:
        """The legend without its colours: 'px/s 0 ▁▂▃▄▅▆▇█ 120'."""
        return "".join(text for text, _ in self.legend())


def top_for(values: npt.ArrayLike) -> float | None:
    """The round top that covers TOP_PERCENTILE of `values` (the nearest-rank percentile;
    None when there are none)."""
    v = np.asarray(values, np.float64).reshape(-1)
    v = v[np.isfinite(v)]
    if not len(v):
        return None
    rank = max(0, math.ceil(TOP_PERCENTILE / 100.0 * len(v)) - 1)
    return nice_top(float(np.partition(v, rank)[rank]))


class AutoTop:
    """The scale's top over a stream of frames: rises at once, falls slowly.

    `update(values, t, unit)` takes the moving tracks' speeds of one frame and its time in
    seconds and returns the scale to draw it with. A new unit, or time going back (a loop, a
    restart), starts afresh.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._scale: SpeedScale | None = None
        self._low_since: float | None = None
        self._last_t = -math.inf

    def update(self, values: npt.ArrayLike, t: float, unit: str) -> SpeedScale:
        if self._scale is not None and (unit != self._scale.unit or t < self._last_t):
            self.reset()
        self._last_t = t
        need = top_for(values)
        scale = self._scale
        if scale is None:
            scale = SpeedScale(need or DEFAULT_TOP, unit)
        elif need is not None and need > scale.top:
            scale, self._low_since = SpeedScale(need, unit), None
        elif need is not None and need <= FALL_RATIO * scale.top:
            if self._low_since is None:
                self._low_since = t
            elif t - self._low_since >= FALL_S:
                scale, self._low_since = SpeedScale(need, unit), None
        else:
            self._low_since = None
        self._scale = scale
        return scale
