"""Tracks drawn onto a full-resolution BGR frame with OpenCV: for PNGs and recorded video.

`annotate(image, state)` returns a copy of the frame with fading trails, live points, the
fastest points' speeds, object boxes with their speeds and a caption (frame, time, live
points, the speed scale). What is drawn and in which colours follows the same
`tracker.render.scheme` as the terminal preview, so a track looks the same here as there;
at full resolution static tracks stay visible as small faint dots. Sizes grow with the
frame, so a 1080p frame is as legible as a 360p one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import MOVING_PX_S, ObjectState, TrackState
from flowtop.tracker.render.colors import TRAIL_BANDS, TRAIL_MIN_ALPHA
from flowtop.tracker.render.scheme import DEFAULT_SCHEME, Scheme, paint
from flowtop.tracker.render.speed_scale import SpeedScale

U8 = npt.NDArray[np.uint8]
Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels
BASE_SIDE = 360.0  # frames this tall (or narrow) get the base sizes below
TRAIL_MIN_TRAVEL = 1.0  # px: trails that stay within this of their point are not drawn
MAX_LABELS = 8  # speed labels on the fastest single points
FONT = cv2.FONT_HERSHEY_SIMPLEX
SHIFT = 4  # sub-pixel bits for cv2 drawing calls
LABEL_FRACTION = 0.25  # single points slower than this share of the fastest get no label
LIGHT_LUMA = 140  # label colours this light get black text, darker ones white
OUTLINE_BGR = (0, 0, 0)
CAPTION_BGR = (40, 40, 40)
FAINT_BGR = (235, 235, 235)  # static tracks: small light dots...
FAINT_ALPHA = 0.6  # ...blended this much into the picture
LEGEND_SIDE = 4.0  # the legend's colour bar is this many text heights long


@dataclass(frozen=True)
class Style:
    """Line thickness, point radius and font scale for one frame size."""

    thickness: int
    radius: int
    font_scale: float

    @classmethod
    def for_size(cls, width: int, height: int) -> Style:
        k = max(1.0, min(width, height) / BASE_SIDE)
        return cls(max(1, round(k)), max(2, round(2 * k)), 0.4 * k)


def _as_bgr(image: U8) -> U8:
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return image.copy()


def _fixed(xy: npt.ArrayLike) -> npt.NDArray[np.int32]:
    """Image points (..., 2) as fixed-point ints for drawing calls with `shift=SHIFT`."""
    fixed = np.round(np.asarray(xy, np.float64) * (1 << SHIFT)).astype(np.int32)
    return np.ascontiguousarray(fixed)


def speed_label(speed_px: float, speed_world: float, unit: str) -> str:
    """'42 km/h' when calibrated and measured, else '130 px/s'."""
    if unit and np.isfinite(speed_world):
        return f"{speed_world:.0f} {unit}"
    return f"{speed_px:.0f} px/s"


def put_label(out: U8, text: str, org: tuple[int, int], color: tuple[int, int, int],
              style: Style) -> Box:
    """Text on a box filled with `color` (black or white text, whichever reads better), its
    bottom-left at `org`. Returns the box (x0, y0, x1, y1)."""
    box = label_box(text, org, style)
    cv2.rectangle(out, box[:2], (box[2] - 1, box[3] - 1), color, -1)
    luma = 0.114 * color[0] + 0.587 * color[1] + 0.299 * color[2]
    ink = (0, 0, 0) if luma >= LIGHT_LUMA else (255, 255, 255)
    cv2.putText(out, text, org, FONT, style.font_scale, ink, style.thickness, cv2.LINE_AA)
    return box


def label_box(text: str, org: tuple[int, int], style: Style) -> Box:
    """(x0, y0, x1, y1) a label drawn at `org` covers, its padding included."""
    (w, h), base = cv2.getTextSize(text, FONT, style.font_scale, style.thickness)
    pad = style.thickness + 1
    return org[0] - pad, org[1] - h - pad, org[0] + w + pad, org[1] + base


def _overlaps(box: Box, taken: list[Box]) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
               for b in taken)


def draw_trails(out: U8, trails: npt.NDArray[np.float32], trail_len: npt.NDArray[np.int32],
                colors: U8, style: Style) -> None:
    """Trails (N, L, 2), newest first, as polylines fading in TRAIL_BANDS steps with age.

    Each band is drawn on a copy of the frame and blended in at its opacity, oldest first;
    pixels a band does not touch are unchanged by the blend.
    """
    n, length = trails.shape[:2]
    if n == 0 or length < 2:
        return
    valid = np.arange(length)[None, :] < trail_len[:, None]
    travel = np.where(valid[..., None], np.abs(trails - trails[:, :1]), 0).max(axis=(1, 2))
    moving = np.flatnonzero((trail_len >= 2) & (travel >= TRAIL_MIN_TRAVEL))
    if not len(moving):
        return
    fixed = _fixed(trails)
    palette = [tuple(c) for c in colors[moving].tolist()]
    # band b covers segments j (point j to j+1) with floor(j / (L - 1) * BANDS) == b
    seg_band = np.minimum(np.arange(length - 1) * TRAIL_BANDS // (length - 1), TRAIL_BANDS - 1)
    for band in range(TRAIL_BANDS - 1, -1, -1):
        segs = np.flatnonzero(seg_band == band)
        if not len(segs):
            continue
        first, last = int(segs[0]), int(segs[-1]) + 1  # point range of the band
        alpha = 1.0 - (1.0 - TRAIL_MIN_ALPHA) * band / max(1, TRAIL_BANDS - 1)
        layer = out if alpha >= 1.0 else out.copy()
        drawn = False
        for i, color in zip(moving.tolist(), palette):
            end = min(last, int(trail_len[i]) - 1)
            if end <= first:
                continue
            cv2.polylines(layer, [fixed[i, first:end + 1]], False, color, style.thickness,
                          cv2.LINE_AA, SHIFT)
            drawn = True
        if drawn and layer is not out:
            cv2.addWeighted(layer, alpha, out, 1.0 - alpha, 0.0, dst=out)


def draw_points(out: U8, pts: npt.NDArray[np.float32], colors: U8, style: Style) -> None:
    """Each live point as a filled dot in its track's colour, ringed in black."""
    r = style.radius << SHIFT
    for (x, y), color in zip(_fixed(pts).tolist(), colors.tolist()):
        cv2.circle(out, (x, y), r + (1 << SHIFT), OUTLINE_BGR, -1, cv2.LINE_AA, SHIFT)
        cv2.circle(out, (x, y), r, tuple(color), -1, cv2.LINE_AA, SHIFT)


