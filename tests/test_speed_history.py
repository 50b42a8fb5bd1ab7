"""The speeds panel's sparkline history against a plain reference (a deque per track)."""

from __future__ import annotations

from collections import deque
from types import SimpleNamespace

import numpy as np

from flowtop.tui.widgets.speeds import SpeedHistory


def _reference(frames: list[tuple[np.ndarray, np.ndarray]], length: int) -> dict[int, list]:
    hist: dict[int, deque] = {}
    for ids, speed in frames:
        live = set(ids.tolist())
        for dead in hist.keys() - live:
            del hist[dead]
        for i, s in zip(ids.tolist(), speed.tolist()):
            hist.setdefault(i, deque(maxlen=length)).append(s)
    return {i: list(h) for i, h in hist.items()}


def test_history_matches_a_deque_per_track() -> None:
    rng = np.random.default_rng(7)
    history = SpeedHistory(length=5)
    frames = []
    alive = np.arange(20)
    next_id = 20
    for index in range(40):
        alive = alive[rng.random(len(alive)) > 0.1]  # some tracks die
        born = np.arange(next_id, next_id + rng.integers(0, 4))
        next_id += len(born)
        alive = np.concatenate([alive, born])
        ids = rng.permutation(alive)  # the engine's order is not sorted
        speed = rng.random(len(ids)) * 100
        frames.append((ids, speed))
        state = SimpleNamespace(index=index, t=index / 30, ids=ids, speed=speed)
        history.add(state)  # type: ignore[arg-type]
        history.add(state)  # type: ignore[arg-type]  # published again: no new sample
        expected = _reference(frames, 5)
        assert len(history) == len(expected)
        for track_id, values in expected.items():
            assert history.get(track_id) == values
        assert history.top() == max(max(v) for v in expected.values())
    assert history.get(10**6) == []


def test_empty_history() -> None:
    history = SpeedHistory()
    assert history.top() == 0.0 and history.get(3) == [] and len(history) == 0
    state = SimpleNamespace(index=0, t=0.0, ids=np.empty(0, np.int64), speed=np.empty(0))
    history.add(state)  # type: ignore[arg-type]
    assert history.top() == 0.0 and len(history) == 0
