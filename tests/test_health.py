"""The Health view: per-second figures from tracked frames, the histograms, the panel's text,
the panel in a tiny host app, and `h` in the real app."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from textual.app import App, ComposeResult
from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.runtime.health import HealthMonitor
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.widgets.health import (
    AGE_EDGES,
    WAITING,
    HealthPanel,
    age_histogram,
    age_label,
    bar,
    fb_histogram,
    health_lines,
)
from flowtop.tui.widgets.objects import ObjectsPanel
from flowtop.tui.widgets.speeds import SpeedsPanel


@pytest.fixture(scope="module")
def demo_states() -> list[TrackState]:
    """70 frames of the demo (2.3 s at 30 fps), tracked; the tests only read them."""
    source = DemoSource(paced=False, scene=DemoScene(320, 180))
    tracker = Tracker(Params())
    return [tracker.update(source.read()) for _ in range(70)]


@pytest.fixture(scope="module")
def base(demo_states: list[TrackState]) -> TrackState:
    return demo_states[2]


def frame(base: TrackState, index: int, t: float, *, lost: int = 0, seeded: int = 0,
          live: int = 50, timings: dict[str, float] | None = None) -> TrackState:
    """`base` renumbered and retimed, with the counts a test wants."""
    return replace(base, index=index, t=t, lost=lost, seeded=seeded, live=live,
                   timings=dict(timings or {}))


def text_of(group) -> str:
    return "\n".join(line.plain for line in group.renderables)


def test_frames_are_summed_per_second_of_source_time(base) -> None:
    monitor = HealthMonitor()
    for i, lost in enumerate([1, 2, 3, 4, 5]):  # t = 0, 0.5, 1, 1.5, 2
        monitor.add(frame(base, i, i / 2, lost=lost, timings={"lk": 0.002 * (i + 1)}))
    figures = monitor.figures()
    assert [s.start for s in figures.seconds] == [0, 1]  # second 2 is still open
    assert figures.series("frames") == [2, 2]
    assert figures.series("lost") == [3, 7]
    assert figures.stage_series("lk") == pytest.approx([3.0, 7.0])  # mean ms per frame
    assert figures.has_stage("lk") and not figures.has_stage("read")
    assert (figures.frames, figures.lost, figures.last_t) == (5, 15, 2.0)


def test_republished_frames_count_once_and_gaps_are_zeros(base) -> None:
    monitor = HealthMonitor()
    first = frame(base, 0, 0.2, lost=4)
    monitor.add(first)
    monitor.add(first)  # the loop publishes the same frame again while paused
    monitor.add(None)
    monitor.add(frame(base, 1, 3.1, lost=1))  # nothing for 2.9 s
    monitor.add(frame(base, 2, 4.0))
    figures = monitor.figures()
    assert [s.start for s in figures.seconds] == [0, 1, 2, 3]
    assert figures.series("lost") == [4, 0, 0, 1]
    assert figures.series("frames") == [1, 0, 0, 1]
    assert figures.frames == 3


def test_history_is_bounded(base) -> None:
    monitor = HealthMonitor(seconds=5)
    for i in range(40):
        monitor.add(frame(base, i, i * 0.5))
    figures = monitor.figures()
    assert len(figures.seconds) == 5
    assert [s.start for s in figures.seconds] == [14, 15, 16, 17, 18]
    # a long gap does not build a long list of empty seconds
    monitor.add(frame(base, 41, 10_000.0))
    assert len(monitor.figures().seconds) == 5


def test_a_reseed_is_a_frame_whose_points_are_all_new(base) -> None:
    monitor = HealthMonitor()
    monitor.add(frame(base, 0, 0.0, seeded=80, live=80))  # the first seeding is no reseed
    monitor.add(frame(base, 1, 0.1, seeded=5, live=85))  # topping up is no reseed either
    monitor.add(frame(base, 2, 1.2, seeded=90, live=90))  # `r`: every point is new
    monitor.add(frame(base, 3, 2.5, seeded=0, live=90))
    figures = monitor.figures()
    assert (figures.reseeds, figures.seeded, figures.last_reseed_t) == (1, 175, 1.2)
    assert figures.series("reseeds") == [0, 1]


def test_outside_timings_go_to_the_current_second(base) -> None:
    monitor = HealthMonitor()
    monitor.add_timing("render", 0.5)  # before any frame: nowhere to go, dropped
    monitor.add(frame(base, 0, 0.0))
    monitor.add_timing("render", 0.004)
    monitor.add_timing("render", 0.006)
    monitor.add(frame(base, 1, 1.0))
    assert monitor.figures().stage_series("render") == pytest.approx([5.0])


def test_fb_histogram_counts_measured_points_and_clips_to_the_threshold(base) -> None:
    fb = np.array([0.05, 0.15, 0.15, 0.95, 3.0, 0.5], np.float32)
    age = np.array([1, 1, 1, 1, 1, 0], np.int32)  # the last was seeded this frame: no error
    state = replace(base, fb_error=fb, age=age)
    counts = fb_histogram(state, threshold=1.0, bins=10)
    assert counts.tolist() == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]


def test_age_histogram_bins(base) -> None:
    ages = np.array([0, 4, 5, 14, 15, 299, 300, 5000], np.int32)
    counts = age_histogram(replace(base, age=ages))
    assert len(counts) == len(AGE_EDGES)
    assert counts.tolist() == [2, 2, 1, 0, 0, 1, 2]
    assert age_label(0) == "0–4" and age_label(len(AGE_EDGES) - 1) == "300+"


def test_bar_is_proportional_in_eighths() -> None:
    assert bar(10, 10, 4) == "████"
    assert bar(5, 10, 4) == "██"
    assert bar(1, 8, 1) == "▏"
    assert bar(3, 0, 4) == "" and bar(0, 10, 4) == ""


def test_health_lines_show_every_section(demo_states: list[TrackState]) -> None:
    assert WAITING in text_of(health_lines(None, HealthMonitor().figures(), 50, 1.0))
    monitor = HealthMonitor()
    states = demo_states
    for state in states:
        monitor.add(replace(state, timings={**state.timings, "read": 0.001}))
    monitor.add_timing("render", 0.003)
    text = text_of(health_lines(states[-1], monitor.figures(), 50, 1.0))
    for section in ("fb error, px", "track age, frames", "per second", "ms per frame"):
        assert section in text
    for stage in ("read", "convert", "lk", "fb", "seed"):
        assert any(line.split()[:1] == [stage] for line in text.splitlines()), stage
    assert f"frame {states[-1].index}" in text and f"{states[-1].live} live" in text
    assert "30 frames/s" in text  # the last whole second of the demo
    # one age row per bin, its count at the end, and the counts add up to the live points
    age_rows = [line for line in text.splitlines()
                if line.split()[:1] and line.split()[0] in {age_label(i)
                                                            for i in range(len(AGE_EDGES))}]
    assert len(age_rows) == len(AGE_EDGES)
    assert sum(int(row.split()[-1]) for row in age_rows) == len(states[-1].ids)
    assert all(len(line) <= 50 for line in text.splitlines()[1:])
    assert "OpenCV" not in text  # not set by a live loop: nothing to say
    threads = text_of(health_lines(states[-1], monitor.figures(), 50, 1.0, cv_threads=1))
    assert " OpenCV: 1 thread (keeps up)" in threads.splitlines()
    pool = text_of(health_lines(states[-1], monitor.figures(), 50, 1.0, cv_threads=2))
    assert " OpenCV: 2 threads (pool)" in pool.splitlines()


class Host(App[None]):
    """The panel alone, as the app places it."""

    def compose(self) -> ComposeResult:
        yield HealthPanel(id="health")


async def test_panel_in_a_host_app_shows_the_figures(demo_states: list[TrackState]) -> None:
    states = demo_states[:40]
    monitor = HealthMonitor()
    for state in states:
        monitor.add(state)
    app = Host()
    async with app.run_test(size=(60, 40)) as pilot:
        panel = app.query_one(HealthPanel)
        panel.show(states[-1], monitor.figures(), 1.0)
        await pilot.pause()
        lines = ["".join(s.text for s in strip) for strip in
                 panel.render_lines(panel.content_region.reset_offset)]
        screen_text = "\n".join(lines)
        assert f"frame {states[-1].index}" in screen_text
        assert "fb error, px" in screen_text and "track age, frames" in screen_text
        assert any(line.lstrip().startswith("lk") for line in lines)
        panel.display = False
        before = panel.content
        panel.show(states[0], monitor.figures(), 1.0)  # hidden: not redrawn
        assert panel.content is before


@pytest.mark.slow
async def test_h_swaps_the_health_view_in_and_out(tmp_path: Path) -> None:
    app = FlowtopApp(source=DemoSource(fps=30, scene=DemoScene(320, 180)), params=Params(),
                     config_path=tmp_path / "c.toml")
    async with app.run_test(size=(140, 44)) as pilot:
        health = app.query_one(HealthPanel)
        assert not health.display and app.query_one(SpeedsPanel).display
        await pilot.press("h")
        assert health.display
        assert not app.query_one(SpeedsPanel).display
        assert not app.query_one(ObjectsPanel).display
        # after a couple of seconds of frames: engine stages and the preview's render time
        await wait_for(pilot, lambda: "render" in text_of(health.content)
                       and app.snapshot.health.frames >= 45, "frames and the render time")
        text = text_of(health.content)
        for stage in ("read", "convert", "lk", "fb", "seed", "render"):
            assert any(line.split()[:1] == [stage] for line in text.splitlines()), stage
        await pilot.press("h")
        assert not health.display and app.query_one(SpeedsPanel).display
