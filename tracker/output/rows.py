"""Per-frame track rows to CSV or JSONL, formatted a frame at a time (one `%` per frame).

Files are flushed at least every `FLUSH_S` seconds and on close, and every write is a whole
number of lines, so a file cut short by a signal still parses line by line.
"""

from __future__ import annotations

import math
import time
from itertools import chain
from pathlib import Path
from typing import IO

import numpy as np

from flowtop.tracker.contracts import FrameRows, TrackState
from flowtop.tracker.errors import OutputError

FLUSH_S = 1.0
TRACK_COLUMNS = ("frame", "t", "id", "x", "y", "vx", "vy", "speed", "speed_world", "unit",
                 "age", "fb_error")
_CSV_ROW = "%d,%.6f,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s,%d,%.4f\n"
_JSON_ROW = ('{"frame": %d, "t": %.6f, "id": %d, "x": %.3f, "y": %.3f, "vx": %.3f, '
             '"vy": %.3f, "speed": %.3f, "speed_world": %s, "unit": %s, "age": %d, '
             '"fb_error": %.4f}\n')


def check_output(path: Path, force: bool = False, flag: str = "--out") -> None:
    """Refuse an output path that is a folder, in a missing folder, or (without `force`)
    already exists; the message names the option (`flag`) that gave it."""
    if path.is_dir():
        raise OutputError(f"{flag} {path} is a directory")
    if path.exists() and not force:
        raise OutputError(f"{flag} {path} exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {path.parent} does not exist")


def open_output(path: Path, force: bool = False, flag: str = "--out") -> IO[str]:
    """Open `path` for writing lines after `check_output`."""
    check_output(path, force, flag)
    try:  # "x": a file that appeared since the check above is still not overwritten
        return path.open("w" if force else "x", encoding="utf-8", newline="")
    except FileExistsError:
        raise OutputError(f"{flag} {path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


class RowWriter:
    """Writes rows of equal shape a batch at a time, header first, flushing every second."""

    def __init__(self, fh: IO[str], fmt: str, header: str = "") -> None:
        self.fh, self.fmt = fh, fmt
        self.rows = 0
        self._last_flush = time.monotonic()
        if header:
            fh.write(header)

    def write_columns(self, columns: list[list]) -> None:
        """Write one row per index across `columns` (lists of equal length), in one `%`."""
        n = len(columns[0]) if columns else 0
        if n:
            self.fh.write((self.fmt * n) % tuple(chain.from_iterable(zip(*columns))))
            self.rows += n
        self.flush_due()

    def flush_due(self) -> None:
        """Flush if the last flush is `FLUSH_S` old (call it also when no rows come)."""
        now = time.monotonic()
        if now - self._last_flush >= FLUSH_S:
            self.fh.flush()
            self._last_flush = now

    def close(self) -> None:
        if not self.fh.closed:
            self.fh.flush()
            self.fh.close()


def _world_cells(state: FrameRows, json: bool) -> tuple[list[str], list[str]]:
    n = len(state.ids)
    if not state.unit:
        empty = "null" if json else ""
        return [empty] * n, [empty] * n
    values = ["null" if not math.isfinite(v) else f"{v:.4f}" for v in state.speed_world.tolist()]
    if not json:
        values = ["" if v == "null" else v for v in values]
    unit = f'"{state.unit}"' if json else state.unit
    return values, [unit] * n


class TrackWriter:
    """One row per visible track per frame, as CSV (header `frame,t,id,...`) or JSONL."""

    def __init__(self, path: Path, force: bool = False) -> None:
        self.json = path.suffix.lower() in (".jsonl", ".ndjson", ".json")
        fh = open_output(path, force)
        header = "" if self.json else ",".join(TRACK_COLUMNS) + "\n"
        self.rows = RowWriter(fh, _JSON_ROW if self.json else _CSV_ROW, header)
        self.path = path

    def write(self, state: FrameRows) -> None:
        """The rows of one frame (`FrameRows.of(track_state)`)."""
        n = len(state.ids)
        if not n:
            self.rows.write_columns([])
            return
        world, unit = _world_cells(state, self.json)
        self.rows.write_columns([
            [state.index] * n, [state.t] * n, state.ids.tolist(),
            state.pts[:, 0].tolist(), state.pts[:, 1].tolist(),
            state.vel[:, 0].tolist(), state.vel[:, 1].tolist(), state.speed.tolist(),
            world, unit, state.age.tolist(), np.nan_to_num(state.fb_error).tolist(),
        ])

    def flush_due(self) -> None:
        """Keep the one-second flush promise while no frames arrive (a lost source)."""
        self.rows.flush_due()

    def close(self) -> None:
        self.rows.close()


OBJECT_COLUMNS = ("frame", "t", "object_id", "x", "y", "w", "h", "vx", "vy", "speed",
                  "speed_world", "unit", "tracks", "seen", "top_speed", "top_speed_world",
                  "trap_speed", "trap_unit")
_OBJECT_CSV = "%d,%.6f,%d,%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f,%s,%s,%d,%.3f,%.3f,%s,%s,%s\n"
_OBJECT_JSON = ('{"frame": %d, "t": %.6f, "object_id": %d, "x": %.2f, "y": %.2f, "w": %.2f, '
                '"h": %.2f, "vx": %.3f, "vy": %.3f, "speed": %.3f, "speed_world": %s, '
                '"unit": %s, "tracks": %d, "seen": %.3f, "top_speed": %.3f, '
                '"top_speed_world": %s, "trap_speed": %s, "trap_unit": %s}\n')


def _number(value: float, json: bool) -> str:
    """A number, or an empty cell (CSV) / null (JSON) when NaN."""
    if not math.isfinite(value):
        return "null" if json else ""
    return f"{value:.4f}"


def _text(text: str, json: bool) -> str:
    """A string cell: quoted in JSON, null when empty."""
    if json:
        return f'"{text}"' if text else "null"
    return text


class ObjectWriter:
    """One row per moving object per frame, as CSV (header `frame,t,object_id,...`) or JSONL.

    World speeds are empty (null) when uncalibrated; trap_speed is empty until the object has
    crossed both lines of the speed trap, then holds its trap speed in trap_unit.
    """

    def __init__(self, path: Path, force: bool = False) -> None:
        self.json = path.suffix.lower() in (".jsonl", ".ndjson", ".json")
        fh = open_output(path, force, "--objects-out")
        header = "" if self.json else ",".join(OBJECT_COLUMNS) + "\n"
        self.rows = RowWriter(fh, _OBJECT_JSON if self.json else _OBJECT_CSV, header)
        self.path = path

    def write(self, state: TrackState) -> None:
        j = self.json
        columns: list[list] = [[] for _ in OBJECT_COLUMNS]
        for o in state.objects:
            trapped = math.isfinite(o.trap_speed)
            row = (state.index, state.t, o.id, o.x, o.y, o.w, o.h, o.vx, o.vy, o.speed,
                   _number(o.speed_world, j), _text(o.unit, j), o.tracks, o.seen,
                   o.top_speed, _number(o.top_speed_world, j), _number(o.trap_speed, j),
                   _text(o.trap_unit if trapped else "", j))
            for column, value in zip(columns, row):
                column.append(value)
        self.rows.write_columns(columns if state.objects else [])

    def flush_due(self) -> None:
        self.rows.flush_due()

    def close(self) -> None:
        self.rows.close()
