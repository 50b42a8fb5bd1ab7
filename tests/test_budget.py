"""The bandwidth budget (fed byte counts and times) and the byte meter on an app's driver."""

from __future__ import annotations

import pytest
from textual.app import App

from flowtop.tracker.render.budget import SCALES, BudgetController, BudgetLevel
from flowtop.tui.preview.internals import ByteMeter, install_byte_meter


class Link:
    """Draws frames at the controller's rate; each frame costs what `cost` says."""

    def __init__(self, controller: BudgetController) -> None:
        self.c, self.t, self.bytes, self.frames = controller, 0.0, 0, 0
        self.level = controller.level

    def run(self, seconds: float, cost) -> BudgetLevel:
        end = self.t + seconds
        while self.t < end:
            self.t += 1.0 / self.level.fps
            self.bytes += cost(self.level)
            self.frames += 1
            self.level = self.c.update(self.t, self.bytes, self.frames)
        return self.level


def test_no_budget_keeps_the_cap():
    c = BudgetController(0.0, 15.0, "256")
    link = Link(c)
    assert link.run(10, lambda lv: 1_000_000) == BudgetLevel(15.0, 1.0, "256")


def test_lowers_the_rate_to_fit_then_raises_it_with_room():
    c = BudgetController(300.0, 15.0, "truecolor")
    link = Link(c)
    level = link.run(6, lambda lv: 60_000)  # 60 KB a frame: 15 fps would be 900 KB/s
    assert level.fps == pytest.approx(0.9 * 300 / 60, rel=0.01)  # 4.5 fps
    assert (level.scale, level.mode) == (1.0, "truecolor")
    level = link.run(6, lambda lv: 5_000)  # the scene calms down
    assert level == BudgetLevel(15.0, 1.0, "truecolor")


def test_lowers_rate_then_size_then_depth_and_raises_in_reverse():
    c = BudgetController(100.0, 15.0, "truecolor", min_fps=2.0)

    def cost(level: BudgetLevel) -> int:  # bytes shrink with area and colour depth
        depth = {"truecolor": 1.0, "256": 0.5, "16": 0.2}[level.mode]
        return int(400_000 * level.scale ** 2 * depth)

    link = Link(c)
    seen = [link.run(2, cost) for _ in range(20)]
    first_small = next(lv for lv in seen if lv.scale < 1.0)
    assert first_small.fps == 2.0  # the rate went to its minimum before the size went
    for level in seen:
        if level.mode != "truecolor":  # the depth goes only once the size is smallest
            assert level.scale == SCALES[-1]
    assert [lv.scale for lv in seen].index(SCALES[-1]) < [lv.mode for lv in seen].index("256")
    assert seen[-1].mode == "16" and seen[-1].scale == SCALES[-1]
    assert cost(seen[-1]) * seen[-1].fps <= 100_000 * 1.01  # now inside the budget
    # a wider link: depth comes back first, then size, then rate
    c.configure(2000.0, 15.0, "truecolor")
    assert c.level == BudgetLevel(15.0, 1.0, "truecolor")  # a new budget starts afresh


def test_raises_depth_before_size_when_room_returns():
    c = BudgetController(100.0, 15.0, "truecolor", min_fps=2.0)
    heavy = {"on": True}

    def cost(level: BudgetLevel) -> int:
        depth = {"truecolor": 1.0, "256": 0.5, "16": 0.2}[level.mode]
        return int((400_000 if heavy["on"] else 4_000) * level.scale ** 2 * depth)

    link = Link(c)
    for _ in range(20):
        link.run(2, cost)
    assert (link.level.scale, link.level.mode) == (SCALES[-1], "16")
    heavy["on"] = False
    history = [link.run(2, cost) for _ in range(20)]
    order = [(lv.mode, lv.scale) for lv in history]
    assert order.index(("truecolor", SCALES[-1])) < order.index(("truecolor", 1.0))
    assert history[-1] == BudgetLevel(15.0, 1.0, "truecolor")


def test_no_decision_without_frames_or_enough_time():
    c = BudgetController(100.0, 15.0, "256", window_s=2.0)
    assert c.update(0.0, 0, 0).fps == 15.0
    assert c.update(0.5, 10_000_000, 5).fps == 15.0  # half a window not covered yet
    paused = BudgetController(100.0, 15.0, "256", window_s=2.0)
    paused.update(0.0, 0, 0)
    assert paused.update(3.0, 900_000, 0).fps == 15.0  # bytes but no frame: nothing to scale


def test_byte_meter_rate_over_its_window():
    m = ByteMeter(window_s=1.0)
    m.add(1000, now=10.0)
    m.add(3000, now=10.5)
    assert m.total == 4000
    assert m.kbps(now=10.9) == pytest.approx(4.0)
    assert m.kbps(now=11.2) == pytest.approx(3.0)  # the first write left the window
    assert m.kbps(now=20.0) == 0.0


async def test_install_counts_what_the_driver_writes():
    app = App()
    async with app.run_test():
        meter = install_byte_meter(app)
        assert install_byte_meter(app) is meter
        before = meter.total
        app._driver.write("ab▀")  # 2 + 3 bytes in UTF-8
        assert meter.total - before == 5
