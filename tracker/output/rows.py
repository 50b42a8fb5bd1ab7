"""Per-frame track rows to CSV or JSONL, formatted a frame at a time (one `%` per frame).

Rows are flushed at least every `FLUSH_S` seconds and on close, and every write is a whole
number of lines, so a file cut short by a signal still parses line by line. A write that
fails (disk full, I/O error, the reader of a FIFO gone) cuts the file back to its last whole
row and raises `WriteError` saying how many rows it holds. A number that is not finite is
written as an empty cell (CSV) or null (JSON), never as `nan`.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from itertools import chain
from pathlib import Path

import numpy as np

from flowtop.tracker.contracts import FrameRows, TrackState
from flowtop.tracker.errors import OutputError, WriteError
from flowtop.tracker.files.paths import is_special
from flowtop.tracker.files.sink import Sink, never, open_stream

FLUSH_S = 1.0
BUFFER_BYTES = 1 << 16  # rows held between flushes at most
CLOSE_GRACE_S = 0.5  # how long a last flush waits for a slow reader after a stop request
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
ROW_SUFFIXES = (".csv", *JSON_SUFFIXES)
TRACK_COLUMNS = ("frame", "t", "id", "x", "y", "vx", "vy", "speed", "speed_world", "unit",
                 "age", "fb_error")
_CSV_ROW = "%d,%.6f,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%s,%s,%d,%.4f\n"
_JSON_ROW = ('{"frame": %d, "t": %.6f, "id": %d, "x": %.3f, "y": %.3f, "vx": %.3f, '
             '"vy": %.3f, "speed": %.3f, "speed_world": %s, "unit": %s, "age": %d, '
             '"fb_error": %.4f}\n')
_SPEC = re.compile(r"%(?:\.\d+)?[dfs]")


def is_json(path: Path) -> bool:
    return path.suffix.lower() in JSON_SUFFIXES


class RowWriter:
    """Writes rows of equal shape a batch at a time, header first, flushing every second.

    `rows` counts the rows given; after a failed write the sink holds `rows_out` of them.
    """

    def __init__(self, sink: Sink, fmt: str, header: str = "", null: str = "") -> None:
        self.sink, self.fmt, self.null = sink, fmt, null
        self.rows = 0
        self._specs = _SPEC.findall(fmt)
        self._header_lines = header.count("\n")
        self._pending: list[bytes] = [header.encode()] if header else []
        self._pending_bytes = len(header)
        self._lines_out = 0  # complete lines on the sink, the header's included
        self._failed: WriteError | None = None
        self._last_flush = time.monotonic()

    @property
    def rows_out(self) -> int:
        return max(0, self._lines_out - self._header_lines)

    def write_columns(self, columns: list[list], finite: bool = True) -> None:
        """Write one row per index across `columns` (lists of equal length), in one `%`.

        `finite` False: some float may be NaN or infinite (written as the empty cell)."""
        n = len(columns[0]) if columns else 0
        if n:
            fmt = self.fmt
            if not finite:
                columns = [self._nulled(c, spec) for c, spec in zip(columns, self._specs)]
                fmt = re.sub(r"%(?:\.\d+)?f", "%s", fmt)
            text = (fmt * n) % tuple(chain.from_iterable(zip(*columns)))
            self._pending.append(text.encode())
            self._pending_bytes += len(text)
            self.rows += n
        if self._pending_bytes >= BUFFER_BYTES:
            self.flush()
        else:
            self.flush_due()

    def _nulled(self, column: list, spec: str) -> list:
        if not spec.endswith("f"):
            return column
        return [spec % v if math.isfinite(v) else self.null for v in column]

    def flush_due(self) -> None:
        """Flush if the last flush is `FLUSH_S` old (call it also when no rows come)."""
        if time.monotonic() - self._last_flush >= FLUSH_S:
            self.flush()

    def flush(self, grace_s: float = 0.0) -> None:
        """Write the rows held; WriteError (the file cut back to whole rows) on failure."""
        if self._failed:
            raise self._failed
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending, self._pending_bytes = [], 0
        start = self.sink.whole
        try:
            self.sink.write(data, grace_s)
        except WriteError as exc:
            self._lines_out += data.count(b"\n", 0, max(0, self.sink.whole - start))
            self._failed = WriteError(f"{exc}; {self._kept()}")
            raise self._failed from None
        self._lines_out += data.count(b"\n")

    def close(self) -> None:
        """Write what is held (waiting a moment for a slow reader) and close the sink; a
        writer that failed before only closes."""
        try:
            if not self._failed:
                self.flush(CLOSE_GRACE_S)
        finally:
            try:
                self.sink.close()
            except WriteError as exc:
                if not self._failed:
                    raise WriteError(f"{exc}; {self._kept()}") from None

    def _kept(self) -> str:
        """What a failed output kept: whole rows in a file; rows that went out to a pipe."""
        if not self.sink.regular:
            return f"{self.rows_out} rows went out"
        return f"it holds {self.rows_out} whole rows" if self._lines_out else "it holds nothing"


def check_row_path(path: Path, flag: str = "--out") -> None:
    """Refuse a row file whose name says neither CSV nor JSONL (a device or FIFO may have any
    name: it takes CSV unless its name ends in .jsonl)."""
    if path.suffix.lower() not in ROW_SUFFIXES and not is_special(path):
        raise OutputError(f"{flag} {path}: the name must end in {', '.join(ROW_SUFFIXES)}")


def row_sink(path: Path, force: bool, flag: str, cancelled: Callable[[], bool]) -> Sink:
    check_row_path(path, flag)
    return open_stream(path, force, flag, cancelled)


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

    def __init__(self, path: Path, force: bool = False, *, flag: str = "--out",
                 cancelled: Callable[[], bool] = never, sink: Sink | None = None) -> None:
        self.json = is_json(path)
        sink = sink or row_sink(path, force, flag, cancelled)
        header = "" if self.json else ",".join(TRACK_COLUMNS) + "\n"
        self.rows = RowWriter(sink, _JSON_ROW if self.json else _CSV_ROW, header,
                              null="null" if self.json else "")
        self.path = path

    def write(self, state: FrameRows) -> None:
        """The rows of one frame (`FrameRows.of(track_state)`)."""
        n = len(state.ids)
        if not n:
            self.rows.write_columns([])
            return
        world, unit = _world_cells(state, self.json)
        finite = bool(math.isfinite(state.t) and np.isfinite(state.pts).all()
                      and np.isfinite(state.vel).all() and np.isfinite(state.speed).all())
        self.rows.write_columns([
            [state.index] * n, [state.t] * n, state.ids.tolist(),
            state.pts[:, 0].tolist(), state.pts[:, 1].tolist(),
            state.vel[:, 0].tolist(), state.vel[:, 1].tolist(), state.speed.tolist(),
            world, unit, state.age.tolist(), np.nan_to_num(state.fb_error).tolist(),
        ], finite)

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

    def __init__(self, path: Path, force: bool = False, *, flag: str = "--objects-out",
                 cancelled: Callable[[], bool] = never) -> None:
        self.json = is_json(path)
        sink = row_sink(path, force, flag, cancelled)
        header = "" if self.json else ",".join(OBJECT_COLUMNS) + "\n"
        self.rows = RowWriter(sink, _OBJECT_JSON if self.json else _OBJECT_CSV, header,
                              null="null" if self.json else "")
        self.path = path

    def write(self, state: TrackState) -> None:
        j = self.json
        columns: list[list] = [[] for _ in OBJECT_COLUMNS]
        finite = math.isfinite(state.t)
        for o in state.objects:
            finite = finite and all(math.isfinite(v) for v in (
                o.x, o.y, o.w, o.h, o.vx, o.vy, o.speed, o.seen, o.top_speed))
            trapped = math.isfinite(o.trap_speed)
            row = (state.index, state.t, o.id, o.x, o.y, o.w, o.h, o.vx, o.vy, o.speed,
                   _number(o.speed_world, j), _text(o.unit, j), o.tracks, o.seen,
                   o.top_speed, _number(o.top_speed_world, j), _number(o.trap_speed, j),
                   _text(o.trap_unit if trapped else "", j))
            for column, value in zip(columns, row):
                column.append(value)
        self.rows.write_columns(columns if state.objects else [], finite)

    def flush_due(self) -> None:
        self.rows.flush_due()

    def close(self) -> None:
        self.rows.close()
