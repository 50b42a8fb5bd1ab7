"""A state's tracks on the preview's canvas: trails, live points, object boxes and labels.

Which tracks show and in what colours is `tracker.render.scheme`'s rule; this draws them
into a `Canvas`, all tracks at once with numpy (no Python call per track or per pixel),
except the few object boxes and labels.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from flowtop.tracker.contracts import ObjectState, TrackState
from flowtop.tracker.render.canvas import MARK_BOX, MARK_POINT, MARK_TRAIL, Canvas, Layout
from flowtop.tracker.render.colors import TRAIL_BANDS, TRAIL_MIN_ALPHA
from flowtop.tracker.render.scheme import Scheme, object_speed, paint

U8 = npt.NDArray[np.uint8]
TRAIL_MAX_STEPS = 32  # samples per trail segment at most (segments are a few pixels long)


def draw_tracks(canvas: Canvas, state: TrackState, scheme: Scheme, trails: bool) -> None:
    """`state`'s trails, object boxes and labels, and points, as `scheme` paints them."""
    look = paint(state, scheme)
    trailed = look.trailed.nonzero()[0]
    if trails and len(trailed):
        draw_trails(canvas, state.trails.take(trailed, axis=0), state.trail_len[trailed],
                    look.colors.take(trailed, axis=0))
    corners = _box_corners(canvas.layout, state.objects)
    draw_objects(canvas, corners, look.object_bgr)
    if scheme.all_tracks:
        canvas.fill_cells(state.pts, look.colors, MARK_POINT)
    elif np.count_nonzero(look.marked):
        marked = look.marked.nonzero()[0]
        canvas.fill_pixels(state.pts.take(marked, axis=0), look.colors.take(marked, axis=0),
                           MARK_POINT)
    if state.objects:
        draw_labels(canvas, state.objects, corners, look.object_bgr, state.calibrated)


@functools.lru_cache(maxsize=8)
def _samples(length: int) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.uint16],
                                   npt.NDArray[np.intp]]:
    """For trails of `length` points: `share[c, k]`, where sample k of a segment of c samples
    lies along it (k / c); `alpha[c, k, j]`, its opacity in 1/256ths on segment j (from
    point j to j+1: a trail fades in TRAIL_BANDS steps of age, so that its older part keeps
    its colour from frame to frame); and the point indices 0..L-1."""
    c = np.arange(TRAIL_MAX_STEPS + 1)[:, None]
    share = (np.arange(TRAIL_MAX_STEPS)[None, :] / np.maximum(c, 1)).astype(np.float32)
    age = np.arange(max(1, length - 1), dtype=np.float32)
    band = np.minimum(np.floor((age[None, None, :] + share[:, :, None]) / (length - 1)
                               * TRAIL_BANDS), TRAIL_BANDS - 1)
    fade = 1.0 - (1.0 - TRAIL_MIN_ALPHA) * band / max(1, TRAIL_BANDS - 1)
    return share, (fade * 256).astype(np.uint16), np.arange(length)


