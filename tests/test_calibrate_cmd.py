"""`flowtop calibrate`: a synthetic chessboard sequence rendered from a known camera matrix."""

from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.calibration.chessboard import BoardFinder, board_points, spread
from flowtop.tracker.calibration.intrinsics import load_intrinsics
from flowtop.tracker.calibration.models import PinholeCalibration, calibration_from_params
from flowtop.tracker.config.params import SpeedParams
from flowtop.tui.cli.main import main
from flowtop.tui.cli.options import parse_pattern

W, H = 640, 360
K = np.array([[820.0, 0, 331.0], [0, 790.0, 174.0], [0, 0, 1]])
PATTERN = (9, 6)  # inner corners
SQUARE = 0.03  # m
SQUARE_PX = 40  # px per square in the flat board image
MARGIN_PX = 40


def board_image() -> np.ndarray:
    cols, rows = PATTERN[0] + 1, PATTERN[1] + 1
    img = np.full((rows * SQUARE_PX + 2 * MARGIN_PX, cols * SQUARE_PX + 2 * MARGIN_PX), 255,
                  np.uint8)
    for r in range(rows):
        for c in range(cols):
            if (r + c) % 2 == 0:
                y, x = MARGIN_PX + r * SQUARE_PX, MARGIN_PX + c * SQUARE_PX
                img[y:y + SQUARE_PX, x:x + SQUARE_PX] = 0
    return img


def render_view(board: np.ndarray, angles_deg: tuple[float, float, float],
                offset: tuple[float, float, float]) -> np.ndarray:
    """The board seen by camera K: its outer corners projected with projectPoints, the image
    warped onto them with warpPerspective."""
    h, w = board.shape
    corners_px = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    origin = MARGIN_PX + SQUARE_PX  # the first inner corner is the board's (0, 0)
    plane = np.c_[(corners_px - origin) * SQUARE / SQUARE_PX, np.zeros(4)]
    rot, _ = cv2.Rodrigues(np.radians(np.array(angles_deg)))
    centre = np.array([(PATTERN[0] - 1) * SQUARE / 2, (PATTERN[1] - 1) * SQUARE / 2, 0])
    tvec = np.array(offset) - rot @ centre
    projected, _ = cv2.projectPoints(plane, cv2.Rodrigues(rot)[0], tvec, K, None)
    m = cv2.getPerspectiveTransform(corners_px, projected.reshape(4, 2).astype(np.float32))
    view = cv2.warpPerspective(board, m, (W, H), flags=cv2.INTER_LINEAR, borderValue=150)
    return cv2.cvtColor(view, cv2.COLOR_GRAY2BGR)


POSES = [  # (rx, ry, rz) degrees, (x, y, z) metres of the board centre
    ((0, 0, 0), (0.0, 0.0, 0.62)), ((20, 0, 5), (0.05, 0.02, 0.6)),
    ((-22, 5, -4), (-0.04, -0.02, 0.62)), ((0, 25, 3), (0.03, 0.0, 0.64)),
    ((5, -25, -6), (-0.05, 0.01, 0.63)), ((18, 18, 10), (0.06, -0.03, 0.7)),
    ((-18, -20, -10), (-0.06, 0.03, 0.7)), ((-15, 22, 0), (0.0, 0.04, 0.66)),
    ((25, -12, 15), (0.02, 0.03, 0.7)), ((10, 30, -8), (-0.08, 0.0, 0.75)),
    ((-28, 0, 20), (0.08, 0.02, 0.72)), ((0, -30, -15), (0.0, -0.02, 0.7)),
]


