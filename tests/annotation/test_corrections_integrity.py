"""Corrections never lose, duplicate or misstate work: every word stays in the transcript,
annotations follow their turn, and a refused correction says why and changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.corrections import call_unassigned_words, turn_adjust, turn_merge_next, turn_set_text, turn_split
from annotation.models import CorrectionProposal, Turn, TurnAnnotation, TurnRevision

from . import test_corrections
from .test_corrections import decide, propose, texts

call_with_turns = test_corrections.call_with_turns  # its fixture: four turns, S0 S1 S1 S0, 4 s apart


def _spoken(call) -> list[str]:
    """Every word the turns hold, in time order."""
    words = [w for turn in call.turns.all() for w in turn.words]
    return [w["w"] for w in sorted(words, key=lambda w: (w["s"], w["e"]))]


def test_merging_a_turn_moved_past_its_neighbours_keeps_the_next_turns_words(call_with_turns):
    """Turn 2 (S1, 4-7 s) moved after turn 3 (S1, 8-11 s) and merged with it: the merge kept
    turn 2's start, so turn 3's words fell outside the merged turn and left the transcript."""
    call, turns, _, reviewer, _ = call_with_turns
    before = _spoken(call)
    turn_adjust(turn=turns[1], start=16.0, end=19.0, revision=1, user=reviewer)  # its words now unassigned
    moved = Turn.objects.get(pk=turns[1].pk)
    # Turns stay in time order: the moved turn is now the last one, so "the next turn" means the next in time.
    assert list(call.turns.order_by("order").values_list("pk", flat=True)) == [
        turns[0].pk, turns[2].pk, turns[3].pk, turns[1].pk
    ]  # fmt: skip
    assert moved.order == 3
    turn_adjust(turn=moved, start=4.0, end=7.0, revision=moved.revision, user=reviewer)  # back in place
    moved = Turn.objects.get(pk=turns[1].pk)
    assert moved.order == 1 and _spoken(call) == before
    turn_merge_next(turn=moved, revision=moved.revision, user=reviewer)
    assert _spoken(call) == before and not call_unassigned_words(call)


def test_a_merge_covers_both_turns_even_when_the_next_starts_earlier(call_with_turns):
    """Orders written before turns were kept in time order (or by hand) may not follow time."""
    call, turns, _, reviewer, _ = call_with_turns
    before = _spoken(call)
    # Legacy data: turn 3 (S1) at 8-11 s takes order 1, turn 2 (S1, 4-7 s) order 2.
    Turn.objects.filter(pk=turns[1].pk).update(order=99)
    Turn.objects.filter(pk=turns[2].pk).update(order=1)
    Turn.objects.filter(pk=turns[1].pk).update(order=2)
    turn_merge_next(turn=Turn.objects.get(pk=turns[2].pk), revision=1, user=reviewer)
    merged = Turn.objects.get(pk=turns[2].pk)
    assert (merged.start, merged.end) == (4.0, 11.0)
    assert _spoken(call) == before and not call_unassigned_words(call)


@pytest.mark.parametrize(("start", "end"), [(4.0, 4.0004), (5.0001, 5.0004)])
def test_an_adjust_that_would_leave_a_turn_without_length_is_refused(call_with_turns, start, end):
    """The check ran before rounding to milliseconds, so 4.0-4.0004 s was stored as 4.0-4.0."""
    call, turns, _, reviewer, _ = call_with_turns
    with pytest.raises(ValidationError) as refused:
        turn_adjust(turn=turns[1], start=start, end=end, revision=1, user=reviewer)
    assert "start must be before end" in refused.value.messages[0].lower()
    turn = Turn.objects.get(pk=turns[1].pk)
    assert (turn.start, turn.end, turn.revision) == (4.0, 7.0, 1) and not TurnRevision.objects.exists()


def test_shrinking_a_turn_brings_its_shifts_inside_so_the_annotator_can_still_save(client, call_with_turns):
    """A shift left outside the turn by an adjust made every later save of the annotation (which
    sends its shifts back) fail with "shifts[0].at must be between ...": the work was stuck."""
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    shifts = [{"at": 4.2, "from": "anger", "to": "confusion"}, {"at": 6.5, "from": "confusion", "to": "anger"}]
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[1], taxonomy=call.project.taxonomy, shifts=shifts,
        labels=[{"label": "anger", "intensity": 2}, {"label": "confusion", "intensity": 1}],
    )  # fmt: skip
    turn_adjust(turn=turns[1], start=5.0, end=6.0, revision=1, user=reviewer)
    row = TurnAnnotation.objects.get(assignment=assignment, turn=turns[1])
    assert [s["at"] for s in row.shifts] == [5.0, 6.0]  # kept, at the turn's new edges
    assert [(s["from"], s["to"]) for s in row.shifts] == [("anger", "confusion"), ("confusion", "anger")]
    assert row.needs_recheck and row.version == 2  # an open workspace merges instead of overwriting
    client.force_login(annotator)
    got = client.get(reverse("api-turn-annotation", args=[assignment.pk, turns[1].pk]))
    body = {k: v for k, v in got.json().items() if k not in ("version",)}
    saved = client.put(reverse("api-turn-annotation", args=[assignment.pk, turns[1].pk]), body,
                       content_type="application/json", HTTP_IF_MATCH=got["ETag"])  # fmt: skip
    assert saved.status_code == 200, saved.json()


def test_a_split_just_past_a_shift_keeps_each_shift_inside_its_half(call_with_turns):
    """The split point was rounded to milliseconds for the turns but not for the shifts: a shift
    at 5.6002 stayed on the first half, which now ended at 5.6."""
    call, turns, _, reviewer, _ = call_with_turns
    assignment = call.assignments.get()
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[1], taxonomy=call.project.taxonomy,
        labels=[{"label": "anger", "intensity": 2}, {"label": "neutral", "intensity": 1}],
        shifts=[{"at": 5.6002, "from": "neutral", "to": "anger"}],
    )  # fmt: skip
    turn_split(turn=turns[1], at=5.6004, revision=1, user=reviewer)
    for row in TurnAnnotation.objects.filter(assignment=assignment).select_related("turn"):
        assert all(row.turn.start <= s["at"] <= row.turn.end for s in row.shifts), (row.turn, row.shifts)


def test_typing_the_text_of_untranscribed_speech_clears_the_flag_and_a_split_keeps_it(call_with_turns):
    call, turns, _, reviewer, _ = call_with_turns
    Turn.objects.filter(pk=turns[3].pk).update(words=[], text="", untranscribed=True)
    turn = Turn.objects.get(pk=turns[3].pk)
    turn_split(turn=turn, at=13.5, revision=1, user=reviewer)
    first, second = call.turns.filter(order__in=[3, 4]).order_by("order")
    assert first.untranscribed and second.untranscribed  # both halves are still speech with no words
    turn_set_text(turn=first, text="hello there", revision=first.revision, user=reviewer)
    first.refresh_from_db()
    assert first.text == "hello there" and not first.untranscribed


@pytest.mark.parametrize("text", ["\u200b", " \u200b\u2060 ", "\u3164"], ids=["zero-width space", "joiners", "filler"])
def test_a_text_that_shows_nothing_is_refused_as_empty(call_with_turns, text):
    """A zero-width space passed the emptiness check (``str.split`` keeps it as a word) and the
    turn's words were replaced by one nobody can see."""
    _, turns, _, reviewer, _ = call_with_turns
    with pytest.raises(ValidationError, match="The corrected text is empty"):
        turn_set_text(turn=turns[0], text=text, revision=1, user=reviewer)
    assert Turn.objects.get(pk=turns[0].pk).text == turns[0].text


