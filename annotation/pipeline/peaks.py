"""Waveform peaks: min/max per bucket, per channel, at several zoom levels (int8, -127..127)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

# Buckets per second. The overview of a 2-hour stereo call at 10/s is 288 KB; the deeper levels
# are served by time window, so the browser never loads them whole.
LEVELS: tuple[int, ...] = (10, 50, 250)


def compute_peaks(samples: np.ndarray, sample_rate: int, levels: tuple[int, ...] = LEVELS) -> dict[int, np.ndarray]:
    """``samples`` is (channels, frames). Returns {buckets_per_second: int8 array (channels, n, 2)}.

    Works block by block so a memory-mapped 2-hour call is never copied whole.
    """
    channels, frames = samples.shape
    out: dict[int, np.ndarray] = {}
    for bps in levels:
        width = max(1, sample_rate // bps)
        n = -(-frames // width)
        level = np.zeros((channels, n, 2), dtype=np.int8)
        block = width * 4096
        for start in range(0, frames, block):
            chunk = np.asarray(samples[:, start : start + block], dtype=np.float32)
            pad = (-chunk.shape[1]) % width
            if pad:
                chunk = np.pad(chunk, ((0, 0), (0, pad)), mode="edge")
            shaped = chunk.reshape(channels, -1, width)
            first = start // width
            count = shaped.shape[1]
            level[:, first : first + count, 0] = np.clip(np.round(shaped.min(axis=2) * 127), -127, 127)
            level[:, first : first + count, 1] = np.clip(np.round(shaped.max(axis=2) * 127), -127, 127)
        out[bps] = level
    return out


def save_peaks(peaks: dict[int, np.ndarray], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npz")
    np.savez(tmp, **{f"L{bps}": arr for bps, arr in peaks.items()})
    tmp.replace(path)


def load_peaks(path: Path, bps: int) -> np.ndarray:
    with np.load(path) as data:
        return data[f"L{bps}"]


def level_for(start: float, end: float, buckets: int, levels=LEVELS) -> int:
    """The coarsest stored level with at least ``buckets`` over [start, end) (else the finest)."""
    wanted = max(1, int(buckets)) / max(end - start, 1e-6)  # buckets per second needed
    return min((bps for bps in levels if bps >= wanted), default=max(levels))


def peaks_window(levels: dict[int, np.ndarray], start: float, end: float, buckets: int) -> tuple[int, np.ndarray]:
    """Min/max for ``buckets`` equal slices of [start, end) seconds, from the coarsest stored
    level that has at least that resolution (else the finest there is). Returns (level used,
    array of shape (channels, buckets, 2) int8). The browser asks only for what it draws."""
    buckets = max(1, int(buckets))
    level = level_for(start, end, buckets, tuple(levels))
    data = levels[level]
    channels, total, _ = data.shape
    first = int(np.floor(start * level))
    last = int(np.ceil(end * level))
    first, last = max(0, min(first, total)), max(0, min(last, total))
    out = np.zeros((channels, buckets, 2), dtype=np.int8)
    if last <= first:
        return level, out
    edges = np.linspace(first, last, buckets + 1).astype(int)
    for b in range(buckets):
        lo, hi = edges[b], max(edges[b + 1], edges[b] + 1)
        chunk = data[:, lo:hi, :]
        if chunk.shape[1]:
            out[:, b, 0] = chunk[:, :, 0].min(axis=1)
            out[:, b, 1] = chunk[:, :, 1].max(axis=1)
    return level, out
