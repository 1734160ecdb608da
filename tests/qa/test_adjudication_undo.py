"""A reviewer's decisions follow the turn's corrections and their undo: undoing a merge gives each
turn back the adjudications the merge withdrew, and a boundary move keeps a decision's shifts
inside the turn so it stays valid and saveable."""

from __future__ import annotations

from annotation.corrections import turn_adjust, turn_merge_next
from annotation.models import Turn
from annotation.proposals import turn_revision_undo
from annotera.models import AuditEvent
from qa.models import Adjudication
from qa.services import adjudication_create, newest_adjudications
from tests.annotation import test_corrections

call_with_turns = test_corrections.call_with_turns  # four turns, S0 S1 S1 S0, 4 s apart


def _adjudicate(turn, reviewer, label: str, *, also=(), shifts=(), taxonomy=None) -> Adjudication:
    """``also``: more labels (intensity 1), for the other emotion of a shift."""
    return Adjudication.objects.create(
        turn=turn, reviewer=reviewer, taxonomy=taxonomy or turn.call.project.taxonomy,
        labels=[{"label": label, "intensity": 2}, *({"label": key, "intensity": 1} for key in also)], valence=-1.0,
        shifts=list(shifts), note=f"{label} heard",
    )  # fmt: skip


def _newest(turn) -> Adjudication | None:
    return newest_adjudications([turn.pk]).get(turn.pk)


def _restored_second(call, first):
    return call.turns.get(order=first.order + 1)


def test_undoing_a_merge_gives_each_turn_back_the_adjudications_it_withdrew(call_with_turns):
    """The merge withdrew both decisions (they differed); its undo left both turns unadjudicated,
    so a reviewer's work was lost to an undo."""
    call, turns, _, reviewer, _ = call_with_turns
    anger = _adjudicate(turns[1], reviewer, "anger", also=["neutral"],
                        shifts=[{"at": 5.0, "from": "anger", "to": "neutral"}])  # fmt: skip
    gratitude = _adjudicate(turns[2], reviewer, "gratitude")
    merge = turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    assert not Adjudication.objects.exists()
    turn_revision_undo(revision=merge, user=reviewer)
    first = Turn.objects.get(pk=turns[1].pk)
    second = _restored_second(call, first)
    back = {a.turn_id: a for a in Adjudication.objects.all()}
    assert set(back) == {first.pk, second.pk}
    for was, now in ((anger, back[first.pk]), (gratitude, back[second.pk])):
        assert now.pk == was.pk and now.created_at == was.created_at  # a page drawn before still saves
        assert (now.labels, now.valence, now.shifts, now.note) == (was.labels, was.valence, was.shifts, was.note)
        assert now.reviewer == reviewer and now.taxonomy_id == call.project.taxonomy_id
    event = AuditEvent.objects.get(action="adjudication.restore_unmerged")
    assert sorted(a["id"] for a in event.after) == sorted([anger.pk, gratitude.pk])
    # The restored decision is the turn's decision of record: a reviewer builds on it and saves.
    adjudication_create(turn=second, reviewer=reviewer, labels=[{"label": "neutral", "intensity": 1}],
                        based_on=gratitude.pk)  # fmt: skip


def test_a_merged_turn_adjudicated_after_the_merge_keeps_that_decision_on_both_halves(call_with_turns):
    """The newer decision was made for the merged turn: it holds for both halves (the split rule),
    not the decisions the merge withdrew."""
    call, turns, _, reviewer, _ = call_with_turns
    _adjudicate(turns[1], reviewer, "anger")
    _adjudicate(turns[2], reviewer, "gratitude")
    merge = turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    _adjudicate(Turn.objects.get(pk=turns[1].pk), reviewer, "neutral")
    turn_revision_undo(revision=merge, user=reviewer)
    first = Turn.objects.get(pk=turns[1].pk)
    second = _restored_second(call, first)
    assert [_newest(t).labels[0]["label"] for t in (first, second)] == ["neutral", "neutral"]
    assert {a.labels[0]["label"] for a in Adjudication.objects.all()} == {"neutral"}
    assert not AuditEvent.objects.filter(action="adjudication.restore_unmerged").exists()