def test_extra_or_misspelt_fields_in_a_proposal_are_refused_not_ignored(client, call_with_turns):
    call, turns, annotator, _, (agent, _) = call_with_turns
    client.force_login(annotator)
    cases = [
        ("text", {"text": "new words", "speaker": agent.pk, "revision": 1}, "'speaker' is not"),
        ("split", {"at": 5.5, "revison": 1}, "did you mean revision?"),
        ("adjust", {"start": 4.5, "end": 7.0, "stop": 6.0, "revision": 1}, "'stop' is not"),
    ]
    for action, body, expected in cases:
        response = propose(client, call, turns[1], action, **body)
        assert response.status_code == 400, (action, response.json())
        assert expected in " ".join(response.json()["detail"]).lower(), response.json()
    assert not CorrectionProposal.objects.exists()


@pytest.mark.parametrize(
    ("action", "body", "expected"),
    [
        ("split", {"at": True, "revision": 1}, "at: "),
        ("adjust", {"start": 4.5, "end": False, "revision": 1}, "end: "),
        ("adjust", {"start": "nan", "end": 6.0, "revision": 1}, "start: "),
        ("adjust", {"start": 4.5, "end": "Infinity", "revision": 1}, "end: "),
        ("split", {"at": 1e308, "revision": 1}, "inside the turn"),
        ("speaker", {"speaker": 10**30, "revision": 1}, "speaker"),
        ("text", {"text": ["a", "b"], "revision": 1}, "text: "),
        ("text", {"text": "a\x00b", "revision": 1}, "u+0000 (nul)"),
        ("merge", {"revision": "one"}, "revision: "),
    ],
)
def test_odd_numbers_and_types_in_a_proposal_are_refused_clearly(client, call_with_turns, action, body, expected):
    call, turns, annotator, _, _ = call_with_turns
    client.force_login(annotator)
    response = propose(client, call, turns[1], action, **body)
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert expected in (detail if isinstance(detail, str) else " ".join(detail)).lower(), detail
    assert not CorrectionProposal.objects.exists() and texts(call) == ["w0 w1 w2 w3 w4 w5"] * 4


