"""What decoding, tracking and the preview cost on this machine.

Decodes and tracks N frames (the engine, then a bare OpenCV decode + LK + FB loop with the
same parameters on the same frames), then draws a sample of the tracked frames in every
colour mode the way the preview does for a truecolor terminal, timing the rows and their
writing and counting the bytes written for them: a full repaint through Textual, and a
typical frame as the preview writes its changed cells; and how far each mode's colours are
from truecolor (`tracker.render.fidelity`). This is how a user sizes a camera box and a link.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.errors import SourceError
from flowtop.tracker.output.video import pad, padded_size
from flowtop.tracker.redact import redact
from flowtop.tracker.render.cells import render_cells
from flowtop.tracker.render.dither import BlockDiffuser
from flowtop.tracker.render.fidelity import colour_error
from flowtop.tracker.render.palette import MODES, Stabilizer, style_cells
from flowtop.tracker.runtime.baseline import bare_loop
from flowtop.tracker.sources.open import open_source
from flowtop.tui.cli.options import params_from
from flowtop.tui.preview.internals import SYNC_END, SYNC_START
from flowtop.tui.preview.rows import Change, Changes, RowBuilder, changed_cells, tile_edges

PREVIEW_SAMPLES = 30  # tracked frames drawn per colour mode
RICH_SAMPLES = 5  # frames drawn the plain way (a Style and Segment per cell: slow)
MAX_KEPT_BYTES = 150_000_000  # images held for the preview sample at most
DEFAULT_SIZE = (160, 48)
SIDE_COLS, CHROME_ROWS = 48, 4  # the UI's side panels and borders; status bar and footer
BLANK_STYLE = Style(color="#999999", bgcolor="#000000")


def terminal_preview_size() -> tuple[int, int]:
    """The preview panel this terminal would give the UI (DEFAULT_SIZE when not a terminal)."""
    try:
        cols, rows = os.get_terminal_size(sys.stdout.fileno())
    except (OSError, ValueError):
        return DEFAULT_SIZE
    return max(10, cols - SIDE_COLS), max(5, rows - CHROME_ROWS)


@contextmanager
def video_file(spec: str, frames: int, stats: dict) -> Iterator[str]:
    """A video file of the source's first `frames` frames, timing the decode into `stats`.

    A file is used as it is; anything else (demo, camera, stream, images) is recorded into a
    temporary MJPG file, so that the engine and the bare loop read the same frames.
    """
    source = open_source(spec, paced=False)
    stats.update(source=source.name, resolution=list(source.size))
    tmp = tempfile.TemporaryDirectory(prefix="flowtop-bench-")
    path = spec if Path(spec).is_file() else str(Path(tmp.name) / "frames.avi")
    writer = None
    n, decode_s = 0, 0.0
    try:
        while n < frames:
            t0 = time.perf_counter()
            frame = source.read()
            decode_s += time.perf_counter() - t0
            if frame is None:
                break
            if path != spec:
                if writer is None:
                    size = padded_size(frame.image.shape[1::-1], "MJPG")
                    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 30.0, size)
                writer.write(pad(frame.image, size))
            n += 1
        stats["source_fps"] = round(source.nominal_fps or 0.0, 2)
    finally:
        source.close()
        if writer is not None:
            writer.release()
    if n < 2:
        tmp.cleanup()
        raise SourceError(f"{spec}: fewer than 2 frames to measure")
    stats.update(frames=n, decode_fps=round(n / decode_s, 1))
    try:
        yield path
    finally:
        tmp.cleanup()


def track_pass(path: str, params: Params, frames: int, keep_every: int
               ) -> tuple[dict, list[TrackState]]:
    """Decode and track `frames` frames; keep every `keep_every`-th state for the preview."""
    source = open_source(path, paced=False)
    tracker = Tracker(params)
    size = source.size[0] * source.size[1] * 3
    room = max(2, min(PREVIEW_SAMPLES, MAX_KEPT_BYTES // max(1, size)))
    kept: list[TrackState] = []
    n, track_s, objects_s = 0, 0.0, 0.0
    start = time.perf_counter()
    try:
        while n < frames:
            frame = source.read()
            if frame is None:
                break
            t0 = time.perf_counter()
            state = tracker.update(frame)
            grouping = state.timings.get("objects", 0.0)  # the bare loop has no objects
            track_s += time.perf_counter() - t0 - grouping
            objects_s += grouping
            if n % keep_every == 0:
                kept = [*kept[-(room - 1):], state]
            n += 1
    finally:
        source.close()
    total = time.perf_counter() - start - objects_s
    return {"engine_fps": round(n / track_s, 1), "pipeline_fps": round(n / total, 1),
            "objects_ms": round(1000 * objects_s / max(n, 1), 2)}, kept


def wire_bytes(strips: Mapping[int, Mapping[int, Strip]], changes: Changes, edges: list[int],
               console: Console) -> int:
    """Bytes Textual writes for `changes`: per changed row of a tile, a cursor move and the
    tile's row from its left edge to the last changed cell; a newline per row."""
    total = len({c.row for c in changes})
    for c in changes:
        x0 = edges[c.tile]
        text = strips[c.row][c.tile].crop(0, c.last - x0 + 1).render(console)
        total += len(f"\x1b[{c.row + 1};{x0 + 1}H") + len(text.encode("utf-8"))
    return total