def draw_faint(out: U8, pts: npt.NDArray[np.float32], style: Style) -> None:
    """Static tracks as small light dots, blended faintly into the picture."""
    if not len(pts):
        return
    layer = out.copy()
    r = round(0.75 * style.radius * (1 << SHIFT))
    for x, y in _fixed(pts).tolist():
        cv2.circle(layer, (x, y), r, FAINT_BGR, -1, cv2.LINE_AA, SHIFT)
    cv2.addWeighted(layer, FAINT_ALPHA, out, 1.0 - FAINT_ALPHA, 0.0, dst=out)


def draw_objects(out: U8, objects: Sequence[ObjectState], object_bgr: U8, style: Style,
                 taken: list[Box]) -> None:
    """Each object's box in its colour (`object_bgr` (M, 3)), and its id and speed on a tab
    above the box (or inside its top, or below it, whichever first overlaps no other label;
    none if all do)."""
    if not objects:
        return
    h, w = out.shape[:2]
    colors = [tuple(c) for c in object_bgr.tolist()]
    corners = [(round(o.x - o.w / 2), round(o.y - o.h / 2), round(o.x + o.w / 2),
                round(o.y + o.h / 2)) for o in objects]
    for (x0, y0, x1, y1), color in zip(corners, colors):  # every box before any label
        cv2.rectangle(out, (x0, y0), (x1, y1), color, style.thickness + 1, cv2.LINE_AA)
    for obj, (x0, y0, _x1, y1), color in zip(objects, corners, colors):
        text = f"#{obj.id} {speed_label(obj.speed, obj.speed_world, obj.unit)}"
        tab = label_box(text, (0, 0), style)  # offsets of the tab around its origin
        x = min(max(x0, -tab[0]), w - tab[2])
        for y in (y0 - tab[3], y0 - tab[1], y1 - tab[1]):
            box = label_box(text, (x, y), style)
            if box[1] >= 0 and box[3] <= h and not _overlaps(box, taken):
                taken.append(put_label(out, text, (x, y), color, style))
                break


