"""Which tracks are drawn, and in what colour: one rule for the preview, PNGs and videos.

By default a track slower than `min_speed` px/s is static background: the preview hides it
and an annotated frame shows it as a small faint dot. Moving tracks, their trails and object
boxes take the colour of their speed on a `SpeedScale` (km/h etc. when calibrated), so the
same colour means the same speed everywhere. An object's own tracks are summed up by its box
and by one trail in the box's colour, that of the member nearest the box's centre (its
*lead*). With
`all_tracks`, every track is drawn as a marker in a colour of its id and every trail is drawn:
the view for diagnosing the tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
import numpy.typing as npt

from flowtop.tracker.config.params import PreviewParams
from flowtop.tracker.contracts import ObjectState, TrackState
from flowtop.tracker.render.colors import object_colors, track_colors
from flowtop.tracker.render.speed_scale import AutoTop, SpeedScale, top_for

U8 = npt.NDArray[np.uint8]
Mask = npt.NDArray[np.bool_]
STATIC_PX_S = PreviewParams().min_speed  # the tracker's noise on still background stays below


@dataclass(frozen=True)
class Scheme:
    """How tracks are shown: `all_tracks` (every track, colours by id) or by speed, with
    tracks under `min_speed` px/s static; `scale` fixes the speed scale (None: from the
    state, see `scale_for`)."""

    all_tracks: bool = False
    min_speed: float = STATIC_PX_S
    scale: SpeedScale | None = None


DEFAULT_SCHEME = Scheme()


@dataclass(frozen=True)
class Paint:
    """One state's tracks as drawn under a scheme: (N, 3) BGR colour per track, and masks:
    `marked` tracks get a point, `trailed` a trail, `static` ones are background (a faint
    dot at most). `object_bgr` (M, 3) colours the objects' boxes; `scale` is None with
    `all_tracks`."""

    colors: U8
    marked: Mask
    trailed: Mask
    static: Mask
    object_bgr: U8
    scale: SpeedScale | None


def speed_values(state: TrackState) -> npt.NDArray[np.float64]:
    """(N,) each track's speed in the scale's unit: world speed when calibrated, else px/s."""
    if state.calibrated:
        return np.asarray(state.speed_world, np.float64)
    return np.asarray(state.speed, np.float64)


def object_speed(obj: ObjectState, calibrated: bool) -> float:
    """An object's speed in the scale's unit (NaN: calibrated without a world speed)."""
    return obj.speed_world if calibrated else obj.speed


def moving_mask(state: TrackState, min_speed: float) -> Mask:
    """(N,) tracks that move: measured (age > 0) and at least `min_speed` px/s."""
    return (state.speed >= min_speed) & (state.age > 0)


def scale_unit(state: TrackState) -> str:
    return state.unit if state.calibrated else "px/s"


def scale_for(state: TrackState, min_speed: float = STATIC_PX_S) -> SpeedScale:
    """A scale for this state alone: a round top over nearly all its moving tracks."""
    top = top_for(speed_values(state)[moving_mask(state, min_speed)])
    return SpeedScale(top or SpeedScale().top, scale_unit(state))


def owners(state: TrackState) -> npt.NDArray[np.intp]:
    """(N,) the index in `state.objects` of the object each track belongs to, or -1."""
    owner = np.full(len(state.ids), -1, np.intp)
    counts = [len(o.track_ids) for o in state.objects]
    total = sum(counts)
    if not total:
        return owner
    member_ids = np.fromiter(chain.from_iterable(o.track_ids for o in state.objects),
                             np.int64, total)
    order = np.argsort(member_ids, kind="stable")
    sorted_ids = member_ids.take(order)
    of_member = np.arange(len(counts)).repeat(counts).take(order)
    pos = np.minimum(np.searchsorted(sorted_ids, state.ids), total - 1)
    hit = (sorted_ids.take(pos) == state.ids).nonzero()[0]
    owner[hit] = of_member.take(pos.take(hit))
    return owner


def lead_tracks(state: TrackState, owner: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
    """(N,) the index of the object a track leads (of its members, the one nearest the box's
    centre), or -1; `owner` is `owners(state)`."""
    lead = np.full(len(owner), -1, np.intp)
    rows = (owner >= 0).nonzero()[0]
    if not len(rows):
        return lead
    own = owner.take(rows)
    cx = np.array([o.x for o in state.objects], np.float64).take(own)
    cy = np.array([o.y for o in state.objects], np.float64).take(own)
    pts = state.pts.take(rows, axis=0)
    by_object = np.lexsort((np.hypot(pts[:, 0] - cx, pts[:, 1] - cy), own))  # nearest first
    ranked, own = rows.take(by_object), own.take(by_object)
    first = np.ones(len(ranked), bool)
    first[1:] = own[1:] != own[:-1]
    lead[ranked[first]] = own[first]
    return lead


def paint(state: TrackState, scheme: Scheme = DEFAULT_SCHEME) -> Paint:
    """What to draw of `state`'s tracks and objects under `scheme`, and in which colours."""
    n = len(state.ids)
    if scheme.all_tracks:
        everything = np.ones(n, bool)
        return Paint(track_colors(state.ids), everything, everything, np.zeros(n, bool),
                     object_colors([o.id for o in state.objects]), None)
    scale = scheme.scale or scale_for(state, scheme.min_speed)
    moving = moving_mask(state, scheme.min_speed)
    owner = owners(state)
    members = owner >= 0
    calibrated = state.calibrated
    object_bgr = scale.colors([object_speed(o, calibrated) for o in state.objects])
    colors = scale.colors(speed_values(state))
    lead = lead_tracks(state, owner)
    leads = lead >= 0
    led = leads.nonzero()[0]
    colors[led] = object_bgr.take(lead.take(led), axis=0)  # an object's trail in its colour
    return Paint(colors, moving & ~members, moving & (~members | leads), ~moving, object_bgr,
                 scale)


class SchemeStream:
    """The scheme for each frame of a stream, from the preview parameters: its scale is fixed
    by `speed_max`, or follows the tracks with `AutoTop` (steady from frame to frame)."""

    def __init__(self, params: PreviewParams | None = None, all_tracks: bool = False) -> None:
        self.all_tracks = all_tracks
        self._auto = AutoTop()
        self.configure(params or PreviewParams())

    def configure(self, params: PreviewParams) -> None:
        self.min_speed, self.speed_max = params.min_speed, params.speed_max

    def __call__(self, state: TrackState) -> Scheme:
        if self.all_tracks:
            return Scheme(all_tracks=True, min_speed=self.min_speed)
        if self.speed_max > 0:
            scale = SpeedScale(self.speed_max, scale_unit(state))
        else:
            values = speed_values(state)[moving_mask(state, self.min_speed)]
            scale = self._auto.update(values, state.t, scale_unit(state))
        return Scheme(False, self.min_speed, scale)