def test_a_reviewers_note_with_a_nul_character_is_refused_not_a_server_error(client, call_with_turns):
    call, turns, annotator, reviewer, _ = call_with_turns
    client.force_login(annotator)
    made = propose(client, call, turns[0], "text", text="fixed words", revision=1).json()["id"]
    client.force_login(reviewer)
    page = client.post(reverse("annotation:proposal_decide", args=[made]), {"verdict": "accept", "note": "ok\x00"},
                       follow=True)  # fmt: skip
    assert page.status_code == 200 and b"note" in page.content.lower()
    assert CorrectionProposal.objects.get().status == "proposed" and texts(call)[0] == "w0 w1 w2 w3 w4 w5"


def _holdings(call) -> list[tuple[str, str, float]]:
    """(speaker, word, start) of every word some turn holds, plus the unassigned ones."""
    held = [(t.speaker.label, w["w"], w["s"]) for t in call.turns.select_related("speaker") for w in t.words]
    call.refresh_from_db()
    return sorted(held + [(w["spk"], w["w"], w["s"]) for w in call_unassigned_words(call)])


@pytest.mark.parametrize("seed", range(6))
def test_random_corrections_never_lose_or_duplicate_a_word(call_with_turns, seed):
    """Boundary moves, splits, merges and speaker changes in a random order (many refused): after
    each, every word of the call is held by exactly one turn or listed as unassigned."""
    import random

    from annotation.corrections import turn_set_speaker

    call, turns, _, reviewer, speakers = call_with_turns
    rng = random.Random(seed)
    before = _holdings(call)
    for _ in range(40):
        turn = rng.choice(list(call.turns.all()))
        action = rng.choice(["adjust", "split", "merge", "speaker"])
        try:
            if action == "adjust":
                a, b = sorted(rng.uniform(-1, 21) for _ in range(2))
                turn_adjust(turn=turn, start=a, end=b, revision=turn.revision, user=reviewer)
            elif action == "split":
                turn_split(turn=turn, at=rng.uniform(turn.start, turn.end), revision=turn.revision, user=reviewer)
            elif action == "merge":
                turn_merge_next(turn=turn, revision=turn.revision, user=reviewer)
            else:
                speaker = speakers[0] if turn.speaker_id == speakers[1].pk else speakers[1]
                turn_set_speaker(turn=turn, speaker=speaker, revision=turn.revision, user=reviewer)
        except ValidationError:
            continue
        now = _holdings(call)
        assert sorted((w, s) for _, w, s in now) == sorted((w, s) for _, w, s in before), (action, turn)
        orders = list(call.turns.order_by("order").values_list("order", "start"))
        assert [o for o, _ in orders] == list(range(len(orders)))
        assert [s for _, s in orders] == sorted(s for _, s in orders), orders


def _ending_in_a_zero_length_word(turn, offset: float) -> None:
    words = [{"w": "hello", "s": 0.0, "e": 0.5, "p": 1.0}, {"w": "there", "s": 0.6, "e": 1.0, "p": 1.0},
             {"w": "ok", "s": 1.0, "e": 1.0, "p": 1.0}]  # fmt: skip
    words = [{**w, "s": w["s"] + offset, "e": w["e"] + offset} for w in words]
    Turn.objects.filter(pk=turn.pk).update(words=words, text="hello there ok", start=offset, end=offset + 1.0)


def test_a_zero_length_last_word_stays_in_its_turn_through_corrections(call_with_turns):
    """A turn ends where its last word ends: a zero-length last word lay outside [start, end), so
    a text correction left it behind as an unassigned word while the typed text held it too (the
    transcript showed it twice), and a split dropped it from the turn's text."""
    call, turns, _, reviewer, _ = call_with_turns
    _ending_in_a_zero_length_word(turns[0], 0.0)
    _ending_in_a_zero_length_word(turns[3], 12.0)
    turn_set_text(turn=turns[0], text="hello their ok", revision=1, user=reviewer)
    turn_split(turn=turns[3], at=12.55, revision=1, user=reviewer)
    call.refresh_from_db()
    assert texts(call) == ["hello their ok", "w0 w1 w2 w3 w4 w5", "w0 w1 w2 w3 w4 w5", "hello", "there ok"]
    assert not call_unassigned_words(call)


