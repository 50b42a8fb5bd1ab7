"""What the tracker says when something keeps it from tracking: why a frame holds nothing to
track, and that motion went beyond what LK follows."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import LKParams
from flowtop.tracker.core.lk import lk_reach

MIN_SIDE_PX = 8  # smaller frames hold no trackable corner
FLAT_STD = 1.0  # grey-level spread below which a frame counts as flat


def nothing_to_track(gray: npt.NDArray[np.uint8], faces_wanted: bool, faces_seen: bool) -> str:
    """Why a frame gave no track: too small, flat, no face in view (features.mode = faces),
    or no corner above the quality level."""
    h, w = gray.shape[:2]
    if min(h, w) < MIN_SIDE_PX:
        return f"frame {w}x{h} is too small to track"
    if float(cv2.meanStdDev(gray[::4, ::4])[1][0, 0]) < FLAT_STD:
        return "flat image: no texture to track"
    if faces_wanted and not faces_seen:
        return "no face in view (features.mode = faces)"
    return "no corners found: try a lower features.quality_level"


def too_fast(points: int, lk: LKParams) -> str:
    """`points` moved farther in a frame than the pyramid of `lk` follows."""
    return (f"motion too fast for lk: {points} points moved over {lk_reach(lk):.0f} px in a "
            f"frame (raise lk.max_level or lk.win_size)")
