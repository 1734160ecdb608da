"""How much a turn's voice can be trusted as evidence of an emotion.

A prosody cue is a z-score against the speaker's own baseline. On a 0.3 s "Hello." the pitch and
rate come from a handful of frames, and with two earlier turns the "baseline" is two numbers: the
z-score is mostly noise. So a cue's confidence is scaled by what it rests on:

- voiced speech in the turn (seconds of frames with a pitch), full weight from ``FULL_VOICED_S``;
- the speaker's own turns that form the baseline, full weight from ``FULL_BASELINE_TURNS``;
- for pitch cues, how much of the turn the pitch tracker could follow (voiced fraction).

Below a floor (``VOICED_FLOOR_S`` of voiced speech or ``BASELINE_FLOOR_TURNS`` baseline turns) the
voice alone never reaches ``PROSODY_ONLY_CAP``, whatever the z-score, and the rationale says why.

Even on ample speech the voice alone stays under ``VOICE_ONLY_CAP``: louder, higher or faster than
usual says how activated a person is, not which emotion (anger, worry and delight all raise pitch
and volume; so do a bad line, a speakerphone and a noisy room). A confident label needs the words
to agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

VOICED_FLOOR_S = 1.0
BASELINE_FLOOR_TURNS = 3
FULL_VOICED_S = 3.0
FULL_BASELINE_TURNS = 6
FULL_PITCH_TRACK = 0.5  # voiced fraction from which a pitch track counts as reliable
PROSODY_ONLY_CAP = 0.45  # the voice alone, on thin evidence, stays below 0.5
VOICE_ONLY_CAP = 0.6  # the voice alone, on any evidence, stays below a confident 0.7
PITCH_CUES = frozenset({"pitch_rise", "flat"})


@dataclass(frozen=True)
class VoiceEvidence:
    duration: float
    voiced_seconds: float
    voiced_fraction: float
    baseline_turns: int

    @property
    def thin_reason(self) -> str:
        """Why the voice is too thin to judge from, or '' when it is not."""
        if self.voiced_seconds < VOICED_FLOOR_S:
            return f"too short to judge from the voice ({self.voiced_seconds:.1f} s of voiced speech)"
        if self.baseline_turns < BASELINE_FLOOR_TURNS:
            return (
                f"too few turns from this speaker to know their usual voice "
                f"({self.baseline_turns} of {BASELINE_FLOOR_TURNS} needed)"
            )
        return ""

    def weight(self, cue: str) -> float:
        """0..1: how far a cue of this turn can be trusted."""
        voiced = min(1.0, self.voiced_seconds / FULL_VOICED_S)
        baseline = min(1.0, self.baseline_turns / FULL_BASELINE_TURNS)
        weight = voiced * baseline
        if cue in PITCH_CUES:
            weight *= min(1.0, self.voiced_fraction / FULL_PITCH_TRACK)
        return weight

    def confidence(self, cue: str, strength: float) -> float:
        """A fired cue's confidence on its own (before any text evidence is added)."""
        value = strength * self.weight(cue)
        return min(value, PROSODY_ONLY_CAP if self.thin_reason else VOICE_ONLY_CAP)

    def to_dict(self) -> dict:
        return {
            "voiced_seconds": round(self.voiced_seconds, 2),
            "baseline_turns": self.baseline_turns,
            "voiced_fraction": round(self.voiced_fraction, 2),
            "thin": self.thin_reason,
        }


def baseline_turn_counts(speakers: list[str], prosodies: list[dict]) -> Counter:
    """Per speaker, the turns whose pitch entered the baseline (the prosody stage's z-scores use
    the turns that carry a median pitch)."""
    counts: Counter = Counter()
    for speaker, prosody in zip(speakers, prosodies, strict=True):
        if (prosody or {}).get("f0_median_st") is not None:
            counts[speaker] += 1
    return counts


def voice_evidence(prosody: dict, start: float, end: float, baseline_turns: int) -> VoiceEvidence:
    prosody = prosody or {}
    duration = float(prosody.get("duration") or max(0.0, end - start))
    fraction = float(prosody.get("voiced_fraction") or 0.0)
    return VoiceEvidence(duration, duration * fraction, fraction, baseline_turns)