def test_the_second_of_two_corrections_from_the_same_revision_is_told_what_changed(client, call_with_turns, make_user):
    call, turns, annotator, reviewer, _ = call_with_turns
    other = make_user("ann2", "annotator")
    call.assignments.create(annotator=other)
    client.force_login(annotator)
    first = propose(client, call, turns[1], "text", text="I want a refund", revision=1).json()["id"]
    client.force_login(other)
    second = propose(client, call, turns[1], "adjust", start=4.5, end=7.0, revision=1).json()["id"]
    client.force_login(reviewer)
    assert decide(client, first).status_code == 200
    refused = decide(client, second)
    assert refused.status_code == 400
    (message,) = refused.json()["detail"]
    assert "corrected by someone else" in message and "nothing was changed" in message
    assert 'correct the transcript by ann, to 4.00–7.00 s, S1: "I want a refund"' in message, message
    turn = Turn.objects.get(pk=turns[1].pk)
    assert (turn.start, turn.text, turn.revision) == (4.0, "I want a refund", 2)
    assert CorrectionProposal.objects.get(pk=second).status == "proposed"


@pytest.mark.parametrize(
    ("field", "each", "words"),
    [("note", 2600, "notes on the two turns together are 5203 characters"),
     ("skip_reason", 300, "reasons for skipping the two turns together are 603 characters")],
)  # fmt: skip
def test_a_merge_whose_joined_note_or_reason_would_not_fit_is_refused_whole(call_with_turns, field, each, words):
    """A merge joined the two turns' notes past the 5000 characters a save accepts (the annotator's
    next save was refused for a note they never wrote), and cut a joined skip reason to 500
    characters without a word. It is refused now, saying whose text and how long; nothing changes."""
    call, turns, annotator, reviewer, _ = call_with_turns
    assignment, taxonomy = call.assignments.get(), call.project.taxonomy
    skipped = field == "skip_reason"
    for turn, letter in ((turns[1], "a"), (turns[2], "b")):
        TurnAnnotation.objects.create(
            assignment=assignment, turn=turn, taxonomy=taxonomy, skipped=skipped, **{field: letter * each}
        )
    before = sorted(TurnAnnotation.objects.values_list("turn_id", field, "version"))
    with pytest.raises(ValidationError) as refused:
        turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    assert words in str(refused.value) and annotator.username in str(refused.value)
    assert "nothing was changed" in str(refused.value)
    assert sorted(TurnAnnotation.objects.values_list("turn_id", field, "version")) == before
    assert call.turns.count() == 4 and not TurnRevision.objects.filter(call=call).exists()
    # Shortened, the merge goes through and keeps both texts whole.
    TurnAnnotation.objects.filter(turn=turns[2]).update(**{field: "b" * 10})
    turn_merge_next(turn=turns[1], revision=1, user=reviewer)
    assert getattr(TurnAnnotation.objects.get(turn=turns[1]), field) == "a" * each + " / " + "b" * 10


def test_a_correction_that_leaves_words_outside_every_turn_says_so_and_coverage_follows(client, call_with_turns):
    """Accepting a boundary move that left seven words outside every turn said only "Correction
    accepted", the proposal showed no warning, and the call page kept "speech in turns 100%"."""
    from annotation.models import ProcessingJob

    call, turns, annotator, reviewer, _ = call_with_turns
    ProcessingJob.objects.create(
        call=call, stage="transcribe", status=ProcessingJob.Status.SUCCEEDED,
        result={"speech": [[[0.0, 3.0], [4.0, 7.0], [8.0, 11.0], [12.0, 15.0]]]},
    )  # fmt: skip
    type(call).objects.filter(pk=call.pk).update(coverage=1.0)
    client.force_login(annotator)
    made = propose(client, call, turns[1], "adjust", start=5.0, end=7.0, revision=1).json()["id"]  # drops w0, w1
    client.force_login(reviewer)
    listing = client.get(reverse("annotation:project_corrections", args=[call.project.slug])).content.decode()
    assert "Leaves 2 words (4.00–4.90 s): &#x27;w0 w1&#x27; outside every turn" in listing
    page = client.post(reverse("annotation:proposal_decide", args=[made]), {"verdict": "accept"}, follow=True)
    assert "It leaves 2 words (4.00–4.90 s): &#x27;w0 w1&#x27; outside every turn" in page.content.decode()
    call.refresh_from_db()
    assert call.coverage == pytest.approx(11.0 / 12.0, abs=1e-4)  # 1 s of 12 s of speech is in no turn now
    assert "speech in turns 91.7%" in client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    client.post(reverse("annotation:revision_undo", args=[CorrectionProposal.objects.get(pk=made).revision.pk]))
    call.refresh_from_db()
    assert call.coverage == 1.0
