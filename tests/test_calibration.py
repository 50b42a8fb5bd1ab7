"""Calibration models: synthetic scenes of known world speed, one per model, and bad input.

Each scene moves one textured object at a known speed in metres per second; frames come at
irregular timestamps. The tracker's median object speed must be within 2% of the truth.
"""

from __future__ import annotations

import dataclasses
import math
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.calibration.intrinsics import Intrinsics, load_intrinsics, save_intrinsics
from flowtop.tracker.calibration.models import (
    HomographyCalibration,
    PinholeCalibration,
    ScaleCalibration,
    calibration_from_params,
    focal_from_hfov,
    from_mps,
    ground_distance,
)
from flowtop.tracker.config.params import Params, SpeedParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import ParamError
from flowtop.tracker.sources.demo import DemoScene, MovingObject

W, H = 640, 360
FRAMES = 75
WARMUP = 15  # frames before velocities have settled and the object is grouped


def jittered_times(n: int, fps: float = 25.0, seed: int = 3) -> np.ndarray:
    """Frame timestamps at about `fps`, each interval off by up to +-30%."""
    rng = np.random.default_rng(seed)
    return np.concatenate([[0.0], np.cumsum(rng.uniform(0.7, 1.3, n - 1) / fps)])


def object_speeds(params: Params, render, times: np.ndarray) -> tuple[list[float], list[float]]:
    """Per frame after the warm-up: the world and pixel speed of the largest object."""
    tracker = Tracker(params)
    world, pixels = [], []
    for i, t in enumerate(times):
        state = tracker.update(Frame(i, float(t), render(float(t))))
        if i >= WARMUP and state.objects:
            obj = max(state.objects, key=lambda o: o.tracks)
            world.append(obj.speed_world)
            pixels.append(obj.speed)
    assert len(world) > 0.9 * (len(times) - WARMUP), "the object was not grouped"
    return world, pixels


def params_with(**speed: object) -> Params:
    return dataclasses.replace(Params(), speed=SpeedParams(**speed))


def single_object(vx: float, vy: float, cx: float = 180, cy: float = 200) -> DemoScene:
    return DemoScene(W, H, (MovingObject("box", 96, 64, cx=cx, cy=cy, vx=vx, vy=vy),))


# -- scale -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_scale_from_known_length_measures_world_speed() -> None:
    scene = single_object(110.0, -40.0)
    # 500 px between the two points are 20 m: 0.04 m/px
    params = params_with(length_points=[[60, 330], [560, 330]], length_m=20.0, unit="km/h")
    truth = float(from_mps(0.04 * math.hypot(110, 40), "km/h"))
    world, _ = object_speeds(params, scene.render, jittered_times(FRAMES))
    assert abs(np.median(world) / truth - 1) < 0.02
    assert calibration_from_params(params.speed).describe() == "scale 0.04 m/px"


# -- pinhole -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_pinhole_given_fx_fy_and_distance() -> None:
    fx, fy, z = 900.0, 800.0, 12.0
    vx_m, vy_m = 2.0, -0.8  # m/s on a plane facing the camera
    scene = single_object(vx_m * fx / z, vy_m * fy / z)
    params = params_with(fx=fx, fy=fy, distance=z)
    world, _ = object_speeds(params, scene.render, jittered_times(FRAMES))
    assert abs(np.median(world) / math.hypot(vx_m, vy_m) - 1) < 0.02


def distorting_renderer(render, lens: Intrinsics):
    """Frames as the real lens sees them: each distorted pixel samples the ideal image."""
    u, v = np.meshgrid(np.arange(W, dtype=np.float64), np.arange(H, dtype=np.float64))
    ideal = lens.undistort(np.c_[u.ravel(), v.ravel()])
    map_x = ideal[:, 0].reshape(H, W).astype(np.float32)
    map_y = ideal[:, 1].reshape(H, W).astype(np.float32)

    def distorted(t: float) -> np.ndarray:
        return cv2.remap(render(t), map_x, map_y, cv2.INTER_CUBIC,
                         borderMode=cv2.BORDER_REFLECT)

    return distorted


@pytest.mark.slow
def test_pinhole_from_intrinsics_file_undistorts(tmp_path: Path) -> None:
    f, z = 520.0, 15.0
    lens = Intrinsics(np.array([[f, 0, W / 2], [0, f, H / 2], [0, 0, 1]]),
                      np.array([-0.32, 0.12, 0.0, 0.0, 0.0]), (W, H))
    path = tmp_path / "camera.yaml"
    save_intrinsics(path, lens)
    speed_m = 4.0  # m/s, along the bottom of the frame where barrel distortion is strong
    scene = single_object(-speed_m * f / z, 0.0, cx=460, cy=290)
    params = params_with(intrinsics=str(path), distance=z)
    world, pixels = object_speeds(params, distorting_renderer(scene.render, lens),
                                  jittered_times(FRAMES))
    assert abs(np.median(world) / speed_m - 1) < 0.02
    # without undistortion the same pixels would read several percent slow
    assert np.median(pixels) * z / f < 0.96 * speed_m