def direct_bytes(changes: Changes, texts: list[str]) -> int:
    """Bytes the preview writes straight to the terminal for `changes` (`span_texts`): per
    changed span a cursor move and its cells, in one synchronized update."""
    out = "".join(f"\x1b[{c.row + 1};{c.first + 1}H{text}" for c, text in zip(changes, texts))
    return len(out.encode("utf-8")) + len(f"{SYNC_START}{SYNC_END}\x1b[1;1H")


def measure_mode(states: list[TrackState], cols: int, rows: int, mode: str, params: Params,
                 console: Console) -> dict:
    """Rows time, bytes and colour error of drawing `states` in `mode` as the preview does.

    Two passes, each with one RowBuilder as the preview has: frames drawn with change
    detection (the typical frame), then every frame drawn whole (the full frame). The
    colour error is `tracker.render.fidelity`'s, of each frame without tracks, averaged.
    """
    pp = params.preview
    edges = tile_edges(cols)
    ends = [*edges[1:], cols]
    every = Changes.of(Change(r, t, edges[t], ends[t] - 1)
                       for r in range(rows) for t in range(len(edges)))
    stabilizer = Stabilizer(pp.quantize_bits, pp.hysteresis)
    render_s, cells = [], []
    for state in states:
        t0 = time.perf_counter()
        cells.append(render_cells(state.image, state, cols, rows, picture_filter=stabilizer))
        render_s.append(time.perf_counter() - t0)
    builder, previous, diffuser = RowBuilder(), None, BlockDiffuser()
    rows_s, write_s, typical_bytes = [], [], []
    for frame in cells:
        t0 = time.perf_counter()
        styled = style_cells(frame, mode, diffuser)
        changes = changed_cells(styled, previous, edges)
        texts = (builder.span_texts(styled, changes, BLANK_STYLE, console)
                 if changes is not None else None)
        if texts is None:  # the first frame, or colours Rich renders: strips
            pairs = [(c.row, c.tile) for c in (every if changes is None else changes)]
            built = builder.build_tiles(styled, pairs, BLANK_STYLE, edges, console)
        elapsed = time.perf_counter() - t0
        if changes is not None:
            rows_s.append(elapsed)
            t1 = time.perf_counter()
            if texts is not None:  # as the preview writes it when nothing covers it
                typical_bytes.append(direct_bytes(changes, texts))
            else:
                strips: dict[int, dict[int, Strip]] = {}
                for (row, tile), strip in zip(pairs, built):
                    strips.setdefault(row, {})[tile] = strip
                typical_bytes.append(wire_bytes(strips, changes, edges, console))
            write_s.append(time.perf_counter() - t1)
        previous = styled
    builder, full_s, full_bytes = RowBuilder(), [], []
    for frame in cells:
        t0 = time.perf_counter()
        full = builder.build(style_cells(frame, mode), range(rows), BLANK_STYLE, edges, console)
        full_s.append(time.perf_counter() - t0)
        full_bytes.append(wire_bytes({r: dict(enumerate(row)) for r, row in enumerate(full)},
                                     every, edges, console))
    errors = [colour_error(c, style_cells(c, mode)) for c in
              (render_cells(state.image, None, cols, rows) for state in states)]
    return {"render_ms": round(1000 * float(np.median(render_s)), 3),
            "rows_ms": round(1000 * float(np.median(rows_s)), 3),
            "write_ms": round(1000 * float(np.median(write_s)), 3),
            "full_rows_ms": round(1000 * float(np.median(full_s)), 3),
            "full_frame_bytes": round(float(np.median(full_bytes))),
            "typical_frame_bytes": round(float(np.median(typical_bytes))),
            "colour_error": round(float(np.mean(errors)), 2)}


