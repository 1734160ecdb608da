"""The multilingual text prior on plain business turns: a label whose seed phrases are only barely
the nearest is no evidence of it (neutral sentences sit near several labels at once)."""

from __future__ import annotations

import pytest

from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, suggest_turns

LABELS = list(SEED_PHRASES)
PLAIN = [
    "Let me just pull up your file.",
    "The meeting is at three.",
    "I need to update my address.",
    "Twelve Birch Lane, flat B.",
]


@pytest.fixture(scope="module")
def plain_results():
    return suggest_turns([TurnInput(text, "en", {}, "S", 0, 2) for text in PLAIN], LABELS, SEED_PHRASES)


@pytest.mark.parametrize("index", range(len(PLAIN)))
def test_a_plain_sentence_gets_no_emotion_from_a_barely_nearest_seed(plain_results, index):
    result = plain_results[index]
    assert [item.label for item in result.labels] == ["neutral"], (PLAIN[index], result.labels)


def test_a_sentence_clearly_nearest_to_a_label_still_gets_it():
    results = suggest_turns(
        [
            TurnInput("I don't get it, which button do I press?", "en", {}, "S", 0, 3),
            TurnInput("Vielen herzlichen Dank, das war sehr nett.", "de", {}, "S", 0, 3),
        ],
        LABELS,
        SEED_PHRASES,
    )
    assert "confusion" in [item.label for item in results[0].labels], results[0].labels
    assert "gratitude" in [item.label for item in results[1].labels], results[1].labels
