"""The rewind buffer: bounded by seconds and by memory over any run, true to its frames,
played back as a source, written as a video that flowtop reads again."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from flowtop.tracker.config.params import ReplayParams
from flowtop.tracker.contracts import Frame
from flowtop.tracker.errors import OutputError
from flowtop.tracker.runtime.rewind import MB, Clip, ClipSource, FrameRing, write_clip
from flowtop.tracker.sources.demo import DemoScene, DemoSource
from flowtop.tracker.sources.open import open_source

FPS = 30.0


def noise_frames(count: int, w: int = 320, h: int = 180, seed: int = 0):
    """Frames of random pixels: the worst case for JPEG (about 100 KB each at 320x180)."""
    rng = np.random.default_rng(seed)
    for i in range(count):
        yield Frame(i, i / FPS, rng.integers(0, 256, (h, w, 3), np.uint8))


def demo_frames(count: int) -> list[Frame]:
    source = DemoSource(fps=FPS, paced=False, frames=count, scene=DemoScene(320, 180))
    return list(iter(source.read, None))


def test_the_ring_keeps_the_last_seconds_of_source_time() -> None:
    ring = FrameRing(ReplayParams(seconds=2.0, max_mb=512.0))
    for frame in demo_frames(150):  # 5 s
        ring.add(frame)
        assert ring.seconds <= 2.0
    clip = ring.clip()
    assert clip.seconds == pytest.approx(2.0, abs=1 / FPS)
    assert clip[-1].index == 149 and clip.fps == pytest.approx(FPS)


@pytest.mark.slow
def test_the_ring_stays_within_its_memory_budget_over_a_long_run() -> None:
    """3000 incompressible frames (100 s, about 200 MB as JPEG) through a 4 MB budget: the
    ring's own count never exceeds it, and neither does the memory Python really holds for
    it (tracemalloc), so the count is honest."""
    budget_mb = 4.0
    ring = FrameRing(ReplayParams(seconds=600.0, max_mb=budget_mb, quality=95))
    # copies of 100 noise images in turn (drawing noise costs more than the ring): each frame
    # is new memory, and the ring (about 40 frames) never holds two of the same pixels
    pixels = [frame.image for frame in noise_frames(100)]
    frames = (Frame(i, i / FPS, pixels[i % len(pixels)].copy()) for i in range(3000))
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        held = []
        for _ in range(6):
            for _ in range(500):
                ring.add(next(frames))
                assert ring.nbytes <= budget_mb * MB
            gc.collect()
            held.append(tracemalloc.get_traced_memory()[0] - base)
    finally:
        tracemalloc.stop()
    assert len(ring) > 20  # it holds what fits, not nothing
    assert max(held) <= budget_mb * MB * 1.02, [h / MB for h in held]
    assert ring.nbytes >= 0.9 * budget_mb * MB  # and the budget is used


def test_a_smaller_budget_applies_at_once_and_zero_seconds_turns_the_buffer_off() -> None:
    ring = FrameRing(ReplayParams(seconds=60.0, max_mb=64.0))
    for frame in noise_frames(60):
        ring.add(frame)
    ring.configure(ReplayParams(seconds=60.0, max_mb=1.0))
    assert ring.nbytes <= MB and len(ring) >= 1
    ring.configure(ReplayParams(seconds=0.0))
    assert not ring.enabled and len(ring) == 0 and ring.clip() == Clip()
    ring.add(next(noise_frames(1)))
    assert len(ring) == 0


def test_a_buffered_frame_decodes_to_the_same_pixels_every_time_and_close_to_the_frame() -> None:
    frame = demo_frames(1)[0]
    ring = FrameRing(ReplayParams(quality=85))
    ring.add(frame)
    entry = ring.clip()[0]
    a, b = entry.decode().image, entry.decode().image
    assert np.array_equal(a, b) and a.shape == frame.image.shape
    mse = ((a.astype(float) - frame.image.astype(float)) ** 2).mean()
    psnr = 10 * np.log10(255 ** 2 / mse)
    assert psnr > 30.0, psnr  # JPEG at quality 85: close to the frame (30 dB and more)
    assert (entry.index, entry.t) == (frame.index, frame.t)


def test_a_clip_plays_as_a_source_and_loops_with_a_restart() -> None:
    frames = demo_frames(10)
    ring = FrameRing()
    for frame in frames:
        ring.add(frame)
    source = ClipSource(ring.clip(), paced=False)
    assert source.size == (320, 180) and source.frame_count == 10
    read = [source.read() for _ in range(12)]
    assert [f.index for f in read if f] == [*range(10), 0, 1]
    assert [i for i, f in enumerate(read) if f and f.restart] == [0, 10]
    source.seek(7)
    assert source.read().index == 7
    once = ClipSource(ring.clip(), paced=False, loop=False)
    assert len(list(iter(once.read, None))) == 10


def test_the_buffer_written_as_a_video_is_a_source_again(tmp_path: Path) -> None:
    ring = FrameRing()
    for frame in demo_frames(45):
        ring.add(frame)
    clip = ring.clip()
    path = write_clip(clip, tmp_path / "buffer.mp4")
    assert path.exists() and not list(tmp_path.glob(".*part*"))
    again = open_source(str(path), paced=False)
    assert again.size == (320, 180) and again.nominal_fps == pytest.approx(FPS, rel=0.01)
    read = list(iter(again.read, None))
    assert len(read) == 45
    with pytest.raises(OutputError, match="exists"):
        write_clip(clip, path)
    with pytest.raises(OutputError, match="empty"):
        write_clip(Clip(), tmp_path / "none.mp4")
