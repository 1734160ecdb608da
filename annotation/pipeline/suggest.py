"""Emotion suggestions that explain themselves: prosody cues + what the words say, fused into a
taxonomy's labels, each with intensity, confidence and a rationale a person can read.

Plain Python: turns in (with prosody z-scores against the speaker's own baseline), suggestions
out. The mapping from evidence to labels is configurable per taxonomy.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .evidence import baseline_turn_counts, voice_evidence
from .rules_version import RULES_VERSION
from .text_evidence import SEED_PHRASES, embed, flip_words, seed_matrix, text_weight, vader_compound

__all__ = [
    "RULES_VERSION",
    "SEED_PHRASES",
    "embed",
    "suggest_turns",
    "prosody_cues",
    "baseline_deltas",
    "combine_evidence",
]

MAX_LABELS = 3  # at most this many labels are suggested per turn, by confidence
# The multilingual prior: how much closer the nearest label's seeds are than the runner-up's
# (cosine margin) sets its score, from nothing at PRIOR_MIN_MARGIN up to full at about 0.045.
# Neutral, polite and phatic turns sit near several labels at once (margins under ~0.015) and
# are no evidence of the nearest one; a fixed base score made each such guess worth 0.35.
# Fitted on half A of tests/annotation/trust_suite.py (reported on half B: benchmarks/suggest_trust.py).
PRIOR_MIN_MARGIN, PRIOR_BASE, PRIOR_SLOPE = 0.005, 0.0, 25.0
TERMINAL_RISE_ONLY_STRENGTH = 0.6  # a final rise alone is ordinary intonation as often as urgency


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
        value = strength(max(pitch_z, z.get("terminal_slope_st_s", 0.0)), t.pitch_z)
        if pitch_z < t.pitch_z:
            # Statements rise at the end too (lists, continuations, uptalk): weak evidence alone.
            value = min(value, TERMINAL_RISE_ONLY_STRENGTH)
        cues["pitch_rise"] = (value, " and ".join(parts))

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
    """One suggestion per turn, plus shift markers between/inside turns.

    Each label's score is the voice's cue strength weighed by how much voiced speech and how many
    baseline turns it rests on (never confident on its own), combined (noisy-or) with the words'
    score weighed by how many words there are. When no emotion reaches 0.5, "neutral" (if the taxonomy has it) leads with the remaining confidence.
    """
    labels_known = set(label_keys)
    seeds = {k: v for k, v in label_seeds.items() if k in labels_known}
    seed_labels, centroids = seed_matrix(seeds) if seeds else ([], np.zeros((0, 384)))
    texts = [t.text or "" for t in turns]
    vectors = embed(texts) if texts and seed_labels else np.zeros((len(texts), 384))
    similarity = vectors @ centroids.T if seed_labels else np.zeros((len(texts), 0))
    baseline_counts = baseline_turn_counts([t.speaker for t in turns], [t.prosody for t in turns])
    results = []
    for index, turn in enumerate(turns):
        voice = voice_evidence(turn.prosody, turn.start, turn.end, baseline_counts[turn.speaker])
        cues = prosody_cues(turn.prosody, config.thresholds, question=(turn.text or "").rstrip().endswith("?"))
        scores: dict[str, float] = {}
        reasons: dict[str, list[str]] = {}
        for cue, (strength, phrase) in cues.items():
            for label in config.cue_labels.get(cue, []):
                if label in labels_known:
                    scores[label] = max(scores.get(label, 0.0), voice.confidence(cue, strength))
                    reasons.setdefault(label, []).append(phrase)
        compound, text_scores = _text_scores(turn, similarity[index], seed_labels, labels_known, config)
        quoted = _quote(turn.text)
        for label, score in text_scores.items():
            scores[label] = combine_evidence(scores.get(label, 0.0), config.text_weight * score)
            if quoted:
                reasons.setdefault(label, []).append(f"words: {quoted}")
        chosen = _ranked(scores, labels_known, config, reasons)
        low, high = intensity_range
        # An emotion's intensity follows the strength of its evidence; "neutral" has no strength
        # to show (its confidence is how sure, not how neutral): it takes the scale's middle, as a
        # person's key press does. It read "Neutral 5 (92%)".
        labels = [
            LabelSuggestion(
                label,
                math.floor((low + high) / 2 + 0.5)
                if label == "neutral"
                else int(round(low + (high - low) * min(1.0, score))),
                round(min(0.95, score), 2),
            )
            for label, score in chosen
        ]
        emotions = [(label, score) for label, score in chosen if label != "neutral"]
        rationale_parts = [f"{item.label}: " + "; ".join(dict.fromkeys(reasons.get(item.label, []))) for item in labels]
        if cues and voice.thin_reason:
            rationale_parts.append(f"voice: {voice.thin_reason}")
        flips = flip_words(turn.text or "", turn.language or "")
        if flips:
            rationale_parts.append("meaning-flipping words: " + ", ".join(f"'{w}'" for w in flips))
        if compound is not None:
            rationale_parts.append(f"VADER sentiment {compound:+.2f}")
        results.append(
            TurnSuggestion(
                labels=labels,
                valence=_valence(compound, emotions, config, valence_range),
                arousal=_arousal(turn.prosody, arousal_range, voice.weight("loud")),
                rationale=" | ".join(rationale_parts),
                evidence={
                    "cues": {k: round(v[0], 3) for k, v in cues.items()},
                    "text": {k: round(v, 3) for k, v in text_scores.items()},
                    "vader": compound,
                    "flip_words": flips,
                    "voice": voice.to_dict(),
                    "text_weight": round(text_weight(turn.text), 2),
                },
            )
        )
    _add_shifts(turns, results, valence_range, arousal_range)
    return results


def combine_evidence(voice: float, words: float) -> float:
    """Two independent pieces of evidence for one label (each 0..1), as a noisy-or: either can
    make the label, agreement raises it, and two weak ones stay short of certainty (a sum would
    make 0.45 + 0.45 a confident 0.9)."""
    return 1.0 - (1.0 - voice) * (1.0 - words)


def _text_scores(turn: TurnInput, similarity_row, seed_labels, labels_known, config) -> tuple:
    """(VADER compound or None, label -> text score weighed by the number of words).

    VADER's lexicon is English: it reads only turns known to be English. A turn whose language was
    not identified is not assumed English ("Die Nummer ist vier" would be "die": very negative)."""
    english = (turn.language or "").lower().startswith("en")
    compound = vader_compound(turn.text) if english and turn.text else None
    weight = text_weight(turn.text)
    scores: dict[str, float] = {}
    if seed_labels and turn.text:
        ranked = np.argsort(-similarity_row)
        top = similarity_row[ranked[0]]
        second = similarity_row[ranked[1]] if len(ranked) > 1 else 0.0
        margin = float(top - second)
        # The prior speaks only when one label's seeds are clearly closest.
        prior = PRIOR_SLOPE * (margin - PRIOR_MIN_MARGIN)
        if prior > 0:
            scores[seed_labels[ranked[0]]] = weight * min(1.0, PRIOR_BASE + prior)
    if compound is not None:
        side = "negative" if compound <= -0.3 else "positive" if compound >= 0.3 else None
        for label in config.valence_labels.get(side, []) if side else []:
            if label in labels_known:
                scores[label] = max(scores.get(label, 0.0), weight * (0.3 + 0.4 * abs(compound)))
    return compound, scores


def _ranked(scores: dict[str, float], labels_known: set, config, reasons: dict) -> list[tuple[str, float]]:
    """At most MAX_LABELS labels by score; "neutral" leads when no emotion reaches 0.5."""
    emotions = sorted(
        ((label, score) for label, score in scores.items() if score >= config.min_score and label != "neutral"),
        key=lambda item: -item[1],
    )
    top = max((score for label, score in scores.items() if label != "neutral"), default=0.0)
    if "neutral" in labels_known and top < 0.5:
        neutral = round(max(0.5, 1.0 - top), 2)
        reasons.setdefault("neutral", []).append(
            "no emotion has strong evidence" if top else "no prosody cue fired; words carry no marked emotion"
        )
        emotions = [("neutral", neutral), *emotions]
    return emotions[:MAX_LABELS]


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


def _arousal(prosody: dict, arousal_range, weight: float = 1.0) -> float:
    """The middle of the scale, moved by the voice's activation as far as the evidence allows."""
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
    return float(round(max(low, min(high, middle + weight * activation))))


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
                        {"at": round(turn.start, 3), "from": from_label, "to": to_label,
                         "why": f"valence {dv:+.0f}, arousal {da:+.0f} since this speaker's previous turn"}
                    )  # fmt: skip
        last_of[turn.speaker] = index
        contour = (turn.prosody or {}).get("contour") or {}
        loudness, pitch = contour.get("loudness_db", []), contour.get("pitch_st", [])
        # Voiced frames only: pauses are silence, and how much of each half is pause (a codec's
        # digital silence measures -100 dB) said nothing about how loudly the person spoke.
        half = len(loudness) // 2
        voiced = [(i < half, v) for i, (v, p) in enumerate(zip(loudness, pitch, strict=False)) if None not in (v, p)]
        first, second = [v for early, v in voiced if early], [v for early, v in voiced if not early]
        if turn.end - turn.start >= 8 and min(len(first), len(second)) >= 10:
            jump = float(np.median(second) - np.median(first))
            if abs(jump) >= 6:
                results[index].shifts.append(
                    {"at": round((turn.start + turn.end) / 2, 2), "from": "calmer" if jump > 0 else "louder",
                     "to": "louder" if jump > 0 else "calmer", "why": f"loudness {jump:+.0f} dB between halves"}
                )  # fmt: skip
