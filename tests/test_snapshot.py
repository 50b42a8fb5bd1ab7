"""`flowtop snapshot`: half-block ANSI of the right size, annotated PNGs, the output rules."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from flowtop.tracker.config.params import Params
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.render.annotate import Legend, Style, annotate, caption_text, label_box
from flowtop.tracker.render.cover import to_lab
from flowtop.tracker.render.scheme import Scheme
from flowtop.tracker.render.speed_scale import SpeedScale
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tui.cli.main import main

SGR = re.compile(r"\x1b\[[0-9;]*m")
FLOWTOP = [sys.executable, "-m", "flowtop.tui.cli"]


def visible(line: str) -> str:
    return SGR.sub("", line)


def demo_state(frame: int):
    """The TrackState `flowtop snapshot demo --frame N` shows, tracked the same way."""
    source, tracker = DemoSource(paced=False), Tracker(Params())
    state = None
    for _ in range(frame + 1):
        state = tracker.update(source.read())
    return state


@pytest.mark.parametrize("mode", ["truecolor", "256", "16", "gray"])
def test_ansi_has_half_blocks_and_the_asked_size(mode: str, capsys) -> None:
    assert main(["snapshot", "demo", "--frame", "8", "--size", "60x20", "--color", mode]) == 0
    out = capsys.readouterr().out
    lines = out.split("\n")
    assert lines[-1] == ""  # ends with a newline
    rows = lines[:-1]
    assert len(rows) == 20
    assert all(len(visible(row)) == 60 for row in rows)
    # each row that sets a colour resets it
    assert all(row.endswith("\x1b[0m") for row in rows if "\x1b[" in row)
    assert "▀" in out
    if mode == "256":
        assert "\x1b[38;5;" in out or "\x1b[48;5;" in out


@pytest.mark.slow
def test_pipe_gets_80x24_and_colour_from_the_environment() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLORTERM")}
    env["TERM"] = "xterm-256color"
    out = subprocess.run([*FLOWTOP, "snapshot", "demo", "--frame", "3"], capture_output=True,
                         text=True, env=env, timeout=120, check=True).stdout
    rows = out.split("\n")[:-1]
    assert len(rows) == 24 and all(len(visible(r)) == 80 for r in rows)
    assert "▀" in out and "\x1b[48;5;" in out and "\x1b[48;2;" not in out
    env["NO_COLOR"] = "1"  # a log: plain characters, no colour codes but the row resets
    out = subprocess.run([*FLOWTOP, "snapshot", "demo", "--frame", "3"], capture_output=True,
                         text=True, env=env, timeout=120, check=True).stdout
    assert "▀" not in out
    assert SGR.sub("", out.replace("\x1b[0m", "")) == out.replace("\x1b[0m", "")
    assert len(out.split("\n")[:-1]) == 24


@pytest.mark.slow
def test_png_is_full_size_and_marked_where_the_tracks_are(tmp_path: Path, capsys) -> None:
    png, every = tmp_path / "shot.png", tmp_path / "every.png"
    assert main(["snapshot", "demo", "--frame", "20", "--png", str(png), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""  # -q: no picture on stdout
    assert str(png) in captured.err
    assert main(["snapshot", "demo", "--frame", "20", "--png", str(every), "-q",
                 "--all-tracks"]) == 0
    image, all_tracks = cv2.imread(str(png)), cv2.imread(str(every))
    scene = DemoScene()
    assert image.shape == (scene.height, scene.width, 3)
    state = demo_state(20)
    raw = scene.render(state.t)
    assert np.array_equal(image, annotate(raw, state))  # the same drawing, nothing else
    assert np.array_equal(all_tracks, annotate(raw, state, scheme=Scheme(all_tracks=True)))
    members = np.isin(state.ids, [t for o in state.objects for t in o.track_ids])
    x, y = np.round(state.pts).astype(int).T
    x, y = np.clip(x, 0, scene.width - 1), np.clip(y, 0, scene.height - 1)
    # the picture is left alone away from the tracks: far from every point, trail and box
    near = np.zeros(image.shape[:2], np.uint8)
    for trail, n in zip(state.trails, state.trail_len.tolist()):
        cv2.polylines(near, [np.round(trail[:max(n, 1)]).astype(np.int32)], False, 1, 25)
    far = near == 0
    far[:40, :] = False  # the caption
    for o in state.objects:  # object boxes, their tabs above them
        x0, y0, x1, y1 = (round(v) for v in (o.x - o.w / 2, o.y - o.h / 2, o.x + o.w / 2,
                                             o.y + o.h / 2))
        far[max(0, y0 - 28):y1 + 5, max(0, x0 - 5):x1 + 5] = False
    assert far.sum() > 1000
    for drawn, marked in ((image, ~members), (all_tracks, np.ones_like(members))):
        changed = np.any(drawn != raw, axis=2)
        assert changed[y[marked], x[marked]].mean() > 0.95  # a dot over (nearly) every point
        assert changed[far].mean() < 0.05
    assert np.any(image != all_tracks)


def test_png_needs_force_to_overwrite(tmp_path: Path, capsys) -> None:
    png = tmp_path / "shot.png"
    png.write_bytes(b"precious")
    assert main(["snapshot", "demo", "--frame", "2", "--png", str(png), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--png" in err and "--force" in err
    assert png.read_bytes() == b"precious"
    assert main(["snapshot", "demo", "--frame", "2", "--png", str(png), "-q", "--force"]) == 0
    assert cv2.imread(str(png)).shape == (360, 640, 3)


def test_a_short_source_shows_its_last_frame(tmp_path: Path, capsys) -> None:
    scene = DemoScene(160, 90)
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"f{i}.png"), scene.render(i / 30))
    code = main(["snapshot", str(tmp_path / "f*.png"), "--frame", "10", "--size", "40x10",
                 "--color", "truecolor"])
    assert code == 0
    captured = capsys.readouterr()
    assert "ended before frame 10; showing frame 2" in captured.err
    assert len(captured.out.split("\n")[:-1]) == 10


@pytest.mark.parametrize("size", ["80", "0x10", "axb"])
def test_bad_size_is_a_usage_error(size: str, capsys) -> None:
    assert main(["snapshot", "demo", "--size", size]) == 2
    assert "COLSxROWS" in capsys.readouterr().err


def annotated_pair():
    """A gray frame, track 1 moving right at 300 px/s (8 trail segments of 10 px), track 2
    still, object 4 at 30 px/s."""
    from states import object_state, track_state

    gray = np.full((200, 300, 3), 90, np.uint8)
    length = 9
    moving = np.array([[150 - 10 * k, 60] for k in range(length)], np.float32)
    still = np.full((length, 2), (40, 160), np.float32)
    obj = object_state(4, 220, 150, 60, 40, speed=30.0)
    state = track_state(
        [moving[0], still[0]], np.stack([moving, still]), (obj,), index=7, t=0.25, live=2,
        speed=np.array([300.0, 0.0], np.float32), age=np.array([8, 8], np.int32))
    return gray, state


def check_trail_box_and_label(out, gray, color, box_color) -> None:
    """Track 1's fading trail and speed tab in `color`, object 4's box in `box_color`."""
    newest = out[59:62, 135].astype(int)  # across the newest segment, clear of the dot
    oldest = out[59:62, 75].astype(int)  # across the oldest: blended into the picture
    assert np.abs(newest - color).max(axis=1).min() <= 20
    strongest = np.abs(oldest - 90).max(axis=1).max()
    full = np.abs(color - 90).max()
    assert 0.15 * full < strongest < 0.5 * full  # the oldest band is a quarter opaque
    assert np.array_equal(out[160, 60], gray[160, 60])  # no trail for the still track
    top_edge = out[130, 200:240].astype(int)  # the object's box
    assert (np.abs(top_edge - box_color).max(axis=1) <= 2).mean() > 0.8
    style = Style.for_size(300, 200)
    offset = style.radius + 2 * style.thickness
    x0, y0, x1, y1 = label_box("300 px/s", (150 + offset, 60 - offset), style)
    label = out[y0:y1, x0:x1].astype(int)  # a tab in the track's colour, with text on it
    distance = np.abs(label - color).max(axis=2)
    assert (distance <= 2).mean() > 0.6
    assert (distance > 80).mean() > 0.05


def test_annotate_colours_moving_tracks_by_speed_and_fades_still_ones() -> None:
    gray, state = annotated_pair()
    scale = SpeedScale(400.0)
    out = annotate(gray, state, caption=False, scheme=Scheme(scale=scale))
    assert out.shape == gray.shape and np.array_equal(gray, np.full_like(gray, 90))  # a copy
    color = scale.colors([300.0])[0].astype(int)
    check_trail_box_and_label(out, gray, color, scale.colors([30.0])[0].astype(int))
    dot = out[160, 40].astype(int)  # the still track: a faint light dot, not a marker
    assert (dot > 90 + 40).all() and (dot < 235 - 20).all()
    assert np.array_equal(out[160, 46], gray[160, 46])  # and a small one
    assert np.array_equal(annotate(gray, None), gray)


def test_annotate_caption_holds_the_speed_legend() -> None:
    gray, state = annotated_pair()
    scale = SpeedScale(400.0)
    out = annotate(gray, state, scheme=Scheme(scale=scale))
    style = Style.for_size(300, 200)
    text = caption_text(state)
    corner = label_box(text, (0, 0), style)
    org = (2 - corner[0], 2 - corner[1])
    legend = Legend.at(scale, (label_box(text, org, style)[2] + 6 * style.thickness, org[1]),
                       style)
    x0, y0, x1, y1 = legend.bar
    ramp = out[y0:y1, x0:x1].astype(int)
    expected = scale.colors(np.linspace(0.0, 400.0, x1 - x0)).astype(int)
    assert (ramp == expected[None]).all()
    assert (np.diff(to_lab(np.ascontiguousarray(ramp[0, :, ::-1]).astype(np.uint8))[:, 0])
            >= 0).all()  # slow to fast, darker to lighter
    every = annotate(gray, state, scheme=Scheme(all_tracks=True))
    assert not (every[y0:y1, x0:x1].astype(int) == expected[None]).all()  # no scale to show


def test_annotate_every_track_view_uses_id_colours() -> None:
    from flowtop.tracker.render.colors import object_colors, track_colors

    gray, state = annotated_pair()
    out = annotate(gray, state, caption=False, scheme=Scheme(all_tracks=True))
    color = np.array(track_colors([1])[0]).astype(int)
    check_trail_box_and_label(out, gray, color, np.array(object_colors([4])[0]).astype(int))
    still = track_colors([2])[0].astype(int)
    assert np.abs(out[160, 40].astype(int) - still).max() <= 2  # the still dot, full colour
