"""Turn corrections are proposals: checked when proposed, invisible to others until a reviewer
accepts, then applied for everyone with history and undo. Words belong to the call, so a
boundary move never deletes one; annotations survive split and merge."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import (
    Assignment,
    CorrectionProposal,
    ProjectMembership,
    Speaker,
    Turn,
    TurnAnnotation,
    TurnRevision,
)
from annotation.workspace import workspace_payload


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
    reviewer = make_user("rev", "qa_reviewer")
    ProjectMembership.objects.create(project=project, user=reviewer, role="reviewer")
    return call, turns, annotator, reviewer, (a, b)


def propose(client, call, turn, action, **body):
    return client.post(reverse(f"api-propose-{action}", args=[call.pk, turn.pk]), body, content_type="application/json")


def decide(client, proposal_id, verdict="accept", note=""):
    return client.post(
        reverse(f"api-proposal-{verdict}", args=[proposal_id]), {"note": note}, content_type="application/json"
    )


def texts(call):
    return list(call.turns.order_by("order").values_list("text", flat=True))


def test_shrinking_then_growing_a_boundary_keeps_every_word(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    for start, end, expected in ((5.0, 6.0, "w2 w3"), (4.0, 7.0, "w0 w1 w2 w3 w4 w5")):
        client.force_login(annotator)
        turn = Turn.objects.get(pk=turns[1].pk)
        made = propose(client, call, turn, "adjust", start=start, end=end, revision=turn.revision)
        assert made.status_code == 201, made.json()
        client.force_login(reviewer)
        assert decide(client, made.json()["id"]).status_code == 200
        assert Turn.objects.get(pk=turn.pk).text == expected
    call.refresh_from_db()
    assert len(call.words) == 24  # every word of the call is still there


def test_words_left_outside_every_turn_are_listed_as_unassigned(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    client.force_login(annotator)
    made = propose(client, call, turns[1], "adjust", start=4.0, end=5.0, revision=1)
    client.force_login(reviewer)
    decide(client, made.json()["id"])
    payload = workspace_payload(Assignment.objects.get(call=call))
    assert [w["w"] for w in payload["unassigned_words"]] == ["w2", "w3", "w4", "w5"]


def test_a_proposal_changes_nothing_for_others_until_accepted(client, call_with_turns, make_user):
    call, turns, annotator, reviewer, (agent, _) = call_with_turns
    other = make_user("ann2", "annotator")
    Assignment.objects.create(call=call, annotator=other)
    client.force_login(annotator)
    made = propose(client, call, turns[1], "speaker", speaker=agent.pk, revision=1)
    assert made.status_code == 201 and made.json()["after"][0]["speaker"] == "S0"
    assert Turn.objects.get(pk=turns[1].pk).speaker_id != agent.pk  # nothing applied
    mine = workspace_payload(call.assignments.get(annotator=annotator))
    theirs = workspace_payload(call.assignments.get(annotator=other))
    assert [p["id"] for p in mine["proposals"]] == [made.json()["id"]] and theirs["proposals"] == []
    client.force_login(other)  # another annotator can neither see nor decide it
    assert decide(client, made.json()["id"]).status_code == 404
    client.force_login(annotator)  # nor can its proposer accept it
    assert decide(client, made.json()["id"]).status_code == 400
    client.force_login(reviewer)
    accepted = decide(client, made.json()["id"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Turn.objects.get(pk=turns[1].pk).speaker_id == agent.pk
    assert TurnRevision.objects.get().user == annotator  # attributed to its author


def test_split_carries_labels_to_both_halves_and_merge_unites_them(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[1], taxonomy=call.project.taxonomy, valence=-1, note="angry",
        labels=[{"label": "anger", "intensity": 2}, {"label": "confusion", "intensity": 1}],
        shifts=[{"at": 4.2, "from": "confusion", "to": "anger"}],
    )  # fmt: skip
    client.force_login(annotator)
    made = propose(client, call, turns[1], "split", at=5.6, revision=1)
    assert made.status_code == 201, made.json()
    client.force_login(reviewer)
    assert decide(client, made.json()["id"]).status_code == 200
    first, second = call.turns.filter(order__in=[1, 2]).order_by("order")
    assert (first.text, second.text) == ("w0 w1 w2", "w3 w4 w5")
    halves = {a.turn_id: a for a in TurnAnnotation.objects.filter(assignment=assignment)}
    tagged = [{"label": "anger", "intensity": 2}, {"label": "confusion", "intensity": 1}]
    assert halves[first.pk].labels == halves[second.pk].labels == tagged
    assert halves[first.pk].needs_recheck and halves[second.pk].needs_recheck
    assert halves[first.pk].shifts and not halves[second.pk].shifts  # the shift stays in its half
    half = halves[second.pk]
    half.labels = [{"label": "anger", "intensity": 4}, {"label": "confusion", "intensity": 1}]
    half.save()
    client.force_login(annotator)
    made = propose(client, call, first, "merge", revision=first.revision)
    client.force_login(reviewer)
    assert decide(client, made.json()["id"]).status_code == 200
    merged = TurnAnnotation.objects.get(assignment=assignment, turn=first)
    assert merged.labels == [{"label": "anger", "intensity": 4}, {"label": "confusion", "intensity": 1}]
    assert merged.valence == -1 and merged.needs_recheck
    assert texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4
    assert TurnAnnotation.objects.filter(assignment=assignment).count() == 1


def test_split_and_merge_keep_no_emotion_and_skip_decisions(client, call_with_turns):
    """The regression: a split's second half lost "no emotion" and the skip reason (so it no longer
    counted as tagged), and a merge of a "no emotion" turn with a tagged one stored both."""
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    taxonomy = call.project.taxonomy
    TurnAnnotation.objects.create(assignment=assignment, turn=turns[1], taxonomy=taxonomy, no_emotion=True)
    TurnAnnotation.objects.create(assignment=assignment, turn=turns[2], taxonomy=taxonomy, skipped=True,
                                  skip_reason="cross-talk")  # fmt: skip
    for turn, at in ((turns[1], 5.6), (turns[2], 9.6)):
        client.force_login(annotator)
        made = propose(client, call, Turn.objects.get(pk=turn.pk), "split", at=at, revision=1)
        assert made.status_code == 201, made.json()
        client.force_login(reviewer)
        assert decide(client, made.json()["id"]).status_code == 200
    rows = list(TurnAnnotation.objects.filter(assignment=assignment).order_by("turn__order"))
    assert [(r.no_emotion, r.skipped, r.skip_reason) for r in rows] == [
        (True, False, ""), (True, False, ""), (False, True, "cross-talk"), (False, True, "cross-talk")
    ]  # fmt: skip
    assert TurnAnnotation.objects.judgements().filter(assignment=assignment).count() == 2  # both "no emotion" halves
    # Merge a "no emotion" half with a tagged turn: the labels stand, "no emotion" goes.
    second = call.turns.get(order=2)
    TurnAnnotation.objects.filter(turn=second).update(no_emotion=False, labels=[{"label": "anger", "intensity": 2}])
    client.force_login(annotator)
    first = call.turns.get(order=1)
    made = propose(client, call, first, "merge", revision=first.revision)
    assert made.status_code == 201, made.json()
    client.force_login(reviewer)
    assert decide(client, made.json()["id"]).status_code == 200
    merged = TurnAnnotation.objects.get(assignment=assignment, turn=first)
    assert (merged.no_emotion, merged.labels) == (False, [{"label": "anger", "intensity": 2}])


def test_undoing_a_merge_gives_each_turn_back_its_own_shifts(client, call_with_turns):
    """The regression: undoing a merge copied the later shifts to the recreated turn but left them
    on the first one too, outside its restored end, so every later save of it was refused."""
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    client.force_login(annotator)
    made = propose(client, call, turns[1], "merge", revision=1)
    client.force_login(reviewer)
    assert decide(client, made.json()["id"]).status_code == 200
    merged = call.turns.get(order=1)
    TurnAnnotation.objects.create(
        assignment=assignment, turn=merged, taxonomy=call.project.taxonomy,
        labels=[{"label": "anger", "intensity": 2}, {"label": "confusion", "intensity": 1}],
        shifts=[{"at": 5.0, "from": "anger", "to": "confusion"}, {"at": 9.0, "from": "confusion", "to": "anger"}],
    )  # fmt: skip
    merge = CorrectionProposal.objects.get(action="merge").revision
    assert client.post(reverse("api-turn-revision-undo", args=[merge.pk])).status_code == 200
    first, second = call.turns.filter(order__in=[1, 2]).order_by("order")
    rows = {a.turn_id: a for a in TurnAnnotation.objects.filter(assignment=assignment)}
    assert [s["at"] for s in rows[first.pk].shifts] == [5.0] and [s["at"] for s in rows[second.pk].shifts] == [9.0]
    assert rows[first.pk].needs_recheck and rows[first.pk].version == 2


def test_transcript_correction_and_undo(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    client.force_login(annotator)
    made = propose(client, call, turns[0], "text", text="below I'm very upset about my bill", revision=1)
    assert made.status_code == 201
    assert Turn.objects.get(pk=turns[0].pk).text == "w0 w1 w2 w3 w4 w5"
    client.force_login(reviewer)
    decide(client, made.json()["id"])
    assert Turn.objects.get(pk=turns[0].pk).text == "below I'm very upset about my bill"
    revision = CorrectionProposal.objects.get().revision
    undone = client.post(reverse("api-turn-revision-undo", args=[revision.pk]))
    assert undone.status_code == 200, undone.json()
    assert Turn.objects.get(pk=turns[0].pk).text == "w0 w1 w2 w3 w4 w5"
    again = client.post(reverse("api-turn-revision-undo", args=[revision.pk]))
    assert again.status_code == 400 and "already undone" in again.json()["detail"][0]


def test_undo_of_a_split_and_of_a_merge(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    client.force_login(annotator)
    made = propose(client, call, turns[1], "split", at=5.6, revision=1)
    client.force_login(reviewer)
    decide(client, made.json()["id"])
    split = CorrectionProposal.objects.get().revision
    assert client.post(reverse("api-turn-revision-undo", args=[split.pk])).status_code == 200
    assert texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4
    client.force_login(annotator)
    made = propose(client, call, Turn.objects.get(pk=turns[1].pk), "merge", revision=3)
    assert made.status_code == 201, made.json()
    client.force_login(reviewer)
    decide(client, made.json()["id"])
    assert call.turns.count() == 3
    merge = CorrectionProposal.objects.get(action="merge").revision
    assert client.post(reverse("api-turn-revision-undo", args=[merge.pk])).status_code == 200
    assert texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4
    assert list(call.turns.order_by("order").values_list("order", flat=True)) == [0, 1, 2, 3]


def test_undoing_a_split_keeps_what_was_tagged_on_the_second_half(client, call_with_turns):
    """The regression: undoing a split deleted the second half's annotations, and with them its
    shifts and anything tagged there after the split."""
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[1], taxonomy=call.project.taxonomy,
        labels=[{"label": "anger", "intensity": 2}, {"label": "confusion", "intensity": 1}],
        shifts=[{"at": 4.2, "from": "confusion", "to": "anger"}, {"at": 6.0, "from": "anger", "to": "confusion"}],
    )  # fmt: skip
    client.force_login(annotator)
    made = propose(client, call, turns[1], "split", at=5.6, revision=1)
    client.force_login(reviewer)
    decide(client, made.json()["id"])
    second = call.turns.get(order=2)
    half = TurnAnnotation.objects.get(assignment=assignment, turn=second)
    assert [s["at"] for s in half.shifts] == [6.0]  # the later shift went with its half
    half.labels = [{"label": "anger", "intensity": 4}, {"label": "confusion", "intensity": 1}]
    half.save()
    split = CorrectionProposal.objects.get().revision
    assert client.post(reverse("api-turn-revision-undo", args=[split.pk])).status_code == 200
    restored = TurnAnnotation.objects.get(assignment=assignment, turn=turns[1])
    assert [s["at"] for s in restored.shifts] == [4.2, 6.0]
    assert sorted((x["label"], x["intensity"]) for x in restored.labels) == [("anger", 4), ("confusion", 1)]
    assert restored.needs_recheck and TurnAnnotation.objects.filter(assignment=assignment).count() == 1


def test_unsafe_proposals_are_refused_clearly_and_nothing_is_written(client, call_with_turns, make_user):
    call, turns, annotator, _, _ = call_with_turns
    client.force_login(annotator)
    cases = [
        (turns[0], "merge", {"revision": 1}, "another speaker"),
        (turns[3], "merge", {"revision": 1}, "last turn"),
        (turns[0], "split", {"at": 0.05, "revision": 1}, "inside the turn"),
        (turns[1], "adjust", {"start": 4.0, "end": 9.0, "revision": 1}, "overlap"),
        (turns[1], "adjust", {"start": 2.0, "end": 1.0, "revision": 1}, "start must be before end"),
        (turns[1], "adjust", {"start": 4.0, "end": 5.0, "revision": 7}, "corrected by someone else"),
        (turns[0], "split", {"revision": 1}, "at: this field is required"),
        (turns[0], "text", {"text": "  ", "revision": 1}, "text: this field may not be blank"),
        (turns[0], "speaker", {"speaker": 99999, "revision": 1}, "not one of this call's speakers"),
    ]
    for turn, action, body, expected in cases:
        response = propose(client, call, turn, action, **body)
        assert response.status_code == 400, (action, response.json())
        assert expected in " ".join(response.json()["detail"]).lower(), (expected, response.json())
    client.force_login(make_user("other", "annotator"))
    assert propose(client, call, turns[0], "split", at=1.0, revision=1).status_code == 404
    assert not CorrectionProposal.objects.exists() and not TurnRevision.objects.exists()
    assert texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4


def test_a_stale_proposal_is_refused_at_acceptance(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    client.force_login(annotator)
    first = propose(client, call, turns[1], "adjust", start=4.5, end=7.0, revision=1).json()["id"]
    client.force_login(reviewer)
    second = propose(client, call, turns[1], "adjust", start=4.0, end=6.0, revision=1)
    assert second.status_code == 400 and "annotators and project managers" in second.json()["detail"][0]
    client.force_login(annotator)
    second = propose(client, call, turns[2], "adjust", start=8.0, end=10.5, revision=1).json()["id"]
    client.force_login(reviewer)
    assert decide(client, first).status_code == 200 and decide(client, second).status_code == 200
    client.force_login(annotator)
    stale = propose(client, call, turns[1], "adjust", start=4.0, end=6.0, revision=2).json()["id"]
    Turn.objects.filter(pk=turns[1].pk).update(revision=5)  # someone else's accepted correction since
    client.force_login(reviewer)
    refused = decide(client, stale)
    assert refused.status_code == 400 and "corrected by someone else" in refused.json()["detail"][0]
    assert CorrectionProposal.objects.get(pk=stale).status == "proposed"


def test_reviewer_decides_and_undoes_in_the_corrections_tab(client, call_with_turns):
    call, turns, annotator, reviewer, (agent, _) = call_with_turns
    client.force_login(annotator)
    made = propose(client, call, turns[0], "text", text="fixed words here", revision=1).json()["id"]
    refused = client.get(reverse("annotation:project_corrections", args=[call.project.slug]))
    assert refused.status_code == 403  # annotators do not review
    client.force_login(reviewer)
    page = client.get(reverse("annotation:project_corrections", args=[call.project.slug]))
    assert page.status_code == 200 and b"fixed words here" in page.content and b'class="diff"' in page.content
    client.post(reverse("annotation:proposal_decide", args=[made]), {"verdict": "accept", "note": "ok"})
    assert Turn.objects.get(pk=turns[0].pk).text == "fixed words here"
    revision = CorrectionProposal.objects.get().revision
    client.post(reverse("annotation:revision_undo", args=[revision.pk]))
    assert Turn.objects.get(pk=turns[0].pk).text == "w0 w1 w2 w3 w4 w5"
    page = client.get(reverse("annotation:project_corrections", args=[call.project.slug]))
    assert b"undone" in page.content


def test_typed_text_says_where_the_spaces_are_in_a_script_without_them(call_with_turns):
    """Machine words of a script written without spaces are stored ``joined`` ("j"); a reviewer
    who types the same number of words with spaces between them gets those spaces, not the
    machine's joins."""
    from annotation.corrections import turn_set_text

    call, turns, _, reviewer, _ = call_with_turns
    turn = turns[0]
    turn.words = [
        {"w": w, "s": i * 0.5, "e": i * 0.5 + 0.4, "p": 0.9, "l": "zh", **({"j": True} if i else {})}
        for i, w in enumerate(["我", "的", "包裹"])
    ]
    turn.text = "我的包裹"
    turn.save()
    turn_set_text(turn=turn, text="my lost parcel", revision=1, user=reviewer)
    turn.refresh_from_db()
    assert turn.text == "my lost parcel"
    assert [w["s"] for w in turn.words] == [0.0, 0.5, 1.0] and not any(w.get("j") for w in turn.words)
    # Typed as written (no spaces): it reads as typed, cut into timed pieces joined to each
    # other, still in the turn's language.
    turn_set_text(turn=turn, text="我的包裹到了", revision=2, user=reviewer)
    turn.refresh_from_db()
    assert turn.text == "我的包裹到了" and {w.get("l") for w in turn.words} == {"zh"}
    assert [bool(w.get("j")) for w in turn.words][0] is False and all(w.get("j") for w in turn.words[1:])


