"""`e` export: bounded track history, PNG and CSV that parse, names that never overwrite, and
the key in the running app."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from waiting import wait_for

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import OutputError
from flowtop.tracker.output.rows import TRACK_COLUMNS
from flowtop.tracker.runtime.history import TrackHistory
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tui.app.app import FlowtopApp
from flowtop.tui.app.export import export_files

NOW = datetime(2024, 5, 17, 9, 30, 15)


def demo_states(n: int) -> list:
    source, tracker = DemoSource(paced=False), Tracker(Params())
    return [tracker.update(source.read()) for _ in range(n)]


@pytest.fixture(scope="module")
def states() -> list:
    return demo_states(12)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_history_is_bounded_and_skips_republished_frames(states) -> None:
    history = TrackHistory(frames=5)
    for state in states:
        history.add(state)
        history.add(state)  # published again while paused: counted once
    kept = history.frames()
    assert [f.index for f in kept] == [s.index for s in states[-5:]]
    assert history.rows == sum(len(s.ids) for s in states[-5:])
    by_rows = TrackHistory(frames=100, rows=len(states[-1].ids) + 1)
    for state in states:
        by_rows.add(state)
    assert by_rows.rows <= len(states[-1].ids) + 1 or len(by_rows) == 1
    assert by_rows.frames()[-1].index == states[-1].index  # the newest is always kept


def test_export_writes_a_png_and_a_csv_that_parse(states, tmp_path: Path) -> None:
    history = TrackHistory()
    for state in states:
        history.add(state)
    shown = states[-1]
    done = export_files(shown, history.frames(), tmp_path, NOW)
    assert done.png == tmp_path / "flowtop-20240517-093015.png"
    assert done.csv == tmp_path / "flowtop-20240517-093015.csv"
    image = cv2.imread(str(done.png))
    assert image.shape == shown.image.shape
    assert np.any(image != shown.image)  # annotated, not the raw frame
    rows = read_csv(done.csv)
    assert list(rows[0].keys()) == list(TRACK_COLUMNS)
    assert len(rows) == done.rows == sum(len(s.ids) for s in states)
    assert sorted({int(r["frame"]) for r in rows}) == [s.index for s in states]
    last = {int(r["id"]): r for r in rows if int(r["frame"]) == shown.index}
    i = 0
    assert float(last[int(shown.ids[i])]["x"]) == pytest.approx(shown.pts[i, 0], abs=1e-3)
    assert done.frames == len(states)
    assert str(done.png) in done.message() and str(done.csv) in done.message()


def test_export_never_overwrites(states, tmp_path: Path) -> None:
    first = export_files(states[-1], [], tmp_path, NOW)
    second = export_files(states[-1], [], tmp_path, NOW)
    assert second.png.name == "flowtop-20240517-093015-2.png"
    assert first.png.exists() and second.png.exists()
    # without a history, the shown frame's own tracks
    assert len(read_csv(second.csv)) == len(states[-1].ids)
    with pytest.raises(OutputError, match="does not exist"):
        export_files(states[-1], [], tmp_path / "gone", NOW)


@pytest.mark.slow
async def test_e_exports_into_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    # a finite, unpaced demo: every frame is tracked (a live one may drop frames under load)
    app = FlowtopApp(source=DemoSource(fps=30, paced=False, frames=12), params=Params(),
                     config_path=tmp_path / "c.toml")
    async with app.run_test(size=(140, 44)) as pilot:
        await wait_for(pilot, lambda: app.snapshot.state is not None
                       and app.snapshot.state.index >= 11, "the 12 frames")
        await pilot.press("e")
        await wait_for(pilot, lambda: any("exported" in n.message for n in app._notifications),
                       "the export notification")
        message = next(n.message for n in app._notifications if "exported" in n.message)
    pngs, csvs = list(tmp_path.glob("flowtop-*.png")), list(tmp_path.glob("flowtop-*.csv"))
    assert len(pngs) == len(csvs) == 1
    assert str(pngs[0]) in message and str(csvs[0]) in message
    assert cv2.imread(str(pngs[0])).shape == (360, 640, 3)
    rows = read_csv(csvs[0])
    frames = {int(r["frame"]) for r in rows}
    assert frames == set(range(12))  # the tracks so far, not only the shown frame
