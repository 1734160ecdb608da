"""A generated evaluation suite for mono diarization (code, not audio, is committed).

Two kinds of conversations, each with the exact truth of who spoke when:

- ``synthetic``: espeak-ng voices that differ in variant, pitch and rate, 2, 3 or 4 speakers,
  turns with gaps of 0.2-2 s, some overlap, short back-channels ("yes", "okay", under 1 s) both
  between turns and over the other speaker, per-speaker level differences, background noise,
  half of them through a telephone band.
- ``recut``: the two real voices of pyannote's ``sample.wav``, cut at ``sample.rttm``'s solo
  stretches and laid out as new conversations with other gaps, orders, levels and noise.

Everything is drawn from a seeded generator, so the suite is the same on every machine. The
split is deterministic and stratified: within each (kind, speaker count) group the conversations
alternate between ``tune`` and ``held-out``. Tune on ``tune``; report ``held-out``.

    from benchmarks.diarization_suite import build_suite, render
    for spec in build_suite():
        audio, truth = render(spec)       # mono float32 at 16 kHz, [(speaker, start, end)]
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16000
ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "cache" / "diarization-suite"

# espeak-ng voices: language x variant; pitch and rate are drawn per speaker on top.
VARIANTS = [
    "en-us+m1",
    "en-gb+f3",
    "en-us+m3",
    "en+f1",
    "en-gb-scotland+m2",
    "en-us+f4",
    "en+m7",
    "en-029+f2",
    "en-gb+m4",
    "en-us+f5",
    "en-gb-x-rp+m6",
    "en+klatt2",
]

SENTENCES = [
    "Thank you for calling customer support, how can I help you today?",
    "My internet connection keeps dropping every evening.",
    "Could you give me your account number, please?",
    "It is four five one two, eight eight.",
    "I can see there was an outage in your area yesterday.",
    "That explains it, but this is the third time this month.",
    "I understand how frustrating that must be.",
    "I have added a credit to your account for the trouble.",
    "When will the engineer be able to come out?",
    "The earliest appointment is Thursday morning between eight and twelve.",
    "Thursday does not work for me, I am at the office all day.",
    "We also have Saturday afternoon available if that suits you better.",
    "Can you send me a confirmation by email?",
    "Of course, it will arrive in the next few minutes.",
    "I was charged twice for my subscription last month.",
    "Let me check the billing history for you.",
    "I see both payments and I will refund the second one today.",
    "How long does the refund usually take?",
    "Between three and five working days, depending on your bank.",
    "Is there anything else I can help you with?",
    "Actually yes, I would like to upgrade my plan.",
    "The premium plan includes unlimited data and a faster router.",
    "What would that cost per month?",
    "It is thirty nine dollars, with the first month free.",
    "Let me talk to my partner about it first.",
    "No problem at all, the offer is valid until the end of the week.",
    "I moved house recently and need to change my address.",
    "Please spell the new street name for me.",
    "The router light has been blinking orange since this morning.",
    "Please unplug it, wait ten seconds, and plug it back in.",
    "Right, it is restarting now, the light is green again.",
    "Great, then everything should be working normally.",
]

BACKCHANNELS = ["yes", "okay", "mm hmm", "right", "sure", "yeah", "uh huh", "I see"]


@dataclass(frozen=True)
class Voice:
    variant: str
    pitch: int
    rate: int


@dataclass
class Piece:
    """One stretch of speech in a conversation, placed when rendered (real lengths are known then).

    A turn starts ``gap`` seconds after the previous turn ends (negative: it overlaps). A piece
    ``over`` the previous turn is a back-channel starting at fraction ``at`` of that turn.
    """

    speaker: str
    gap: float = 0.5
    text: str = ""  # espeak-ng text (synthetic)
    source: tuple[float, float] | None = None  # seconds of sample.wav (recut)
    over: bool = False
    at: float = 0.5


@dataclass
class ConversationSpec:
    name: str
    kind: str  # "synthetic" | "recut"
    split: str  # "tune" | "held-out"
    n_speakers: int
    seed: int
    voices: dict[str, Voice] = field(default_factory=dict)
    gains_db: dict[str, float] = field(default_factory=dict)
    snr_db: float = 30.0
    telephone: bool = False
    pieces: list[Piece] = field(default_factory=list)

    def key(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


# --- layout ---------------------------------------------------------------------------------
def _gap(rng: np.random.Generator) -> float:
    """Silence before the next turn: 0.2-2 s; about one turn in eight overlaps instead."""
    if rng.random() < 0.12:
        return -float(rng.uniform(0.3, 0.9))
    return float(rng.uniform(0.2, 2.0))


def _next_speaker(rng: np.random.Generator, speakers: list[str], current: str, counts: dict[str, int]) -> str:
    others = [s for s in speakers if s != current]
    # Favour whoever has spoken least, so every speaker has enough speech to be found.
    weights = np.array([1.0 / (1 + counts[s]) for s in others])
    return str(rng.choice(others, p=weights / weights.sum()))


def _synthetic_spec(
    name: str, split: str, n_speakers: int, seed: int, *, seconds: float | None = None
) -> ConversationSpec:
    rng = np.random.default_rng(seed)
    speakers = [f"S{i + 1}" for i in range(n_speakers)]
    variants = rng.choice(len(VARIANTS), size=n_speakers, replace=False)
    # Pitches spread over the range so that voices differ, in a shuffled order.
    pitches = rng.permutation(np.linspace(25, 80, n_speakers).astype(int) + rng.integers(-5, 6, n_speakers))
    voices = {
        s: Voice(VARIANTS[int(v)], int(p), int(rng.integers(140, 200)))
        for s, v, p in zip(speakers, variants, pitches, strict=True)
    }
    gains = {s: float(rng.uniform(-9.0, 0.0)) for s in speakers}
    target = float(rng.uniform(30.0, 75.0))
    target = seconds or target  # drawn either way, so a spec's other draws do not depend on it
    pieces: list[Piece] = []
    counts = dict.fromkeys(speakers, 0)
    current = str(rng.choice(speakers))
    elapsed = 0.5
    sentence_order = rng.permutation(len(SENTENCES))
    n = 0
    while elapsed < target or min(counts.values()) < 2:
        text = SENTENCES[int(sentence_order[n % len(SENTENCES)])]
        if rng.random() < 0.35:
            text += " " + SENTENCES[int(sentence_order[(n + 7) % len(SENTENCES)])]
        n += 1
        gap = _gap(rng) if pieces else 0.5
        pieces.append(Piece(current, gap, text))
        counts[current] += 1
        elapsed += _estimated_seconds(text, voices[current].rate) + gap
        listener = _next_speaker(rng, speakers, current, counts)
        if len(text.split()) > 8 and rng.random() < 0.3:
            # A back-channel over the speaker (overlapped speech, under a second).
            pieces.append(
                Piece(listener, text=str(rng.choice(BACKCHANNELS)), over=True, at=float(rng.uniform(0.3, 0.7)))
            )
        if rng.random() < 0.2:
            # A back-channel as a turn of its own, then the same speaker goes on.
            pieces.append(Piece(listener, float(rng.uniform(0.2, 1.0)), str(rng.choice(BACKCHANNELS))))
            continue
        current = listener
    return ConversationSpec(
        name=name,
        kind="synthetic",
        split=split,
        n_speakers=n_speakers,
        seed=seed,
        voices=voices,
        gains_db=gains,
        snr_db=float(rng.uniform(12.0, 35.0)),
        telephone=bool(rng.random() < 0.5),
        pieces=pieces,
    )


def _estimated_seconds(text: str, rate: int) -> float:
    """Layout-time estimate of an utterance's length; ``render`` places the real audio."""
    return max(0.4, len(text.split()) / rate * 60.0)


