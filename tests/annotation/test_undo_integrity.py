"""Undo never loses, duplicates or misplaces a word: it takes back what its correction changed and
nothing else, refuses (in words, changing nothing) where that would make two turns hold the same
words, and a merge proposal is applied only to the next turn the proposer saw."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from annotation.corrections import (
    call_unassigned_words,
    call_words_locked,
    turn_adjust,
    turn_merge_next,
    turn_set_speaker,
    turn_set_text,
    turn_split,
)
from annotation.models import CorrectionProposal, Turn, TurnAnnotation, TurnRevision
from annotation.proposals import proposal_accept, proposal_create, turn_revision_undo

from . import test_corrections

call_with_turns = test_corrections.call_with_turns  # its fixture: four turns, S0 S1 S1 S0, 4 s apart


def _word(w: dict) -> tuple:
    return (w.get("spk"), w["w"], w["s"], w["e"])


def _assert_every_word_in_exactly_one_place(call) -> None:
    """Each word of the call is held by exactly one turn (of its speaker) or listed as unassigned."""
    call.refresh_from_db()
    held = [(t.speaker.label, w["w"], w["s"], w["e"]) for t in call.turns.select_related("speaker") for w in t.words]
    unassigned = [_word(w) for w in call_unassigned_words(call)]
    assert Counter(held) + Counter(unassigned) == Counter(_word(w) for w in call.words)
    orders = list(call.turns.order_by("order").values_list("order", "start"))
    assert [o for o, _ in orders] == list(range(len(orders)))
    assert [s for _, s in orders] == sorted(s for _, s in orders), orders


def _words(call) -> Counter:
    """The call's words (its word store filled from the turns first, as the first correction does)."""
    with transaction.atomic():
        call_words_locked(call)
    call.refresh_from_db()
    return Counter((w["w"], w["s"], w["e"]) for w in call.words)


def test_undoing_a_speaker_change_keeps_the_words_the_turn_took_in(call_with_turns):
    """The review's repro: the undo removed every S1 word of the turn's span and put back only the
    turn's original words, so the S1 words it had taken in were gone for good (24 -> 18)."""
    call, turns, _, reviewer, (_, customer) = call_with_turns
    before = _words(call)
    turn_adjust(turn=turns[1], start=16.0, end=19.0, revision=1, user=reviewer)  # S1's words 4-7 s unassigned
    turn_adjust(turn=turns[0], start=0.0, end=7.5, revision=1, user=reviewer)  # S0's turn widened over them
    widened = Turn.objects.get(pk=turns[0].pk)
    change = turn_set_speaker(turn=widened, speaker=customer, revision=widened.revision, user=reviewer)
    assert len(Turn.objects.get(pk=turns[0].pk).words) == 12  # its own six and the six it took in
    turn_revision_undo(revision=change, user=reviewer)
    assert _words(call) == before and len(call.words) == 24
    undone = Turn.objects.select_related("speaker").get(pk=turns[0].pk)
    assert undone.speaker.label == "S0" and undone.text == "w0 w1 w2 w3 w4 w5"
    assert [w["s"] for w in call_unassigned_words(call)] == [4.0, 4.5, 5.0, 5.5, 6.0, 6.5]  # S1's, as before
    _assert_every_word_in_exactly_one_place(call)


def test_undoing_a_speaker_change_is_refused_when_the_old_speaker_has_a_turn_there_now(call_with_turns):
    """Given back to S0, the turn would overlap an S0 turn moved over it since: both would hold the
    same words."""
    call, turns, _, reviewer, (_, customer) = call_with_turns
    change = turn_set_speaker(turn=turns[0], speaker=customer, revision=1, user=reviewer)
    turn_adjust(turn=turns[3], start=2.0, end=3.5, revision=1, user=reviewer)  # S0's other turn moved over it
    with pytest.raises(ValidationError) as refused:
        turn_revision_undo(revision=change, user=reviewer)
    (message,) = refused.value.messages
    assert "(S0, 2.00–3.50 s)" in message and "nothing was changed" in message, message
    assert not TurnRevision.objects.get(pk=change.pk).undone_by_id
    assert Turn.objects.select_related("speaker").get(pk=turns[0].pk).speaker.label == "S1"
    _assert_every_word_in_exactly_one_place(call)


