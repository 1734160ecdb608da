"""Where the speech is, and how much of it the turns hold.

The VAD's speech stretches (WhisperX's bundled pyannote segmentation, binarised the way WhisperX
binarises it) are the reference for the coverage invariant: every second of them must end up
inside a turn, whether or not recognition found words there. Plain interval arithmetic on
``(start, end)`` pairs, no models, so it is testable on lists.
"""

from __future__ import annotations

import numpy as np

from .audio import SAMPLE_RATE
from .channels import channel_runs
from .segmentation import CHUNK_SECONDS, from_recording_start
from .types import SpeechPiece, Word

Interval = tuple[float, float]

SLIVER_SECONDS = 0.3  # uncovered speech this short, touching a word, is that word's edge
SLIVER_GAP_SECONDS = 0.05


def speech_segments(seg, *, onset: float = 0.5, offset: float = 0.363, max_seconds: float = 30.0) -> list[Interval]:
    """The VAD's speech stretches (each at most ``max_seconds``), from a ``LocalSegmentation``."""
    from pyannote.audio import Inference  # lazy: pyannote loads torch (kept out of the web tier)
    from pyannote.core import SlidingWindow, SlidingWindowFeature  # lazy: pyannote, as above
    from whisperx.vads.pyannote import Binarize  # lazy: whisperx loads torch

    if seg.scores.shape[0] == 0:
        return []
    chunks = SlidingWindow(start=0.0, duration=CHUNK_SECONDS, step=seg.window_step)
    frames = SlidingWindow(start=0.0, duration=seg.frame_duration, step=seg.frame_step)
    activity = SlidingWindowFeature(seg.scores.max(axis=2, keepdims=True), chunks)
    aggregated = Inference.aggregate(activity, frames)
    timeline = Binarize(max_duration=max_seconds, onset=onset, offset=offset)(aggregated).get_timeline()
    return from_recording_start([(float(s.start), float(s.end)) for s in timeline if s.end > s.start], seg)


