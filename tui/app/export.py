"""`e` in the app: the shown frame as an annotated PNG and the recent tracks as CSV.

The tracking loop publishes the rows of the recent frames with every snapshot
(`tracker.runtime.history`); `export_files` writes them and the frame into a folder under
timestamped names that never replace a file, each whole or not at all; the app runs it in a
thread and notifies where the files went.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from flowtop.tracker.contracts import FrameRows, TrackState
from flowtop.tracker.errors import OutputError
from flowtop.tracker.files.atomic import AtomicFile
from flowtop.tracker.output.rows import TrackWriter
from flowtop.tracker.render.scheme import DEFAULT_SCHEME, Scheme

if TYPE_CHECKING:
    from textual.app import App

NAME_PREFIX = "flowtop"


@dataclass(frozen=True)
class Exported:
    png: Path
    csv: Path
    rows: int
    frames: int
    seconds: float  # of source time the CSV covers

    def message(self) -> str:
        return (f"exported frame to {self.png}\n{self.rows} track rows "
                f"({self.frames} frames, {self.seconds:.1f} s) to {self.csv}")


def free_names(folder: Path, now: datetime) -> tuple[Path, Path]:
    """`flowtop-YYYYmmdd-HHMMSS.png` and `.csv` in `folder`, with `-2`, `-3`, ... added
    when either exists."""
    stem = f"{NAME_PREFIX}-{now:%Y%m%d-%H%M%S}"
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        png, csv = folder / f"{name}.png", folder / f"{name}.csv"
        if not png.exists() and not csv.exists():
            return png, csv
        n += 1


def export_files(state: TrackState, history: Sequence[FrameRows], folder: Path,
                 now: datetime | None = None, scheme: Scheme = DEFAULT_SCHEME) -> Exported:
    """Write `state`'s frame, annotated as `scheme` says (the preview's), as PNG and
    `history` (or `state`'s own rows when empty) as CSV in the columns of
    `flowtop track --out`. Raises OutputError."""
    from flowtop.tracker.output.video import write_png
    from flowtop.tracker.render.annotate import annotate

    if not folder.is_dir():
        raise OutputError(f"cannot export: folder {folder} does not exist")
    png, csv = free_names(folder, now or datetime.now())
    write_png(png, annotate(state.image, state, scheme=scheme), flag="export")
    frames = history or [FrameRows.of(state)]
    with AtomicFile(csv, flag="export") as out:  # whole, or no CSV at all
        writer = TrackWriter(csv, sink=out.sink)
        for rows in frames:
            writer.write(rows)
        writer.rows.flush()
        out.commit()
    return Exported(png, csv, writer.rows.rows, len(frames), frames[-1].t - frames[0].t)


def start_export(app: App, state: TrackState | None, history: Sequence[FrameRows],
                 folder: Path | None = None, scheme: Scheme = DEFAULT_SCHEME) -> None:
    """Export `state` (drawn as `scheme` says) and `history` into `folder` (default: the
    working directory) in a thread, then notify where the files went (or why they could
    not be written)."""
    if state is None:
        app.notify("nothing to export yet: no frame has arrived", severity="warning")
        return
    where = folder or Path.cwd()

    def export() -> None:
        try:
            done = export_files(state, history, where, scheme=scheme)
        except (OutputError, OSError) as exc:
            app.call_from_thread(app.notify, f"export failed: {exc}", severity="error")
            return
        app.call_from_thread(app.notify, done.message(), title="export", timeout=10)

    app.run_worker(export, thread=True, group="export", exit_on_error=False)