def test_undoing_an_adjust_is_refused_when_a_neighbour_has_grown_into_the_span(call_with_turns):
    """The undo put the turn back over the neighbour's new span: its words were in two turns."""
    call, turns, _, reviewer, _ = call_with_turns
    shrink = turn_adjust(turn=turns[1], start=4.0, end=5.0, revision=1, user=reviewer)
    turn_adjust(turn=turns[2], start=5.5, end=11.0, revision=1, user=reviewer)  # S1's next turn grew into 5-7 s
    with pytest.raises(ValidationError) as refused:
        turn_revision_undo(revision=shrink, user=reviewer)
    (message,) = refused.value.messages
    assert "turn 3 (S1, 5.50–11.00 s)" in message and "nothing was changed" in message, message
    turn = Turn.objects.get(pk=turns[1].pk)
    assert (turn.start, turn.end, turn.revision) == (4.0, 5.0, 2)
    assert not TurnRevision.objects.get(pk=shrink.pk).undone_by_id
    _assert_every_word_in_exactly_one_place(call)


def test_undoing_an_adjust_puts_the_turn_back_in_its_place_in_time(call_with_turns):
    call, turns, _, reviewer, _ = call_with_turns
    moved = turn_adjust(turn=turns[1], start=16.0, end=19.0, revision=1, user=reviewer)
    assert Turn.objects.get(pk=turns[1].pk).order == 3  # after turn 4 now
    turn_revision_undo(revision=moved, user=reviewer)
    assert list(call.turns.order_by("order").values_list("pk", flat=True)) == [t.pk for t in turns]
    assert test_corrections.texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4
    _assert_every_word_in_exactly_one_place(call)


def test_undoing_an_adjust_brings_the_shifts_marked_since_inside_the_turn(call_with_turns):
    """A shift marked in the widened part stayed outside the restored turn: every later save of
    that annotation was refused."""
    call, turns, _, reviewer, _ = call_with_turns
    widen = turn_adjust(turn=turns[1], start=4.0, end=7.8, revision=1, user=reviewer)
    row = TurnAnnotation.objects.create(
        assignment=call.assignments.get(), turn=turns[1], taxonomy=call.project.taxonomy,
        labels=[{"label": "anger", "intensity": 2}, {"label": "neutral", "intensity": 1}],
        shifts=[{"at": 7.5, "from": "neutral", "to": "anger"}],
    )  # fmt: skip
    turn_revision_undo(revision=widen, user=reviewer)
    row.refresh_from_db()
    assert [s["at"] for s in row.shifts] == [7.0] and row.needs_recheck and row.version == 2


def _random_step(rng: random.Random, call, speakers, reviewer) -> TurnRevision:
    """One random correction, or an undo of a random earlier one (raises when refused)."""
    undoable = list(TurnRevision.objects.filter(call=call, undone_by__isnull=True).exclude(action="undo"))
    if undoable and rng.random() < 0.35:
        return turn_revision_undo(revision=rng.choice(undoable), user=reviewer)
    turn = rng.choice(list(call.turns.select_related("speaker")))
    action = rng.choice(["adjust", "adjust", "split", "merge", "speaker", "text"])
    if action == "adjust":
        a, b = sorted(rng.uniform(-1, 21) for _ in range(2))
        return turn_adjust(turn=turn, start=a, end=b, revision=turn.revision, user=reviewer)
    if action == "split":
        return turn_split(turn=turn, at=rng.uniform(turn.start, turn.end), revision=turn.revision, user=reviewer)
    if action == "merge":
        return turn_merge_next(turn=turn, revision=turn.revision, user=reviewer)
    if action == "speaker":
        speaker = speakers[0] if turn.speaker_id == speakers[1].pk else speakers[1]
        return turn_set_speaker(turn=turn, speaker=speaker, revision=turn.revision, user=reviewer)
    typed = " ".join(rng.choice(["yes", "no", "refund", "hello"]) for _ in range(rng.randint(1, 8)))
    return turn_set_text(turn=turn, text=typed, revision=turn.revision, user=reviewer)


def _text_change(revision: TurnRevision) -> bool:
    """A transcript correction, or the undo of one: the only steps that may change the words."""
    if revision.action == "undo":
        return TurnRevision.objects.get(undone_by=revision).action == "text"
    return revision.action == "text"


