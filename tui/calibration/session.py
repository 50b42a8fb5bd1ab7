"""Calibration by picking: points picked on the preview and typed world values, turned into a
calibration (`[speed]`) or a speed trap (`[trap]`), with a live check in metres.

No UI here: `tui.calibration.panel.CalibrationPanel` shows a `CalibrationSession` and feeds it.
Modes:

- scale: two points a known length apart, then the metres between them.
- homography: four or more ground points, each with its "X Y" position in metres.
- trap: two lines (two points each) of the speed trap, then the metres between them.
- check: pairs of points, measured in metres with the calibration at hand.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from itertools import pairwise

from flowtop.tracker.calibration.models import (
    Calibration,
    HomographyCalibration,
    calibration_from_params,
    ground_distance,
)
from flowtop.tracker.config.params import Params, SpeedParams, TrapParams
from flowtop.tracker.errors import ParamError
from flowtop.tracker.render.cells import Overlay

MODES = ("scale", "homography", "trap", "check")
NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
HELP = {
    "scale": "pick two points a known length apart, then type the metres between them",
    "homography": "pick 4+ points on the ground; type each one's position: X Y (metres)",
    "trap": "pick line A (two points) and line B (two points), then the metres between them",
    "check": "pick pairs of points: each pair is measured in metres",
}


def parse_metres(text: str) -> float:
    """'12.5', '12.5 m' or '12.5m' -> 12.5 (must be > 0)."""
    match = re.fullmatch(rf"\s*({NUMBER})\s*m?\s*", text)
    if not match or not float(match[1]) > 0:
        raise ValueError(f"expected a length in metres > 0, got {text!r}")
    return float(match[1])


def parse_xy(text: str) -> tuple[float, float]:
    """'3 4', '3,4' or '3; 4' -> (3.0, 4.0)."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) != 2 or not all(re.fullmatch(NUMBER, p) for p in parts):
        raise ValueError(f"expected a ground position X Y in metres, got {text!r}")
    return float(parts[0]), float(parts[1])


@dataclass(frozen=True)
class Outcome:
    """Params to save (None until complete), the calibration to measure with, and a line
    saying what they are (or what is wrong, when `error`)."""

    params: Params | None
    calibration: Calibration | None
    text: str
    error: bool = False


@dataclass
class Picked:
    """A point picked on the preview (image pixels) and, for a homography, its ground position."""

    x: float
    y: float
    world: tuple[float, float] | None = None


