"""Stable colours per track and per object id, for the preview and for annotated images.

A track keeps its colour for life: the hue is the id times the golden ratio (mod 1), so
consecutive ids get hues far apart and the same id always gets the same colour.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

GOLDEN = 0.6180339887498949
TRACK_SATURATION = 200
OBJECT_SATURATION = 255
OBJECT_HUE_OFFSET = 0.5  # objects start on the opposite side of the wheel from tracks
TRAIL_BANDS = 4  # steps of fading along a trail, its newest band opaque
TRAIL_MIN_ALPHA = 0.25  # opacity of a trail's oldest band


def hue_colors(ids: npt.ArrayLike, saturation: int, offset: float = 0.0
               ) -> npt.NDArray[np.uint8]:
    """(N, 3) uint8 BGR, full value, hue from the golden-ratio sequence of each id."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    hue = np.mod(ids * GOLDEN + offset, 1.0)
    hsv = np.empty((len(ids), 1, 3), np.uint8)
    hsv[:, 0, 0] = np.minimum(255, np.floor(hue * 256)).astype(np.uint8)
    hsv[:, 0, 1] = saturation
    hsv[:, 0, 2] = 255
    if not len(ids):
        return np.zeros((0, 3), np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).reshape(-1, 3)


def track_colors(ids: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """(N, 3) uint8 BGR: a bright colour per track id, the same for the same id."""
    return hue_colors(ids, TRACK_SATURATION)


def object_colors(ids: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """(N, 3) uint8 BGR: a saturated colour per object id, the same for the same id."""
    return hue_colors(ids, OBJECT_SATURATION, OBJECT_HUE_OFFSET)