def test_a_correction_that_adds_words_keeps_the_others_in_place_for_a_later_split(call_with_turns):
    """One word retyped as four used to spread all nine words evenly over the turn, so a split
    at the true pause between w2 and w3 put w2 in the second half."""
    from annotation.corrections import turn_set_text, turn_split

    call, turns, _, reviewer, _ = call_with_turns
    turn = turns[0]  # w0..w5 at 0.0, 0.5, ... 2.5 (0.4 s each), the turn 0-3 s
    timings = {w["w"]: (w["s"], w["e"]) for w in turn.words}
    turn_set_text(turn=turn, text="so um well yes w1 w2 w3 w4 w5", revision=1, user=reviewer)
    turn.refresh_from_db()
    assert turn.text == "so um well yes w1 w2 w3 w4 w5"
    assert {w["w"]: (w["s"], w["e"]) for w in turn.words if w["w"] in timings} == {
        k: v for k, v in timings.items() if k != "w0"
    }
    assert [w["s"] for w in turn.words[:4]] == sorted(w["s"] for w in turn.words[:4]) and turn.words[3]["e"] <= 0.4
    turn_split(turn=turn, at=1.45, revision=2, user=reviewer)
    first, second = Turn.objects.filter(call=call, speaker=turn.speaker).order_by("order")[:2]
    assert (first.text, second.text) == ("so um well yes w1 w2", "w3 w4 w5")


