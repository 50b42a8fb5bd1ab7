"""A bare OpenCV decode + LK + forward-backward loop: the yardstick flowtop is timed against.

It does what `samples/python/lk_track.py` does, with flowtop's parameters, and nothing else:
no velocities, ids, trails or output.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.lk import lk_kwargs


def bare_loop(path: str, params: Params, frames: int = 0, *, paced: bool = False,
              seconds: float = 0.0) -> tuple[int, float]:
    """Track `path` the bare way; return (frames processed, seconds).

    `paced` plays the file at its own frame rate, again and again, for `seconds` (as a camera
    would deliver it: the yardstick for the live UI's CPU); otherwise it runs as fast as it can
    through `frames` frames (0 = all).
    """
    fp, tp = params.features, params.tracking
    kwargs = lk_kwargs(params.lk)
    cap = cv2.VideoCapture(path)
    period = 1.0 / (cap.get(cv2.CAP_PROP_FPS) or 30.0)
    start = time.perf_counter()
    prev, pts, n = None, np.zeros((0, 1, 2), np.float32), 0
    while not frames or n < frames:
        if paced:
            now = time.perf_counter()
            if now - start >= seconds:
                break
            due = start + n * period
            if due > now:
                time.sleep(due - now)
        ok, img = cap.read()
        if not ok and paced:  # play the file again, as `--loop` does
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, img = cap.read()
        if not ok:
            break
        gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
        if prev is not None and len(pts):
            p1, st, err = cv2.calcOpticalFlowPyrLK(prev, gray, pts, None, **kwargs)
            p0r, st2, _ = cv2.calcOpticalFlowPyrLK(gray, prev, p1, None, **kwargs)
            d = np.abs(pts - p0r).reshape(-1, 2).max(-1)
            good = (st.ravel() == 1) & (st2.ravel() == 1) & (d < tp.fb_threshold)
            good &= err.ravel() < params.lk.max_error
            pts = p1[good]
        if n % tp.detect_interval == 0 or len(pts) < tp.min_points:
            mask = np.full(gray.shape, 255, np.uint8)
            for x, y in np.int32(pts).reshape(-1, 2):
                cv2.circle(mask, (int(x), int(y)), int(fp.min_distance), 0, -1)
            room = tp.max_points - len(pts)
            if room > 0:
                p = cv2.goodFeaturesToTrack(gray, maxCorners=min(fp.max_corners, room),
                                            qualityLevel=fp.quality_level,
                                            minDistance=fp.min_distance, mask=mask,
                                            blockSize=fp.block_size)
                if p is not None:
                    pts = np.concatenate([pts, p.astype(np.float32)])
        prev, n = gray, n + 1
    cap.release()
    return n, time.perf_counter() - start
