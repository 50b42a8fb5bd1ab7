"""Mapping image pixels to metres on the plane of motion, and speed units."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tracker.params import SpeedParams

UNIT_FACTORS: dict[str, float] = {"m/s": 1.0, "km/h": 3.6, "mph": 3600 / 1609.344}


def from_mps(speed: npt.ArrayLike, unit: str) -> np.ndarray:
    """Convert metres per second to `unit` (m/s, km/h or mph)."""
    return np.asarray(speed, np.float64) * UNIT_FACTORS[unit]


@dataclass(frozen=True)
class ScaleCalibration:
    """A single ground scale: metres = pixels * meters_per_pixel."""

    meters_per_pixel: float

    def to_world(self, points: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """(N, 2) image pixels to (N, 2) metres on the plane of motion."""
        return np.asarray(points, np.float64).reshape(-1, 2) * self.meters_per_pixel

    def describe(self) -> str:
        return f"scale {self.meters_per_pixel:.6g} m/px"


Calibration = ScaleCalibration


def calibration_from_params(speed: SpeedParams) -> Calibration | None:
    """The calibration the `[speed]` section describes, or None when uncalibrated."""
    if speed.meters_per_pixel > 0:
        return ScaleCalibration(speed.meters_per_pixel)
    return None
