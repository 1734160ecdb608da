"""Real calm conversation for the suggestion false-alarm figure.

The only real conversational speech that ships in a package here is pyannote's ``sample.wav``
(a friendly two-speaker phone call, with ``sample.rttm``). Its speaker segments are the turns of
the original layout; re-cuts put the same real segments into new orders with other gaps and
other per-speaker levels, so a speaker's baseline is formed from a different set and order of
turns each time. Nothing here is emotional: any negative label suggested at >= 0.5 is a false alarm.

Words come from one real transcription of the original file, carried along with their segment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 16000


@dataclass
class RealSegment:
    speaker: str
    start: float
    end: float


def sample_dir() -> Path:
    import pyannote.audio

    return Path(pyannote.audio.__file__).parent / "sample"


def reference_segments() -> list[RealSegment]:
    rows = []
    for line in (sample_dir() / "sample.rttm").read_text().splitlines():
        parts = line.split()
        start, duration = float(parts[3]), float(parts[4])
        rows.append(RealSegment(parts[7], start, start + duration))
    return sorted(rows, key=lambda s: s.start)


def layouts(count: int, words, seed: int = 0) -> list[list[tuple[RealSegment, float, float]]]:
    """``count`` conversations: the original, then re-cuts. Each item is (piece, gap before, gain dB).

    A re-cut splits some segments at a word boundary (so turns of new lengths, and a baseline made
    of more, shorter turns), shuffles the pieces, and gives each speaker another level."""
    segments = reference_segments()
    out = [[(s, 0.0, 0.0) for s in segments]]
    rng = random.Random(seed)
    for _ in range(count - 1):
        pieces = []
        for segment in segments:
            inside = [w for w in words if segment.start <= (w.start + w.end) / 2 < segment.end]
            if len(inside) >= 4 and rng.random() < 0.6:
                cut_after = rng.randrange(1, len(inside) - 1)
                cut = (inside[cut_after - 1].end + inside[cut_after].start) / 2
                pieces += [
                    RealSegment(segment.speaker, segment.start, cut),
                    RealSegment(segment.speaker, cut, segment.end),
                ]
            else:
                pieces.append(segment)
        rng.shuffle(pieces)
        gains = {s.speaker: rng.uniform(-6.0, 6.0) for s in segments}
        out.append([(s, rng.uniform(0.2, 1.5), gains[s.speaker]) for s in pieces])
    return out


def render(layout, audio: np.ndarray) -> tuple[np.ndarray, list[tuple[RealSegment, float, float]]]:
    """The re-cut audio and, per segment, its new (start, end)."""
    pieces, placed, cursor = [], [], 0.0
    for segment, gap, gain in layout:
        clip = audio[int(segment.start * RATE) : int(segment.end * RATE)] * (10 ** (gain / 20))
        if gap:
            pieces.append(np.zeros(int(gap * RATE), dtype=np.float32))
            cursor += int(gap * RATE) / RATE
        pieces.append(clip.astype(np.float32))
        placed.append((segment, cursor, cursor + clip.shape[0] / RATE))
        cursor += clip.shape[0] / RATE
    return np.concatenate(pieces), placed


NEGATIVE = ("frustration", "anger", "anxiety", "confusion", "disengagement")


def calm_turns(count: int = 8, seed: int = 0):
    """Yield (conversation index, list of TurnDraft with prosody) for the original and re-cuts."""
    import soundfile as sf

    from annotation.pipeline.asr import AsrConfig, get_transcriber
    from annotation.pipeline.model_store import prepare_all
    from annotation.pipeline.prosody import call_prosody
    from annotation.pipeline.types import TurnDraft, Word

    root = Path(__file__).resolve().parents[1]
    prepare_all(root / "var" / "models")
    audio, _ = sf.read(sample_dir() / "sample.wav", dtype="float32")
    tiny = get_transcriber(AsrConfig(model=str(root / "var" / "models" / "tiny.en")))
    segments, _ = tiny.transcribe(audio)
    words = [w for s in segments for w in s.words]
    for index, layout in enumerate(layouts(count, words, seed)):
        if index == 0:
            mixed, placed = audio, [(s, s.start, s.end) for s, _, _ in layout]
        else:
            mixed, placed = render(layout, audio)
        turns = []
        for segment, start, end in placed:
            inside = [w for w in words if segment.start <= (w.start + w.end) / 2 < segment.end]
            shifted = [Word(w.text, w.start - segment.start + start, w.end - segment.start + start) for w in inside]
            turns.append(TurnDraft(segment.speaker, start, end, shifted, language="en"))
        turns.sort(key=lambda t: t.start)
        baselines = call_prosody(turns, lambda _t, a=mixed: a)
        yield index, turns, baselines
