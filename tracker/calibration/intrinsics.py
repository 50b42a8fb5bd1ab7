"""Camera intrinsics: the OpenCV calibration file (`cv.FileStorage`), rescaling, undistortion.

The file holds `camera_matrix` (3x3) and `distortion_coefficients` (as OpenCV's calibration
sample and `flowtop calibrate` write them), and optionally `image_width`, `image_height`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.errors import ParamError

F64 = npt.NDArray[np.float64]
MATRIX_NAMES = ("camera_matrix", "cameraMatrix", "K")
DISTORTION_NAMES = ("distortion_coefficients", "dist_coeffs", "distCoeffs", "D")
DISTORTION_SIZES = (0, 4, 5, 8, 12, 14)
UNDISTORT_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 40, 1e-9)
KEY = "speed.intrinsics"


@dataclass(frozen=True, eq=False)
class Intrinsics:
    """A camera matrix (3, 3), distortion coefficients (K,) and the (w, h) they were fitted at."""

    camera_matrix: F64
    dist_coeffs: F64
    image_size: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        k = self.camera_matrix
        if k.shape != (3, 3) or not np.isfinite(k).all() or k[0, 0] <= 0 or k[1, 1] <= 0:
            raise ValueError("camera_matrix must be 3x3 and finite with fx, fy > 0")
        if self.dist_coeffs.size not in DISTORTION_SIZES or not np.isfinite(
                self.dist_coeffs).all():
            raise ValueError(f"distortion_coefficients must hold one of "
                             f"{DISTORTION_SIZES[1:]} finite numbers")

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.dist_coeffs != 0))

    def scaled_to(self, size: tuple[int, int]) -> Intrinsics:
        """The intrinsics for frames of `size` (w, h), when calibrated at another size."""
        if self.image_size is None or tuple(size) == tuple(self.image_size):
            return self
        sx, sy = size[0] / self.image_size[0], size[1] / self.image_size[1]
        matrix = np.diag([sx, sy, 1.0]) @ self.camera_matrix
        return Intrinsics(matrix, self.dist_coeffs, (int(size[0]), int(size[1])))

    def undistort(self, points: npt.ArrayLike) -> F64:
        """(N, 2) distorted pixels to the pixels an ideal camera with this matrix would see."""
        pts = np.asarray(points, np.float64).reshape(-1, 1, 2)
        if not len(pts) or not self.has_distortion:
            return pts.reshape(-1, 2)
        out = cv2.undistortPointsIter(pts, self.camera_matrix, self.dist_coeffs, None,
                                      self.camera_matrix, UNDISTORT_CRITERIA)
        return out.reshape(-1, 2)

    def distort(self, points: npt.ArrayLike) -> F64:
        """(N, 2) ideal pixels to where the real lens puts them (the inverse of `undistort`)."""
        pts = np.asarray(points, np.float64).reshape(-1, 2)
        if not len(pts):
            return pts
        k = self.camera_matrix
        normal = np.c_[(pts[:, 0] - k[0, 2]) / k[0, 0], (pts[:, 1] - k[1, 2]) / k[1, 1],
                       np.ones(len(pts))]
        out, _ = cv2.projectPoints(normal.reshape(-1, 1, 3), np.zeros(3), np.zeros(3), k,
                                   self.dist_coeffs)
        return out.reshape(-1, 2)


@contextmanager
def _quiet_opencv() -> Iterator[None]:
    """Silence OpenCV's own log lines: we report the problem ourselves."""
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    try:
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)


def _node(fs: cv2.FileStorage, names: tuple[str, ...]) -> cv2.FileNode | None:
    for name in names:
        node = fs.getNode(name)
        if not node.empty():
            return node
    return None


def load_intrinsics(path: str | Path, key: str = KEY) -> Intrinsics:
    """Read a FileStorage YAML/XML/JSON calibration; ParamError naming `key` when unusable."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ParamError(f"{key}: no such file: {path}")
    try:
        with _quiet_opencv():
            fs = cv2.FileStorage(str(path), cv2.FILE_STORAGE_READ)
            if not fs.isOpened():
                raise ParamError(f"{key}: cannot open {path} as an OpenCV calibration file")
            matrix_node = _node(fs, MATRIX_NAMES)
            dist_node = _node(fs, DISTORTION_NAMES)
            matrix = None if matrix_node is None else matrix_node.mat()
            dist = None if dist_node is None else dist_node.mat()
            width, height = fs.getNode("image_width"), fs.getNode("image_height")
            size = None
            if not width.empty() and not height.empty() and width.real() > 0 < height.real():
                size = (int(width.real()), int(height.real()))
            fs.release()
    except (cv2.error, SystemError) as exc:
        raise ParamError(f"{key}: cannot read {path}: "
                         f"{str(exc).strip().splitlines()[-1]}") from None
    if matrix is None:
        raise ParamError(f"{key}: {path} has no camera_matrix")
    try:
        dist_coeffs = (np.zeros(0) if dist is None
                       else np.asarray(dist, np.float64).reshape(-1))
        return Intrinsics(np.asarray(matrix, np.float64), dist_coeffs, size)
    except ValueError as exc:
        raise ParamError(f"{key}: {path}: {exc}") from None


FORMATS = {".yaml": cv2.FILE_STORAGE_FORMAT_YAML, ".yml": cv2.FILE_STORAGE_FORMAT_YAML,
           ".xml": cv2.FILE_STORAGE_FORMAT_XML, ".json": cv2.FILE_STORAGE_FORMAT_JSON}


def encode_intrinsics(intrinsics: Intrinsics, suffix: str = ".yaml",
                      notes: dict[str, float] | None = None) -> bytes:
    """A FileStorage calibration file as bytes, in the format of `suffix` (a key of FORMATS),
    for writing as a whole (`tracker.files.atomic`)."""
    if suffix.lower() not in FORMATS:
        raise ValueError(f"a calibration file ends in {', '.join(FORMATS)}, not {suffix!r}")
    fs = cv2.FileStorage(f"calibration{suffix}", cv2.FILE_STORAGE_WRITE
                         | cv2.FILE_STORAGE_MEMORY | FORMATS[suffix.lower()])
    if intrinsics.image_size is not None:
        fs.write("image_width", int(intrinsics.image_size[0]))
        fs.write("image_height", int(intrinsics.image_size[1]))
    fs.write("camera_matrix", intrinsics.camera_matrix)
    fs.write("distortion_coefficients", intrinsics.dist_coeffs.reshape(-1, 1))
    for name, value in (notes or {}).items():
        fs.write(name, value)
    return fs.releaseAndGetString().encode("utf-8")


def save_intrinsics(path: str | Path, intrinsics: Intrinsics, notes: dict[str, float] | None
                    = None, force: bool = True) -> Path:
    """Write a FileStorage file, whole or not at all (format from the suffix: .yaml, .yml,
    .xml, .json)."""
    from flowtop.tracker.files.atomic import write_file

    path = Path(path)
    return write_file(path, encode_intrinsics(intrinsics, path.suffix, notes), force)
