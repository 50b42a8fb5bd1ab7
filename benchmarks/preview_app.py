"""The preview alone, full screen, fed by the tracking loop: to measure its own bytes.

    python benchmarks/preview_app.py SOURCE [--set section.key=value ...]

`benchmarks/tui_wire.py --preview-only` runs it in tmux under `script`; with no other
widget on screen, the bytes written are the preview's (plus Textual's cursor handling).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from textual import work
from textual.app import App, ComposeResult
from textual.message import Message
from textual.worker import get_current_worker

from flowtop.tracker.config.files import load_params
from flowtop.tracker.contracts import Snapshot
from flowtop.tracker.runtime.loop import Latest, TrackingLoop
from flowtop.tracker.sources.open import open_source
from flowtop.tui.preview.widget import Preview


class PreviewOnly(App):
    CSS = "Preview { width: 1fr; height: 1fr; }"
    BINDINGS = [("q", "quit", "quit")]

    def __init__(self, source: str, overrides: list[str], stats: Path | None) -> None:
        super().__init__(ansi_color=True)
        self.stats = stats
        self.params = load_params(None, overrides)
        self.latest: Latest[Snapshot] = Latest()
        self.loop = TrackingLoop(open_source(source, paced=True, loop=True), self.params,
                                 self.publish)

    class Published(Message):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PreviewOnly.Published)

    def publish(self, snapshot: Snapshot) -> None:
        self.latest.put(snapshot)
        self.post_message(self.Published())

    def on_preview_only_published(self, _event: Published) -> None:
        snap = self.latest.take()
        if snap is not None:
            self.query_one(Preview).show(snap.state)

    def compose(self) -> ComposeResult:
        yield Preview(self.params.preview)

    def on_mount(self) -> None:
        if self.stats is not None:
            self.set_interval(1.0, self.log_frames)
        self.track()

    def log_frames(self) -> None:
        """Append 'monotonic-time frames-drawn' to the stats file."""
        import time

        with self.stats.open("a") as f:  # type: ignore[union-attr]
            f.write(f"{time.monotonic()} {self.query_one(Preview).frames_drawn}\n")

    @work(thread=True, exclusive=True)
    def track(self) -> None:
        worker = get_current_worker()
        self.loop.run(lambda: worker.is_cancelled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    parser.add_argument("--stats", type=Path, help="append 'time frames' every second here")
    args = parser.parse_args()
    PreviewOnly(args.source, args.overrides, args.stats).run()


if __name__ == "__main__":
    main()
