"""Pyramidal Lucas-Kanade with the forward-backward check, and corner seeding."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import FeatureParams, LKParams

Gray = npt.NDArray[np.uint8]
Points = npt.NDArray[np.float32]  # (N, 2) x, y in pixels


@dataclass(frozen=True)
class FlowResult:
    """The outcome of one forward-backward LK step for N points.

    `points` (N, 2) are the new positions, `keep` (N,) says which passed every check,
    `fb_error` (N,) is the forward-backward distance (max of |dx|, |dy|) in pixels.
    """

    points: Points
    keep: npt.NDArray[np.bool_]
    fb_error: npt.NDArray[np.float32]
    lk_error: npt.NDArray[np.float32]


def lk_kwargs(p: LKParams) -> dict:
    """calcOpticalFlowPyrLK keyword arguments for these parameters."""
    return {
        "winSize": (p.win_size, p.win_size),
        "maxLevel": p.max_level,
        "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, p.max_iter, p.epsilon),
        "minEigThreshold": p.min_eig_threshold,
    }


def lk_reach(p: LKParams) -> float:
    """Pixels per frame pyramidal LK can follow: about half a window at the coarsest level,
    doubling with each level below it (7.5 * 4 = 30 px for win_size 15, max_level 2)."""
    return p.win_size / 2 * 2 ** p.max_level


def beyond_reach(prev: Gray, cur: Gray, pts: Points, reach: float, limit: int = 8,
                 half: int = 5, match: float = 0.9) -> int:
    """How many of (up to `limit`) points lost by LK are found in `cur`, by their patch's
    normalised cross-correlation (at least `match`) within twice `reach` of where they were,
    farther than `reach`: they moved beyond what the pyramid follows."""
    h, w = prev.shape[:2]
    radius = round(2 * reach)
    found = 0
    for x, y in np.round(pts[:limit]).astype(int).tolist():
        if not (half <= x < w - half and half <= y < h - half):
            continue
        patch = prev[y - half:y + half + 1, x - half:x + half + 1]
        x0, y0 = max(0, x - radius - half), max(0, y - radius - half)
        area = cur[y0:y + radius + half + 1, x0:x + radius + half + 1]
        if min(area.shape) <= 2 * half or float(patch.std()) < 1.0:
            continue
        score = cv2.matchTemplate(area, patch, cv2.TM_CCOEFF_NORMED)
        _, best, _, (bx, by) = cv2.minMaxLoc(score)
        if best >= match and max(abs(x0 + bx + half - x), abs(y0 + by + half - y)) > reach:
            found += 1
    return found


def max_abs(d: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
    """(N,) the larger of |dx| and |dy| of each row of `d` (N, 2): `np.abs(d).max(axis=1)` to
    the bit (NaN included), without numpy's slow reduction along a short axis (10x faster)."""
    return np.maximum(np.abs(d[:, 0]), np.abs(d[:, 1]))


def forward(prev: Gray, cur: Gray, p0: Points, kwargs: dict
            ) -> tuple[Points, npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """One LK pass: new points, status and LK error per point."""
    p1, st, err = cv2.calcOpticalFlowPyrLK(prev, cur, p0.reshape(-1, 1, 2), None, **kwargs)
    return p1.reshape(-1, 2), st.reshape(-1).astype(bool), err.reshape(-1)


def check_fb(p0: Points, p1: Points, ok: npt.NDArray[np.bool_], back: Points,
             back_ok: npt.NDArray[np.bool_], lk_err: npt.NDArray[np.float32],
             fb_threshold: float, max_error: float, size: tuple[int, int]) -> FlowResult:
    """Keep points that went both ways, came back within `fb_threshold`, matched well, and
    stayed inside the `size` (w, h) frame."""
    fb = max_abs(p0 - back)
    w, h = size
    x, y = p1[:, 0], p1[:, 1]
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)  # false for NaN and inf too
    keep = ok & back_ok & (fb < fb_threshold) & (lk_err < max_error) & inside
    return FlowResult(p1, keep, fb.astype(np.float32, copy=False),
                      lk_err.astype(np.float32, copy=False))


def track_fb(prev: Gray, cur: Gray, p0: Points, lk: LKParams, fb_threshold: float
             ) -> FlowResult:
    """Forward LK from `prev` to `cur`, backward from the result, and the checks."""
    p0 = np.ascontiguousarray(p0, np.float32)
    if len(p0) == 0:
        empty = np.zeros(0, np.float32)
        return FlowResult(p0.reshape(0, 2), np.zeros(0, bool), empty, empty)
    kwargs = lk_kwargs(lk)
    p1, ok, err = forward(prev, cur, p0, kwargs)
    back, back_ok, _ = forward(cur, prev, p1, kwargs)
    return check_fb(p0, p1, ok, back, back_ok, err, fb_threshold, lk.max_error,
                    (cur.shape[1], cur.shape[0]))


def seed_mask(shape: tuple[int, int], live: Points, radius: float,
              roi: tuple[int, int, int, int] | None = None) -> Gray:
    """255 where new corners may go: inside `roi` (x, y, w, h) and away from live points."""
    h, w = shape
    if roi is not None:
        mask = np.zeros((h, w), np.uint8)
        x, y, rw, rh = roi
        mask[max(0, y):max(0, y + rh), max(0, x):max(0, x + rw)] = 255
    else:
        mask = np.full((h, w), 255, np.uint8)
    r = max(1, round(radius))
    for x, y in np.round(live).astype(np.int32).tolist():  # plain ints: 2x faster calls
        cv2.circle(mask, (x, y), r, 0, -1)
    return mask


def detect_corners(gray: Gray, mask: Gray, fp: FeatureParams, limit: int) -> Points:
    """Up to `limit` good corners inside `mask`, as (N, 2) float32."""
    if limit <= 0:
        return np.zeros((0, 2), np.float32)
    corners = cv2.goodFeaturesToTrack(
        gray, maxCorners=int(min(fp.max_corners, limit)), qualityLevel=fp.quality_level,
        minDistance=fp.min_distance, mask=mask, blockSize=fp.block_size)
    if corners is None:
        return np.zeros((0, 2), np.float32)
    return corners.reshape(-1, 2).astype(np.float32)
