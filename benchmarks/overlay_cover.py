"""How much of the picture the tracks overlay hides, per preview size and frame.

Tracks the source with the default parameters (or `--set`) and prints, for each chosen frame
and preview size, the overlay's cover (`tracker.render.cover`: the share of picture pixels
changed by more than dE 20 in CIELAB against the same frame drawn without tracks) with the
default scheme and with every track drawn (the `v` view), and the objects found.
Goal: at most 8% on highway.mp4 frame 60 in the preview of an 80x24 terminal (78x20 cells).

    python benchmarks/overlay_cover.py                       # highway.mp4, frames 30 60 90 120
    python benchmarks/overlay_cover.py --source ../shared/data/pedestrians.avi --frames 50 100
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flowtop.tracker.config.params import Params
from flowtop.tracker.contracts import TrackState
from flowtop.tracker.core.engine import Tracker
from flowtop.tracker.render.cover import overlay_cover
from flowtop.tracker.render.scheme import Scheme, SchemeStream
from flowtop.tracker.sources.open import open_source
from flowtop.tui.cli.options import parse_size

HIGHWAY = Path(__file__).resolve().parents[2] / "shared" / "data" / "highway.mp4"
# the preview panel of 80x24, 100x30 and 160x50 terminals (the app's layout)
SIZES = ("78x20", "98x26", "112x46")
GOAL = 0.08


def tracked(spec: str, frames: set[int], params: Params) -> dict[int, TrackState]:
    """The states of `frames` (indices from 0) of `spec`, tracked from its start."""
    source = open_source(spec, paced=False)
    tracker = Tracker(params)
    states: dict[int, TrackState] = {}
    try:
        for i in range(max(frames) + 1):
            frame = source.read()
            if frame is None:
                break
            state = tracker.update(frame)
            if i in frames:
                states[i] = state
    finally:
        source.close()
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=str(HIGHWAY))
    parser.add_argument("--frames", type=int, nargs="+", default=[30, 60, 90, 120])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES), metavar="COLSxROWS")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter, as for flowtop")
    args = parser.parse_args()
    params = Params()
    for item in args.set:
        key, _, value = item.partition("=")
        params = params.with_text(key, value)
    sizes = [parse_size(s) for s in args.sizes]
    states = tracked(args.source, set(args.frames), params)
    print(f"{Path(args.source).name}: share of picture pixels changed by dE > 20 "
          f"(default scheme / every track)")
    print(f"{'frame':>5} {'objects':>7} {'live':>5}  "
          + "  ".join(f"{f'{c}x{r}':>15}" for c, r in sizes))
    for index in sorted(states):
        state = states[index]
        scheme = SchemeStream(params.preview)(state)
        figures = [(overlay_cover(state, c, r, scheme),
                    overlay_cover(state, c, r, Scheme(all_tracks=True))) for c, r in sizes]
        print(f"{index:>5} {len(state.objects):>7} {state.live:>5}  "
              + "  ".join(f"{a:6.1%} / {b:6.1%}" for a, b in figures))
    print(f"goal: <= {GOAL:.0%} at 78x20 on highway.mp4 frame 60")


if __name__ == "__main__":
    main()