@pytest.mark.parametrize("seed", range(8))
def test_random_corrections_and_undos_never_lose_or_duplicate_a_word(call_with_turns, seed):
    """Corrections of every kind and undos of earlier ones in a random order (many refused): after
    each step every word is in exactly one turn or unassigned, and the call's words change only
    where a transcript was typed (or its typing undone), by exactly that turn's words."""
    call, _, _, reviewer, speakers = call_with_turns
    rng = random.Random(seed)
    words = _words(call)
    for step in range(60):
        try:
            revision = _random_step(rng, call, speakers, reviewer)
        except ValidationError:
            continue
        now = _words(call)
        if _text_change(revision):
            (was,), after = revision.before, revision.after
            expected = words - Counter((w["w"], w["s"], w["e"]) for w in was["words"])
            expected += Counter((w["w"], w["s"], w["e"]) for snap in after for w in snap["words"])
            assert now == expected, (seed, step, revision.action)
        else:
            assert now == words, (seed, step, revision.action, revision.before, revision.after)
        _assert_every_word_in_exactly_one_place(call)
        words = now


# --- a merge proposal is applied to the next turn its proposer saw ---------------------------------


def test_accepting_a_merge_is_refused_when_the_next_turn_was_split_since(call_with_turns):
    """Accepting merged the first half of the split turn only (4-9.5 s, not the 4-11 s the
    reviewer was shown)."""
    call, turns, annotator, reviewer, _ = call_with_turns
    proposal = proposal_create(turn=turns[1], action="merge", params={}, revision=1, user=annotator)
    assert (proposal.params["next"], proposal.params["next_revision"]) == (turns[2].pk, 1)
    turn_split(turn=turns[2], at=9.5, revision=1, user=reviewer)
    with pytest.raises(ValidationError) as refused:
        proposal_accept(proposal=proposal, user=reviewer)
    (message,) = refused.value.messages
    assert "turn 3" in message.lower() and "corrected since this merge was proposed" in message, message
    assert "8.00–9.50 s" in message and "nothing was changed" in message, message
    turn = Turn.objects.get(pk=turns[1].pk)
    assert (turn.start, turn.end, turn.revision) == (4.0, 7.0, 1) and call.turns.count() == 5
    assert CorrectionProposal.objects.get(pk=proposal.pk).status == "proposed"


def test_accepting_a_merge_is_refused_when_another_turn_is_next_now(call_with_turns):
    call, turns, annotator, reviewer, (_, customer) = call_with_turns
    proposal = proposal_create(turn=turns[1], action="merge", params={}, revision=1, user=annotator)
    turn_adjust(turn=turns[2], start=16.0, end=19.0, revision=1, user=reviewer)  # S1's next turn moved away
    turn_set_speaker(turn=turns[3], speaker=customer, revision=1, user=reviewer)  # the turn next now is S1's too
    with pytest.raises(ValidationError) as refused:
        proposal_accept(proposal=proposal, user=reviewer)
    (message,) = refused.value.messages
    assert "no longer the turn proposed" in message and "nothing was changed" in message, message
    assert call.turns.count() == 4 and CorrectionProposal.objects.get(pk=proposal.pk).status == "proposed"


def test_a_merge_proposed_before_the_next_turn_was_recorded_is_checked_against_what_it_showed(call_with_turns):
    """Proposals made before the next turn was stored in their params still show it (``before``)."""
    _, turns, annotator, reviewer, _ = call_with_turns
    proposal = proposal_create(turn=turns[1], action="merge", params={}, revision=1, user=annotator)
    CorrectionProposal.objects.filter(pk=proposal.pk).update(params={})
    turn_split(turn=turns[2], at=9.5, revision=1, user=reviewer)
    with pytest.raises(ValidationError, match="corrected since this merge was proposed"):
        proposal_accept(proposal=CorrectionProposal.objects.get(pk=proposal.pk), user=reviewer)


def test_a_merge_whose_next_turn_is_unchanged_is_accepted(call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    proposal = proposal_create(turn=turns[1], action="merge", params={}, revision=1, user=annotator)
    turn_adjust(turn=turns[0], start=0.0, end=2.5, revision=1, user=reviewer)  # another turn: no matter
    proposal_accept(proposal=proposal, user=reviewer)
    merged = Turn.objects.get(pk=turns[1].pk)
    assert (merged.start, merged.end) == (4.0, 11.0) and call.turns.count() == 3