def _adjudicate(turn, reviewer, labels, *, note="", shifts=()):
    from qa.models import Adjudication

    return Adjudication.objects.create(
        turn=turn, reviewer=reviewer, labels=[{"label": k, "intensity": 2} for k in labels], valence=-1.0,
        shifts=list(shifts), note=note,
    )  # fmt: skip


def _decision_of_record(turn):
    from qa.models import Adjudication

    return Adjudication.objects.filter(turn=turn).order_by("-created_at", "-pk").first()


def test_merging_turns_adjudicated_alike_keeps_that_decision_with_both_halves_shifts_and_notes(call_with_turns):
    """The merge deleted the second turn, and its adjudication with it: the merged turn's
    consensus of record was the first half's alone."""
    from annotation.corrections import turn_merge_next

    _, turns, _, reviewer, _ = call_with_turns
    _adjudicate(turns[1], reviewer, ["anger", "neutral"], note="raised voice")
    _adjudicate(turns[2], reviewer, ["anger", "neutral"], note="swears",
                shifts=[{"at": 9.0, "from": "neutral", "to": "anger"}])  # fmt: skip
    turn_merge_next(turn=turns[1], revision=turns[1].revision, user=reviewer)
    merged = Turn.objects.get(pk=turns[1].pk)
    record = _decision_of_record(merged)
    assert [item["label"] for item in record.labels] == ["anger", "neutral"] and record.valence == -1.0
    assert record.note == "raised voice / swears" and [s["at"] for s in record.shifts] == [9.0]
    assert merged.adjudications.count() == 3  # both halves' history, then the united decision


