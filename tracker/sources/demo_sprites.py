"""What the demo's moving objects look like: vehicles seen from the side, a drone, plain patches.

`paint_sprite` draws one object once, at the size it has in the frame, as a premultiplied
BGRA float32 image (the scene only shifts and blends it per frame). Shapes are drawn on a 4x
canvas and reduced with INTER_AREA, so edges are smooth at any size; paint carries a faint
texture so the tracker finds corners on the panels as well as on windows and wheels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
Colour = tuple[int, int, int]  # BGR
SUPERSAMPLE = 4
GLASS: Colour = (82, 58, 44)
TYRE: Colour = (32, 32, 34)
HUB: Colour = (170, 170, 175)
TRIM: Colour = (48, 48, 52)
SHADOW: Colour = (42, 44, 46)
HEADLIGHT: Colour = (205, 245, 255)
TAILLIGHT: Colour = (40, 40, 215)
LOOKS = ("texture", "disc", "car", "van", "truck", "drone")


class _Canvas:
    """A supersampled drawing surface in normalised coordinates (0..1 across and down)."""

    def __init__(self, w: int, h: int, mirror: bool = False) -> None:
        self.w, self.h, self.mirror = w, h, mirror
        self.colour = np.zeros((h * SUPERSAMPLE, w * SUPERSAMPLE, 3), np.float32)
        self.alpha = np.zeros((h * SUPERSAMPLE, w * SUPERSAMPLE), np.float32)

    def _xy(self, x: float, y: float) -> tuple[int, int]:
        x = 1 - x if self.mirror else x  # a vehicle facing left is drawn mirrored
        return round(x * self.w * SUPERSAMPLE), round(y * self.h * SUPERSAMPLE)


    def _fill(self, draw: Callable[[F32, Any], object], colour: Colour) -> None:
        """Run `draw(image, value)` on the colour layer and, with 1, on the alpha layer."""
        draw(self.colour, tuple(float(c) for c in colour))
        draw(self.alpha, 1.0)

    def poly(self, pts: Sequence[tuple[float, float]], colour: Colour) -> None:
        arr = np.array([self._xy(x, y) for x, y in pts], np.int32)
        self._fill(lambda img, c: cv2.fillPoly(img, [arr], c), colour)

    def rect(self, x0: float, y0: float, x1: float, y1: float, colour: Colour) -> None:
        self.poly([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], colour)

    def ellipse(self, x: float, y: float, ax: float, ay: float, colour: Colour) -> None:
        centre = self._xy(x, y)
        axes = (max(round(ax * self.w * SUPERSAMPLE), 1), max(round(ay * self.h * SUPERSAMPLE), 1))
        self._fill(lambda img, c: cv2.ellipse(img, centre, axes, 0, 0, 360, c, -1), colour)

    def wheel(self, x: float, y: float, r: float) -> None:
        """A tyre with a hub; `r` is a fraction of the height (wheels stay round)."""
        ax = r * self.h / self.w
        self.ellipse(x, y, ax, r, TYRE)
        self.ellipse(x, y, 0.45 * ax, 0.45 * r, HUB)
        self.ellipse(x, y, 0.15 * ax, 0.15 * r, TRIM)

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: Colour,
             width: float) -> None:
        p0, p1 = self._xy(x0, y0), self._xy(x1, y1)
        t = max(1, round(width * self.h * SUPERSAMPLE))
        self._fill(lambda img, c: cv2.line(img, p0, p1, c, t), colour)

    def text(self, label: str, x0: float, y0: float, x1: float, y1: float,
             colour: Colour) -> None:
        """`label` stretched to fill the box (x0, y0)-(x1, y1)."""
        font, scale, thick = cv2.FONT_HERSHEY_DUPLEX, 2.0, 4
        (tw, th), _ = cv2.getTextSize(label, font, scale, thick)
        patch = np.zeros((th + 2 * thick, tw + 2 * thick), np.uint8)
        cv2.putText(patch, label, (thick, th + thick), font, scale, 255, thick, cv2.LINE_AA)
        (ax, py0), (bx, py1) = self._xy(x0, y0), self._xy(x1, y1)
        px0, px1 = min(ax, bx), max(ax, bx)  # text reads left to right either way
        if px1 - px0 < 2 or py1 - py0 < 2:
            return
        mask = cv2.resize(patch, (px1 - px0, py1 - py0), interpolation=cv2.INTER_AREA)
        a = (mask.astype(np.float32) / 255)[..., None]
        region = self.colour[py0:py1, px0:px1]
        region[:] = region * (1 - a) + a * np.asarray(colour, np.float32)

    def finish(self, rng: np.random.Generator, grain: float) -> F32:
        """The sprite at its real size: premultiplied BGRA, float32, with paint grain."""
        size = (self.w, self.h)
        colour = np.asarray(cv2.resize(self.colour, size, interpolation=cv2.INTER_AREA))
        alpha = np.asarray(cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA))
        noise = np.asarray(cv2.GaussianBlur(
            rng.standard_normal((self.h, self.w)).astype(np.float32), (0, 0), 1.5))
        colour = colour * (1 + grain * noise / (noise.std() + 1e-6))[..., None]
        return np.dstack([np.clip(colour, 0, 255 * alpha[..., None]), alpha])


def _shade(colour: Colour, f: float) -> Colour:
    b, g, r = (min(255, int(c * f)) for c in colour)
    return b, g, r


def _car(c: _Canvas, paint: Colour) -> None:
    c.ellipse(0.5, 0.95, 0.48, 0.05, SHADOW)
    c.poly([(0.02, 0.46), (0.06, 0.40), (0.26, 0.37), (0.36, 0.08), (0.70, 0.08),
            (0.82, 0.37), (0.96, 0.43), (0.995, 0.54), (0.995, 0.80), (0.01, 0.80)], paint)
    c.poly([(0.31, 0.37), (0.39, 0.14), (0.505, 0.14), (0.505, 0.37)], GLASS)
    c.poly([(0.535, 0.37), (0.535, 0.14), (0.675, 0.14), (0.765, 0.37)], GLASS)
    c.line(0.52, 0.37, 0.52, 0.74, _shade(paint, 0.55), 0.025)
    c.rect(0.57, 0.45, 0.63, 0.49, _shade(paint, 0.5))
    c.rect(0.0, 0.70, 1.0, 0.80, TRIM)
    c.rect(0.955, 0.47, 0.995, 0.57, HEADLIGHT)
    c.rect(0.005, 0.47, 0.035, 0.58, TAILLIGHT)
    for x in (0.2, 0.8):
        c.wheel(x, 0.79, 0.2)


def _van(c: _Canvas, paint: Colour) -> None:
    c.ellipse(0.5, 0.95, 0.48, 0.05, SHADOW)
    c.poly([(0.01, 0.06), (0.76, 0.06), (0.90, 0.38), (0.995, 0.46), (0.995, 0.80),
            (0.01, 0.80)], paint)
    c.poly([(0.78, 0.12), (0.885, 0.39), (0.79, 0.39)], GLASS)
    c.rect(0.60, 0.13, 0.75, 0.39, GLASS)
    c.rect(0.36, 0.13, 0.56, 0.39, GLASS)
    c.line(0.58, 0.12, 0.58, 0.74, _shade(paint, 0.55), 0.02)
    c.rect(0.03, 0.50, 0.57, 0.58, _shade(paint, 0.6))
    c.rect(0.0, 0.70, 1.0, 0.80, TRIM)
    c.rect(0.96, 0.48, 0.995, 0.58, HEADLIGHT)
    c.rect(0.005, 0.12, 0.03, 0.30, TAILLIGHT)
    for x in (0.18, 0.82):
        c.wheel(x, 0.79, 0.19)


def _truck(c: _Canvas, paint: Colour) -> None:
    c.ellipse(0.5, 0.95, 0.49, 0.05, SHADOW)
    c.rect(0.005, 0.0, 0.73, 0.72, (235, 235, 230))
    c.rect(0.005, 0.0, 0.73, 0.07, _shade(paint, 0.8))
    c.text("FLOWTOP", 0.06, 0.2, 0.68, 0.5, paint)
    c.rect(0.005, 0.58, 0.73, 0.64, _shade(paint, 0.8))
    c.poly([(0.75, 0.14), (0.89, 0.14), (0.995, 0.42), (0.995, 0.80), (0.75, 0.80)], paint)
    c.poly([(0.79, 0.2), (0.88, 0.2), (0.955, 0.42), (0.79, 0.42)], GLASS)
    c.rect(0.0, 0.70, 1.0, 0.82, TRIM)
    c.rect(0.97, 0.5, 0.995, 0.6, HEADLIGHT)
    for x in (0.12, 0.26, 0.87):
        c.wheel(x, 0.8, 0.18)


def _drone(c: _Canvas, paint: Colour) -> None:
    for x in (0.2, 0.8):
        c.ellipse(x, 0.28, 0.2, 0.26, (165, 165, 170))
        c.ellipse(x, 0.28, 0.06, 0.1, TRIM)
    c.poly([(0.22, 0.4), (0.78, 0.4), (0.7, 0.92), (0.3, 0.92)], paint)
    c.rect(0.26, 0.4, 0.74, 0.5, _shade(paint, 0.6))
    c.ellipse(0.5, 0.7, 0.09, 0.16, GLASS)
    c.ellipse(0.64, 0.62, 0.03, 0.07, TAILLIGHT)


def _texture(c: _Canvas, rng: np.random.Generator, paint: Colour) -> None:
    """A rectangle of smooth multi-scale noise in the tint: corners everywhere."""
    acc = np.zeros(c.alpha.shape, np.float32)
    for sigma in (1.5, 3.0):
        noise = rng.standard_normal(acc.shape).astype(np.float32)
        layer = cv2.GaussianBlur(noise, (0, 0), sigma * SUPERSAMPLE)
        acc += layer / (layer.std() + 1e-6)
    acc /= acc.std() + 1e-6
    c.colour[:] = (128 + 55 * acc)[..., None] * (np.asarray(paint, np.float32) / 255)
    c.alpha[:] = 1.0


PAINTERS = {"car": _car, "van": _van, "truck": _truck, "drone": _drone}


def paint_sprite(look: str, w: int, h: int, paint: Colour, facing_left: bool,
                 rng: np.random.Generator) -> F32:
    """The (h, w, 4) premultiplied BGRA sprite of one object; vehicles face their travel."""
    if look not in LOOKS:
        raise ValueError(f"look: {look!r} is not one of {', '.join(LOOKS)}")
    c = _Canvas(w, h, mirror=facing_left)
    if look in ("texture", "disc"):
        _texture(c, rng, paint)
        if look == "disc":
            c.alpha[:] = 0
            side = min(w, h) * SUPERSAMPLE
            cv2.circle(c.alpha, (w * SUPERSAMPLE // 2, h * SUPERSAMPLE // 2), side // 2, 1.0, -1)
            c.colour *= c.alpha[..., None]
        sprite = c.finish(rng, 0.0)
    else:
        PAINTERS[look](c, paint)
        sprite = c.finish(rng, 0.05)
    return sprite
