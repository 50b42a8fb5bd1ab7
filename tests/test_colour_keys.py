"""`m` cycles the preview's colour modes live; `s` keeps the choice as preview.color."""

from __future__ import annotations

from pathlib import Path

import pytest
from waiting import wait_for

from flowtop.tracker.config.files import load_params
from flowtop.tracker.config.params import Params
from flowtop.tracker.render.palette import next_mode
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.preview.widget import Preview
from flowtop.tui.widgets.params import ParamsPanel

CYCLE = ["truecolor", "256", "16", "gray", "ascii", "auto"]


def test_next_mode_goes_round():
    seen, mode = [], "auto"
    for _ in range(6):
        mode = next_mode(mode)
        seen.append(mode)
    assert seen == CYCLE
    assert next_mode("sepia") == "auto"


@pytest.mark.slow
async def test_m_cycles_modes_live_and_s_saves_the_choice(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TERM", "xterm-256color")  # what ssh gives: auto is 256 colours
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    config = tmp_path / "flowtop.toml"
    source = DemoSource(fps=30, scene=DemoScene(320, 180))
    app = FlowtopApp(source=source, params=Params(), config_path=config)
    notes: list[str] = []
    notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, **kw: (notes.append(message),
                                                               notify(message, **kw)))
    async with app.run_test(size=(120, 36)) as pilot:
        preview = app.query_one(Preview)
        await wait_for(pilot, lambda: preview.layout_info is not None)
        assert preview.stats.mode == "256"
        shown = []
        for expected in CYCLE:
            await pilot.press("m")
            await wait_for(pilot, lambda want=expected: app.params.preview.color == want)
            shown.append(preview.stats.mode)
            assert app.query_one(ParamsPanel).params.preview.color == expected
        assert shown == ["truecolor", "256", "16", "gray", "ascii", "256"]
        assert notes == [f"colour: {m}" for m in shown[:-1]] + ["colour: 256 (auto)"]
        await pilot.press("m", "m", "m")  # 16 colours
        await pilot.press("s")
        await wait_for(pilot, config.exists)
    assert load_params(config).preview.color == "16"
