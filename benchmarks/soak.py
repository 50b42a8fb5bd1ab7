"""Soak test: run the demo for N minutes through the engine and the renderer; print RSS.

    python benchmarks/soak.py --minutes 30            # the goal: growth < 10 MB
    python benchmarks/soak.py --minutes 2 --every 20  # a quick check
    python benchmarks/soak.py --minutes 5 --app       # the whole Textual app, headless
    python benchmarks/soak.py --minutes 5 --faults 7  # the source drops every 7 s
    python benchmarks/soak.py --color 256 --no-tui    # engine + tracker.render.cells only

Default mode: a `TrackingLoop` over the paced demo in its worker thread (as in the app),
while the main thread renders the newest snapshot at the preview rate through
`render_cells` (with the preview's `Stabilizer`), `style_cells` and the preview's rows
(`tui.preview.rows`, unless `--no-tui`: changed tile rows remade and written, the others kept, as in
the Preview, for a truecolor terminal), by default in truecolor (the mode with
the most distinct colours, so the fullest caches), feeds `RunStats` and writes the tracks to
a CSV in a temporary folder. `--app` runs `FlowtopApp` instead, headless, keys untouched.
`--faults S` wraps the demo in a `ResilientSource` that loses its connection every S
seconds (threads and sources come and go). RSS is sampled after a warm-up and every
`--every` seconds; growth is measured from the warm-up sample.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import Frame, FrameRows, Snapshot, Source
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.output.rows import TrackWriter
from flowtop.tracker.render.cells import render_cells
from flowtop.tracker.render.dither import BlockDiffuser
from flowtop.tracker.render.palette import Stabilizer, style_cells
from flowtop.tracker.runtime.loop import Latest, TrackingLoop
from flowtop.tracker.runtime.stats import RunStats
from flowtop.tracker.sources.base import SourceBase
from flowtop.tracker.sources.demo import DemoSource
from flowtop.tracker.sources.resilient import ResilientSource

GOAL_MB_PER_30_MIN = 10.0
WARMUP_S = 20.0
PREVIEW = (120, 40)  # cols, rows of the preview


def rss_mb() -> float:
    """Resident set size now (Linux /proc), else the peak from getrusage."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DroppingDemo(SourceBase):
    """The demo, paced, whose 'connection' fails every `period` seconds."""

    live = True

    def __init__(self, period: float) -> None:
        super().__init__()
        self.demo = DemoSource()
        self.name, self.size, self.nominal_fps = "demo (faults)", self.demo.size, 30.0
        self.deadline = time.monotonic() + period

    def read(self) -> Frame | None:
        if time.monotonic() > self.deadline:
            raise SourceLost("demo (faults): connection dropped")
        return self.demo.read()


def make_source(faults: float) -> Source:
    if not faults:
        return DemoSource()
    return ResilientSource(lambda: DroppingDemo(faults), DroppingDemo(faults),
                           backoff_start=0.2, backoff_max=0.5)


class Sampler:
    """Prints RSS after the warm-up and every `every` seconds; keeps the figures."""

    def __init__(self, minutes: float, every: float, counter: Callable[[], int]) -> None:
        self.start = time.monotonic()
        self.end = self.start + minutes * 60
        self.every, self.counter = every, counter
        self.base: float | None = None
        self.next = self.start + min(WARMUP_S, minutes * 60 / 4)
        self.samples: list[tuple[float, float]] = []

    def due(self) -> bool:
        """Sample if it is time; False once the run is over."""
        now = time.monotonic()
        if now >= self.next or now >= self.end:
            rss = rss_mb()
            if self.base is None:
                self.base = rss
            self.samples.append((now - self.start, rss))
            frames = self.counter()
            print(f"{(now - self.start) / 60:6.2f} min  frames {frames:8d}  "
                  f"rss {rss:7.1f} MB  growth {rss - self.base:+6.1f} MB", flush=True)
            self.next = now + self.every
        return now < self.end

    def verdict(self) -> int:
        assert self.base is not None
        (t0, r0), (t1, r1) = self.samples[0], self.samples[-1]
        span_min = (t1 - t0) / 60
        growth = r1 - r0
        peak = max(r for _, r in self.samples) - r0
        print(f"growth {growth:+.1f} MB over {span_min:.1f} min after warm-up "
              f"(peak {peak:+.1f} MB); goal < {GOAL_MB_PER_30_MIN:g} MB over 30 min",
              flush=True)
        if span_min < 29:  # a straight line through a short run says little about a cache
            rate = growth / span_min * 30 if span_min > 0 else 0.0
            print(f"(a short run: at this rate {rate:+.1f} MB per 30 min; bounded caches "
                  f"level off, so run 30 min for the figure)", flush=True)
            return 0 if rate < GOAL_MB_PER_30_MIN else 1
        return 0 if growth < GOAL_MB_PER_30_MIN else 1


