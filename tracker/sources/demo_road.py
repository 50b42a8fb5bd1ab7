"""The demo's roads: where the lanes are, how big a metre is on each row, the static backdrop.

A camera high on the roadside looks across two parallel two-way roads with a grass strip
between them. On each road the near lane drives right and the far lane left, so neighbouring
lanes always carry traffic in opposite directions. Lanes are horizontal bands that narrow
toward the top (perspective), so a vehicle in a lane translates rigidly in the image and its
speed in pixels per second is exact. The ground is a plane seen through a homography: a row
at depth d metres (from the near edge) lies where 1/(row - HORIZON) falls linearly with d, and
one metre along the road spans `px_per_m(row)` pixels, proportional to row - HORIZON.
The layout is designed for 640x360 and scales to any frame size.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]

REF_W, REF_H = 640, 360  # the design size; other sizes scale every coordinate
HORIZON = -360.0  # row of the ground's vanishing line: above the frame, the camera looks down
FAR_ROW, NEAR_ROW = 96.0, 332.0  # rows of the far road's far edge and the near road's near edge
NEAR_PX_PER_M = 36.0  # along the road, on NEAR_ROW
# lanes far to near as (near, far) depths in metres from NEAR_ROW; 7..9.5 m is the grass strip
LANE_DEPTHS = ((13.0, 16.5), (9.5, 13.0), (3.5, 7.0), (0.0, 3.5))
ROADS = ((0, 1), (2, 3))  # the lanes of each road, far lane first
CONTACT = 0.8  # where wheels touch a lane: this fraction down its band
DASH_M, GAP_M = 3.0, 6.0  # centre-line dashes
CALIBRATION_X_M = 8.0  # the calibration corners lie this far either side of the centre

GRASS_BGR = (62, 140, 86)
ASPHALT = 92


@dataclass(frozen=True)
class RoadLayout:
    """The roads' geometry in a `width` x `height` frame (image pixels, rows grow down)."""

    width: int
    height: int

    @property
    def sx(self) -> float:
        return self.width / REF_W

    @property
    def sy(self) -> float:
        return self.height / REF_H

    @property
    def horizon(self) -> float:
        return HORIZON * self.sy

    @property
    def _near_depth(self) -> float:
        """Distance from the camera to NEAR_ROW, metres (fixed by the far road's edge row)."""
        far_m = max(d for lane in LANE_DEPTHS for d in lane)
        return far_m / ((NEAR_ROW - HORIZON) / (FAR_ROW - HORIZON) - 1)

    def row(self, depth: float) -> float:
        """The image row of the ground `depth` metres beyond the near road edge."""
        d0 = self._near_depth
        return self.horizon + (NEAR_ROW * self.sy - self.horizon) * d0 / (d0 + depth)

    def depth(self, y: float) -> float:
        """Metres beyond the near road edge on image row `y` (the inverse of `row`)."""
        d0 = self._near_depth
        return d0 * (NEAR_ROW * self.sy - self.horizon) / (y - self.horizon) - d0

    def px_per_m(self, y: float) -> float:
        """Image pixels per metre along the road on row `y`."""
        bottom = NEAR_ROW * self.sy
        return NEAR_PX_PER_M * self.sx * (y - self.horizon) / (bottom - self.horizon)

    def lane_rows(self, lane: int) -> tuple[float, float]:
        """Top and bottom rows of lane `lane` (0 = farthest)."""
        near, far = LANE_DEPTHS[lane]
        return self.row(far), self.row(near)

    def contact_row(self, lane: int) -> float:
        """The row where wheels touch lane `lane`."""
        top, bottom = self.lane_rows(lane)
        return top + CONTACT * (bottom - top)

    def to_world(self, x: float, y: float) -> tuple[float, float]:
        """Image pixel -> metres on the ground: along the road from the centre column, and
        across it from the near road edge (positive away from the camera)."""
        return (x - self.width / 2) / self.px_per_m(y), self.depth(y)

    def calibration(self) -> tuple[list[list[float]], list[list[float]]]:
        """Four image points, on the far and near road edges, and their ground positions in
        metres: `speed.image_points` and `speed.world_points` for this frame size."""
        image = []
        for y in (self.lane_rows(0)[0], self.lane_rows(len(LANE_DEPTHS) - 1)[1]):
            half = CALIBRATION_X_M * self.px_per_m(y)
            image += [[self.width / 2 - half, y], [self.width / 2 + half, y]]
        world = [self.to_world(x, y) for x, y in image]
        return ([[round(v, 2) for v in p] for p in image],
                [[round(v, 2) + 0.0 for v in p] for p in world])


