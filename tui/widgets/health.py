"""The Health view: how well tracking goes, for someone asking "is this camera working?".

The tracking loop publishes per-second `HealthFigures` (`tracker.runtime.health`) with every
snapshot; `health_lines` turns them and the shown TrackState into the panel's text
(forward-backward error histogram, track age distribution, sparklines); `HealthPanel` shows
it at the app's panel rate, only while visible.
"""

from __future__ import annotations

import numpy as np
from rich.console import Group
from rich.text import Text

from flowtop.tracker.contracts import HealthFigures, TrackState
from flowtop.tui.widgets.panel import LivePanel
from flowtop.tui.widgets.speeds import sparkline

STAGES = ("read", "buffer", "convert", "lk", "fb", "seed", "objects", "render")
FB_BINS = 10
AGE_EDGES = (0, 5, 15, 30, 60, 150, 300)  # frames; the last bin is open-ended
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
LABEL_W = 9
VALUE_W = 7
WAITING = "waiting for frames"


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
                 fb_threshold: float, cv_threads: int = 0) -> Group:
    """The panel's text for `width` cells: state histograms, then per-second sparklines;
    `cv_threads`, OpenCV's threads under a live pace (0: not set by the loop)."""
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
    if cv_threads:
        what = "1 thread (keeps up)" if cv_threads == 1 else f"{cv_threads} threads (pool)"
        lines.append(Text(f" OpenCV: {what}", style="dim"))
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

    def show(self, state: TrackState | None, figures: HealthFigures, fb_threshold: float,
             cv_threads: int = 0) -> None:
        if not self.display:
            return
        width = self.content_size.width or 40
        self.show_content(health_lines(state, figures, width, fb_threshold, cv_threads))
