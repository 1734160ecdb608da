"""Per-turn prosody with Praat (parselmouth), normalised against each speaker's own baseline.

Pitch is reported in semitones relative to 100 Hz, so ranges and slopes compare across voices.
Only the turns' own audio is analysed (never the silences between them).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from .audio import SAMPLE_RATE
from .types import TurnDraft, Word

PITCH_FLOOR = 65.0
PITCH_CEILING = 500.0
TIME_STEP = 0.01
CONTOUR_HZ = 10  # display contours
TERMINAL_SECONDS = 0.4
PAUSE_MIN = 0.25  # a gap between words at least this long counts as a pause
SPIKE_DB = 6.0  # a loudness frame this far above the turn's median is a spike

# Features normalised per speaker (z-scores) — what the suggestion rules read.
Z_FEATURES = (
    "f0_median_st",
    "f0_range_st",
    "f0_sd_st",
    "terminal_slope_st_s",
    "loudness_mean_db",
    "loudness_peak_db",
    "spike_count",
    "speech_rate",
    "articulation_rate",
    "pause_longest",
    "pause_total",
    "jitter",
    "shimmer",
    "hnr_db",
)


def hz_to_st(hz: np.ndarray) -> np.ndarray:
    return 12.0 * np.log2(hz / 100.0)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def estimate_syllables(word: str) -> int:
    """Vowel groups: a language-agnostic enough syllable count for speech rate."""
    groups, previous = 0, False
    for ch in word.lower():
        vowel = ch in "aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿœаеёиоуыэюяαεηιουω"
        if vowel and not previous:
            groups += 1
        previous = vowel
    return max(1, groups) if any(ch.isalpha() for ch in word) else 0


def turn_prosody(samples: np.ndarray, words: list[Word], start: float, end: float) -> dict:
    """Raw prosody of one turn. ``samples`` is the mono 16 kHz audio of the turn's channel."""
    import parselmouth  # lazy: Praat's native library is heavy (kept out of the web tier)
    from parselmouth.praat import call  # lazy: as above

    clip = np.asarray(samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], dtype=np.float64)
    duration = clip.shape[0] / SAMPLE_RATE
    features: dict = {"duration": round(duration, 3)}
    if duration < 0.1:
        return features
    sound = parselmouth.Sound(clip, sampling_frequency=SAMPLE_RATE)

    pitch = sound.to_pitch_ac(time_step=TIME_STEP, pitch_floor=PITCH_FLOOR, pitch_ceiling=PITCH_CEILING)
    f0 = pitch.selected_array["frequency"]
    times = pitch.xs()
    voiced = f0 > 0
    st = hz_to_st(np.where(voiced, f0, np.nan))
    if voiced.sum() >= 3:
        voiced_st = st[voiced]
        features["f0_median_hz"] = _finite(float(np.median(f0[voiced])))
        features["f0_median_st"] = _finite(float(np.median(voiced_st)))
        features["f0_range_st"] = _finite(float(np.percentile(voiced_st, 95) - np.percentile(voiced_st, 5)))
        features["f0_sd_st"] = _finite(float(np.std(voiced_st)))
        tail = voiced & (times >= duration - TERMINAL_SECONDS)
        if tail.sum() >= 3:
            slope = np.polyfit(times[tail], st[tail], 1)[0]
            features["terminal_slope_st_s"] = _finite(float(slope))
    features["voiced_fraction"] = _finite(float(voiced.mean())) if voiced.size else 0.0

    intensity = sound.to_intensity(minimum_pitch=PITCH_FLOOR, time_step=TIME_STEP)
    db = intensity.values[0]
    db = db[np.isfinite(db)]
    if db.size:
        median_db = float(np.median(db))
        features["loudness_mean_db"] = _finite(float(10 * np.log10(np.mean(10 ** (db / 10)))))
        features["loudness_peak_db"] = _finite(float(db.max()))
        above = db > median_db + SPIKE_DB
        # A spike is a run of loud frames; count the runs, not the frames.
        features["spike_count"] = int(np.count_nonzero(above[1:] & ~above[:-1]) + int(above[0]))

    syllables = sum(estimate_syllables(w.text) for w in words)
    gaps = [b.start - a.end for a, b in zip(words, words[1:], strict=False)]
    pauses = [g for g in gaps if g >= PAUSE_MIN]
    speaking = max(1e-3, duration - sum(pauses))
    features["words"] = len(words)
    features["syllables"] = syllables
    features["speech_rate"] = _finite(syllables / duration)
    features["articulation_rate"] = _finite(syllables / speaking)
    features["pause_count"] = len(pauses)
    features["pause_longest"] = _finite(max(pauses, default=0.0))
    features["pause_total"] = _finite(sum(pauses))

    if voiced.sum() >= 10:
        points = call([sound, pitch], "To PointProcess (cc)")
        features["jitter"] = _finite(call(points, "Get jitter (local)", 0, 0, 0.0001, 0.02, 1.3))
        features["shimmer"] = _finite(call([sound, points], "Get shimmer (local)", 0, 0, 0.0001, 0.02, 1.3, 1.6))
        features["hnr_db"] = _hnr_from_pitch(pitch.selected_array["strength"][voiced])

    features["contour"] = _contours(times, st, intensity, duration)
    return features


