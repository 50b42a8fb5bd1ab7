"""Face seeding: OpenCV's Haar cascade finds a drawn face, and `features.mode = faces` seeds
only inside it (while `corners` seeds everywhere); the cascade loads lazily, a broken one is a
clear ParamError, and the corners mode never touches it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.config.steps import stepped
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core import faces
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.core.faces import CascadeError, FaceSeeder, detect_faces, load_cascade
from flowtop.tracker.errors import ParamError
from flowtop.tui.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
Gray = npt.NDArray[np.uint8]


def draw_face(img: Gray, cx: int, cy: int, s: int) -> None:
    """A light oval face `s` px in half-width: dark eyes and brows, a nose, a mouth."""
    cv2.ellipse(img, (cx, cy), (s, int(s * 1.3)), 0, 0, 360, 200, -1)
    for side in (-1, 1):
        cv2.ellipse(img, (cx + side * int(s * 0.42), cy - int(s * 0.3)),
                    (int(s * 0.2), int(s * 0.1)), 0, 0, 360, 40, -1)
        cv2.line(img, (cx + side * int(s * 0.2), cy - int(s * 0.55)),
                 (cx + side * int(s * 0.65), cy - int(s * 0.55)), 60, max(2, s // 12))
    cv2.line(img, (cx, cy - int(s * 0.1)), (cx, cy + int(s * 0.3)), 140, max(2, s // 14))
    cv2.ellipse(img, (cx, cy + int(s * 0.3)), (int(s * 0.15), int(s * 0.07)), 0, 0, 360, 120, -1)
    cv2.ellipse(img, (cx, cy + int(s * 0.65)), (int(s * 0.4), int(s * 0.1)), 0, 0, 360, 70, -1)


def scene(w: int = 640, h: int = 360, face: bool = True) -> tuple[Gray, tuple[int, int, int]]:
    """A smoothed grey frame with two checkerboards on the left (corners far from any face)
    and, with `face`, a face on the right; returns the frame and the face's (cx, cy, s)."""
    rng = np.random.default_rng(7)
    img = cv2.GaussianBlur(rng.integers(60, 130, (h, w)).astype(np.uint8), (0, 0), 3)
    cell = max(8, w // 40)
    for x0 in (w // 20, w // 4):
        for i in range(6):
            for j in range(6):
                if (i + j) % 2:
                    x, y = x0 + cell * i, h // 6 + cell * j
                    cv2.rectangle(img, (x, y), (x + cell - 1, y + cell - 1), 230, -1)
    spot = (int(w * 0.65), h // 2, h // 6)
    if face:
        draw_face(img, *spot)
    return cv2.GaussianBlur(img, (0, 0), 1.5), spot


def frame(gray: Gray, index: int = 0) -> Frame:
    return Frame(index, index / 30, cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), restart=False)


def inside(pts: np.ndarray, box: np.ndarray) -> np.ndarray:
    x, y, w, h = box
    return (pts[:, 0] >= x) & (pts[:, 0] < x + w) & (pts[:, 1] >= y) & (pts[:, 1] < y + h)


def faces_params(**tracking: int) -> Params:
    params = Params().with_value("features.mode", "faces")
    for key, value in tracking.items():
        params = params.with_value(f"tracking.{key}", value)
    return params


@pytest.mark.parametrize("size", [(640, 360), (1280, 720), (320, 180)])
def test_the_cascade_finds_the_drawn_face_and_nothing_without_it(size: tuple[int, int]) -> None:
    cascade = load_cascade()
    gray, (cx, cy, s) = scene(*size)
    boxes = detect_faces(cascade, gray)
    assert len(boxes) == 1, boxes
    x, y, w, h = boxes[0]
    assert x < cx < x + w and y < cy < y + h, "the box misses the face centre"
    assert 1.5 * s < w < 4 * s, "the box is not face-sized"  # frames over 480 px are scaled
    assert len(detect_faces(cascade, scene(*size, face=False)[0])) == 0


def test_faces_mode_seeds_only_inside_the_face_and_corners_mode_everywhere() -> None:
    gray, _ = scene()
    box = detect_faces(load_cascade(), gray)[0]
    face_state = Tracker(faces_params()).update(frame(gray))
    assert face_state.seeded >= 10
    assert inside(face_state.pts, box).all(), face_state.pts[~inside(face_state.pts, box)]
    corner_state = Tracker(Params()).update(frame(gray))
    outside = ~inside(corner_state.pts, box)
    assert outside.sum() >= 20, "corners mode should seed on the checkerboards too"
    assert inside(corner_state.pts, box).any()
    assert corner_state.seeded > face_state.seeded


def test_faces_mode_on_a_big_frame_maps_boxes_back_to_full_size() -> None:
    gray, _ = scene(1280, 720)
    tracker = Tracker(faces_params())
    state = tracker.update(frame(gray))
    assert tracker._faces is not None and len(tracker._faces.boxes) == 1
    box = tracker._faces.boxes[0]
    assert box[2] > 480 / 4, "the box is in detection pixels, not frame pixels"
    assert state.seeded > 0 and inside(state.pts, box).all()


def test_faces_mode_keeps_roi_and_max_points() -> None:
    gray, _ = scene()
    box = detect_faces(load_cascade(), gray)[0]
    left_half = [int(box[0]), int(box[1]), int(box[2] // 2), int(box[3])]
    params = faces_params(max_points=6).with_value("features.roi", left_half)
    state = Tracker(params).update(frame(gray))
    assert 0 < state.seeded <= 6
    assert inside(state.pts, np.array(left_half)).all()


def test_no_face_seeds_nothing_and_the_search_is_retried_every_detect_interval() -> None:
    empty, _ = scene(face=False)
    tracker = Tracker(faces_params(detect_interval=5))
    for i in range(10):
        state = tracker.update(frame(empty, i))
        assert state.seeded == 0 and state.notice == "no face in view (features.mode = faces)"
    assert tracker._faces is not None and tracker._faces.searches == 2  # frames 0 and 5
    tracker.reseed()  # a reseed looks at once, on the frame on screen: no face there
    assert tracker._faces.searches == 3
    gray, _ = scene()
    assert tracker.update(frame(gray, 10)).seeded > 0  # so the next frame looks again
    assert tracker._faces.searches == 4


def test_a_face_that_appears_is_seeded_on_the_next_search() -> None:
    empty, _ = scene(face=False)
    gray, _ = scene()
    tracker = Tracker(faces_params(detect_interval=3))
    seeded = [tracker.update(frame(img, i)).seeded
              for i, img in enumerate([empty, gray, gray, gray, gray])]
    assert seeded[:3] == [0, 0, 0] and seeded[3] > 0  # searches at frames 0 and 3


def test_the_mode_is_selectable_and_switches_live() -> None:
    params = stepped(Params(), "features.mode", 1)
    assert params.features.mode == "faces"
    gray, _ = scene()
    box = detect_faces(load_cascade(), gray)[0]
    tracker = Tracker(Params())
    assert tracker._faces is None
    tracker.params = params
    tracker.reseed()
    state = tracker.update(frame(gray))
    assert state.seeded > 0 and inside(state.pts, box).all()


def test_corners_mode_never_loads_the_cascade(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: str | None = None) -> None:
        raise AssertionError("the cascade was loaded in corners mode")

    monkeypatch.setattr(faces, "load_cascade", refuse)
    tracker = Tracker(Params())
    for i in range(3):
        tracker.update(frame(scene()[0], i))
    assert tracker._faces is None


def test_importing_creates_no_classifier() -> None:
    code = ("import cv2\n"
            "def boom(*a, **k):\n"
            "    raise SystemExit('CascadeClassifier made at import')\n"
            "cv2.CascadeClassifier = boom\n"
            "import flowtop.tracker.core.faces, flowtop.tracker.core.engine\n"
            "import flowtop.tracker.runtime.loop\n"
            "flowtop.tracker.core.engine.Tracker()\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_a_missing_or_broken_cascade_is_a_clear_param_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    with pytest.raises(CascadeError, match=f"no face cascade at {missing}"):
        FaceSeeder(str(missing))
    garbage = tmp_path / "bad.xml"
    garbage.write_text("<opencv_storage><cascade>not a cascade")
    with pytest.raises(ParamError, match=f"face cascade {garbage}"):
        FaceSeeder(str(garbage))


def test_a_broken_cascade_refuses_faces_mode_and_changes_nothing(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(faces, "default_cascade_path", lambda: str(tmp_path / "gone.xml"))
    with pytest.raises(CascadeError):
        Tracker(faces_params())
    tracker = Tracker(Params())
    with pytest.raises(CascadeError):
        tracker.params = faces_params()
    assert tracker.params.features.mode == "corners"


def test_track_command_with_faces_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    argv = ["track", "demo", "--frames", "5", "--set", "features.mode=faces", "--json"]
    assert main(argv) == 0
    assert '"frames": 5' in capsys.readouterr().out
    monkeypatch.setattr(faces, "default_cascade_path", lambda: str(tmp_path / "gone.xml"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("flowtop: features.mode faces: no face cascade at ")
    assert err.count("\n") == 1