def rich_per_cell_ms(states: list[TrackState], cols: int, rows: int, console: Console,
                     frames: int = RICH_SAMPLES) -> float:
    """Median ms to draw a whole frame the plain way, the baseline the preview is measured
    against: cells from the frame (`render_cells`, as the preview), then a Rich Style and
    Segment per cell (upper pixel as foreground of `▀`, lower as background), rendered to
    terminal text by Textual's Strip."""
    times = []
    for state in states[:frames]:
        t0 = time.perf_counter()
        cells = render_cells(state.image, state, cols, rows)
        upper, lower = cells.upper.tolist(), cells.lower.tolist()
        for r in range(rows):
            segments = [Segment("▀", Style(color=Color.from_rgb(*fg), bgcolor=Color.from_rgb(*bg)))
                        for fg, bg in zip(upper[r], lower[r])]
            Strip(segments, cols).render(console)
        times.append(time.perf_counter() - t0)
    return round(1000 * float(np.median(times)), 3)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    params = params_from(args)
    cols, rows = args.size or terminal_preview_size()
    spec = args.source
    result: dict = {"source_spec": redact(spec)}
    with video_file(spec, args.frames, result) as path:
        fps = result["source_fps"] or 30.0
        # at least two frames kept, so a typical (changed) frame follows the first
        keep_every = max(1, min(round(fps / params.preview.fps), result["frames"] - 1))
        tracked, states = track_pass(path, params, result["frames"], keep_every)
        result.update(tracked)
        n, bare_s = bare_loop(path, params, result["frames"])
    result["bare_fps"] = round(n / bare_s, 1)
    result["engine_vs_bare"] = round(result["pipeline_fps"] / result["bare_fps"], 3)
    console = Console(color_system="truecolor", force_terminal=True, width=cols,
                      file=io.StringIO())
    pp = params.preview
    modes = {mode: measure_mode(states, cols, rows, mode, params, console) for mode in MODES}
    per_cell = rich_per_cell_ms(states, cols, rows, console)
    link = args.link_kbps
    for figures in modes.values():
        per_frame = max(1, figures["typical_frame_bytes"])
        figures["link_fps"] = round(min(pp.fps, link * 1000.0 / per_frame), 1)
    result["preview"] = {"cols": cols, "rows": rows, "frames": len(states),
                         "every_nth_frame": keep_every, "max_fps": pp.fps,
                         "quantize_bits": pp.quantize_bits, "hysteresis": pp.hysteresis,
                         "link_kbps": link, "modes": modes, "rich_per_cell_ms": per_cell}
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        print_table(result)
    return 0


def print_table(r: dict) -> None:
    p = r["preview"]
    w, h = r["resolution"]
    kb = 1000.0
    lines = [
        f"source     {r['source']} {w}x{h}, {r['frames']} frames",
        f"decode     {r['decode_fps']:8.1f} fps",
        f"engine     {r['engine_fps']:8.1f} fps tracking only; grouping objects adds "
        f"{r['objects_ms']:.2f} ms/frame",
        f"pipeline   {r['pipeline_fps']:8.1f} fps decode + track; bare OpenCV decode + LK + FB "
        f"{r['bare_fps']:.1f} fps; ratio {r['engine_vs_bare']:.2f}",
        f"preview    {p['cols']}x{p['rows']} cells, {p['frames']} frames (every "
        f"{p['every_nth_frame']}. frame for {p['max_fps']:g} fps), quantize "
        f"{p['quantize_bits']} bits, hysteresis {p['hysteresis']}",
        "",
        f"{'mode':<10} {'cells ms':>8} {'rows ms':>8} {'write ms':>8} {'full rows ms':>12} "
        f"{'full frame':>11} "
        f"{'typical frame':>14} {'fps at ' + format(p['link_kbps'], 'g') + ' KB/s':>16} "
        f"{'colour dE':>9}",
    ]
    for mode, m in p["modes"].items():
        m["frame_ms"] = round(m["render_ms"] + m["rows_ms"] + m["write_ms"], 3)
        lines.append(f"{mode:<10} {m['render_ms']:8.2f} {m['rows_ms']:8.2f} {m['write_ms']:8.2f} "
                     f"{m['full_rows_ms']:12.2f} {m['full_frame_bytes'] / kb:8.1f} KB "
                     f"{m['typical_frame_bytes'] / kb:11.1f} KB {m['link_fps']:16.1f} "
                     f"{m['colour_error']:9.1f}")
    true, plain = p["modes"]["truecolor"]["frame_ms"], p["rich_per_cell_ms"]
    lines += ["", f"a typical truecolor frame, cells + rows + write: {true:.2f} ms; drawn the "
              f"plain way (a Rich Style and Segment per cell, the whole frame): "
              f"{plain:.2f} ms; ratio {true / max(plain, 1e-9):.3f}"]
    lines += ["", "cells ms: frame to cells (scale, tracks); rows ms: cells to colour codes "
              "and the terminal text of a typical frame's changed cells, for a truecolor "
              "terminal; write ms: that text with its cursor moves, as the preview writes it "
              "where nothing covers the picture; full frame: a repaint as Textual writes it "
              "(KB = 1000 bytes); colour dE: mean CIE76 colour difference from the "
              "truecolor picture after a 1-pixel blur, without tracks (xterm's colours; "
              "2-3 reads as the same picture, plain gray is about 10).",
              f"took {r['seconds']:.1f} s"]
    print("\n".join(lines))
