"""The Health view: how well tracking goes, for someone asking "is this camera working?".

`HealthMonitor` sums per-frame figures (points lost and seeded, reseeds, per-stage timings)
into one bucket per second of source time and keeps the last HISTORY_S buckets: memory is
bounded and the loop thread pays a few additions per frame. `health_lines` turns the monitor
and the shown TrackState into the panel's text (forward-backward error histogram, track age
distribution, sparklines); `HealthPanel` shows it at the app's panel rate, only while visible.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np
from rich.console import Group
from rich.text import Text

from flowtop.tracker.contracts import TrackState
from flowtop.tui.widgets.panel import LivePanel
from flowtop.tui.widgets.speeds import sparkline

HISTORY_S = 60  # seconds of per-second buckets kept
STAGES = ("read", "convert", "lk", "fb", "seed", "objects", "render")
FB_BINS = 10
AGE_EDGES = (0, 5, 15, 30, 60, 150, 300)  # frames; the last bin is open-ended
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
LABEL_W = 9
VALUE_W = 7
WAITING = "waiting for frames"


@dataclass
class Second:
    """Sums over one second of source time."""

    start: int
    frames: int = 0
    lost: int = 0
    seeded: int = 0
    reseeds: int = 0
    stage_s: dict[str, float] = field(default_factory=dict)
    stage_n: dict[str, int] = field(default_factory=dict)

    def add_timing(self, stage: str, seconds: float) -> None:
        self.stage_s[stage] = self.stage_s.get(stage, 0.0) + seconds
        self.stage_n[stage] = self.stage_n.get(stage, 0) + 1

    def stage_ms(self, stage: str) -> float:
        """Mean milliseconds per sample of `stage` in this second (0 without samples)."""
        n = self.stage_n.get(stage, 0)
        return 1000.0 * self.stage_s[stage] / n if n else 0.0


@dataclass(frozen=True)
class HealthFigures:
    """A consistent copy of the monitor for drawing: closed seconds, oldest first, and
    totals since the start."""

    seconds: tuple[Second, ...]
    frames: int
    lost: int
    seeded: int
    reseeds: int
    last_reseed_t: float | None
    last_t: float | None

    def series(self, name: str) -> list[float]:
        return [float(getattr(s, name)) for s in self.seconds]

    def stage_series(self, stage: str) -> list[float]:
        return [s.stage_ms(stage) for s in self.seconds]

    def has_stage(self, stage: str) -> bool:
        return any(s.stage_n.get(stage) for s in self.seconds)


class HealthMonitor:
    """Per-second sums of what each tracked frame reports. `add` runs in the tracking loop's
    thread (once per frame), `figures` in the UI's; a lock keeps them apart."""

    def __init__(self, seconds: int = HISTORY_S) -> None:
        self._closed: deque[Second] = deque(maxlen=seconds)
        self._open: Second | None = None
        self._lock = threading.Lock()
        self._last: tuple[int, float] | None = None
        self.frames = self.lost = self.seeded = self.reseeds = 0
        self.last_reseed_t: float | None = None
        self.last_t: float | None = None

    def add(self, state: TrackState | None) -> None:
        """Count one tracked frame; the same frame published again (paused) counts once.

        A reseed is a frame whose live points were all seeded on it (after `r`, a restart or
        every point lost), the very first frame excepted.
        """
        if state is None or (state.index, state.t) == self._last:
            return
        self._last = (state.index, state.t)
        reseed = self.frames > 0 and state.seeded > 0 and state.seeded == state.live
        with self._lock:
            bucket = self._bucket(state.t)
            bucket.frames += 1
            bucket.lost += state.lost
            bucket.seeded += state.seeded
            bucket.reseeds += reseed
            for stage, seconds in state.timings.items():
                bucket.add_timing(stage, seconds)
            self.frames += 1
            self.lost += state.lost
            self.seeded += state.seeded
            self.reseeds += reseed
            if reseed:
                self.last_reseed_t = state.t
            self.last_t = state.t

    def add_timing(self, stage: str, seconds: float) -> None:
        """A timing measured outside the engine (the preview's render) for the current second."""
        with self._lock:
            if self._open is not None:
                self._open.add_timing(stage, seconds)

    def _bucket(self, t: float) -> Second:
        """The bucket of time `t`, closing the open one (and empty seconds of a gap)."""
        sec = math.floor(t)
        current = self._open
        if current is not None and current.start == sec:
            return current
        if current is not None:
            self._closed.append(current)
            if sec > current.start:  # seconds without a frame count as zeros
                gap = min(sec - current.start - 1, self._closed.maxlen or 0)
                self._closed.extend(Second(sec - gap + k) for k in range(gap))
            # sec < start: the source restarted (a looped file); its time starts again
        self._open = Second(sec)
        return self._open

    def figures(self) -> HealthFigures:
        with self._lock:
            return HealthFigures(tuple(self._closed), self.frames, self.lost, self.seeded,
                                 self.reseeds, self.last_reseed_t, self.last_t)