def test_pinhole_from_field_of_view_uses_the_frame_width() -> None:
    params = params_with(hfov=60.0, distance=10.0)
    assert calibration_from_params(params.speed) is None  # the width is not known yet
    tracker = Tracker(params)
    tracker.update(Frame(0, 0.0, np.zeros((H, W, 3), np.uint8)))
    cal = tracker.calibration
    assert isinstance(cal, PinholeCalibration)
    assert cal.fx == pytest.approx(320 / math.tan(math.radians(30)))
    assert cal.meters_per_pixel[0] == pytest.approx(10 / focal_from_hfov(60, W))


# -- ground-plane homography -------------------------------------------------------------------

PX_PER_M = 20  # resolution of the top-down rendering
GROUND_M = (30.0, 20.0)  # X, Y extent of the ground
# where the ground's corners (0,0) (30,0) (30,20) (0,20) appear: a road seen at a tilt
IMAGE_CORNERS = [[20, 352], [620, 352], [480, 40], [160, 40]]
WORLD_CORNERS = [[0, 0], [30, 0], [30, 20], [0, 20]]


def texture(rng: np.random.Generator, h: int, w: int, sigma: float, tint: tuple) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
    grey = np.clip(128 + 45 * noise / noise.std(), 0, 255)
    return np.clip(np.stack([grey * c for c in tint], -1), 0, 255).astype(np.uint8)


class TiltedGround:
    """A textured ground plane seen at a tilt, with a textured 5 m x 2.5 m slab moving on it."""

    def __init__(self, start_m: tuple[float, float], vel_m: tuple[float, float]) -> None:
        rng = np.random.default_rng(11)
        gw, gh = (int(v * PX_PER_M) for v in GROUND_M)
        self.ground = texture(rng, gh, gw, 3.0, (0.6, 0.8, 0.65))
        self.slab = texture(rng, PX_PER_M * 5 // 2, 5 * PX_PER_M, 2.0, (0.45, 0.6, 0.95))
        world_to_image = cv2.getPerspectiveTransform(np.float32(WORLD_CORNERS),
                                                     np.float32(IMAGE_CORNERS))
        self.top_to_image = world_to_image @ np.diag([1 / PX_PER_M, 1 / PX_PER_M, 1.0])
        self.start, self.vel = np.array(start_m), np.array(vel_m)
        self.background = cv2.warpPerspective(self.ground, self.top_to_image, (W, H),
                                              flags=cv2.INTER_AREA)

    def render(self, t: float) -> np.ndarray:
        x, y = (self.start + self.vel * t) * PX_PER_M  # slab corner, top-down pixels
        move = np.array([[1, 0, x], [0, 1, y], [0, 0, 1.0]])
        m = self.top_to_image @ move
        slab = cv2.warpPerspective(self.slab, m, (W, H), flags=cv2.INTER_LINEAR)
        alpha = cv2.warpPerspective(np.ones(self.slab.shape[:2], np.float32), m, (W, H),
                                    flags=cv2.INTER_LINEAR)[..., None]
        out = self.background * (1 - alpha) + slab * alpha
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)


@pytest.mark.slow
def test_homography_on_a_tilted_ground_plane() -> None:
    vel = (7.5, 2.0)  # m/s
    scene = TiltedGround(start_m=(4.0, 3.0), vel_m=vel)
    params = params_with(image_points=IMAGE_CORNERS, world_points=WORLD_CORNERS)
    world, pixels = object_speeds(params, scene.render, jittered_times(FRAMES, fps=30))
    truth = math.hypot(*vel)
    assert abs(np.median(world) / truth - 1) < 0.02
    # the pixel speed changes with depth: no single scale could give the world speed
    assert max(pixels) / min(pixels) > 1.15


def test_homography_maps_back_and_beyond_the_horizon() -> None:
    cal = HomographyCalibration.from_points(IMAGE_CORNERS, WORLD_CORNERS)
    assert np.allclose(cal.to_world(IMAGE_CORNERS), WORLD_CORNERS, atol=1e-6)
    back = cv2.perspectiveTransform(np.float64(WORLD_CORNERS).reshape(-1, 1, 2),
                                    np.linalg.inv(cal.matrix)).reshape(-1, 2)
    assert np.allclose(back, IMAGE_CORNERS, atol=1e-6)
    assert cal.rms < 1e-6
    assert ground_distance(cal, IMAGE_CORNERS[0], IMAGE_CORNERS[1]) == pytest.approx(GROUND_M[0])
    # above the horizon (far above the far edge) nothing lies on the ground
    assert np.isnan(cal.to_world([[320, -2000]])).all()


# -- intrinsics files --------------------------------------------------------------------------