def test_decisions_withdrawn_before_versions_were_recorded_come_back_in_the_version_of_their_time(
    project, call_with_turns
):
    """Older withdrawal records have no taxonomy in their snapshots: the restored decision gets the
    version the project had when it was made (as the backfill of ``Adjudication.taxonomy`` did),
    not today's, in which "anger" no longer exists."""
    from tests.qa.test_integrity import rename_anger_to_rage

    call, turns, _, reviewer, _ = call_with_turns
    v1 = project.taxonomy
    _adjudicate(turns[1], reviewer, "anger", taxonomy=v1)
    _adjudicate(turns[2], reviewer, "gratitude", taxonomy=v1)
    merge = turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    event = AuditEvent.objects.get(action="adjudication.withdraw_merged")
    event.before = [{k: v for k, v in snap.items() if k != "taxonomy"} for snap in event.before]
    event.after = {"reason": event.after["reason"]}  # as recorded before the removed turn was named
    event.save()
    _, v2 = rename_anger_to_rage(project)
    turn_revision_undo(revision=merge, user=reviewer)
    first = Turn.objects.get(pk=turns[1].pk)
    assert _newest(first).labels[0]["label"] == "anger" and _newest(first).taxonomy == v1
    assert _newest(_restored_second(call, first)).taxonomy == v1 and project.taxonomy == v2


def test_a_boundary_move_keeps_the_decisions_shifts_inside_the_turn_and_saveable(call_with_turns):
    """The shifts outside the moved turn stayed on its adjudication: the reviewer's decision could
    no longer be saved as it was ("shifts[0].at must be between ...")."""
    call, turns, _, reviewer, _ = call_with_turns
    shifts = [{"at": 4.2, "from": "anger", "to": "neutral"}, {"at": 6.5, "from": "neutral", "to": "anger"}]
    decided = _adjudicate(turns[1], reviewer, "anger", also=["neutral"], shifts=shifts)
    shrink = turn_adjust(turn=turns[1], start=5.0, end=6.0, revision=1, user=reviewer)
    decided.refresh_from_db()
    assert [s["at"] for s in decided.shifts] == [5.0, 6.0]
    assert [(s["from"], s["to"]) for s in decided.shifts] == [("anger", "neutral"), ("neutral", "anger")]
    turn = Turn.objects.get(pk=turns[1].pk)
    saved = adjudication_create(turn=turn, reviewer=reviewer, labels=decided.labels, shifts=decided.shifts,
                                based_on=decided.pk)  # fmt: skip
    assert [s["at"] for s in saved.shifts] == [5.0, 6.0]
    moved = AuditEvent.objects.get(action="adjudication.shifts_moved")
    assert [s["at"] for s in moved.before[0]["shifts"]] == [4.2, 6.5]
    # Undone and widened again: the decision's shifts stay where they now are, inside.
    turn_revision_undo(revision=shrink, user=reviewer)
    assert [s["at"] for s in _newest(turn).shifts] == [5.0, 6.0]


def test_undoing_a_widening_brings_the_decisions_shifts_inside(call_with_turns):
    call, turns, _, reviewer, _ = call_with_turns
    widen = turn_adjust(turn=turns[1], start=4.0, end=7.8, revision=1, user=reviewer)
    decided = _adjudicate(turns[1], reviewer, "anger", also=["neutral"],
                          shifts=[{"at": 7.5, "from": "neutral", "to": "anger"}])  # fmt: skip
    turn_revision_undo(revision=widen, user=reviewer)
    decided.refresh_from_db()
    assert [s["at"] for s in decided.shifts] == [7.0]