def sample_solo_stretches(min_seconds: float = 0.8) -> dict[str, list[tuple[float, float]]]:
    """Per speaker of ``sample.rttm``: stretches where only they speak."""
    import pyannote.audio

    rttm = Path(pyannote.audio.__file__).parent / "sample" / "sample.rttm"
    rows = []
    for line in rttm.read_text().splitlines():
        parts = line.split()
        rows.append((parts[7], float(parts[3]), float(parts[3]) + float(parts[4])))
    solo: dict[str, list[tuple[float, float]]] = {}
    for speaker, start, end in rows:
        pieces = [(start, end)]
        for other, o_start, o_end in rows:
            if other == speaker:
                continue
            cut = []
            for a, b in pieces:
                if o_end <= a or o_start >= b:
                    cut.append((a, b))
                    continue
                if o_start > a:
                    cut.append((a, o_start))
                if o_end < b:
                    cut.append((o_end, b))
            pieces = cut
        solo.setdefault(speaker, []).extend(p for p in pieces if p[1] - p[0] >= min_seconds)
    return solo


def _recut_spec(name: str, split: str, seed: int, *, seconds: float | None = None) -> ConversationSpec:
    rng = np.random.default_rng(seed)
    solo = sample_solo_stretches()
    speakers = sorted(solo)
    gains = {s: float(rng.uniform(-9.0, 0.0)) for s in speakers}
    target = float(rng.uniform(50.0, 75.0))
    target = seconds or target
    pools = {s: list(rng.permutation(len(solo[s]))) for s in speakers}
    pieces: list[Piece] = []
    current = str(rng.choice(speakers))
    elapsed = 0.5
    while elapsed < target:
        if not pools[current]:
            pools[current] = list(rng.permutation(len(solo[current])))
        start, end = solo[current][int(pools[current].pop())]
        # Sometimes only part of a stretch, so the same words do not always come back whole.
        if end - start > 3.0 and rng.random() < 0.5:
            length = float(rng.uniform(1.5, end - start))
            offset = float(rng.uniform(0.0, end - start - length))
            start, end = start + offset, start + offset + length
        gap = _gap(rng) if pieces else 0.5
        pieces.append(Piece(current, gap, source=(round(start, 3), round(end, 3))))
        elapsed += (end - start) + gap
        if rng.random() < 0.75:
            current = next(s for s in speakers if s != current)
    return ConversationSpec(
        name=name,
        kind="recut",
        split=split,
        n_speakers=len(speakers),
        seed=seed,
        gains_db=gains,
        snr_db=float(rng.uniform(15.0, 35.0)),
        telephone=False,  # sample.wav is already a phone call
        pieces=pieces,
    )