def test_intrinsics_round_trip_and_rescaling(tmp_path: Path) -> None:
    lens = Intrinsics(np.array([[800.0, 0, 640], [0, 790.0, 360], [0, 0, 1]]),
                      np.array([0.1, -0.05, 0.001, 0.002, 0.0]), (1280, 720))
    for suffix in (".yaml", ".xml"):
        path = tmp_path / f"cam{suffix}"
        save_intrinsics(path, lens, {"rms": 0.2})
        back = load_intrinsics(path)
        assert np.allclose(back.camera_matrix, lens.camera_matrix)
        assert np.allclose(back.dist_coeffs, lens.dist_coeffs)
        assert back.image_size == (1280, 720)
    half = back.scaled_to((640, 360)).camera_matrix
    assert np.allclose(half, [[400, 0, 320], [0, 395, 180], [0, 0, 1]])
    pts = np.array([[10.0, 20.0], [600.0, 700.0], [640.0, 360.0]])
    assert np.allclose(lens.undistort(lens.distort(pts)), pts, atol=1e-3)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(("speed", "message"), [
    ({"intrinsics": "/no/such/camera.yaml", "distance": 5.0}, "speed.intrinsics: no such file"),
    ({"model": "homography"}, "speed.model = homography needs speed.image_points"),
    ({"model": "pinhole", "fx": 800.0}, "speed.model = pinhole needs speed.distance"),
    ({"model": "pinhole", "distance": 4.0}, "needs a focal length"),
    ({"model": "scale"}, "speed.model = scale needs speed.meters_per_pixel"),
    ({"length_points": [[5, 5], [5.2, 5.3]], "length_m": 2.0}, "less than a pixel apart"),
    ({"image_points": [[0, 0], [100, 0], [200, 0], [0, 100]],
      "world_points": [[0, 0], [1, 0], [2, 1], [0, 1]]}, "speed.image_points: three of the four"),
    ({"image_points": [[0, 0], [100, 0], [100, 100], [0, 100]],
      "world_points": [[0, 0], [1, 1], [2, 2], [3, 3]]}, "speed.world_points: the points lie on"),
    ({"image_points": [[0, 0], [100, 0], [100, 100], [0, 100]],
      "world_points": [[0, 0], [1, 0], [1, 1]]}, "speed.world_points: 3 points for 4"),
    ({"image_points": [[0, 0], [100, 0], [100, 100], [0, 100]],
      "world_points": [[0, 0], [1, 1], [1, 0], [0, 1]]}, "straddle the horizon"),
])
def test_bad_calibration_is_a_param_error_naming_the_key(speed: dict, message: str) -> None:
    with pytest.raises(ParamError, match=re.escape(message)):
        calibration_from_params(SpeedParams(**speed), (W, H))


@pytest.mark.parametrize(("text", "message"), [
    ("not: [a, yaml\n", "cannot read"),
    ("%YAML:1.0\n---\nimage_width: 640\n", "has no camera_matrix"),
    ("%YAML:1.0\n---\ncamera_matrix: !!opencv-matrix\n   rows: 2\n   cols: 2\n   dt: d\n"
     "   data: [ 1., 0., 0., 1. ]\n", "camera_matrix must be 3x3"),
])
def test_unusable_intrinsics_files(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "cam.yaml", text)
    with pytest.raises(ParamError, match=f"speed.intrinsics: .*{message}"):
        load_intrinsics(path)


def test_field_checks_name_the_key() -> None:
    with pytest.raises(ParamError, match=re.escape("speed.image_points: expected at least 4")):
        Params().with_value("speed.image_points", [[0, 0], [1, 1]])
    with pytest.raises(ParamError, match=re.escape("speed.length_points: expected a list of")):
        Params().with_value("speed.length_points", [[0, 0], [1, "a"]])
    with pytest.raises(ParamError, match=re.escape("trap.line_a: the two points are the same")):
        Params().with_value("trap.line_a", [[3, 3], [3, 3]])


def test_bad_calibration_on_the_command_line_is_one_line(tmp_path: Path) -> None:
    bad = write(tmp_path / "cam.yaml", "garbage: [\n")
    run = subprocess.run([sys.executable, "-m", "flowtop.tui.cli", "track", "demo", "--frames", "2",
                          "--set", f"speed.intrinsics={bad}", "--set", "speed.distance=5"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "speed.intrinsics" in run.stderr
    assert "Traceback" not in run.stderr


def test_tracker_keeps_its_calibration_when_a_new_one_is_bad() -> None:
    tracker = Tracker(params_with(meters_per_pixel=0.5))
    bad = params_with(model="homography")
    with pytest.raises(ParamError):
        tracker.params = bad
    assert isinstance(tracker.calibration, ScaleCalibration)
    assert tracker.params.speed.meters_per_pixel == 0.5


def test_units() -> None:
    assert from_mps(10.0, "km/h") == pytest.approx(36.0)
    assert from_mps(10.0, "mph") == pytest.approx(22.369, abs=1e-3)
    assert from_mps(10.0, "m/s") == 10.0
