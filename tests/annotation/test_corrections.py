"""Turn corrections: adjust, split, merge, reassign speaker; versioned, attributed, refused when unsafe."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Assignment, Speaker, Turn, TurnAnnotation, TurnRevision


@pytest.fixture
def call_with_turns(project, make_user):
    call = project.calls.create(original_name="c.wav", sha256="4" * 64, audio="c.wav", status="ready", duration=20)
    a, b = (
        Speaker.objects.create(call=call, label="S0", role="agent"),
        Speaker.objects.create(call=call, label="S1", role="customer"),
    )
    words = lambda s: [{"w": f"w{i}", "s": s + i * 0.5, "e": s + i * 0.5 + 0.4, "p": 1.0} for i in range(6)]  # noqa: E731
    turns = [
        Turn.objects.create(
            call=call,
            speaker=spk,
            order=i,
            start=i * 4.0,
            end=i * 4.0 + 3.0,
            words=words(i * 4.0),
            text="w0 w1 w2 w3 w4 w5",
        )
        for i, spk in enumerate([a, b, b, a])
    ]
    annotator = make_user("ann", "annotator")
    Assignment.objects.create(call=call, annotator=annotator)
    return call, turns, annotator, (a, b)


def correct(client, call, turn, **body):
    return client.post(reverse("api-turn-correct", args=[call.pk, turn.pk]), body, content_type="application/json")


def test_split_merge_adjust_and_speaker_are_recorded(client, call_with_turns):
    call, turns, annotator, (agent, customer) = call_with_turns
    client.force_login(annotator)
    split = correct(client, call, turns[1], action="split", at=5.6, revision=1)
    assert split.status_code == 200, split.json()
    first, second = split.json()["turns"]
    assert (first["end"], second["start"], second["order"]) == (5.6, 5.6, 2)
    assert first["text"] == "w0 w1 w2" and second["text"] == "w3 w4 w5"
    assert list(call.turns.order_by("order").values_list("order", flat=True)) == [0, 1, 2, 3, 4]
    stale = correct(client, call, turns[1], action="adjust", start=4.0, end=5.0, revision=1)
    assert stale.status_code == 400 and "corrected by someone else" in stale.json()["detail"][0]
    merged = correct(client, call, turns[1], action="merge", revision=2)
    assert merged.status_code == 200 and merged.json()["turns"][0]["end"] == 7.0
    assert call.turns.count() == 4
    moved = correct(client, call, turns[1], action="speaker", speaker=agent.pk, revision=3)
    assert moved.json()["turns"][0]["speaker"] == "S0"
    adjusted = correct(client, call, turns[1], action="adjust", start=4.2, end=6.0, revision=4)
    assert adjusted.json()["turns"][0]["text"] == "w1 w2 w3"
    actions = list(TurnRevision.objects.filter(call=call).values_list("action", "user__username"))
    assert actions == [("split", "ann"), ("merge", "ann"), ("speaker", "ann"), ("adjust", "ann")]


def test_unsafe_corrections_are_refused_clearly(client, call_with_turns, make_user):
    call, turns, annotator, _ = call_with_turns
    client.force_login(annotator)
    assert "another speaker" in correct(client, call, turns[0], action="merge", revision=1).json()["detail"][0]
    assert "last turn" in correct(client, call, turns[3], action="merge", revision=1).json()["detail"][0]
    assert "inside the turn" in correct(client, call, turns[0], action="split", at=0.05, revision=1).json()["detail"][0]
    assert (
        "overlap"
        in correct(client, call, turns[1], action="adjust", start=4.0, end=9.0, revision=1).json()["detail"][0]
    )
    assert correct(client, call, turns[0], action="explode", revision=1).status_code == 400
    assert correct(client, call, turns[0], action="split").status_code == 400
    TurnAnnotation.objects.create(
        assignment=call.assignments.get(), turn=turns[2], taxonomy=call.project.taxonomy, labels=[]
    )
    assert (
        "already has annotations"
        in correct(client, call, turns[2], action="split", at=9.5, revision=1).json()["detail"][0]
    )
    client.force_login(make_user("other", "annotator"))
    assert correct(client, call, turns[0], action="split", at=1.0, revision=1).status_code == 404