def build_suite(*, synthetic_per_count: int = 8, recut: int = 6, seed: int = 2026) -> list[ConversationSpec]:
    """The suite's specs, split tune / held-out alternately within each group."""
    specs = []
    for n_speakers in (2, 3, 4):
        for i in range(synthetic_per_count):
            split = "tune" if i % 2 == 0 else "held-out"
            specs.append(
                _synthetic_spec(f"synth-{n_speakers}spk-{i:02d}", split, n_speakers, seed + 100 * n_speakers + i)
            )
    for i in range(recut):
        split = "tune" if i % 2 == 0 else "held-out"
        specs.append(_recut_spec(f"recut-{i:02d}", split, seed + 1000 + i))
    return specs


def build_long_calls(*, minutes: float = 10.0, seed: int = 4040) -> list[ConversationSpec]:
    """Calls of ordinary length (the suite's are about a minute): errors that grow with time into
    the call, such as a clock that drifts, only show here."""
    seconds = minutes * 60.0
    return [
        _synthetic_spec("long-synth-2spk", "held-out", 2, seed, seconds=seconds),
        _synthetic_spec("long-synth-3spk", "held-out", 3, seed + 1, seconds=seconds),
        _recut_spec("long-recut", "held-out", seed + 2, seconds=seconds),
    ]


