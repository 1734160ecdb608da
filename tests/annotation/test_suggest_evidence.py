"""Evidence strength drives confidence: thin voice evidence never gives a confident emotion, short
texts are weak evidence, neutral wins when nothing is strong, at most three labels by confidence."""

from __future__ import annotations

import pytest

from annotation.pipeline.evidence import PROSODY_ONLY_CAP, VoiceEvidence
from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, suggest_turns
from annotation.pipeline.synth import Utterance
from tests.annotation.cue_fixtures import NEUTRAL_TEXTS, VOICES, suggest_script

LABELS = list(SEED_PHRASES)
NEGATIVE = {"frustration", "anger", "anxiety", "confusion", "disengagement"}
# Every cue pushed far past its threshold: pitch, final rise, rate, loudness.
EXTREME_Z = {"f0_median_st": 6.0, "terminal_slope_st_s": 6.0, "speech_rate": 6.0, "loudness_peak_db": 6.0}
EXTREME_DELTA = {"f0_median_st": 8.0, "speech_rate_ratio": 2.0, "loudness_peak_db": 12.0}


def calm(start: float, speaker: str = "A", text: str = "the invoice is on the table by the door") -> TurnInput:
    prosody = {"duration": 3.0, "voiced_fraction": 0.8, "f0_median_st": 10.0, "z": {}, "baseline_delta": {}}
    return TurnInput(text, "en", prosody, speaker, start, start + 3.0)


def loud(start: float, duration: float, text: str, speaker: str = "A") -> TurnInput:
    prosody = {
        "duration": duration,
        "voiced_fraction": 0.9,
        "f0_median_st": 18.0,
        "terminal_slope_st_s": 40.0,
        "z": dict(EXTREME_Z),
        "baseline_delta": dict(EXTREME_DELTA),
    }
    return TurnInput(text, "en", prosody, speaker, start, start + duration)


def negatives(result, floor: float = 0.5) -> list:
    return [item for item in result.labels if item.label in NEGATIVE and item.confidence >= floor]


def test_hello_under_a_second_gets_no_confident_emotion_however_extreme_its_voice():
    turns = [calm(3.0 * i) for i in range(6)] + [loud(20.0, 0.3, "Hello.")]
    result = suggest_turns(turns, LABELS, SEED_PHRASES)[-1]
    assert not negatives(result), result.labels
    assert result.labels[0].label == "neutral"
    assert "too short to judge from the voice" in result.rationale
    assert result.evidence["voice"]["voiced_seconds"] < 1.0


def test_a_speaker_with_too_few_turns_has_no_baseline_to_judge_from():
    turns = [calm(0.0, "B"), loud(4.0, 4.0, "the invoice is on the table by the door", speaker="B")]
    result = suggest_turns(turns, LABELS, SEED_PHRASES)[-1]
    assert not negatives(result), result.labels
    assert max((item.confidence for item in result.labels if item.label in NEGATIVE), default=0) <= PROSODY_ONLY_CAP
    assert "too few turns from this speaker" in result.rationale


def test_the_same_voice_on_long_speech_with_a_baseline_is_confident():
    turns = [calm(3.0 * i) for i in range(6)] + [loud(20.0, 4.0, "the invoice is on the table by the door")]
    result = suggest_turns(turns, LABELS, SEED_PHRASES)[-1]
    assert {item.label for item in negatives(result)} & {"anger", "anxiety", "frustration"}, result.labels
    assert "too short" not in result.rationale


def test_confidence_grows_with_voiced_speech_and_baseline_turns():
    short = VoiceEvidence(duration=1.5, voiced_seconds=1.2, voiced_fraction=0.8, baseline_turns=6)
    long = VoiceEvidence(duration=4.0, voiced_seconds=3.2, voiced_fraction=0.8, baseline_turns=6)
    few = VoiceEvidence(duration=4.0, voiced_seconds=3.2, voiced_fraction=0.8, baseline_turns=3)
    assert short.confidence("loud", 1.0) < long.confidence("loud", 1.0)
    assert few.confidence("loud", 1.0) < long.confidence("loud", 1.0)
    unreliable_pitch = VoiceEvidence(duration=8.0, voiced_seconds=3.2, voiced_fraction=0.25, baseline_turns=6)
    assert unreliable_pitch.confidence("pitch_rise", 1.0) < unreliable_pitch.confidence("loud", 1.0)


def test_a_final_rise_alone_is_not_confident_urgency():
    turns = [calm(3.0 * i) for i in range(6)]
    rise = calm(20.0)
    rise.prosody.update(terminal_slope_st_s=40.0, z={"terminal_slope_st_s": 6.0})
    result = suggest_turns([*turns, rise], LABELS, SEED_PHRASES)[-1]
    assert result.evidence["cues"].get("pitch_rise")
    assert not negatives(result), result.labels


def test_one_word_is_weaker_evidence_than_a_sentence():
    word = suggest_turns([TurnInput("Ridiculous.", "en", {}, "S", 0, 1)], LABELS, SEED_PHRASES)[0]
    sentence = suggest_turns(
        [TurnInput("This is ridiculous, cancel my account now!", "en", {}, "S", 0, 3)], LABELS, SEED_PHRASES
    )[0]
    assert word.evidence["text_weight"] < sentence.evidence["text_weight"] == 1.0
    best = max(sentence.evidence["text"].values())
    assert max(word.evidence["text"].values(), default=0.0) < best


def test_at_most_three_labels_ordered_by_confidence_and_neutral_leads_when_nothing_is_strong():
    turns = [calm(3.0 * i) for i in range(6)]
    for result in suggest_turns(
        [*turns, loud(20.0, 4.0, "I am worried, this is ridiculous, I don't understand and I need it today")],
        LABELS,
        SEED_PHRASES,
    ):
        confidences = [item.confidence for item in result.labels]
        assert len(result.labels) <= 3
        assert confidences == sorted(confidences, reverse=True)
        if not any(item.confidence >= 0.5 for item in result.labels if item.label != "neutral"):
            assert result.labels[0].label == "neutral"


@pytest.mark.slow
def test_a_scripted_complaint_with_raised_pitch_and_volume_is_still_frustration_or_anger(tiny):
    base = {"voice": VOICES[0]["voice"], "pitch": VOICES[0]["pitch"], "rate": 165, "amplitude": 90}
    script = [(Utterance("s", text, **base), None) for text in NEUTRAL_TEXTS]
    complaint = "This is the third time it has happened and I am not happy about it"
    script.append((Utterance("s", complaint, **{**base, "pitch": 90, "amplitude": 200}), "complaint"))
    last = suggest_script(script, tiny, LABELS)[-1]
    assert any(item.label in {"frustration", "anger"} and item.confidence >= 0.5 for item in last.labels), last