def draw_speeds(out: U8, state: TrackState, colors: U8, style: Style, limit: int,
                taken: list[Box], shown: npt.NDArray[np.bool_] | None = None) -> None:
    """Speeds of the `limit` fastest `shown` points (default all) not in an object, where a
    label fits.

    Points slower than LABEL_FRACTION of the fastest get none: near-static noise says little.
    """
    speed, age, ids = state.speed, state.age, state.ids
    if not len(speed):
        return
    floor = max(MOVING_PX_S, LABEL_FRACTION * float(speed.max()))
    candidates = (speed >= floor) & (age > 0)
    if shown is not None:
        candidates &= shown
    in_objects = [t for o in state.objects for t in o.track_ids]
    if in_objects:
        candidates &= ~np.isin(ids, in_objects)
    world, unit = state.speed_world, state.unit
    h, w = out.shape[:2]
    offset = style.radius + 2 * style.thickness
    placed = 0
    for i in np.flatnonzero(candidates)[np.argsort(-speed[candidates], kind="stable")]:
        x, y = state.pts[i]
        text = speed_label(float(speed[i]), float(world[i]), unit)
        org = (int(x) + offset, int(y) - offset)
        box = label_box(text, org, style)
        if box[0] < 0 or box[1] < 0 or box[2] > w or box[3] > h or _overlaps(box, taken):
            continue
        b, g, r = (int(c) for c in colors[i])
        taken.append(put_label(out, text, org, (b, g, r), style))
        placed += 1
        if placed >= limit:
            break


def caption_text(state: TrackState) -> str:
    """'frame 120  t 4.00 s  312 live' for the corner of an annotated frame."""
    return f"frame {state.index}  t {state.t:.2f} s  {state.live} live"


@dataclass(frozen=True)
class Legend:
    """Where the speed scale's legend goes: 'px/s 0', a colour bar, '120' on a dark tab."""

    scale: SpeedScale
    org: tuple[int, int]  # bottom-left of the first text
    bar: Box  # the colour bar
    high_x: int  # left of the top's text
    box: Box  # the whole tab

    @classmethod
    def at(cls, scale: SpeedScale, org: tuple[int, int], style: Style) -> Legend:
        (_, text_h), _ = cv2.getTextSize("0", FONT, style.font_scale, style.thickness)
        bar_w, gap = max(8, round(LEGEND_SIDE * text_h)), 2 * style.thickness + 2
        first = label_box(f"{scale.unit} 0", org, style)
        bar_x = first[2] + gap
        high_x = bar_x + bar_w + gap
        last = label_box(f"{scale.top:g}", (high_x, org[1]), style)
        return cls(scale, org, (bar_x, org[1] - text_h, bar_x + bar_w, org[1]), high_x,
                   (first[0], first[1], last[2], first[3]))

    def draw(self, out: U8, style: Style) -> None:
        x0, y0, x1, y1 = self.box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), CAPTION_BGR, -1)
        for text, x in ((f"{self.scale.unit} 0", self.org[0]),
                        (f"{self.scale.top:g}", self.high_x)):
            cv2.putText(out, text, (x, self.org[1]), FONT, style.font_scale, (255, 255, 255),
                        style.thickness, cv2.LINE_AA)
        bx0, by0, bx1, by1 = self.bar
        ramp = self.scale.colors(np.linspace(0.0, self.scale.top, bx1 - bx0))  # (w, 3) BGR
        out[max(0, by0):by1, bx0:bx1] = ramp[None, :out.shape[1] - bx0, :]


def annotate(image: U8, state: TrackState | None, *, trails: bool = True,
             labels: int = MAX_LABELS, caption: bool = True, scheme: Scheme = DEFAULT_SCHEME) -> U8:
    """A BGR copy of `image` with `state`'s tracks drawn on it (None: the picture alone).

    `scheme` says which tracks show and in what colours, as in the preview; `labels` is how
    many of the fastest points get a speed label; `caption` writes the frame number, time,
    live points and the speed scale in the top-left corner.
    """
    out = _as_bgr(image)
    if state is None:
        return out
    h, w = out.shape[:2]
    style = Style.for_size(w, h)
    look = paint(state, scheme)
    if look.static.any():
        draw_faint(out, state.pts[look.static], style)
    if trails and look.trailed.any():
        keep = look.trailed
        draw_trails(out, state.trails[keep], state.trail_len[keep], look.colors[keep], style)
    if look.marked.any():
        draw_points(out, state.pts[look.marked], look.colors[look.marked], style)
    taken: list[Box] = []
    text = caption_text(state)
    corner = label_box(text, (0, 0), style)
    org = (2 - corner[0], 2 - corner[1])
    legend = None
    if caption:
        taken.append(label_box(text, org, style))
        if look.scale is not None:
            legend = Legend.at(look.scale, (taken[0][2] + 6 * style.thickness, org[1]), style)
            taken.append(legend.box)
    draw_objects(out, state.objects, look.object_bgr, style, taken)
    if labels > 0:
        draw_speeds(out, state, look.colors, style, labels, taken, look.marked)
    if caption:
        put_label(out, text, org, CAPTION_BGR, style)
        if legend is not None:
            legend.draw(out, style)
    return out