@dataclass
class CalibrationSession:
    """The state of calibration mode: picked points, typed values, the calibration they give."""

    params: Params
    frame_size: tuple[int, int] | None = None
    mode: str = "scale"
    points: list[Picked] = field(default_factory=list)
    metres: float | None = None  # scale: the known length; trap: the distance between lines
    message: str = ""  # the last problem, for the user

    @classmethod
    def from_params(cls, params: Params, frame_size: tuple[int, int] | None
                    ) -> CalibrationSession:
        """Start from the saved calibration when it was picked (known length or homography)."""
        speed = params.speed
        session = cls(params, frame_size)
        if speed.active_model == "homography":
            session.mode = "homography"
            session.points = [Picked(float(x), float(y), (float(wx), float(wy)))
                              for (x, y), (wx, wy) in zip(speed.image_points,
                                                          speed.world_points)]
        elif speed.length_points and speed.length_m > 0:
            session.points = [Picked(float(x), float(y)) for x, y in speed.length_points]
            session.metres = speed.length_m
        return session

    # -- editing ---------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        self.mode, self.points, self.metres, self.message = mode, [], None, ""

    def cycle_mode(self) -> None:
        self.set_mode(MODES[(MODES.index(self.mode) + 1) % len(MODES)])

    def pick(self, x: float, y: float) -> None:
        limit = {"scale": 2, "trap": 4}.get(self.mode)
        if limit is not None and len(self.points) >= limit:  # start over
            self.points, self.metres = [], None
        self.points.append(Picked(float(x), float(y)))
        self.message = ""

    def undo(self) -> None:
        if self.points:
            self.points.pop()
            if self.mode in ("scale", "trap"):
                self.metres = None
        self.message = ""

    def enter(self, text: str) -> None:
        """Take what was typed in the input: metres, or a ground position."""
        self.message = ""
        try:
            if self.mode == "homography":
                waiting = next((p for p in self.points if p.world is None), None)
                if waiting is None:
                    raise ValueError("pick a point first, then type its X Y")
                waiting.world = parse_xy(text)
            elif self.mode in ("scale", "trap"):
                self.metres = parse_metres(text)
            else:
                raise ValueError("check mode takes no input: pick pairs of points")
        except ValueError as exc:
            self.message = str(exc)

    # -- what it gives ---------------------------------------------------------------------

    def awaiting_input(self) -> bool:
        """Whether the next step is typing (a length, or a point's ground position)."""
        if self.mode == "homography":
            return any(p.world is None for p in self.points)
        need = {"scale": 2, "trap": 4}.get(self.mode)
        return need is not None and len(self.points) == need and self.metres is None

    def prompt(self) -> str:
        """What the input asks for now."""
        n = len(self.points)
        if self.mode == "scale":
            return "metres between A and B" if n == 2 else f"pick point {'AB'[n]}"
        if self.mode == "trap":
            return "metres between line A and line B" if n == 4 else \
                f"pick line {'AABB'[n]}, point {n % 2 + 1}"
        if self.mode == "homography":
            waiting = next((i for i, p in enumerate(self.points) if p.world is None), None)
            if waiting is not None:
                return f"X Y of point {waiting + 1} (metres)"
            return "pick a ground point" + (" (or ctrl+s to save)" if n >= 4 else "")
        return "pick two points to measure"

    def speed(self) -> SpeedParams | None:
        """The `[speed]` section this session defines, when complete (ParamError if bad)."""
        base = self.params.speed
        if self.mode == "scale" and len(self.points) == 2 and self.metres:
            return dataclasses.replace(base, model="scale", meters_per_pixel=0.0,
                                       length_points=[_px(p) for p in self.points],
                                       length_m=self.metres)
        placed = [(p, p.world) for p in self.points if p.world is not None]
        if self.mode == "homography" and len(placed) >= 4:
            return dataclasses.replace(base, model="homography",
                                       image_points=[_px(p) for p, _ in placed],
                                       world_points=[list(world) for _, world in placed])
        return None

    def trap(self) -> TrapParams | None:
        if self.mode == "trap" and len(self.points) == 4 and self.metres:
            a, b = self.points[:2], self.points[2:]
            return TrapParams(line_a=[_px(p) for p in a], line_b=[_px(p) for p in b],
                              distance=self.metres)
        return None

    def result(self) -> Outcome:
        """What the picks and typed values amount to so far."""
        try:
            speed, trap = self.speed(), self.trap()
            if speed is not None:
                cal = calibration_from_params(speed, self.frame_size)
                return Outcome(dataclasses.replace(self.params, speed=speed), cal,
                               describe(cal))
            if trap is not None:
                return Outcome(dataclasses.replace(self.params, trap=trap), self.current(),
                               f"trap: lines {trap.distance:g} m apart")
        except ParamError as exc:
            return Outcome(None, None, str(exc), error=True)
        return Outcome(None, self.current(), "")

    def current(self) -> Calibration | None:
        """The calibration in the config (None when uncalibrated or unusable)."""
        try:
            return calibration_from_params(self.params.speed, self.frame_size)
        except ParamError:
            return None

    def check_lines(self, cal: Calibration | None) -> list[str]:
        """Measured lengths: the known length redrawn, or the check pairs."""
        if cal is None:
            return []
        pts = [(p.x, p.y) for p in self.points]
        if self.mode == "scale" and len(pts) == 2:
            return [f"check: A–B = {ground_distance(cal, *pts):.2f} m"]
        if self.mode == "check":
            return [f"{i // 2 + 1}: {ground_distance(cal, pts[i], pts[i + 1]):.2f} m"
                    for i in range(0, len(pts) - 1, 2)]
        if self.mode == "homography":
            placed = [p for p in self.points if p.world is not None]
            out = []
            for a, b in pairwise(placed):
                typed = math.dist(a.world, b.world)  # type: ignore[arg-type]
                measured = ground_distance(cal, (a.x, a.y), (b.x, b.y))
                out.append(f"check: {typed:.2f} m typed, {measured:.2f} m measured")
            return out[:3]
        return []

    def overlay(self) -> Overlay:
        """Points, lines and metre labels to draw on the preview (image pixels)."""
        cal = self.result().calibration
        pts = [(p.x, p.y) for p in self.points]
        labels = [(x + 3, y - 3, self._name(i)) for i, (x, y) in enumerate(pts)]
        pairs: list[tuple[int, int]] = []
        if self.mode in ("scale", "check", "trap"):
            pairs = [(i, i + 1) for i in range(0, len(pts) - 1, 2)]
        elif self.mode == "homography":
            pairs = [(i, i + 1) for i in range(len(pts) - 1)]
            if len(pts) >= 3:
                pairs.append((len(pts) - 1, 0))
        lines = tuple((*pts[a], *pts[b]) for a, b in pairs)
        if cal is not None and self.mode != "trap":
            for a, b in pairs:
                metres = ground_distance(cal, pts[a], pts[b])
                if math.isfinite(metres):
                    labels.append(((pts[a][0] + pts[b][0]) / 2, (pts[a][1] + pts[b][1]) / 2,
                                   f"{metres:.2f} m"))
        if self.mode == "trap" and self.metres and len(pts) == 4:
            labels.append(((pts[1][0] + pts[2][0]) / 2, (pts[1][1] + pts[2][1]) / 2,
                           f"{self.metres:g} m"))
        return Overlay(points=tuple(pts), lines=lines, labels=tuple(labels))

    def _name(self, i: int) -> str:
        if self.mode == "scale":
            return "AB"[i] if i < 2 else str(i + 1)
        if self.mode == "trap":
            return f"{'AABB'[i]}{i % 2 + 1}" if i < 4 else str(i + 1)
        return str(i + 1)


def _px(p: Picked) -> list[float]:
    """A picked point for the config: image pixels to 0.01 px."""
    return [round(p.x, 2), round(p.y, 2)]


def describe(cal: Calibration | None) -> str:
    """What a calibration amounts to, in a line or three."""
    if cal is None:
        return "needs the frame size: wait for a frame"
    text = cal.describe()
    if isinstance(cal, HomographyCalibration) and cal.matrix is not None:
        rows = [" ".join(f"{v:10.4g}" for v in row) for row in cal.matrix]
        text += "\nH =\n" + "\n".join(rows)
    return text


def trap_overlay(trap: TrapParams) -> Overlay | None:
    """The speed trap's two lines, labelled A and B, to keep on the preview (None when off)."""
    if not trap.active:
        return None
    lines = tuple((*a, *b) for a, b in (trap.line_a, trap.line_b))
    labels = tuple((float(line[0][0]) + 3, float(line[0][1]) + 3, name)
                   for name, line in (("A", trap.line_a), ("B", trap.line_b)))
    return Overlay(lines=lines, labels=labels)