def union(intervals: list[Interval]) -> list[Interval]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def total(intervals: list[Interval]) -> float:
    return float(sum(end - start for start, end in union(intervals)))


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    a, b = union(a), union(b)
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if end > start:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Parts of ``a`` outside ``b``."""
    out = []
    b = union(b)
    for start, end in union(a):
        cursor = start
        for b_start, b_end in b:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                out.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def coverage(speech: list[Interval], turns: list[Interval]) -> float:
    """Speech seconds inside turns / speech seconds (1.0 when there is no speech)."""
    spoken = total(speech)
    return 1.0 if spoken <= 0 else min(1.0, total(intersect(speech, turns)) / spoken)


def untranscribed_pieces(speech: list[Interval], words: list[Word]) -> list[Interval]:
    """Speech stretches that no recognised word covers (what a words-only transcript would drop).

    Nothing is too short to keep: the coverage invariant counts every second. Slivers at a
    word's edge (word timings are a little tight) are joined to that word's turn later
    (``attach_slivers``), so they do not become turns of their own. Gaps between words shorter
    than ``SLIVER_SECONDS`` count as covered (they lie inside the words' turn), which keeps the
    list short on long calls."""
    spans: list[list[float]] = []
    for word in sorted(words, key=lambda w: w.start):
        if spans and word.start - spans[-1][1] <= SLIVER_SECONDS:
            spans[-1][1] = max(spans[-1][1], word.end)
        else:
            spans.append([word.start, word.end])
    return subtract(speech, [(a, b) for a, b in spans])


def attach_slivers(pieces: list[SpeechPiece], words: list[Word]) -> list[SpeechPiece]:
    """Short pieces touching a word take that word's speaker and language (in place); returns
    the pieces that touch no word and still need a speaker."""
    if not words:
        return list(pieces)
    ordered = sorted(words, key=lambda w: w.start)
    starts = np.array([w.start for w in ordered])
    rest = []
    for piece in pieces:
        if piece.end - piece.start <= SLIVER_SECONDS:
            i = int(np.searchsorted(starts, piece.start))
            near = [ordered[j] for j in (i - 1, i) if 0 <= j < len(ordered)]
            touching = [w for w in near if max(w.start - piece.end, piece.start - w.end, 0.0) <= SLIVER_GAP_SECONDS]
            if touching:
                piece.speaker = touching[0].speaker or piece.speaker
                piece.language = touching[0].language or piece.language
                continue
        rest.append(piece)
    return rest


def pieces_with_language(pieces: list[Interval], regions: list, channel: int | None) -> list[SpeechPiece]:
    """Give each uncovered piece the language of the region it overlaps most."""
    out = []
    for start, end in pieces:
        best, overlap = "", 0.0
        for region in regions:
            shared = min(end, region.end) - max(start, region.start)
            if shared > overlap:
                best, overlap = region.language, shared
        out.append(SpeechPiece(round(start, 3), round(end, 3), best, channel))
    return out


LEAK_PAUSE_SECONDS = 1.0  # a leftover between leakage with no sound of its own, shorter than this, is its pause


def crosstalk_free(channels: np.ndarray, segments: list[list[Interval]]) -> list[list[Interval]]:
    """Cut out of each channel's speech stretches the sound that is only the other party leaking
    in (dual-channel calls; the rule is ``channels.channel_runs``: the other channel clearly
    louder and this channel's loudness following it, at some delay).

    The VAD hears leakage as speech and may join it to the channel's own speech in one stretch,
    so leakage is cut out of stretches, not judged per stretch. Only sound positively found to
    be leakage goes (a quiet or noisy line keeps its speech). What is left of a cut stretch stays
    when it holds sound of the channel's own, or is at least ``LEAK_PAUSE_SECONDS`` long (when
    in doubt, speech stays); a shorter leftover with no sound of its own is the leakage's pause
    or edge. Each stretch is cut on its own, so the VAD's 30 s cap on a stretch still holds.
    """
    if channels.shape[0] < 2:
        return segments
    runs = channel_runs(channels)
    kept = []
    for c, channel_segments in enumerate(segments):
        leakage = [(a, b) for a, b, leaked in runs[c] if leaked]
        own = [(a, b) for a, b, leaked in runs[c] if not leaked]
        keep = []
        for segment in channel_segments:
            cut = [(max(a, segment[0]), min(b, segment[1])) for a, b in leakage if b > segment[0] and a < segment[1]]
            if not cut:
                keep.append(segment)
                continue
            keep.extend(
                (round(a, 3), round(b, 3))
                for a, b in subtract([segment], cut)
                if b - a >= LEAK_PAUSE_SECONDS or total(intersect([(a, b)], own)) > 0
            )
        kept.append(keep)
    return kept


AUDIBLE_PEAK = 0.1  # -20 dBFS: a quiet channel's loud peaks are raised to this for the models
MAX_NOISE_DBFS = -50.0  # ...but its noise floor never above this (a silent line stays silent)
FRAME_SAMPLES = 160  # 10 ms


def audible(samples: np.ndarray) -> np.ndarray:
    """A channel recorded too low, raised for the models so its loud peaks (the 99.9th
    percentile of |x|) reach ``AUDIBLE_PEAK``, as far as its noise floor (the quietest tenth of
    its 10 ms frames) stays under ``MAX_NOISE_DBFS``: a line with nothing on it but hiss is not
    turned into loud hiss. Audio at or above that level is returned as it is (no copy), and the
    stored audio is never changed. Two of the models are not level-invariant: Whisper floors
    log-mel energy at 1e-10, so the soft parts of a call recorded far too low fall under the
    floor and their words are lost, and the segmentation model's speaker activity shifts with
    level (measured: pyannote's sample.wav 40 dB down lost "Oh, hello" and "Neither did I", and
    its 8 turns became 5; raised, it gives 8 turns and the words back)."""
    samples = np.asarray(samples, dtype=np.float32)
    n = samples.size // FRAME_SAMPLES
    if n == 0:
        return samples
    step = max(1, n // 20_000)  # 20,000 frames are plenty for two percentiles
    frames = samples[: n * FRAME_SAMPLES].reshape(n, FRAME_SAMPLES)[::step]
    peak = float(np.percentile(np.abs(frames), 99.9))
    if peak <= 0.0 or peak >= AUDIBLE_PEAK:
        return samples
    floor_db = float(np.percentile(10 * np.log10(np.mean(np.square(frames, dtype=np.float64), axis=1) + 1e-20), 10))
    gain_db = min(20 * np.log10(AUDIBLE_PEAK / peak), MAX_NOISE_DBFS - floor_db)
    if gain_db <= 0.0:
        return samples
    return samples * np.float32(10 ** (gain_db / 20))


def muted(samples: np.ndarray, stretches: list[Interval], fade: float = 0.01) -> np.ndarray:
    """A copy of one channel with ``stretches`` silenced (short fades at the edges), so
    recognition does not decode leakage that lies inside a chunk of the channel's own speech."""
    if not stretches:
        return samples
    out = np.array(samples, dtype=np.float32)
    ramp = max(1, int(fade * SAMPLE_RATE))
    for start, end in stretches:
        first, last = max(0, int(start * SAMPLE_RATE)), min(out.size, int(end * SAMPLE_RATE))
        if last <= first:
            continue
        out[first:last] = 0.0
        head = out[max(0, first - ramp) : first]
        head *= np.linspace(1.0, 0.0, head.size, dtype=np.float32)
        tail = out[last : last + ramp]
        tail *= np.linspace(0.0, 1.0, tail.size, dtype=np.float32)
    return out


def within_recording(items: list, duration: float) -> list:
    """Words or pieces cut at the recording's end (in place), those that start after it dropped:
    the VAD's last frame and word timings can reach a few hundredths past the end, and a turn that
    ends after the audio can be neither played to its end nor kept by a correction."""
    kept = [item for item in items if item.start < duration]
    for item in kept:
        item.end = min(item.end, duration)
    return kept


def stretches_within(stretches: list[Interval], duration: float) -> list[Interval]:
    """Speech stretches cut at the recording's end, as ``within_recording``."""
    return [(s, min(e, duration)) for s, e in stretches if s < duration]


def close_coverage_gaps(turns: list, speech: list[Interval], *, touch: float = 0.05) -> list[Interval]:
    """Stretch turns (of one channel) over speech that lies just outside them, in place.

    Word timings and the VAD disagree by a few hundredths at turn edges, and a pause under
    ``SLIVER_SECONDS`` between two turns can be speech to the VAD. An uncovered stretch that
    touches a turn is given to it (to the earlier turn when it lies between two), so turn
    boundaries follow the speech and coverage holds by construction. Returns the stretches that
    touch no turn (there should be none: every piece is in a turn)."""
    spans = [(t.start, t.end) for t in turns]
    left = []
    for start, end in subtract(speech, spans):
        before = [t for t in turns if abs(t.end - start) <= touch]
        after = [t for t in turns if abs(t.start - end) <= touch]
        if before:
            turn = max(before, key=lambda t: t.end)
            turn.end = max(turn.end, end)
        elif after:
            turn = min(after, key=lambda t: t.start)
            turn.start = min(turn.start, start)
        else:
            left.append((start, end))
    return left