def test_merging_differently_adjudicated_turns_leaves_the_merged_turn_to_adjudicate(call_with_turns):
    """Never one half's decision for the whole turn: both are withdrawn (kept in the audit log) and
    the whole-call page lists the merged turn as needing adjudication."""
    from annotation.corrections import turn_merge_next
    from annotera.models import AuditEvent
    from qa.selectors import call_review

    call, turns, _, reviewer, _ = call_with_turns
    _adjudicate(turns[1], reviewer, ["anger"])
    _adjudicate(turns[2], reviewer, ["gratitude"])
    turn_merge_next(turn=turns[1], revision=turns[1].revision, user=reviewer)
    merged = Turn.objects.get(pk=turns[1].pk)
    assert not merged.adjudications.exists()
    row = next(r for r in call_review(call) if r["turn"].pk == merged.pk)
    assert not row["adjudicated"]
    event = AuditEvent.objects.get(action="adjudication.withdraw_merged")
    assert [a["labels"][0]["label"] for a in event.before] == ["anger", "gratitude"]
    assert "turn 2: anger (2); turn 3: gratitude (2)" in event.after["reason"]


def test_a_gold_call_refuses_to_merge_differently_adjudicated_turns_and_changes_nothing(call_with_turns):
    from django.core.exceptions import ValidationError

    from annotation.corrections import turn_merge_next
    from annotation.models import GoldCall

    call, turns, _, reviewer, _ = call_with_turns
    for turn, label in zip(turns, ["neutral", "anger", "gratitude", "neutral"], strict=True):
        _adjudicate(turn, reviewer, [label])
    GoldCall.objects.create(call=call, marked_by=reviewer)
    with pytest.raises(ValidationError) as refused:
        turn_merge_next(turn=turns[1], revision=turns[1].revision, user=reviewer)
    assert (
        "gold call were adjudicated differently (turn 2: anger (2); turn 3: gratitude (2))" in refused.value.messages[0]
    )
    assert call.turns.count() == 4 and all(Turn.objects.get(pk=t.pk).adjudications.count() == 1 for t in turns)
    assert not TurnRevision.objects.filter(call=call).exists()