# --- rendering ------------------------------------------------------------------------------
def _speak(text: str, voice: Voice) -> np.ndarray:
    from annotation.pipeline.synth import Utterance, speak

    return speak(Utterance("x", text, voice=voice.variant, pitch=voice.pitch, rate=voice.rate))


def _sample_audio() -> np.ndarray:
    import pyannote.audio
    import soundfile as sf

    data, rate = sf.read(Path(pyannote.audio.__file__).parent / "sample" / "sample.wav", dtype="float32")
    assert rate == SAMPLE_RATE
    return data


def _telephone(audio: np.ndarray) -> np.ndarray:
    from scipy.signal import butter, sosfilt

    sos = butter(4, [300, 3400], btype="bandpass", fs=SAMPLE_RATE, output="sos")
    return sosfilt(sos, audio).astype(np.float32)


def _noise(rng: np.random.Generator, n: int) -> np.ndarray:
    """Pink-ish background noise with a faint mains hum."""
    white = rng.normal(0, 1, n)
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(np.fft.rfftfreq(n, 1 / SAMPLE_RATE), 20.0))
    pink = np.fft.irfft(spectrum, n)
    pink /= np.std(pink) + 1e-12
    hum = 0.3 * np.sin(2 * np.pi * 50 * np.arange(n) / SAMPLE_RATE)
    return (pink + hum).astype(np.float32)


def render(spec: ConversationSpec, *, cache: bool = True) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """Mono float32 audio at 16 kHz and the truth [(speaker, start, end)], cached by spec hash."""
    path = CACHE / f"{spec.name}-{spec.key()}.npz"
    if cache and path.exists():
        with np.load(path) as data:
            truth = json.loads(str(data["truth"]))
            return data["audio"], [(s, float(a), float(b)) for s, a, b in truth]
    source = _sample_audio() if spec.kind == "recut" else None
    clips = []
    for piece in spec.pieces:
        if source is not None and piece.source is not None:
            a, b = piece.source
            clip = source[int(a * SAMPLE_RATE) : int(b * SAMPLE_RATE)].copy()
            clip /= np.abs(clip).max() + 1e-9
        else:
            clip = _speak(piece.text, spec.voices[piece.speaker])
            clip /= np.abs(clip).max() + 1e-9
        clips.append(clip * 0.5 * 10 ** (spec.gains_db[piece.speaker] / 20))
    truth: list[tuple[str, float, float]] = []
    starts = []
    turn_start, turn_end = 0.0, 0.0
    for piece, clip in zip(spec.pieces, clips, strict=True):
        length = clip.shape[0] / SAMPLE_RATE
        if piece.over:
            start = turn_start + piece.at * (turn_end - turn_start)
        else:
            start = max(0.3, turn_start + 0.3, turn_end + piece.gap)
            turn_start, turn_end = start, start + length
        starts.append(start)
        truth.append((piece.speaker, round(start, 3), round(start + length, 3)))
    total = max(end for _, _, end in truth) + 0.6
    audio = np.zeros(int(total * SAMPLE_RATE), dtype=np.float32)
    for start, clip in zip(starts, clips, strict=True):
        first = int(start * SAMPLE_RATE)
        audio[first : first + clip.shape[0]] += clip
    if spec.telephone:
        audio = _telephone(audio)
    rng = np.random.default_rng(spec.seed + 7)
    speech_rms = float(np.sqrt(np.mean(np.concatenate(clips) ** 2)))
    audio += _noise(rng, audio.shape[0]) * speech_rms * 10 ** (-spec.snr_db / 20)
    audio = np.clip(audio, -1, 1).astype(np.float32)
    truth.sort(key=lambda t: t[1])
    if cache:
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".partial.npz")
        np.savez_compressed(tmp, audio=audio, truth=json.dumps(truth))
        tmp.replace(path)
    return audio, truth
