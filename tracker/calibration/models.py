"""Mapping image pixels to metres on the plane of motion, and speed units.

Three models, each a frozen dataclass with `to_world(points)`:
- `ScaleCalibration`: one ground scale in metres per pixel (typed, or from a known length).
- `PinholeCalibration`: focal lengths fx, fy and the distance Z to a plane facing the camera;
  metres per pixel = Z / f.
- `HomographyCalibration`: a ground plane seen at any angle, fitted to >= 4 image points and
  their positions in metres (`cv.findHomography`), applied with `cv.perspectiveTransform`.
When intrinsics with distortion coefficients are given, points are undistorted first
(`tracker.calibration.intrinsics`), including the points a model is fitted to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.calibration.intrinsics import Intrinsics, load_intrinsics
from flowtop.tracker.config.params import SpeedParams
from flowtop.tracker.errors import ParamError

UNIT_FACTORS: dict[str, float] = {"m/s": 1.0, "km/h": 3.6, "mph": 3600 / 1609.344}
F64 = npt.NDArray[np.float64]
DEGENERATE = 1e-3  # relative area or spread below which points count as collinear


def from_mps(speed: npt.ArrayLike, unit: str) -> np.ndarray:
    """Convert metres per second to `unit` (m/s, km/h or mph)."""
    return np.asarray(speed, np.float64) * UNIT_FACTORS[unit]


def _as_points(points: npt.ArrayLike) -> F64:
    return np.asarray(points, np.float64).reshape(-1, 2)


@dataclass(frozen=True, eq=False)
class _Base:
    """Shared by the models: optional undistortion of image points before the mapping."""

    lens: Intrinsics | None

    def ideal(self, points: npt.ArrayLike) -> F64:
        """(N, 2) image pixels with lens distortion removed (unchanged without a lens)."""
        pts = _as_points(points)
        return pts if self.lens is None else self.lens.undistort(pts)

    def _lens_note(self) -> str:
        return ", undistorted" if self.lens is not None else ""


@dataclass(frozen=True, eq=False)
class ScaleCalibration(_Base):
    """A single ground scale: metres = pixels * meters_per_pixel."""

    meters_per_pixel: float = 0.0

    def __post_init__(self) -> None:
        if not (self.meters_per_pixel > 0 and math.isfinite(self.meters_per_pixel)):
            raise ParamError(f"speed.meters_per_pixel: must be > 0, got {self.meters_per_pixel}")

    @classmethod
    def from_length(cls, p1: npt.ArrayLike, p2: npt.ArrayLike, metres: float,
                    lens: Intrinsics | None = None) -> ScaleCalibration:
        """The scale that makes the image points `p1`, `p2` lie `metres` apart."""
        if not metres > 0:
            raise ParamError(f"speed.length_m: must be > 0, got {metres}")
        a, b = _Base(lens).ideal(np.array([p1, p2], np.float64))
        pixels = float(np.hypot(*(b - a)))
        if pixels < 1.0:
            raise ParamError("speed.length_points: the two points are less than a pixel apart")
        return cls(lens, metres / pixels)

    def to_world(self, points: npt.ArrayLike) -> F64:
        """(N, 2) image pixels to (N, 2) metres on the plane of motion."""
        return self.ideal(points) * self.meters_per_pixel

    def describe(self) -> str:
        return f"scale {self.meters_per_pixel:.6g} m/px{self._lens_note()}"


@dataclass(frozen=True, eq=False)
class PinholeCalibration(_Base):
    """A plane facing the camera at `distance` metres: X = (u - cx) Z / fx, Y = (v - cy) Z / fy."""

    fx: float = 0.0
    fy: float = 0.0
    distance: float = 0.0
    cx: float = 0.0
    cy: float = 0.0
    source: str = ""  # where the focal length came from, for `describe`

    def __post_init__(self) -> None:
        for key, value in (("fx", self.fx), ("fy", self.fy), ("distance", self.distance)):
            if not (value > 0 and math.isfinite(value)):
                raise ParamError(f"speed.{key}: must be > 0, got {value}")

    @property
    def meters_per_pixel(self) -> tuple[float, float]:
        """(x, y) metres per pixel on the plane: Z / fx, Z / fy."""
        return self.distance / self.fx, self.distance / self.fy

    def to_world(self, points: npt.ArrayLike) -> F64:
        pts = self.ideal(points) - (self.cx, self.cy)
        return pts * np.array(self.meters_per_pixel)

    def describe(self) -> str:
        mx, my = self.meters_per_pixel
        scale = f"{mx:.6g} m/px" if math.isclose(mx, my) else f"{mx:.6g} x {my:.6g} m/px"
        return (f"pinhole fx {self.fx:.1f} fy {self.fy:.1f} px{self.source} at "
                f"{self.distance:g} m: {scale}{self._lens_note()}")


@dataclass(frozen=True, eq=False)
class HomographyCalibration(_Base):
    """A ground plane: `matrix` (3, 3) maps undistorted image pixels to metres on it.

    `sign` is the sign of the projective w at the fitting points: image points on the other
    side of the horizon map to NaN. `rms` is the fit's error at its points, in metres.
    """

    matrix: F64 | None = None
    sign: float = 1.0
    rms: float = 0.0
    count: int = 0

    @classmethod
    def from_points(cls, image_points: npt.ArrayLike, world_points: npt.ArrayLike,
                    lens: Intrinsics | None = None) -> HomographyCalibration:
        """Fit to >= 4 correspondences; ParamError naming the key when they are degenerate."""
        img, world = _as_points(image_points), _as_points(world_points)
        if len(img) < 4:
            raise ParamError(f"speed.image_points: a homography needs at least 4 points, "
                             f"got {len(img)}")
        if len(world) != len(img):
            raise ParamError(f"speed.world_points: {len(world)} points for {len(img)} "
                             f"speed.image_points")
        img = _Base(lens).ideal(img)
        for key, pts in (("speed.image_points", img), ("speed.world_points", world)):
            problem = _degenerate(pts)
            if problem:
                raise ParamError(f"{key}: {problem}")
        matrix, _ = cv2.findHomography(img, world, 0)
        if matrix is None or not np.isfinite(matrix).all() or abs(np.linalg.det(matrix)) < 1e-15:
            raise ParamError("speed.image_points: no homography fits these points and "
                             "speed.world_points")
        w = np.c_[img, np.ones(len(img))] @ matrix[2]
        if not (np.all(w > 0) or np.all(w < 0)):
            raise ParamError("speed.image_points: the points straddle the horizon of the plane "
                             "that speed.world_points describe (check their order)")
        fit = cv2.perspectiveTransform(img.reshape(-1, 1, 2), matrix).reshape(-1, 2)
        rms = float(np.sqrt(np.mean(np.sum((fit - world) ** 2, axis=1))))
        return cls(lens, matrix, float(np.sign(w[0])), rms, len(img))

    def to_world(self, points: npt.ArrayLike) -> F64:
        pts = self.ideal(points)
        if not len(pts):
            return np.zeros((0, 2))
        assert self.matrix is not None
        w = np.c_[pts, np.ones(len(pts))] @ self.matrix[2]
        world = cv2.perspectiveTransform(pts.reshape(-1, 1, 2), self.matrix).reshape(-1, 2)
        world[~(w * self.sign > 1e-12)] = np.nan  # beyond the horizon
        return world

    def describe(self) -> str:
        return (f"homography from {self.count} points, fit error {self.rms:.3g} m"
                f"{self._lens_note()}")


Calibration = ScaleCalibration | PinholeCalibration | HomographyCalibration


def _degenerate(pts: F64) -> str:
    """Why `pts` cannot anchor a homography ('' when they can)."""
    centred = pts - pts.mean(axis=0)
    spread = np.linalg.svd(centred, compute_uv=False)
    if spread[0] < 1e-9:
        return "all points are the same"
    if spread[1] < DEGENERATE * spread[0]:
        return "the points lie on one line"
    if len(pts) == 4:
        scale = spread[0] ** 2
        for i in range(4):
            a, b, c = np.delete(pts, i, axis=0)
            area = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
            if area < DEGENERATE * scale:
                return "three of the four points lie on one line"
    return ""


def ground_distance(calibration: Calibration, p1: npt.ArrayLike, p2: npt.ArrayLike) -> float:
    """Metres between two image points on the calibrated plane (NaN beyond the horizon)."""
    a, b = calibration.to_world(np.array([p1, p2], np.float64))
    return float(np.hypot(*(b - a)))


def focal_from_hfov(hfov_deg: float, width: int) -> float:
    """Focal length in pixels of a camera whose `width` pixels span `hfov_deg` degrees."""
    return (width / 2) / math.tan(math.radians(hfov_deg) / 2)


def calibration_from_params(speed: SpeedParams, frame_size: tuple[int, int] | None = None
                            ) -> Calibration | None:
    """The calibration the `[speed]` section describes, or None when uncalibrated.

    `frame_size` (w, h) rescales intrinsics calibrated at another resolution and turns a field
    of view into a focal length; a model that needs it returns None until it is known. Bad
    input (an unreadable intrinsics file, degenerate points, a model missing its keys) raises
    ParamError naming the key.
    """
    model = speed.active_model
    if not model:
        return None
    lens = load_intrinsics(speed.intrinsics) if speed.intrinsics else None
    if lens is not None and frame_size is not None:
        lens = lens.scaled_to(frame_size)
    undistort = lens if lens is not None and lens.has_distortion else None
    if model == "scale":
        if speed.meters_per_pixel > 0:
            return ScaleCalibration(undistort, speed.meters_per_pixel)
        if speed.length_points and speed.length_m > 0:
            p1, p2 = speed.length_points
            return ScaleCalibration.from_length(p1, p2, speed.length_m, undistort)
        raise ParamError("speed.model = scale needs speed.meters_per_pixel, or "
                         "speed.length_points with speed.length_m")
    if model == "pinhole":
        return _pinhole(speed, lens, undistort, frame_size)
    if not speed.image_points:
        raise ParamError("speed.model = homography needs speed.image_points and "
                         "speed.world_points")
    return HomographyCalibration.from_points(speed.image_points, speed.world_points, undistort)


def _pinhole(speed: SpeedParams, lens: Intrinsics | None, undistort: Intrinsics | None,
             frame_size: tuple[int, int] | None) -> PinholeCalibration | None:
    """Focal length from speed.fx/fy, else the intrinsics file, else speed.hfov."""
    if not speed.distance > 0:
        raise ParamError("speed.model = pinhole needs speed.distance (metres to the plane)")
    cx = cy = 0.0
    if lens is not None:
        cx, cy = lens.camera_matrix[0, 2], lens.camera_matrix[1, 2]
    if speed.fx > 0:
        fx, fy, source = speed.fx, speed.fy or speed.fx, ""
    elif lens is not None:
        fx, fy = lens.camera_matrix[0, 0], lens.camera_matrix[1, 1]
        source = " (intrinsics)"
    elif speed.hfov > 0:
        if frame_size is None:
            return None
        fx = fy = focal_from_hfov(speed.hfov, frame_size[0])
        source = f" (hfov {speed.hfov:g} deg)"
    else:
        raise ParamError("speed.model = pinhole needs a focal length: speed.fx, "
                         "speed.intrinsics or speed.hfov")
    return PinholeCalibration(undistort, fx, fy, speed.distance, cx, cy, source)