def test_a_split_gives_each_half_the_turns_adjudication_with_its_own_shifts(call_with_turns):
    """The second half of a split had no adjudication: a gold call then had an unadjudicated turn."""
    from annotation.corrections import turn_split
    from annotation.models import GoldCall
    from qa.selectors import unadjudicated_turns

    call, turns, _, reviewer, _ = call_with_turns
    shifts = [{"at": 4.5, "from": "anger", "to": "neutral"}, {"at": 6.0, "from": "neutral", "to": "anger"}]
    for turn in turns:
        _adjudicate(turn, reviewer, ["anger", "neutral"], note="n", shifts=shifts if turn == turns[1] else [])
    GoldCall.objects.create(call=call, marked_by=reviewer)
    turn_split(turn=turns[1], at=5.5, revision=turns[1].revision, user=reviewer)
    first, second = call.turns.filter(order__in=[1, 2]).order_by("order")
    assert unadjudicated_turns(call) == 0
    assert [s["at"] for s in _decision_of_record(first).shifts] == [4.5]
    assert [s["at"] for s in _decision_of_record(second).shifts] == [6.0]
    assert _decision_of_record(second).labels == _decision_of_record(first).labels and second.pk != turns[1].pk


def test_merging_halves_adjudicated_alike_before_and_after_a_rename_keeps_the_decision(project, call_with_turns):
    """Review finding: the halves were compared by raw label key, so v1 "anger" and v2 "rage" (the
    same label renamed) were different decisions and both were withdrawn."""
    from annotation.corrections import turn_merge_next
    from qa.models import Adjudication
    from tests.qa.test_integrity import rename_anger_to_rage

    _, turns, _, reviewer, _ = call_with_turns
    v1 = project.taxonomy
    Adjudication.objects.filter(pk=_adjudicate(turns[1], reviewer, ["anger"]).pk).update(taxonomy=v1)
    _, v2 = rename_anger_to_rage(project)
    Adjudication.objects.filter(pk=_adjudicate(turns[2], reviewer, ["rage"]).pk).update(taxonomy=v2)
    turns[1].refresh_from_db()
    turn_merge_next(turn=turns[1], revision=turns[1].revision, user=reviewer)
    record = _decision_of_record(Turn.objects.get(pk=turns[1].pk))
    assert record is not None and [item["label"] for item in record.labels] == ["rage"] and record.taxonomy == v2


def test_a_page_drawn_before_a_split_is_told_the_turn_was_split_not_that_someone_decided(call_with_turns):
    """Review finding: the split's copy of the decision was reported as "adjudicated by <the
    original reviewer> at <the time of the split>", a decision nobody made."""
    from django.core.exceptions import ValidationError

    from annotation.corrections import turn_split
    from qa.services import adjudication_create

    _, turns, _, reviewer, _ = call_with_turns
    seen = _adjudicate(turns[1], reviewer, ["anger"])
    turn_split(turn=turns[1], at=5.5, revision=turns[1].revision, user=reviewer)
    first = Turn.objects.get(pk=turns[1].pk)
    with pytest.raises(ValidationError) as refused:
        adjudication_create(
            turn=first, reviewer=reviewer, labels=[{"label": "neutral", "intensity": 2}], based_on=seen.pk
        )
    (message,) = refused.value.messages
    assert "was split or merged since you opened it" in message and "adjudicated by" not in message
