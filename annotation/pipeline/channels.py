"""Dual-channel calls: each channel is one party, so the channel is the speaker.

Two things make a channel's words wrong as turns:

- **Leakage** (cross-talk): the other party's voice bleeds into this channel at a lower level
  (a shared room, a hybrid's echo). Recognition hears it and writes words, which would become a
  turn of the wrong speaker. Leaked speech is a quieter copy of the other channel: over the
  stretch, the other channel is clearly louder *and* this channel's loudness follows it frame by
  frame. Real double-talk has its own, independent loudness contour.
- **Loose word times**: recognition's word timings can run into the silence around speech.
  Word boundaries are pulled in to where the channel's own speech is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .audio import SAMPLE_RATE
from .runs import true_runs
from .types import Word

FRAME = 0.01  # seconds


@dataclass(frozen=True)
class ChannelConfig:
    speech_above_floor_db: float = 15.0  # a frame is speech this far above the channel's noise floor
    min_speech: float = 0.12  # seconds; shorter runs are clicks
    bridge: float = 0.25  # seconds; shorter pauses stay inside one run
    leak_margin_db: float = 6.0  # the other channel is at least this much louder over the run
    leak_correlation: float = 0.7  # and this channel's loudness follows it this closely...
    leak_lag: float = 0.1  # ...at some delay up to this many seconds (echo paths add delay)
    word_overlap: float = 0.3  # a word with less of its span in own speech is not this channel's


def frame_levels(samples: np.ndarray, block_seconds: float = 60.0) -> np.ndarray:
    """(channels, frames) level in dB of 10 ms frames, read a block at a time (a memory map is
    fine): a whole 60-minute dual-channel call at once cost 880 MB of float64 scratch."""
    hop = int(FRAME * SAMPLE_RATE)
    n = samples.shape[1] // hop
    per_block = max(1, int(block_seconds / FRAME))
    out = np.empty((samples.shape[0], n), dtype=np.float64)
    for first in range(0, n, per_block):
        last = min(n, first + per_block)
        frames = np.asarray(samples[:, first * hop : last * hop], dtype=np.float64)
        out[:, first:last] = 10 * np.log10(
            np.mean(frames.reshape(samples.shape[0], last - first, hop) ** 2, axis=2) + 1e-10
        )
    return out


def _noise_floors(levels: np.ndarray) -> np.ndarray:
    """Per channel: the level of its quietest tenth of frames."""
    return np.percentile(levels, 10, axis=1)


def _speech_frames(levels: np.ndarray, config: ChannelConfig) -> np.ndarray:
    """(channels, frames): where each channel is clearly above its own noise floor."""
    return (levels - _noise_floors(levels)[:, None]) > config.speech_above_floor_db


def _louder(levels: np.ndarray, speech: np.ndarray) -> int:
    """The channel whose speech is louder on average (the better copy of one mix)."""
    return int(np.argmax([levels[c, speech[c]].mean() for c in range(levels.shape[0])]))


def channel_separation(samples: np.ndarray, config: ChannelConfig = ChannelConfig()) -> float:
    """How far apart the two channels are, in dB: the median of |level 0 - level 1| over the
    10 ms frames where either channel has speech (0 when neither has any)."""
    levels = frame_levels(samples[:2])
    speech = _speech_frames(levels, config).any(axis=0)
    return float(np.median(np.abs(levels[0, speech] - levels[1, speech]))) if speech.any() else 0.0


@dataclass(frozen=True)
class MonoSource:
    channel: int  # the channel that holds the whole call
    kind: str  # "one mix" (both channels) | "mix and leg" (the other: one party) | "one side silent"


MIN_SPEECH_FRAMES = 10  # a channel with less speech of its own (0.1 s) has none to judge


def mono_source(samples: np.ndarray, config: ChannelConfig = ChannelConfig()) -> MonoSource | None:
    """Whether a two-channel recording is really a mono call, and which channel holds it.

    The dual-channel path assumes one party per channel. A channel with no speech of its own
    (digital silence, or only line hiss) while the other has speech: the other holds the call,
    and as a party it would put every voice on one speaker ("one side silent"). A channel's
    speech is *also on the other
    channel* when, over the frames where it speaks, the other channel is about as loud (median
    level difference under ``leak_margin_db``, so the leakage rule could not tell the two apart)
    and its loudness follows this one's (correlation at least ``leak_correlation``); the same mix
    on both channels at any fixed gain apart is caught first (``_one_mix_at_a_gain``):
    - both channels so: one mix on both (a mono call saved as stereo); the louder is kept;
    - one channel so: the other carries the whole call and this one a single party's leg (some
      recorders store the mix and one leg); the mix is kept;
    - neither: one party per channel (leakage is far quieter; a back-channel spoken over the
      other party does not follow its loudness), and ``None`` is returned.
    As two parties, a mono call would have its words written twice, or both voices on one party."""
    if samples.shape[0] != 2:
        return None
    levels = frame_levels(samples[:2])
    speech = _speech_frames(levels, config)
    speaks = speech.sum(axis=1) >= MIN_SPEECH_FRAMES
    if speaks.sum() == 1:
        return MonoSource(int(np.flatnonzero(speaks)[0]), "one side silent")
    if not speaks.any():
        return None
    if _one_mix_at_a_gain(levels, speech, config):
        return MonoSource(_louder(levels, speech), "one mix")
    on_both = []
    for channel in (0, 1):
        mine = speech[channel]
        own, other = levels[channel, mine], levels[1 - channel, mine]
        close = np.median(np.abs(own - other)) < config.leak_margin_db
        follows = (
            np.std(own) > 1e-6 and np.std(other) > 1e-6 and np.corrcoef(own, other)[0, 1] >= config.leak_correlation
        )
        on_both.append(bool(close and follows))
    if all(on_both):
        return MonoSource(_louder(levels, speech), "one mix")
    if any(on_both):
        return MonoSource(1 - on_both.index(True), "mix and leg")
    return None


MAX_DEPARTING_SECONDS = 0.1  # a word of its own on either channel (copies, even through MP3 or AAC, show none)


def _one_mix_at_a_gain(levels: np.ndarray, speech: np.ndarray, config: ChannelConfig) -> bool:
    """Both channels carry one sound at a fixed gain apart (a mono call saved as stereo with one
    side turned down 10 dB, say), which the "about as loud" test cannot see: a copy 8 dB down
    is as quiet as cross-talk.

    The gain ``g`` is the median level difference where both channels have speech. Wherever
    either has speech, each channel is then predicted from the other (shifted by ``g``, but never
    below its own noise floor). A copy is predicted within ``leak_margin_db`` on every frame. Two
    parties are not: where one party talks, the other channel holds only cross-talk or its floor,
    and predicting from it fails both ways. More than ``MAX_DEPARTING_SECONDS`` of such frames
    is two parties, whatever their levels; a leakage-only side stays with the leakage rule."""
    both = speech.all(axis=0)
    either = speech.any(axis=0)
    if both.sum() < MIN_SPEECH_FRAMES:
        return False
    gain = float(np.median(levels[0, both] - levels[1, both]))
    floors = _noise_floors(levels)
    first, second = levels[0, either], levels[1, either]
    misses_first = np.abs(first - np.maximum(second + gain, floors[0])) > config.leak_margin_db
    misses_second = np.abs(second - np.maximum(first - gain, floors[1])) > config.leak_margin_db
    return (misses_first & misses_second).sum() * FRAME <= MAX_DEPARTING_SECONDS


def _runs(mask: np.ndarray, bridge: int, minimum: int) -> list[tuple[int, int]]:
    runs: list[list[int]] = []
    for first, last in zip(*true_runs(mask), strict=True):
        if runs and first - runs[-1][1] <= bridge:
            runs[-1][1] = int(last)
        else:
            runs.append([int(first), int(last)])
    return [(a, b) for a, b in runs if b - a >= minimum]


def channel_runs(samples: np.ndarray, config: ChannelConfig = ChannelConfig()) -> list[list[tuple[float, float, bool]]]:
    """Per channel: (start, end, leaked) for each run of sound, ``leaked`` when it is the other
    party bleeding in. The one leakage rule, for the VAD's stretches and for the words."""
    levels = frame_levels(samples)
    speech = _speech_frames(levels, config)
    bridge, minimum = int(config.bridge / FRAME), int(config.min_speech / FRAME)
    out: list[list[tuple[float, float, bool]]] = []
    for channel in range(levels.shape[0]):
        out.append(
            [
                (first * FRAME, last * FRAME, _is_leakage(levels, channel, first, last, config))
                for first, last in _runs(speech[channel], bridge, minimum)
            ]
        )
    return out