def _hnr_from_pitch(strength: np.ndarray) -> float | None:
    """Mean harmonics-to-noise ratio (dB) of the voiced frames, from the pitch analysis itself.

    Praat defines harmonicity from the normalised autocorrelation peak r of a voiced frame,
    HNR = 10 log10(r / (1 - r)) (Boersma 1993), which is the strength the pitch analysis already
    found for its chosen candidate. A separate "To Harmonicity (cc)" pass recomputed it and took
    over half of prosody's time (measured with cProfile)."""
    r = np.clip(strength[strength > 0], 1e-6, 1 - 1e-6)
    return _finite(float(np.mean(10 * np.log10(r / (1 - r))))) if r.size else None


def _contours(times: np.ndarray, st: np.ndarray, intensity, duration: float) -> dict:
    """Pitch (st) and loudness (dB) at CONTOUR_HZ for display; null where unvoiced."""
    n = max(1, int(duration * CONTOUR_HZ))
    grid = (np.arange(n) + 0.5) / CONTOUR_HZ
    pitch_points = []
    for t in grid:
        window = (times >= t - 0.05) & (times < t + 0.05)
        values = st[window]
        values = values[np.isfinite(values)]
        pitch_points.append(round(float(values.mean()), 2) if values.size else None)
    loud_times = intensity.xs()
    loud_values = intensity.values[0]
    loudness = np.interp(grid, loud_times, loud_values) if loud_times.size else np.zeros(n)
    return {"hz": CONTOUR_HZ, "pitch_st": pitch_points, "loudness_db": [round(float(v), 1) for v in loudness]}


# The smallest spread a baseline may have: with a handful of turns the MAD can be tiny, and a
# z-score against it would call ordinary variation extreme.
MIN_SPREAD = {
    "f0_median_st": 0.75,
    "f0_range_st": 0.75,
    "f0_sd_st": 0.2,
    "terminal_slope_st_s": 3.0,
    "loudness_mean_db": 1.5,
    "loudness_peak_db": 1.5,
    "spike_count": 1.0,
    "speech_rate": 0.4,
    "articulation_rate": 0.4,
    "pause_longest": 0.15,
    "pause_total": 0.2,
    "jitter": 0.002,
    "shimmer": 0.01,
    "hnr_db": 1.0,
}


def speaker_zscores(turns: list[TurnDraft]) -> dict[str, dict[str, dict[str, float]]]:
    """Add ``z`` (feature -> z-score against the same speaker in this call) to each turn's prosody.

    Robust baseline: median and MAD (scaled to a normal SD); a speaker with fewer than three
    turns carrying a feature, or no spread, gets z = 0 for it (no baseline to compare with).
    """
    result: dict[str, dict[str, dict[str, float]]] = {}
    by_speaker: dict[str, list[TurnDraft]] = defaultdict(list)
    for turn in turns:
        by_speaker[turn.speaker].append(turn)
    for speaker, speaker_turns in by_speaker.items():
        baselines: dict[str, tuple[float, float]] = {}
        for feature in Z_FEATURES:
            values = np.array([t.prosody[feature] for t in speaker_turns if t.prosody.get(feature) is not None])
            if values.size < 3:
                continue
            center = float(np.median(values))
            spread = float(np.median(np.abs(values - center)) * 1.4826) or float(values.std())
            baselines[feature] = (center, max(spread, MIN_SPREAD.get(feature, 1e-9)))
        for turn in speaker_turns:
            z = {}
            for feature in Z_FEATURES:
                value = turn.prosody.get(feature)
                if value is None:
                    continue
                center, spread = baselines.get(feature, (value, 0.0))
                z[feature] = round((value - center) / spread, 3) if spread else 0.0
            turn.prosody["z"] = z
        result[speaker] = {k: {"median": round(c, 4), "spread": round(s, 4)} for k, (c, s) in baselines.items()}
    return result


def call_prosody(
    turns: list[TurnDraft],
    channel_audio: Callable[[TurnDraft], np.ndarray],
    progress: Callable[[float], None] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Fill ``prosody`` on every turn (raw features, contours, per-speaker z-scores).

    Returns each speaker's baseline (median and spread per feature)."""
    for index, turn in enumerate(turns):
        turn.prosody = turn_prosody(channel_audio(turn), turn.words, turn.start, turn.end)
        if progress and (index % 10 == 0 or index == len(turns) - 1):
            progress(100.0 * (index + 1) / len(turns))
    return speaker_zscores(turns)
