"""What moves in a fixed camera's picture: a running background and the foreground against it.

The background is an exponential average of half-resolution frames, in seconds of source time
(`tracking.background_memory`); foreground is where a frame differs from it by more than
`tracking.foreground_threshold` levels in any colour channel. Pixels under the foreground learn
four times more slowly, so a vehicle is not absorbed while it passes, and pixels near a moving
track not at all: a drone circling over its own area never becomes background. The engine
seeds moving things inside the foreground and tells moving vehicles apart by its connected
regions.

On a moving camera everything is foreground: seeding then works as it would without the model.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

Gray = npt.NDArray[np.uint8]
SCALE = 2  # the model runs at 1/SCALE of the frame's size
FOREGROUND_SLOWDOWN = 4.0
CLOSE = np.ones((3, 3), np.uint8)
LEARN_EVERY = 2  # frames between lessons (each for the time since the last)
KEEP = np.ones((7, 7), np.uint8)  # around a moving track (half size): never learnt
RING = np.array([(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)])  # dy, dx
RING_XY = RING[:, ::-1].copy()  # dx, dy


class Foreground:
    """`update(gray, dt)` with each frame; then `mask` (half size, 0/1), `seed_mask(shape)`,
    `on(pts)` and `regions()`. `reset()` forgets the background (after a cut)."""

    def __init__(self, threshold: float = 20.0, memory_s: float = 2.0) -> None:
        self.threshold, self.memory_s = threshold, memory_s
        self._unlearnt, self._frames = 0.0, 0
        self._bg: npt.NDArray[np.float32] | None = None
        self._bg8: npt.NDArray[np.uint8] | None = None  # the background in levels, until it learns
        self.mask: Gray = np.zeros((0, 0), np.uint8)
        self._labels: npt.NDArray[np.int32] | None = None
        self._core: Gray = np.zeros((0, 0), np.uint8)  # buffers the labelling reuses
        self._label_buf: npt.NDArray[np.int32] = np.zeros((0, 0), np.int32)

    def reset(self) -> None:
        self._bg = self._bg8 = None
        self.mask = np.zeros((0, 0), np.uint8)
        self._labels = None

    def update(self, image: npt.NDArray[np.uint8], dt: float,
               moving: npt.ArrayLike | None = None) -> None:
        """Compare `image` (grey or BGR: colours tell apart what grey levels may not) with the
        background, then let the background learn from it, except
        near the (N, 2) full-size points of `moving` tracks: what moves is never background,
        however long it stays in one area."""
        h, w = image.shape[:2]
        small = cv2.resize(image, (max(1, w // SCALE), max(1, h // SCALE)),
                           interpolation=cv2.INTER_AREA)
        self._labels = None
        if self._bg is None or self._bg.shape != small.shape:
            self._bg, self._bg8 = small.astype(np.float32), None
            self.mask = np.zeros(small.shape[:2], np.uint8)
            return
        if self._bg8 is None:
            self._bg8 = cv2.convertScaleAbs(self._bg)
        diff = cv2.absdiff(small, self._bg8)
        level = int(self.threshold)
        if small.ndim == 2:
            near = cv2.inRange(diff, 0, level)
        else:  # BGR: near the background in every channel
            near = cv2.inRange(diff, (0, 0, 0), (level, level, level))
        fg = cv2.threshold(near, 0, 1, cv2.THRESH_BINARY_INV)[1]  # 1 where not near
        self.mask = cv2.morphologyEx(fg, cv2.MORPH_CLOSE, CLOSE)
        self._unlearnt += max(0.0, dt)  # learnt every other frame, for the time of both
        self._frames += 1
        if self._frames % LEARN_EVERY:
            return
        rate = min(1.0, self._unlearnt / self.memory_s) if self.memory_s > 0 else 1.0
        self._unlearnt = 0.0
        if rate > 0:  # masks are nonzero where they let the background learn
            busy, slow = self.mask, self.mask
            if moving is not None and len(np.asarray(moving).reshape(-1, 2)):
                held = np.zeros_like(self.mask)
                held[self._cells(moving)] = 1
                held = cv2.dilate(held, KEEP)
                busy, slow = cv2.bitwise_or(busy, held), cv2.subtract(slow, held)
            # 255 where neither foreground nor held (a threshold: cv2.compare would read a
            # 1x1 mask and the number 0 as two scalars and fail)
            learn = cv2.threshold(busy, 0, 255, cv2.THRESH_BINARY_INV)[1]
            cv2.accumulateWeighted(small, self._bg, rate, mask=learn)
            cv2.accumulateWeighted(small, self._bg, rate / FOREGROUND_SLOWDOWN, mask=slow)
            self._bg8 = None

    @property
    def learns_next(self) -> bool:
        """Whether the next `update` may learn, and so reads its `moving` points."""
        return self._bg is not None and (self._frames + 1) % LEARN_EVERY == 0

    def seed_mask(self, shape: tuple[int, int], live: npt.ArrayLike | None = None,
                  full: int = 0) -> Gray:
        """The foreground at full size `shape` (h, w) as 0/255, for corner seeding; with the
        `live` (N, 2) points and `full` > 0, less the regions already holding `full` of them
        (many vehicles share the points)."""
        h, w = shape
        if not self.mask.size:
            return np.zeros((h, w), np.uint8)
        mask = self.mask * np.uint8(255)
        if live is not None and full > 0 and len(np.asarray(live).reshape(-1, 2)):
            held = np.bincount(self.regions(live))
            crowded = np.flatnonzero(held >= full)
            crowded = crowded[crowded > 0]
            if len(crowded):
                mask[np.isin(self._labels, crowded)] = 0  # type: ignore[arg-type]
        return cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)

    def _cells(self, pts: npt.ArrayLike) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
        p = np.asarray(pts, np.float32).reshape(-1, 2) / SCALE
        mh, mw = self.mask.shape
        col = np.minimum(np.maximum(p[:, 0].astype(np.intp), 0), mw - 1)
        row = np.minimum(np.maximum(p[:, 1].astype(np.intp), 0), mh - 1)
        return row, col

    def on(self, pts: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """Which (N, 2) full-size points lie on the foreground."""
        n = len(np.asarray(pts).reshape(-1, 2))
        if not self.mask.size:
            return np.zeros(n, bool)
        row, col = self._cells(pts)
        return self.mask[row, col] > 0

    def _label(self) -> npt.NDArray[np.int32]:
        """Connected regions of the foreground opened by one pixel, so shadows and noise one
        or two pixels wide do not join two vehicles."""
        if self._core.shape != self.mask.shape:  # new buffers only for a new size: fresh large
            self._core = np.empty_like(self.mask)  # arrays each frame cost page faults
            self._label_buf = np.empty(self.mask.shape, np.int32)
        cv2.morphologyEx(self.mask, cv2.MORPH_OPEN, CLOSE, dst=self._core)
        return cv2.connectedComponents(self._core, self._label_buf, 8, cv2.CV_32S)[1]

    def regions(self, pts: npt.ArrayLike, where: npt.NDArray[np.bool_] | None = None
                ) -> npt.NDArray[np.int32]:
        """The connected foreground region (1, 2, ...) under each (N, 2) point, or next to it
        (the opening trims a pixel off each region's rim); 0 = none. Given `where` (N,), only
        those points are looked up (the others get 0)."""
        p = np.asarray(pts, np.float32).reshape(-1, 2)
        out = np.zeros(len(p), np.int32)
        at = np.arange(len(p)) if where is None else where.nonzero()[0]
        if not self.mask.size or not len(at):
            return out
        if self._labels is None:
            self._labels = self._label()
        mh, mw = self.mask.shape
        top, stride = np.array((mw - 1, mh - 1)), np.array((1, mw))
        q = (p.take(at, axis=0) / SCALE).astype(np.intp)  # (col, row) of each point's cell
        np.minimum(np.maximum(q, 0, out=q), top, out=q)
        cell = q @ stride
        labels = self._labels.reshape(-1)
        found = labels.take(cell)
        rim = (found < self.mask.reshape(-1).take(cell)).nonzero()[0]  # on the mask, unlabelled
        if len(rim):  # the first labelled of its 8 neighbours, in the order of RING
            near = q.take(rim, axis=0)[:, None, :] + RING_XY
            near = labels.take(np.minimum(np.maximum(near, 0, out=near), top, out=near) @ stride)
            found[rim] = near.reshape(-1).take((near > 0).argmax(axis=1)
                                               + np.arange(0, near.size, len(RING)))
        out[at] = found
        return out