class PreviewRows:
    """The preview's rows as the Preview keeps them: a Strip per tile row made on a full
    repaint, then the terminal text of the changed cells of each frame (as the preview writes
    it where nothing covers the picture); the strips stay, however old."""

    def __init__(self, cols: int) -> None:
        import io

        from rich.console import Console
        from rich.style import Style

        from flowtop.tui.preview.rows import RowBuilder, tile_edges

        self.builder, self.edges, self.base = RowBuilder(), tile_edges(cols), Style()
        self.console = Console(file=io.StringIO(), force_terminal=True, color_system="truecolor")
        self.strips: list = []
        self.previous = None

    def draw(self, styled) -> None:
        from flowtop.tui.preview.rows import changed_cells

        changes = changed_cells(styled, self.previous, self.edges)
        if changes is None:
            self.strips = self.builder.build(styled, range(styled.fg.shape[0]), self.base,
                                             self.edges, self.console)
            drawn = [strip for row in self.strips for strip in row]
        else:  # as the preview writes changed cells where nothing covers the picture
            self.builder.span_texts(styled, changes, self.base, self.console)
            drawn = []
        for strip in drawn:
            strip.render(self.console)
        self.previous = styled


def soak_engine(args: argparse.Namespace) -> int:
    cols, rows = PREVIEW
    preview = PreviewRows(cols) if args.tui else None

    source = make_source(args.faults)
    params = Params()
    latest: Latest[Snapshot] = Latest()
    loop = TrackingLoop(source, params, latest.put)
    stabilizer = Stabilizer(params.preview.quantize_bits, params.preview.hysteresis)
    diffuser = BlockDiffuser()  # the preview's: 256/16 colours remember their blocks
    stats = RunStats()
    stop = threading.Event()
    worker = threading.Thread(target=loop.run, args=(stop.is_set,), daemon=True)
    worker.start()
    with tempfile.TemporaryDirectory() as tmp:
        writer = TrackWriter(Path(tmp) / "tracks.csv")
        sampler = Sampler(args.minutes, args.every, lambda: stats.frames)
        try:
            while sampler.due():
                snap = latest.take()
                if snap is not None and snap.state is not None and snap.state.index >= 0:
                    state = snap.state
                    stats.add(state)
                    writer.write(FrameRows.of(state))
                    cells = render_cells(state.image, state, cols, rows,
                                         picture_filter=stabilizer)
                    styled = style_cells(cells, args.color, diffuser)
                    if preview is not None:
                        preview.draw(styled)
                time.sleep(1 / 15)  # the preview rate
        finally:
            stop.set()
            worker.join(10)
            writer.close()
    if args.faults:
        print(f"source losses {source.losses}, recoveries {source.recoveries}")  # type: ignore[attr-defined]
    return sampler.verdict()


def soak_app(args: argparse.Namespace) -> int:
    from flowtop.tui.app.app import FlowtopApp

    async def run() -> int:
        app = FlowtopApp(source=make_source(args.faults), params=Params(),
                         config_path=Path(tempfile.gettempdir()) / "flowtop-soak.toml")

        def frames() -> int:
            state = app.snapshot.state
            return 0 if state is None else state.index

        async with app.run_test(size=PREVIEW) as pilot:
            sampler = Sampler(args.minutes, args.every, frames)
            while sampler.due():
                await pilot.pause(0.5)
            return sampler.verdict()

    return asyncio.run(run())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples")
    parser.add_argument("--app", action="store_true", help="soak the whole app, headless")
    parser.add_argument("--faults", type=float, default=0.0, metavar="S",
                        help="drop the source every S seconds (0 = never)")
    parser.add_argument("--color", default="truecolor",
                        choices=("truecolor", "256", "16", "gray", "ascii"),
                        help="colour mode of the rendered cells (engine mode)")
    parser.add_argument("--no-tui", dest="tui", action="store_false",
                        help="engine mode: stop at style_cells, build no Textual Strips")
    args = parser.parse_args()
    print(f"soak: {'app' if args.app else 'engine + renderer'}, {args.minutes:g} min, "
          f"faults every {args.faults:g} s" if args.faults else
          f"soak: {'app' if args.app else 'engine + renderer'}, {args.minutes:g} min",
          flush=True)
    return soak_app(args) if args.app else soak_engine(args)


if __name__ == "__main__":
    sys.exit(main())
