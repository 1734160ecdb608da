"""Trust in suggestions on turns nobody tuned for: a voice that is merely louder or higher is not a
confident emotion, a turn of unidentified language is not read with the English lexicon, and two
weak pieces of evidence do not add up to certainty."""

from __future__ import annotations

import random

import pytest

from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, combine_evidence, suggest_turns
from tests.annotation.trust_suite import NEUTRAL, SuiteTurn, measure_call

LABELS = list(SEED_PHRASES)
CONFIDENT = 0.7


def emotions(result, floor: float) -> list:
    return [
        (item.label, item.confidence) for item in result.labels if item.label != "neutral" and item.confidence >= floor
    ]


@pytest.fixture(scope="module")
def shouted_call() -> list[TurnInput]:
    """A German speaker: six plain turns, then a longer sentence of the same kind shouted (espeak-ng,
    twice the amplitude and a higher pitch; over 4 s of voiced speech, so the voice evidence is not
    thin). Real audio, prosody measured by Praat. The old rules said anger and anxiety at 0.95."""
    texts = [
        "Guten Tag, ich rufe wegen meiner Adresse an.",
        "Die Kundennummer steht oben auf dem Brief.",
        "Ich wohne in der Lindenstraße neun.",
        "Der Vertrag läuft seit dem ersten Mai.",
        "Meine Telefonnummer endet auf vier drei.",
        "Die Rechnung kam am Dienstag per Post.",
    ]
    turns = [SuiteTurn("T-de-0", "T-de-0-S", "de", text, NEUTRAL, "plain") for text in texts]
    turns.append(
        SuiteTurn(
            "T-de-0",
            "T-de-0-S",
            "de",
            "Ich möchte nur die Adresse auf meinem Konto ändern, die neue Adresse ist Birkenweg zwölf in Hamburg.",
            NEUTRAL,
            "shouted",
        )
    )
    return measure_call(turns, random.Random(3))


def test_a_shouted_neutral_sentence_is_not_a_confident_emotion(shouted_call):
    results = suggest_turns(shouted_call, LABELS, SEED_PHRASES)
    last = results[-1]
    assert last.evidence["cues"].get("loud"), last.evidence  # the fixture did shout
    assert not emotions(last, CONFIDENT), (last.labels, last.rationale)


def test_the_voice_alone_still_leads_when_its_evidence_is_ample():
    """Louder and higher than the speaker's six other turns, 4 s of speech: the voice may still put
    an emotion first (above 0.5), only not at a confident level the words never backed."""
    calm = [
        TurnInput("the invoice is on the table by the door", "en",
                  {"duration": 3.0, "voiced_fraction": 0.8, "f0_median_st": 10.0, "z": {}, "baseline_delta": {}},
                  "A", 3.0 * i, 3.0 * i + 3.0)
        for i in range(6)
    ]  # fmt: skip
    loud = TurnInput(
        "the invoice is on the table by the door",
        "en",
        {
            "duration": 4.0,
            "voiced_fraction": 0.9,
            "f0_median_st": 18.0,
            "z": {"loudness_peak_db": 6.0, "f0_median_st": 6.0},
            "baseline_delta": {"loudness_peak_db": 12.0, "f0_median_st": 8.0},
        },
        "A",
        20.0,
        24.0,
    )
    result = suggest_turns([*calm, loud], LABELS, SEED_PHRASES)[-1]
    assert emotions(result, 0.5), result.labels
    assert not emotions(result, CONFIDENT), result.labels


@pytest.mark.parametrize(
    "text",
    [
        "Die Nummer ist vier, die andere ist sieben.",  # German "die" is "the"; in VADER it is very negative
        "Sin problema, gracias.",  # Spanish "sin" is "without"
    ],
)
def test_a_turn_of_unidentified_language_is_not_read_with_the_english_lexicon(text):
    result = suggest_turns([TurnInput(text, "", {}, "S", 0, 2)], LABELS, SEED_PHRASES)[0]
    assert result.evidence["vader"] is None
    assert "VADER" not in result.rationale
    assert result.valence == 0.0, result.rationale
    assert not emotions(result, 0.35), result.labels


def test_english_turns_are_still_read_with_the_english_lexicon():
    result = suggest_turns([TurnInput("Thank you, that is wonderful.", "en", {}, "S", 0, 2)], LABELS, SEED_PHRASES)[0]
    assert result.evidence["vader"] > 0.3 and result.valence > 0


def test_two_weak_pieces_of_evidence_do_not_add_up_to_certainty():
    assert combine_evidence(0.45, 0.45) < CONFIDENT
    assert combine_evidence(0.6, 0.0) == 0.6 and combine_evidence(0.0, 0.6) == 0.6
    assert combine_evidence(0.6, 0.6) > 0.8  # agreement of two fair pieces of evidence is strong