def _noise(rng: np.random.Generator, h: int, w: int, sigma: float) -> npt.NDArray[np.float32]:
    """Smooth unit-variance noise: texture with corners for the tracker, free of aliasing."""
    layer = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigma)
    return layer / (layer.std() + 1e-6)


def _shade(img: npt.NDArray[np.float32], mask: npt.ArrayLike, colour: npt.ArrayLike) -> None:
    """Paint `colour` (broadcast to img) into `img` where `mask` (0..1, broadcast) is set."""
    a = np.asarray(mask, np.float32)
    a = a[..., None] if a.ndim == 2 else a
    img *= 1 - a
    img += a * np.asarray(colour, np.float32)


def _grey(level: npt.NDArray[np.float32], tint: tuple[float, float, float] = (1, 1, 1)
          ) -> npt.NDArray[np.float32]:
    return level[..., None] * np.asarray(tint, np.float32)


def paint_backdrop(road: RoadLayout, rng: np.random.Generator) -> Image:
    """Sky, hills and trees, then grass with the two roads and their marks on it."""
    w, h, sx, sy = road.width, road.height, road.sx, road.sy
    e = [round(road.lane_rows(0)[0])]  # the far road's edge: sky, hills and trees lie above
    fine = _noise(rng, h, w, 1.2 * sx)
    broad = _noise(rng, h, w, 4.0 * sx)
    img = np.empty((h, w, 3), np.float32)
    scale = max(sx, 0.25)

    sky = slice(0, e[0])
    top, bottom = np.array([228, 170, 110], np.float32), np.array([246, 222, 196], np.float32)
    frac = np.clip(np.arange(e[0], dtype=np.float32) / max(e[0], 1), 0, 1)[:, None, None]
    img[sky] = top + (bottom - top) * frac
    clouds = np.zeros((e[0], w), np.float32)
    for cx, cy, ax, ay in ((90, 22, 48, 10), (130, 30, 40, 9), (300, 14, 60, 8),
                           (560, 26, 50, 11), (600, 18, 30, 8)):
        cv2.ellipse(clouds, (int(cx * sx), int(cy * sy)),
                    (max(1, int(ax * sx)), max(1, int(ay * sy))), 0, 0, 360, 1.0, -1)
    soft = cv2.GaussianBlur(clouds, (0, 0), 3 * scale)
    _shade(img[sky], soft * 0.9, _grey(250 + 4 * broad[sky]))
    xs = np.arange(w, dtype=np.float32) / sx
    ridge = (62 + 10 * np.sin(xs / 70) + 6 * np.sin(xs / 23 + 1)) * sy
    hills = np.arange(e[0], dtype=np.float32)[:, None] >= ridge[None, :]
    hill = 135 + 8 * broad[sky]
    _shade(img[sky], hills, np.stack([hill + 15, hill + 15, hill - 15], -1))
    trees = np.zeros((e[0], w), np.float32)
    for x in range(-10, REF_W + 10, 9):
        r = 7 + 6 * rng.random()
        crown = 84 - 6 * rng.random() - r / 2
        cv2.circle(trees, (int(x * sx), int(crown * sy)), max(1, int(r * scale)), 1.0, -1)
    trees[int(84 * sy):] = 1.0
    leaf = 52 + 5 * fine[sky] + 8 * broad[sky]
    _shade(img[sky], trees, _grey(leaf, (0.7, 1.45, 0.95)))

    grass = _grey(1 + 0.06 * fine + 0.06 * broad, GRASS_BGR)
    img[int(89 * sy):] = grass[int(89 * sy):]
    marks = np.zeros((h, w), np.float32)
    for far, near in ROADS:
        band = slice(round(road.lane_rows(far)[0]), round(road.lane_rows(near)[1]))
        img[band] = _grey(ASPHALT + 5 * fine[band] + 4 * broad[band], (1.0, 1.0, 0.97))
        for y in (road.lane_rows(far)[0], road.lane_rows(near)[1]):  # solid edge lines
            half = max(0.6, 0.09 * road.px_per_m(y))
            cv2.rectangle(marks, (0, round(y - half)), (w, round(y + half)), 1.0, -1)
        y = road.lane_rows(near)[0]  # the dashed centre line, dashes shorter far away
        ppm = road.px_per_m(y)
        half, period = max(0.6, 0.09 * ppm), (DASH_M + GAP_M) * ppm
        for x0 in np.arange(-period * 0.3 * near, w, period):
            cv2.rectangle(marks, (round(x0), round(y - half)),
                          (round(x0 + DASH_M * ppm), round(y + half)), 1.0, -1)
    _shade(img, marks, _grey(232 + 6 * fine))
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)
