"""ResilientSource: reconnect with backoff, skip bad frames, notice stalls, mark restarts."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
from fakes import FlakyCamera, MjpegServer
from waiting import wait_until

from flowtop.tracker.contracts import Frame
from flowtop.tracker.errors import SourceLost
from flowtop.tracker.sources.open import open_source
from flowtop.tracker.sources.resilient import (
    ResilientSource,
    SourceEvent,
    as_bgr,
    backoff_delay,
    frame_problem,
)

START, CAP = 0.01, 0.04  # a fast backoff for tests: 0.01, 0.02, 0.04, 0.04 ...
STALL = 0.4


def wrap(camera: FlakyCamera, first: bool = True, stall: float = STALL,
         events: list[SourceEvent] | None = None) -> ResilientSource:
    return ResilientSource(camera.open, camera.open() if first else None, stall_timeout=stall,
                           backoff_start=START, backoff_max=CAP,
                           on_event=None if events is None else events.append)


def read_frames(src: ResilientSource, n: int, max_reads: int = 2000
                ) -> tuple[list[Frame], list[str]]:
    """Read until `n` frames arrived; also return the SourceLost messages seen meanwhile."""
    frames: list[Frame] = []
    lost: list[str] = []
    for _ in range(max_reads):
        try:
            frame = src.read()
        except SourceLost as exc:
            lost.append(str(exc))
            continue
        assert frame is not None, "the wrapper ended on its own"
        frames.append(frame)
        if len(frames) == n:
            return frames, lost
    raise AssertionError(f"only {len(frames)} of {n} frames in {max_reads} reads")


def test_backoff_doubles_from_one_second_up_to_ten() -> None:
    assert [backoff_delay(k) for k in range(1, 8)] == [1, 2, 4, 8, 10, 10, 10]


def test_fails_after_n_frames_then_recovers_with_a_restart() -> None:
    events: list[SourceEvent] = []
    cam = FlakyCamera(["frames:10", "lost", "frames:10"])
    src = wrap(cam, events=events)
    frames, lost = read_frames(src, 20)
    assert len(lost) >= 1 and "no frame" in lost[0] and "reconnecting" in lost[0]
    assert [f.restart for f in frames].count(True) == 1 and frames[10].restart
    assert [f.index for f in frames] == list(range(20))  # numbering goes on over the gap
    times = [f.t for f in frames]
    assert all(b > a for a, b in itertools.pairwise(times)), "time went backwards at the reconnect"
    assert cam.opens == 2
    assert [e.kind for e in events] == ["lost", "recovered"]
    assert (src.losses, src.recoveries, src.reason) == (1, 1, "")
    src.close()


@pytest.mark.parametrize(("fault", "said"), [
    ("none", "stream ended"), ("raise", "fake driver fault"), ("down:2", "unplugged")])
def test_every_kind_of_loss_reconnects(fault: str, said: str) -> None:
    events: list[SourceEvent] = []
    cam = FlakyCamera(["frames:3", fault, "frames:3"])
    src = wrap(cam, events=events)
    frames, lost = read_frames(src, 6)
    assert said in lost[0]
    assert frames[3].restart and not any(f.restart for f in frames[4:])
    assert events[0].kind == "lost" and said in events[0].message
    assert events[-1].kind == "recovered"
    src.close()


def test_retries_follow_the_backoff_until_the_device_opens() -> None:
    events: list[SourceEvent] = []
    cam = FlakyCamera(["frames:2", "down:5", "frames:2"])
    src = wrap(cam, events=events)
    frames, _ = read_frames(src, 4)
    waited = sum(backoff_delay(k, START, CAP) for k in range(1, 7))
    assert frames[2].t - frames[1].t >= waited  # the outage shows in the frame times
    retries = [e for e in events if e.kind == "retry"]
    assert [e.attempt for e in retries] == [1, 2, 3, 4, 5]
    assert [e.retry_in for e in retries] == [backoff_delay(k, START, CAP) for k in range(2, 7)]
    assert events[0].retry_in == START
    assert events[-1].kind == "recovered" and events[-1].attempt == 6
    assert cam.failed_opens == 5 and src.attempts == 0  # reset once frames flow again
    src.close()


def test_size_change_marks_a_restart_without_a_loss() -> None:
    cam = FlakyCamera(["frames:3", "resize:160x90", "frames:3", "resize:320x180"])
    src = wrap(cam)
    frames, lost = read_frames(src, 8)
    assert lost == []
    assert [f.restart for f in frames] == [False, False, False, True, False, False, True, False]
    assert frames[3].image.shape == (90, 160, 3) and src.size == (320, 180)
    src.close()


def test_empty_and_corrupt_frames_are_skipped_and_counted() -> None:
    cam = FlakyCamera(["frames:2", "empty:3", "corrupt:2", "frames:2"])
    src = wrap(cam)
    frames, lost = read_frames(src, 4)
    assert lost == [] and src.skipped == 5
    assert all(f.image.dtype == np.uint8 and f.image.shape == (180, 320, 3) for f in frames)
    assert not any(f.restart for f in frames)
    src.close()


def test_only_corrupt_frames_for_the_timeout_counts_as_lost() -> None:
    cam = FlakyCamera(["frames:1", "corrupt:1000000"])
    src = wrap(cam, stall=0.2)
    assert src.read() is not None
    with pytest.raises(SourceLost, match=r"no usable frame for 0\.2 s"):
        src.read()
    assert src.skipped > 0
    src.close()


def test_a_stalled_read_counts_as_lost_and_the_hung_connection_is_released() -> None:
    events: list[SourceEvent] = []
    cam = FlakyCamera(["frames:2", "stall:30", "frames:2"])
    first = cam.open()
    src = ResilientSource(cam.open, first, stall_timeout=STALL, backoff_start=START,
                          backoff_max=CAP, on_event=events.append)
    frames, lost = read_frames(src, 4)
    assert "no usable frame for 0.4 s" in lost[0]
    assert frames[2].restart and cam.opens == 2
    assert not first.closed  # still stuck inside read(): it cannot be closed under it
    cam.release.set()  # the driver call finally returns ...
    # ... and the abandoned connection is closed by its own thread
    wait_until(lambda: first.closed, "the abandoned connection closed")
    src.close()


def test_close_from_another_thread_ends_a_waiting_read() -> None:
    cam = FlakyCamera(["frames:1", "stall:30"])
    src = wrap(cam, stall=60)
    assert src.read() is not None
    threading.Timer(0.2, src.close).start()
    assert src.read() is None
    cam.release.set()


def test_close_while_lost_stops_reconnecting() -> None:
    cam = FlakyCamera(["frames:1", "down:1000"])
    src = wrap(cam)
    src.read()
    with pytest.raises(SourceLost):
        src.read()
    src.close()
    assert src.read() is None
    opens = cam.failed_opens
    time.sleep(0.1)
    assert cam.failed_opens == opens


def test_without_a_first_source_the_first_reads_connect() -> None:
    cam = FlakyCamera(["frames:3"])
    cam.down = 2
    src = wrap(cam, first=False)
    frames, lost = read_frames(src, 3)
    assert lost and "not connected yet" in lost[0]
    assert cam.failed_opens == 2 and frames[0].index == 0
    src.close()


def test_lost_message_counts_down_to_the_next_attempt() -> None:
    cam = FlakyCamera(["frames:1", "lost"])
    src = ResilientSource(cam.open, cam.open(), backoff_start=3.0)
    src.read()
    with pytest.raises(SourceLost, match=r"no frame; reconnecting in 3 s"):
        src.read()
    assert 2.0 < src.retry_in() <= 3.0 and src.lost
    src.close()


@pytest.mark.parametrize(("image", "problem"), [
    (None, "no image"), (np.zeros((0, 0, 3), np.uint8), "empty"),
    (np.zeros((4, 4, 3), np.float32), "float32"), (np.zeros((4, 4, 2), np.uint8), "shape"),
    (np.zeros(4, np.uint8), "shape")])
def test_frame_problem_names_what_is_wrong(image: object, problem: str) -> None:
    found = frame_problem(image)
    assert found is not None and problem in found


@pytest.mark.parametrize("shape", [(5, 7), (5, 7, 1), (5, 7, 3), (5, 7, 4)])
def test_usable_images_become_bgr(shape: tuple[int, ...]) -> None:
    image = np.arange(np.prod(shape), dtype=np.uint8).reshape(shape)
    assert frame_problem(image) is None
    assert as_bgr(image).shape == (5, 7, 3)


def test_files_and_the_demo_are_not_wrapped() -> None:
    assert not isinstance(open_source("demo"), ResilientSource)


@pytest.fixture
def network_camera() -> Iterator[MjpegServer]:
    server = MjpegServer().start()
    yield server
    server.stop()


def test_a_network_camera_that_drops_off_is_reconnected(network_camera: MjpegServer) -> None:
    src = open_source(network_camera.url)
    assert isinstance(src, ResilientSource)
    src.backoff_start, src.backoff_max = 0.1, 0.2
    frames, _ = read_frames(src, 3)
    assert frames[0].image.shape == (90, 160, 3)
    network_camera.stop()
    lost: list[str] = []
    for _ in range(300):  # frames still buffered may arrive first
        try:
            src.read()
        except SourceLost as exc:
            lost.append(str(exc))
            break
    assert lost and network_camera.url in lost[0] and "reconnecting" in lost[0]
    network_camera.start()
    frames, _ = read_frames(src, 3)
    assert frames[0].restart and src.recoveries == 1
    src.close()