def draw_trails(canvas: Canvas, trails: npt.NDArray[np.float32],
                trail_len: npt.NDArray[np.int32], colors: U8) -> None:
    """Each trail (N, L, 2), newest first, as a line fading from its colour into the picture.

    Trails go first, under every other mark. Trails that never leave their point's cell are
    hidden under the point and skipped. The rest are sampled once per canvas pixel of
    length, all tracks at once; older segments are written first so newer ones cover them.
    Where samples share a pixel the last one written shows, blended with the picture.
    """
    n, length = trails.shape[:2]
    if n == 0 or length < 2:
        return
    lay = canvas.layout
    share, opacity, points = _samples(length)
    uv = lay.uv(trails)
    px = np.floor(uv).astype(np.int32)
    cell = (px[..., 1] >> 1) * lay.cols + px[..., 0]
    valid = points < trail_len[:, None]
    moving = ((cell != cell[:, :1]) & valid).any(axis=1).nonzero()[0]
    if not len(moving):
        return
    # segment j runs from point j (newer) to j+1 (older), drawn if point j+1 is: the oldest
    # segments first, each of them for the moving tracks in order
    drawn = points[length - 1:0:-1, None] < trail_len.take(moving)
    at = drawn.ravel().nonzero()[0]
    if not len(at):
        return
    older, track = np.divmod(at, len(moving))
    age = length - 2 - older
    track = moving.take(track)
    start = track * length + age
    flat_uv = uv.reshape(-1, 2)
    a = flat_uv.take(start, axis=0)
    delta = flat_uv.take(start + 1, axis=0) - a
    reach = np.abs(delta)
    counts = np.clip(np.ceil(np.maximum(reach[:, 0], reach[:, 1])), 1, TRAIL_MAX_STEPS
                     ).astype(np.intp)
    seg = np.arange(len(a)).repeat(counts)
    k = np.arange(len(seg)) - (counts.cumsum() - counts).repeat(counts)
    c = counts.take(seg)
    s = share[c, k]
    ij = np.floor(a.take(seg, axis=0) + (delta.take(seg, axis=0).T * s).T).astype(np.int32)
    alpha = opacity[c, k, age.take(seg)][:, None]
    keep = canvas.on_picture(ij)
    if np.count_nonzero(keep) < len(keep):
        kept = keep.nonzero()[0]
        ij, seg, alpha = ij.take(kept, axis=0), seg.take(kept), alpha.take(kept, axis=0)
    flat = ij[:, 1] * lay.cols + ij[:, 0]
    pixels = canvas.bgr.reshape(-1, 3)
    under = pixels.take(flat, axis=0).astype(np.uint16)
    color = colors.take(track.take(seg), axis=0)
    pixels[flat] = ((alpha * color + (256 - alpha) * under) >> 8).astype(np.uint8)
    canvas.marks.reshape(-1)[flat] = MARK_TRAIL


def _box_corners(layout: Layout, objects: Sequence[ObjectState]) -> npt.NDArray[np.int32]:
    """(M, 4) canvas pixels u0, v0, u1, v1 of each object's box corners."""
    boxes = np.array([(o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2, o.y + o.h / 2)
                      for o in objects], np.float32).reshape(-1, 2)
    return np.floor(layout.uv(boxes)).astype(np.int32).reshape(-1, 4)


def draw_objects(canvas: Canvas, corners: npt.NDArray[np.int32], colors: U8) -> None:
    """Each object's box outline (`corners` (M, 4) from `_box_corners`) in its colour
    (`colors` (M, 3) BGR)."""
    for (u0, v0, u1, v1), color in zip(corners.tolist(), colors.tolist()):
        cv2.rectangle(canvas.bgr, (u0, v0), (u1, v1), color, 1)
        cv2.rectangle(canvas.marks, (u0, v0), (u1, v1), MARK_BOX, 1)


def object_label(obj: ObjectState, calibrated: bool) -> str:
    """'#16 94': the object's id and its speed in the scale's unit (id alone without one)."""
    speed = object_speed(obj, calibrated)
    return f"#{obj.id} {speed:.0f}" if math.isfinite(speed) else f"#{obj.id}"


def draw_labels(canvas: Canvas, objects: Sequence[ObjectState],
                corners: npt.NDArray[np.int32], colors: U8, calibrated: bool) -> None:
    """Each object's label in its colour, in the cell row above its box (below it at the
    top edge), fastest object first, where it covers no other label and no box."""
    layout = canvas.layout
    boxes = np.maximum(canvas.marks[0::2], canvas.marks[1::2]) == MARK_BOX
    speeds = [object_speed(o, calibrated) for o in objects]
    order = sorted(range(len(objects)),
                   key=lambda k: -speeds[k] if math.isfinite(speeds[k]) else math.inf)
    taken: dict[int, list[tuple[int, int]]] = {}  # per row, the spans labels cover
    boxes_at = corners.tolist()
    for k in order:
        u0, v0, _u1, v1 = boxes_at[k]
        codes = [ord(c) for c in object_label(objects[k], calibrated)][:layout.cols]
        start = min(max(u0, 0), layout.cols - len(codes))
        end = start + len(codes)
        for row in (v0 // 2 - 1, v1 // 2 + 1):
            spans = taken.setdefault(row, [])
            if (0 <= row < layout.rows and not any(a < end and start < b for a, b in spans)
                    and not np.count_nonzero(boxes[row, start:end])):
                canvas.text[row, start:end] = codes
                canvas.text_bgr[row, start:end] = colors[k]
                spans.append((start, end))
                break
