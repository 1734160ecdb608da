"""Agreement with the machine by suggestion mode, on a hand-built project with figures worked out
by hand: each mode's suggested and blind groups, their counts, and the gap when both are big enough."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import ProjectMembership, Suggestion
from annotation.services import project_add_member
from annotation.suggestion_modes import project_suggestion_settings_update
from qa.anchoring_modes import anchoring_by_mode, top_label

from .builders import annotated_call


def suggest(turn, *pairs):
    Suggestion.objects.create(
        turn=turn, labels=[{"label": k, "intensity": 3, "confidence": c} for k, c in pairs], model_version="m"
    )


@pytest.fixture
def built(project, make_user):
    """Mode "at once, with confidence" (the default): call A, four turns, s1 sees suggestions, b1
    is blind. Then the project switches to "after play, confidence hidden": call B, three turns
    (the last without a suggestion), s2 sees suggestions, b2 is blind and tags two turns."""
    _, turns_a, _ = annotated_call(
        project,
        make_user,
        {
            "s1": [["anger"], ["neutral"], ["gratitude"], ["anger", "anxiety"]],
            "b1": [["frustration"], ["neutral"], ["gratitude"], ["confusion"]],
        },
        blind=("b1",),
        name="a.wav",
    )
    suggest(turns_a[0], ("anger", 0.9), ("frustration", 0.6))
    suggest(turns_a[1], ("neutral", 0.5))
    suggest(turns_a[2], ("satisfaction", 0.8))
    suggest(turns_a[3], ("anxiety", 0.4), ("anger", 0.7))  # top is anger: the highest confidence, not the first
    project_suggestion_settings_update(
        project=project, actor=None, reveal_suggestions_after_play=True, hide_suggestion_confidence=True
    )
    _, turns_b, _ = annotated_call(
        project,
        make_user,
        {"s2": [["anger"], ["anger"], ["anger"]], "b2": [["anger"], None, ["neutral"]]},
        blind=("b2",),
        name="b.wav",
    )
    suggest(turns_b[0], ("anger", 0.9))
    suggest(turns_b[1], ("neutral", 0.5))
    return project


def test_breakdown_by_mode_with_hand_worked_figures(built):
    result = anchoring_by_mode(built, min_turns=2, bootstrap=0)
    rows = {(r.reveal_after_play, r.hide_confidence): r for r in result["modes"]}
    assert result["without_suggestion"] == 2  # call B's last turn, tagged by s2 and b2
    assert result["current"] == (True, True)

    at_once = rows[(False, False)]
    assert (at_once.suggested.judgements, at_once.suggested.annotators, at_once.suggested.calls) == (4, 1, 1)
    assert at_once.suggested.top_label_hits == 3 and at_once.suggested.top_label_share == 0.75
    assert at_once.suggested.share_low == pytest.approx(0.3006, abs=1e-4)  # Wilson interval for 3/4
    assert at_once.suggested.share_high == pytest.approx(0.9544, abs=1e-4)
    # Label presence, s1 against the machine over 4 turns x 8 labels: both present 4, one of them 3,
    # neither 25 -> coincidences o00=50, o11=8, o01=o10=3; alpha = 1 - (6/64) / (2*53*11/(64*63)).
    assert at_once.suggested.alpha == pytest.approx(788 / 1166)
    assert at_once.blind.top_label_hits == 1 and at_once.blind.judgements == 4
    assert at_once.comparable and at_once.gap == pytest.approx(0.5)
    assert at_once.gap_low < 0.5 < at_once.gap_high

    after_play_hidden = rows[(True, True)]
    assert (after_play_hidden.suggested.judgements, after_play_hidden.suggested.top_label_hits) == (2, 1)
    assert (after_play_hidden.blind.judgements, after_play_hidden.blind.top_label_hits) == (1, 1)
    assert not after_play_hidden.comparable and after_play_hidden.gap is None
    assert after_play_hidden.reason == "Not compared: the blind group has 1 judged turn(s), fewer than 2."

    for unused in (rows[(False, True)], rows[(True, False)]):
        assert unused.suggested.judgements == unused.blind.judgements == 0 and not unused.comparable
        assert unused.suggested.top_label_share is None and unused.suggested.alpha is None

    # With the page's default threshold no mode here has enough turns, and none is compared.
    assert not any(r.comparable for r in anchoring_by_mode(built, bootstrap=0)["modes"])


def test_top_label_is_the_most_confident_suggestion():
    assert top_label([{"label": "a", "confidence": 0.4}, {"label": "b", "confidence": 0.7}]) == "b"
    assert top_label([{"label": "a", "confidence": 0.5}, {"label": "b", "confidence": 0.5}]) == "a"
    assert top_label([]) is None


def test_page_for_reviewers_only(client, built, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=built, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    client.force_login(reviewer)
    url = reverse("qa:project_anchoring_modes", args=[built.slug])
    page = client.get(url).content.decode()
    assert "Shown after the turn is played, confidence hidden" in page and "current setting" in page
    assert "compared only when each has at least 30 judged turns" in page
    assert "Not compared: the suggested group has 4 judged turn(s)" in page
    client.force_login(make_user("ann", "annotator"))
    assert client.get(url).status_code == 403
