"""Block-local error diffusion: nearest colours, faithful block means, locality, memory."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from flowtop.tracker.render import palette as palette_module
from flowtop.tracker.render.dither import (
    BLOCK_COLS,
    BLOCK_ORDER,
    BLOCK_ROWS,
    BLOCK_WEIGHTS,
    BlockDiffuser,
    build_palette,
    diffuse,
    diffuse_blocks,
    nearest_table,
    to_lab,
)
from flowtop.tracker.render.palette import (
    XTERM_16,
    shipped_table_256,
    xterm_256,
    xterm_palette,
)


def test_the_shipped_256_colour_table_is_the_computed_one():
    """flowtop ships the 256-colour palette's nearest-colour table (computing it costs ~0.7 s
    at every start). After a change to the palette, the grid or the colour space, write it
    again: zlib.compress(nearest_table(range(16, 256), xterm_256()[16:], "lab").tobytes(), 9)
    into tracker/render/xterm256_lab.table.zlib."""
    shipped = shipped_table_256()
    assert shipped is not None
    assert np.array_equal(shipped, nearest_table(np.arange(16, 256), xterm_256()[16:], "lab"))


def test_a_missing_or_damaged_table_is_not_used(monkeypatch, tmp_path):
    """Then the palette computes its table (`_xterm_palette` builds it from None)."""
    monkeypatch.setattr(palette_module.resources, "files", lambda _package: tmp_path)
    table = tmp_path / palette_module.XTERM_256_TABLE
    assert shipped_table_256() is None  # missing
    table.write_bytes(b"not zlib")
    assert shipped_table_256() is None  # damaged
    table.write_bytes(zlib.compress(b"too short"))
    assert shipped_table_256() is None  # the wrong size


@pytest.mark.parametrize(("mode", "codes"), [("256", range(16, 256)), ("16", range(16))])
def test_palette_colours_map_to_themselves(mode, codes):
    rgb = xterm_256()[list(codes)].astype(np.uint8)
    assert xterm_palette(mode).nearest(rgb).tolist() == list(codes)


def test_256_nearest_is_nearest_in_lab():
    rng = np.random.default_rng(1)
    rgb = rng.integers(0, 256, (5000, 3)).astype(np.uint8)
    lab, pal = to_lab(rgb), to_lab(xterm_256()[16:])
    d = np.sqrt(((lab[:, None, :] - pal[None]) ** 2).sum(-1))
    got = d[np.arange(len(rgb)), xterm_palette("256").nearest(rgb) - 16]
    best = d.min(axis=1)
    # the table has 6 bits per channel: near ties may go the other way, by little
    assert (got == best).mean() > 0.8
    assert (got - best).max() < 4.0


def test_16_colours_are_xterms_and_nearest_in_rgb():
    pal = xterm_palette("16")
    assert pal.rgb.tolist() == [list(c) for c in XTERM_16]
    assert pal.nearest(np.array([[200, 10, 10], [20, 20, 20], [250, 250, 40]], np.uint8)
                       ).tolist() == [1, 0, 11]


def test_a_palette_colour_is_drawn_without_dither():
    canvas = np.empty((8, 16, 3), np.uint8)
    canvas[:] = xterm_256()[67]
    assert (diffuse(canvas, xterm_palette("256")) == 67).all()


@pytest.mark.parametrize("mode", ["256", "16"])
def test_each_block_keeps_the_mean_colour(mode):
    """A flat colour between palette colours is mixed: each block's mean is near it."""
    target = np.array([128, 100, 60], np.float32)
    canvas = np.empty((8, 16, 3), np.uint8)
    canvas[:] = target
    pal = xterm_palette(mode)
    codes = diffuse(canvas, pal)
    assert len(np.unique(codes)) >= 2
    nearest_miss = np.abs(pal.rgb[pal.codes == pal.nearest(target)][0] - target).max()
    rgb = xterm_256()[codes].astype(np.float32)
    blocks = rgb.reshape(4, BLOCK_ROWS, 4, BLOCK_COLS, 3).mean(axis=(1, 3))
    miss = np.abs(blocks - target).max()
    assert miss < nearest_miss / 2