def channel_speech(samples: np.ndarray, config: ChannelConfig = ChannelConfig()) -> list[list[tuple[float, float]]]:
    """Per channel: (start, end) seconds of that party's own speech, leakage removed."""
    return [[(a, b) for a, b, leaked in runs if not leaked] for runs in channel_runs(samples, config)]


def _is_leakage(levels: np.ndarray, channel: int, first: int, last: int, config: ChannelConfig) -> bool:
    mine = levels[channel, first:last]
    for other in range(levels.shape[0]):
        if other == channel:
            continue
        theirs = levels[other, first:last]
        if np.median(theirs - mine) < config.leak_margin_db:
            continue
        if mine.size < 5 or np.std(mine) < 1e-6 or np.std(theirs) < 1e-6:
            return True  # too short to tell, and the other side is much louder
        if _lagged_correlation(mine, theirs, int(config.leak_lag / FRAME)) >= config.leak_correlation:
            return True
    return False


def _lagged_correlation(mine: np.ndarray, theirs: np.ndarray, max_lag: int) -> float:
    """The best correlation of the two loudness contours with ``mine`` up to ``max_lag`` frames
    behind ``theirs`` (leakage arrives after the speech it copies, never before)."""
    best = -1.0
    for lag in range(0, min(max_lag, mine.size - 5) + 1):
        a, b = mine[lag:], theirs[: theirs.size - lag]
        if np.std(a) < 1e-6 or np.std(b) < 1e-6:
            continue
        best = max(best, float(np.corrcoef(a, b)[0, 1]))
    return best


def channel_words(
    samples: np.ndarray,
    words_by_channel: list[list[Word]],
    speakers: list[str],
    config: ChannelConfig = ChannelConfig(),
) -> list[Word]:
    """Each channel's words labelled with its speaker; words heard only as leakage are dropped,
    and word boundaries are pulled in to the channel's own speech."""
    speech = channel_speech(samples, config)
    out: list[Word] = []
    for channel, words in enumerate(words_by_channel):
        runs = speech[channel] if channel < len(speech) else []
        starts = np.array([a for a, _ in runs])
        ends = np.array([b for _, b in runs])
        for word in words:
            if not runs:
                break
            overlap = np.clip(np.minimum(ends, word.end) - np.maximum(starts, word.start), 0, None)
            if overlap.sum() < config.word_overlap * max(word.end - word.start, 1e-3):
                continue
            touched = np.flatnonzero(overlap > 0)
            start = max(word.start, float(starts[touched[0]]))
            end = min(word.end, float(ends[touched[-1]]))
            out.append(
                Word(word.text, round(start, 3), round(max(end, start + 0.01), 3), word.probability, speakers[channel])
            )
    out.sort(key=lambda w: w.start)
    return out