# -- drawing -------------------------------------------------------------------------------


def bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of `width` cells at most, in eighths of a cell."""
    if top <= 0 or width <= 0:
        return ""
    eighths = round(value / top * width * 8)
    full, rest = divmod(eighths, 8)
    return "█" * full + (BAR_EIGHTHS[rest] if rest else "")


def fb_histogram(state: TrackState, threshold: float, bins: int = FB_BINS) -> np.ndarray:
    """Counts of forward-backward errors of measured points (age > 0) in `bins` equal bins
    over [0, threshold]; larger errors fall in the last bin."""
    errors = np.asarray(state.fb_error)[np.asarray(state.age) > 0]
    errors = np.clip(np.nan_to_num(errors), 0.0, threshold)
    counts, _ = np.histogram(errors, bins=bins, range=(0.0, max(threshold, 1e-6)))
    return counts


def age_histogram(state: TrackState, edges: tuple[int, ...] = AGE_EDGES) -> np.ndarray:
    """Counts of live points per age bin [edges[i], edges[i+1]), the last open-ended."""
    bins = np.searchsorted(np.asarray(edges[1:]), np.asarray(state.age), side="right")
    return np.bincount(bins, minlength=len(edges))


def age_label(i: int, edges: tuple[int, ...] = AGE_EDGES) -> str:
    if i + 1 < len(edges):
        return f"{edges[i]}–{edges[i + 1] - 1}"
    return f"{edges[i]}+"


def _row(label: str, spark: str, value: str) -> Text:
    text = Text(f" {label:<{LABEL_W - 1}}", style="cyan")
    text.append(spark, style="green")
    text.append(f"{value:>{VALUE_W}}")
    return text


def health_lines(state: TrackState | None, figures: HealthFigures, width: int,
                 fb_threshold: float) -> Group:
    """The panel's text for `width` cells: state histograms, then per-second sparklines."""
    if state is None or figures.frames == 0:
        return Group(Text(WAITING, style="dim"))
    spark_w = max(4, width - LABEL_W - VALUE_W)
    lines: list[Text] = []
    fps = figures.seconds[-1].frames if figures.seconds else 0
    lines.append(Text(f"frame {state.index} · {state.live} live · {fps} frames/s",
                      style="bold"))
    counts = fb_histogram(state, fb_threshold)
    errors = np.asarray(state.fb_error)[np.asarray(state.age) > 0]
    lines.append(Text("fb error, px", style="bold cyan"))
    summary = (f"med {np.median(errors):.2f} p90 {np.percentile(errors, 90):.2f}"
               if len(errors) else "no measured points")
    hist = Text(" 0 ", style="dim")
    hist.append(sparkline(counts.astype(float).tolist()), style="yellow")
    hist.append(f" {fb_threshold:g}  ", style="dim")
    hist.append(summary)
    lines.append(hist)
    lines.append(Text("track age, frames", style="bold cyan"))
    ages = age_histogram(state)
    top = float(ages.max()) if len(ages) else 0.0
    bar_w = max(4, width - LABEL_W - VALUE_W)
    for i, n in enumerate(ages.tolist()):
        lines.append(_row(age_label(i), bar(n, top, bar_w).ljust(bar_w), str(n)))
    lines.append(Text("per second", style="bold cyan"))
    for label, name in (("lost", "lost"), ("seeded", "seeded"), ("reseeds", "reseeds")):
        values = figures.series(name)[-spark_w:]
        last = f"{values[-1]:.0f}" if values else "-"
        lines.append(_row(label, sparkline(values).ljust(spark_w), last))
    since = ("" if figures.last_reseed_t is None or figures.last_t is None
             else f", last {figures.last_t - figures.last_reseed_t:.0f} s ago")
    lines.append(Text(f" {figures.reseeds} reseeds, {figures.lost} lost in all{since}",
                      style="dim"))
    lines.append(Text("ms per frame (1 s means; read waits for frames)", style="bold cyan"))
    for stage in STAGES:
        if not figures.has_stage(stage):
            continue
        values = figures.stage_series(stage)[-spark_w:]
        lines.append(_row(stage, sparkline(values).ljust(spark_w), f"{values[-1]:.2f}"))
    return Group(*lines)


class HealthPanel(LivePanel):
    """The Health view; `show` is cheap, and free while the panel is hidden."""

    DEFAULT_CSS = """
    HealthPanel { height: 1fr; }
    """

    def show(self, state: TrackState | None, monitor: HealthMonitor, fb_threshold: float
             ) -> None:
        if not self.display:
            return
        width = self.content_size.width or 40
        self.show_content(health_lines(state, monitor.figures(), width, fb_threshold))
