"""Engine unit tests on synthetic frames with known motion."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from flowtop.tracker.config.params import FeatureParams, LKParams, Params
from flowtop.tracker.contracts import Frame
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.core.lk import detect_corners, seed_mask, track_fb


def texture(h: int = 240, w: int = 320, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((h, w)).astype(np.float32)
    img = cv2.GaussianBlur(noise, (0, 0), 2.0)
    img = 128 + 40 * img / img.std()
    return np.clip(img, 0, 255).astype(np.uint8)


def shifted(img: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """`img` translated by exactly (dx, dy) px: a Fourier phase shift (the texture is smooth,
    so nearly band-limited), free of the bias interpolating warps add at sub-pixel shifts."""
    h, w = img.shape
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.fftfreq(w)[None, :]
    phase = np.exp(-2j * np.pi * (fx * dx + fy * dy))
    out = np.fft.ifft2(np.fft.fft2(img.astype(np.float64)) * phase).real
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def grid_points(img: np.ndarray, margin: int = 40, step: int = 20) -> np.ndarray:
    h, w = img.shape
    ys, xs = np.mgrid[margin:h - margin:step, margin:w - margin:step]
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


@pytest.mark.parametrize(("dx", "dy"), [
    (0.25, 0.0), (0.0, -0.5), (0.3, 0.7), (-1.25, 0.4), (2.6, -1.9), (5.5, 3.25), (-7.75, 0.1),
])
def test_lk_recovers_subpixel_shift(dx: float, dy: float) -> None:
    """With a tight stopping rule LK recovers shifts to 0.02 px (the default epsilon, 0.03 px,
    trades that last bit of precision for speed)."""
    img = texture()
    p0 = grid_points(img)
    lk = LKParams(max_iter=50, epsilon=0.001)
    flow = track_fb(img, shifted(img, dx, dy), p0, lk, fb_threshold=1.0)
    assert flow.keep.mean() > 0.95
    moved = flow.points[flow.keep] - p0[flow.keep]
    assert np.median(moved[:, 0]) == pytest.approx(dx, abs=0.02)
    assert np.median(moved[:, 1]) == pytest.approx(dy, abs=0.02)


def test_fb_check_drops_points_on_an_occluded_patch() -> None:
    img = texture()
    nxt = shifted(img, 1.5, 0.0)
    rng = np.random.default_rng(5)
    nxt[80:160, 100:200] = rng.integers(0, 255, (80, 100), dtype=np.uint8)  # occluder
    p0 = grid_points(img)
    flow = track_fb(img, nxt, p0, LKParams(), fb_threshold=1.0)
    inside = (p0[:, 0] > 110) & (p0[:, 0] < 190) & (p0[:, 1] > 90) & (p0[:, 1] < 150)
    outside = ((p0[:, 0] < 80) | (p0[:, 0] > 220)) | ((p0[:, 1] < 60) | (p0[:, 1] > 180))
    assert inside.sum() >= 10
    assert flow.keep[inside].mean() < 0.2
    assert flow.keep[outside].mean() > 0.95


def test_fb_check_drops_points_that_leave_the_frame() -> None:
    img = texture()
    p0 = np.array([[3.0, 120.0], [160.0, 120.0]], np.float32)
    flow = track_fb(img, shifted(img, -6.0, 0.0), p0, LKParams(), fb_threshold=1.0)
    assert not flow.keep[0]
    assert flow.keep[1]


def test_seeding_respects_mask_roi_and_limit() -> None:
    img = texture()
    live = np.array([[160.0, 120.0]], np.float32)
    mask = seed_mask(img.shape, live, radius=30, roi=(100, 60, 120, 120))
    corners = detect_corners(img, mask, FeatureParams(max_corners=1000, min_distance=3), 25)
    assert 0 < len(corners) <= 25
    assert np.all(np.hypot(*(corners - live).T) > 29)
    assert np.all((corners[:, 0] >= 100) & (corners[:, 0] < 220))
    assert np.all((corners[:, 1] >= 60) & (corners[:, 1] < 180))


@pytest.mark.parametrize(("share", "still"), [(0.0, 40), (0.4, 24)])
def test_max_points_caps_live_tracks(share: float, still: int) -> None:
    """A still picture fills the budget but the share kept for moving things."""
    params = Params().with_value("tracking.max_points", 40)
    tracker = Tracker(params.with_value("tracking.motion_share", share))
    img = cv2.cvtColor(texture(), cv2.COLOR_GRAY2BGR)
    for i in range(12):
        state = tracker.update(Frame(i, i / 30, img))
        assert state.live <= 40
    assert state.live == still


def test_velocity_from_uneven_timestamps() -> None:
    """A scene moving at 30 px/s, sampled at irregular times, reads 30 px/s."""
    base = texture(seed=3)
    times = [0.0, 0.02, 0.07, 0.08, 0.15, 0.17, 0.26, 0.30, 0.33]
    tracker = Tracker(Params().with_value("tracking.smoothing", 0.5))
    for i, t in enumerate(times):
        img = cv2.cvtColor(shifted(base, 30.0 * t, -12.0 * t), cv2.COLOR_GRAY2BGR)
        state = tracker.update(Frame(i, t, img))
    old = state.age >= len(times) - 1
    assert old.sum() > 20
    assert np.median(state.vel[old, 0]) == pytest.approx(30.0, rel=0.01)
    assert np.median(state.vel[old, 1]) == pytest.approx(-12.0, rel=0.02)


def test_ids_are_stable_and_trails_bounded() -> None:
    base = texture(seed=4)
    params = Params().with_value("tracking.trail_length", 5)
    tracker = Tracker(params)
    first = None
    for i in range(10):
        img = cv2.cvtColor(shifted(base, 1.0 * i, 0.0), cv2.COLOR_GRAY2BGR)
        state = tracker.update(Frame(i, i / 30, img))
        if i == 0:
            first = dict(zip(state.ids.tolist(), state.pts.tolist()))
    assert state.trails.shape[1] == 5
    assert state.trail_len.max() == 5
    survivors = [k for k in state.ids.tolist() if k in first]
    assert len(survivors) > 10
    row = state.ids.tolist().index(survivors[0])
    assert state.pts[row, 0] == pytest.approx(first[survivors[0]][0] + 9.0, abs=0.1)
    # trail runs newest first, one pixel a frame
    assert state.trails[row, 0, 0] - state.trails[row, 4, 0] == pytest.approx(4.0, abs=0.1)


def test_manual_commands_add_clear_reseed() -> None:
    img = cv2.cvtColor(texture(seed=6), cv2.COLOR_GRAY2BGR)
    tracker = Tracker(Params().with_value("tracking.min_points", 0))
    state = tracker.update(Frame(0, 0.0, img))
    before = set(state.ids.tolist())
    tracker.add_point(50.5, 60.25)
    state = tracker.current_state()
    assert state is not None
    assert [50.5, 60.25] in state.pts.tolist()
    tracker.clear()
    assert tracker.current_state().live == 0
    tracker.reseed()
    state = tracker.update(Frame(1, 1 / 30, img))
    assert state.live > 0
    assert not (set(state.ids.tolist()) & before)


def test_min_speed_hides_static_points() -> None:
    img = cv2.cvtColor(texture(seed=8), cv2.COLOR_GRAY2BGR)
    tracker = Tracker(Params().with_value("tracking.min_speed", 2.0))
    for i in range(4):
        state = tracker.update(Frame(i, i / 30, img))
    assert state.live > 0
    assert len(state.ids) == 0


def test_restart_frame_resets_tracks() -> None:
    img = cv2.cvtColor(texture(seed=9), cv2.COLOR_GRAY2BGR)
    tracker = Tracker()
    tracker.update(Frame(0, 0.0, img))
    s1 = tracker.update(Frame(1, 0.033, img))
    s2 = tracker.update(Frame(2, 0.066, img, restart=True))
    assert s1.age.max() == 1
    assert s2.age.max() == 0


def test_points_added_before_the_first_frame_are_tracked() -> None:
    img = cv2.cvtColor(texture(seed=10), cv2.COLOR_GRAY2BGR)
    tracker = Tracker(Params().with_value("tracking.min_points", 0)
                      .with_value("tracking.max_points", 1))
    tracker.add_point(40.0, 50.0)
    state = tracker.update(Frame(0, 0.0, img))
    assert state.pts.tolist() == [[40.0, 50.0]]


def test_still_tracks_never_make_objects_even_with_no_speed_floor() -> None:
    img = cv2.cvtColor(texture(seed=11), cv2.COLOR_GRAY2BGR)
    params = Params().with_value("objects.min_speed", 0.0)
    tracker = Tracker(params)
    for i in range(8):
        state = tracker.update(Frame(i, i / 30, img))
    assert state.objects == ()


def test_an_image_sequence_whose_files_vanish_ends(tmp_path) -> None:
    from flowtop.tracker.sources.capture import ImageSequenceSource

    path = tmp_path / "a.png"
    cv2.imwrite(str(path), texture(32, 32))
    source = ImageSequenceSource(str(tmp_path / "*.png"), loop=True)
    assert source.read() is not None
    path.unlink()
    assert source.read() is None  # not a loop spinning over a missing file
    assert source.skipped == 1


def test_live_frames_keep_their_capture_time_not_their_read_time() -> None:
    """Four queued frames, taken 1/30 s apart, read 1 ms apart: their times stay 1/30 s
    apart; a backend without timestamps falls back to arrival time."""
    from flowtop.tracker.sources.capture import CaptureClock

    clock = CaptureClock()
    arrivals = [10.000, 10.27, 10.271, 10.272, 10.273]  # a stall, then the queue drains
    backend = [5000.0, 5166.7, 5200.0, 5233.3, 5266.7]
    times = [clock.stamp(b, a) for b, a in zip(backend, arrivals)]
    gaps = np.diff(times)
    assert gaps == pytest.approx([1 / 6, 1 / 30, 1 / 30, 1 / 30], abs=1e-3)
    assert all(t <= a for t, a in zip(times, arrivals))
    plain = CaptureClock()
    assert [plain.stamp(0.0, a) for a in (1.0, 1.5)] == [1.0, 1.5]
    assert plain.stamp(float("nan"), 1.2) > 1.5  # never backwards


def test_reseed_seeds_the_held_frame_at_once() -> None:
    """`r` while paused: fresh corners on the frame on screen, not at the next one."""
    from flowtop.tracker.sources.demo import DemoSource

    source, tracker = DemoSource(paced=False, frames=3), Tracker(Params())
    state = tracker.update(source.read())
    before = set(state.ids.tolist())
    tracker.reseed()
    now = tracker.current_state()
    assert now is not None and now.index == state.index and now.live > 0
    assert not (set(now.ids.tolist()) & before)
    following = tracker.update(source.read())
    assert following.seeded >= now.live  # counted as this frame's reseed


def test_a_finite_source_plays_again_with_time_going_on(tmp_path) -> None:
    import cv2

    from flowtop.tracker.sources.capture import ImageSequenceSource
    from flowtop.tracker.sources.demo import DemoScene

    scene = DemoScene(64, 48)
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), scene.render(i / 30))
    source = ImageSequenceSource(str(tmp_path / "*.png"), fps=30)
    first = [source.read() for _ in range(3)]
    assert source.read() is None
    assert source.rewind()
    again = [source.read() for _ in range(3)]
    assert source.read() is None
    assert again[0] is not None and again[0].restart
    times = [f.t for f in first + again if f is not None]
    assert times == sorted(times) and len(set(times)) == 6