@pytest.fixture(scope="module")
def board_glob(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("boards")
    board = board_image()
    for i, (angles, offset) in enumerate(POSES):
        cv2.imwrite(str(folder / f"view{i:02d}.png"), render_view(board, angles, offset))
    cv2.imwrite(str(folder / "view99.png"), np.full((H, W, 3), 90, np.uint8))  # no board
    return str(folder / "view*.png")


def test_calibrate_recovers_the_focal_lengths(board_glob: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "camera.yaml"
    code = main(["calibrate", board_glob, "--chessboard", "9x6", "--square", str(SQUARE),
                 "--out", str(out), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == len(POSES) + 1 and result["board_found"] == len(POSES)
    assert result["views"] == len(POSES) and result["rms_px"] < 0.5
    lens = load_intrinsics(out)
    fx, fy = lens.camera_matrix[0, 0], lens.camera_matrix[1, 1]
    assert abs(fx / K[0, 0] - 1) < 0.01, fx
    assert abs(fy / K[1, 1] - 1) < 0.01, fy
    assert lens.image_size == (W, H)
    # the file is what speed.intrinsics loads: a pinhole model with Z / f metres per pixel
    cal = calibration_from_params(SpeedParams(intrinsics=str(out), distance=10.0), (W, H))
    assert isinstance(cal, PinholeCalibration)
    assert cal.meters_per_pixel[0] == pytest.approx(10.0 / K[0, 0], rel=0.01)


def test_calibrate_report_in_words(board_glob: str, tmp_path: Path,
                                   capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "camera.xml"
    assert main(["calibrate", board_glob, "--chessboard", "9x6", "--square", "0.03",
                 "--out", str(out), "--every", "2", "--max-views", "4"]) == 0
    text = capsys.readouterr().out
    assert "RMS reprojection" in text and "views used          4" in text
    assert f"speed.intrinsics={out}" in text
    assert out.read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(("argv", "message"), [
    (["--chessboard", "9by6", "--square", "0.03"], "expected COLSxROWS"),
    (["--chessboard", "9x6", "--square", "-1"], "a finite number in (0, 10]"),
    (["--chessboard", "7x5", "--square", "0.03"], "found the 7x5 board in 0 distinct views"),
    (["--chessboard", "9x6", "--square", "0.03", "--out", "cam.txt"], "must end in"),
])
def test_calibrate_user_errors_are_one_line(board_glob: str, argv: list[str], message: str,
                                            capsys: pytest.CaptureFixture,
                                            monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["calibrate", board_glob, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_calibrate_refuses_to_overwrite(board_glob: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "camera.yaml"
    out.write_text("keep me")
    assert main(["calibrate", board_glob, "--chessboard", "9x6", "--square", "0.03",
                 "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_text() == "keep me"


def test_board_helpers() -> None:
    assert parse_pattern(" 9 x 6 ") == (9, 6)
    with pytest.raises(ValueError):
        parse_pattern("1x6")
    pts = board_points((3, 2), 0.5)
    assert pts.tolist() == [[0, 0, 0], [0.5, 0, 0], [1, 0, 0], [0, 0.5, 0], [0.5, 0.5, 0],
                            [1, 0.5, 0]]
    assert spread(list(range(10)), 4) == [0, 3, 6, 9]
    assert spread([1, 2], 5) == [0, 1]


def test_repeated_views_are_counted_once() -> None:
    view = render_view(board_image(), (10, 10, 0), (0.0, 0.0, 0.62))
    finder = BoardFinder(PATTERN)
    assert [finder.add(i, view) for i in range(3)] == [True, False, False]
    assert finder.found == 3 and len(finder.views) == 1
    assert math.isclose(finder.views[0][:, 0].mean(), W / 2, abs_tol=60)


def test_the_command_line_knows_the_engine_limits_without_loading_it() -> None:
    """calibrate's --help must not load OpenCV, so it repeats two engine constants."""
    from flowtop.tracker.calibration import chessboard, intrinsics
    from flowtop.tui.cli import calibrate

    assert calibrate.MIN_VIEWS == chessboard.MIN_VIEWS
    assert tuple(intrinsics.FORMATS) == calibrate.SUFFIXES