def test_a_changed_pixel_changes_only_its_block():
    rng = np.random.default_rng(3)
    canvas = rng.integers(0, 256, (8, 16, 3)).astype(np.uint8)
    pal = xterm_palette("16")
    before = diffuse(canvas, pal)
    canvas[2, 5] = 255 - canvas[2, 5]
    changed = np.argwhere(diffuse(canvas, pal) != before)
    assert len(changed)
    assert set(changed[:, 0] // BLOCK_ROWS) == {1} and set(changed[:, 1] // BLOCK_COLS) == {1}


def test_held_pixels_take_their_nearest_and_pass_no_error():
    canvas = np.full((2, 4, 3), 120, np.uint8)
    keep = np.zeros((2, 4), bool)
    keep[0, 1] = True
    pal = xterm_palette("16")
    results = []
    for mark in ((255, 0, 0), (0, 255, 0), (0, 0, 0)):
        canvas[0, 1] = mark
        codes = diffuse(canvas, pal, keep)
        assert codes[0, 1] == pal.nearest(np.array(mark, np.uint8))
        results.append(np.delete(codes.ravel(), 1))
    assert all((r == results[0]).all() for r in results)


def reference_diffusion(block: np.ndarray, held: np.ndarray, palette) -> list[int]:
    """One block's codes, pixel by pixel: (K, 3) RGB in BLOCK_ORDER, (K,) held marks."""
    bucket = np.float32(4.0)  # table buckets of 4 levels
    work = [block[k].astype(np.float32) / bucket for k in range(len(block))]
    planes = palette.planes / bucket
    codes = []
    for k in range(len(block)):
        value = block[k].astype(np.float32) / bucket if held[k] else work[k]
        index = np.floor(np.clip(value, 0, np.float32(64 - 1e-3))).astype(int)
        code = int(palette.table[index[0] * 4096 + index[1] * 64 + index[2]])
        codes.append(code)
        error = np.zeros(3, np.float32) if held[k] else value - planes[:, code]
        for j in range(k + 1, len(block)):
            if BLOCK_WEIGHTS[j, k] > 0:
                work[j] = work[j] + BLOCK_WEIGHTS[j, k] * error
    return codes


@pytest.mark.parametrize("mode", ["256", "16"])
def test_blocks_diffuse_as_one_pixel_after_another(mode):
    """All blocks at once give what each block gives done pixel by pixel in serpentine
    order, its error handed on by BLOCK_WEIGHTS, held pixels taking none and giving none."""
    rng = np.random.default_rng(5)
    pal = xterm_palette(mode)
    k = len(BLOCK_ORDER)
    blocks = rng.integers(0, 256, (k, 3, 40)).astype(np.float32)
    blocks[:, :, :5] = rng.choice([0.0, 255.0], (k, 3, 5))  # errors that saturate
    held = rng.random((k, 40)) < 0.15
    for marks in (held, np.zeros_like(held)):
        done = diffuse_blocks(blocks, pal, marks if marks.any() else None)
        expected = [reference_diffusion(blocks[:, :, m], marks[:, m], pal) for m in range(40)]
        assert done.T.tolist() == expected


@pytest.mark.parametrize("width", [7, 8, 13])
@pytest.mark.parametrize("mode", ["256", "16"])
def test_remembering_diffuser_gives_what_a_fresh_one_gives(mode, width):
    rng = np.random.default_rng(width)
    pal = xterm_palette(mode)
    remembering = BlockDiffuser()
    canvas = rng.integers(0, 256, (6, width, 3)).astype(np.uint8)
    keep = np.zeros((6, width), bool)
    for step in range(25):
        canvas, keep = canvas.copy(), keep.copy()
        canvas[rng.integers(0, 6), rng.integers(0, width)] = rng.integers(0, 256, 3)
        if step % 4 == 0:
            keep[rng.integers(0, 6), rng.integers(0, width)] ^= True
        assert (remembering(canvas, pal, keep) == diffuse(canvas, pal, keep)).all()
    other = xterm_palette("256" if mode == "16" else "16")  # a new palette starts afresh
    assert (remembering(canvas, other, keep) == diffuse(canvas, other, keep)).all()


def test_bad_canvas_and_palette_are_refused():
    with pytest.raises(ValueError, match="multiple of 2"):
        diffuse(np.zeros((3, 4, 3), np.uint8), xterm_palette("16"))
    with pytest.raises(ValueError, match="colour space"):
        build_palette([1], [(0, 0, 0)], "hsv")
    with pytest.raises(ValueError, match="one code"):
        build_palette([300], [(0, 0, 0)], "rgb")
