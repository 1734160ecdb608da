"""Applying corrections of turns: adjust boundaries, split, merge with the next turn, reassign the
speaker, correct the transcript, and undo any of them. Each is checked, applied in one transaction
and recorded (TurnRevision). Annotators never call these directly: they propose
(``annotation.proposals``), and a reviewer's acceptance applies.

Words belong to the call, not to a turn (``Call.words``): a turn's words and text are derived from
the call's words of its speaker whose midpoint lies inside the turn, so a word that leaves a turn
goes to its neighbour or to an unassigned gap, and comes back when the boundary does.
Annotations survive: a split copies each annotator's labels to both halves, a merge unites them
(highest intensity), and the annotators are asked to re-check (``needs_recheck``). The apps above
(qa's adjudications) follow a split or merge through ``annotation.signals``.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from annotera.audit import audit_record
from annotera.names import shows_nothing

from .coverage import call_coverage_refresh
from .models import NOTE_MAX, TURN_SKIP_REASON_MAX, Call, Speaker, Suggestion, Turn, TurnAnnotation, TurnRevision
from .pipeline.types import Word, join_words
from .signals import turn_adjusted, turns_merged
from .signals import turn_split as turn_split_signal
from .typed_text import typed_words


def _record(*, call, action: str, before: list[dict], after: list[dict], user, turn: Turn) -> TurnRevision:
    """The correction's history row (TurnRevision) and its audit event, in the caller's transaction;
    the call's speech coverage is measured again (a boundary move may leave speech outside)."""
    revision = TurnRevision.objects.create(call=call, action=action, before=before, after=after, user=user)
    call_coverage_refresh(call)
    audit_record(actor=user, action=f"turn.{action}", obj=turn, project=call.project, before=before, after=after)
    return revision


def turn_snapshot(turn: Turn) -> dict:
    return {"id": turn.pk, "order": turn.order, "start": turn.start, "end": turn.end, "speaker": turn.speaker.label,
            "speaker_id": turn.speaker_id, "text": turn.text, "words": turn.words, "revision": turn.revision}  # fmt: skip


def _lock(turn: Turn, expected_revision: int) -> Turn:
    locked = Turn.objects.select_for_update().select_related("speaker", "call").get(pk=turn.pk)
    if locked.revision != expected_revision:
        raise ValidationError(
            f"Turn {locked.order + 1} was corrected by someone else (revision {locked.revision}"
            f"{_last_correction(locked)}); nothing was changed: reload and try again."
        )
    return locked


def _last_correction(turn: Turn) -> str:
    """What last corrected ``turn``, who, and what it made of it (for the refusal of a stale correction)."""
    # Read in Python: JSON containment lookups do not exist on SQLite (the demo's database).
    revisions = TurnRevision.objects.filter(call_id=turn.call_id).select_related("user").order_by("-pk")
    last = next((r for r in revisions.iterator() if any(snap["id"] == turn.pk for snap in r.after)), None)
    if last is None:
        return ""
    now = next(snap for snap in last.after if snap["id"] == turn.pk)
    return (
        f", last: {last.get_action_display().lower()} by {last.user or 'someone since removed'}, to "
        f'{now["start"]:.2f}–{now["end"]:.2f} s, {now["speaker"]}: "{now["text"][:80]}"'
    )


def _words_text(words: list[dict]) -> str:
    return join_words([Word.from_dict(w) for w in words])


def _shift_orders(call, *, after: int, by: int) -> None:
    """Move every turn after ``after`` by ``by`` places to make room (``by`` > 0); ``by`` < 0
    closes the gap a removed turn left, wherever it is (turns keep their place in time, so a
    split's second half need not sit right after the first), leaving the orders 0..n-1. In
    steps, because the database checks the (call, order) uniqueness row by row in an UPDATE."""
    parked = 1_000_000
    if by < 0:
        rows = Turn.objects.filter(call=call).order_by("order").values_list("pk", "order")
        moved = [Turn(pk=pk, order=index) for index, (pk, order) in enumerate(rows) if index != order]
        Turn.objects.filter(pk__in=[t.pk for t in moved]).update(order=F("order") + parked)
        Turn.objects.bulk_update(moved, ["order"], batch_size=500)
        return
    Turn.objects.filter(call=call, order__gt=after).update(order=F("order") + parked)
    Turn.objects.filter(call=call, order__gt=parked).update(order=F("order") - parked + by)


# --- the call's words ---------------------------------------------------------------------------


def call_words_locked(call: Call) -> tuple[Call, list[dict]]:
    """The call, locked, with its word store; filled from the turns' (machine) words the first
    time a correction touches the call."""
    locked = Call.objects.select_for_update().get(pk=call.pk)
    if locked.status != Call.Status.READY:  # its turns are about to be replaced (call_reprocess)
        raise ValidationError(
            "This call is not ready (its machine pass is running again, or failed): nothing was changed. "
            "Correct it when the call is ready."
        )
    if not locked.words:
        words = []
        for turn in Turn.objects.filter(call=locked).select_related("speaker").order_by("order"):
            words.extend(_inside({**w, "spk": turn.speaker.label}, turn) for w in turn.words)
        locked.words = sorted(words, key=lambda w: (w["s"], w["e"]))
        locked.save(update_fields=["words"])
    return locked, locked.words


def _mid(word: dict) -> float:
    return (word["s"] + word["e"]) / 2


def _inside(word: dict, turn: Turn) -> dict:
    """The machine's word, its midpoint inside the turn the machine put it in. A turn ends where
    its last word ends, so a zero-length last word (start = end = the turn's end) lay just
    outside [start, end): the first correction of the turn dropped it from the turn's text, and
    a text correction then listed it twice (typed in the turn, and left behind as unassigned).
    Moved inside by the times' precision (a millisecond)."""
    if turn.start <= _mid(word) < turn.end or turn.end - turn.start <= 0.001:
        return word
    s = min(max(word["s"], turn.start), turn.end - 0.001)
    return {**word, "s": s, "e": min(max(word["e"], s), turn.end)}


def words_in(words: list[dict], *, speaker: str, start: float, end: float) -> list[dict]:
    """The words of ``speaker`` whose midpoint lies in [start, end)."""
    return [
        {k: v for k, v in w.items() if k != "spk"} for w in words if w.get("spk") == speaker and start <= _mid(w) < end
    ]


def _derive(turn: Turn, words: list[dict]) -> None:
    turn.words = words_in(words, speaker=turn.speaker.label, start=turn.start, end=turn.end)
    turn.text = _words_text(turn.words)
    # As the machine pass says it: speech with no word in it is for an annotator to type (a typed
    # text clears the flag; a split's wordless half keeps it).
    turn.untranscribed = not turn.words


def call_unassigned_words(call: Call) -> list[dict]:
    """Words of the call no turn holds now (left behind by a boundary move): shown as gaps, never lost."""
    if not call.words:
        return []
    spans: dict[str, list[tuple[float, float]]] = {}
    for label, start, end in call.turns.values_list("speaker__label", "start", "end"):
        spans.setdefault(label, []).append((start, end))
    return [w for w in call.words if not any(start <= _mid(w) < end for start, end in spans.get(w.get("spk"), ()))]


def words_left_out(before: list[dict], after: list[dict]) -> list[dict]:
    """Words the turns ``before`` a correction held that its turns ``after`` do not (snapshots as
    ``turn_snapshot`` makes them): what a boundary move leaves outside every turn."""
    kept = {_word_key(w, snap["speaker"]) for snap in after for w in snap.get("words") or []}
    return [w for snap in before for w in snap.get("words") or [] if _word_key(w, snap["speaker"]) not in kept]


def left_out_text(words: list[dict]) -> str:
    """ "7 words (6.21–7.53 s): 'I have been charged twice this month'" ("" for none)."""
    if not words:
        return ""
    spoken = _words_text(sorted(words, key=lambda w: w["s"]))
    quoted = spoken if len(spoken) <= 120 else spoken[:117] + "…"
    count = f"{len(words)} word{'s' if len(words) != 1 else ''}"
    return f"{count} ({min(w['s'] for w in words):.2f}–{max(w['e'] for w in words):.2f} s): '{quoted}'"


def _word_key(word: dict, speaker: str) -> tuple:
    def value(v):  # as read back from JSON either way: 4 and 4.0 are the same time
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else repr(v)

    return (speaker, *sorted((k, value(v)) for k, v in word.items() if k != "spk"))


def exchange_words(call: Call, words: list[dict], *, remove: list[dict], add: list[dict]) -> None:
    """Take exactly ``remove`` (words with their "spk") out of the call's store and put ``add`` in,
    leaving every other word as it is: an undo takes back what its correction changed, never a
    word that is in the same span for another reason. Refused, changing nothing, when a word to
    take out is no longer there."""
    kept = list(words)
    index: dict[tuple, list[int]] = {}
    for position, word in enumerate(kept):
        index.setdefault(_word_key(word, word.get("spk")), []).append(position)
    dropped = set()
    for word in remove:
        positions = index.get(_word_key(word, word["spk"]))
        if not positions:
            raise ValidationError(
                f'The word "{word.get("w", "")}" at {word["s"]:.2f} s is no longer in the transcript as the '
                "correction left it; nothing was changed."
            )
        dropped.add(positions.pop())
    kept = [w for position, w in enumerate(kept) if position not in dropped]
    call.words = sorted(kept + [dict(w) for w in add], key=lambda w: (w["s"], w["e"]))
    call.save(update_fields=["words"])


def same_speaker_overlap(call: Call, *, speaker: Speaker, start: float, end: float, exclude: int) -> str:
    """The turn of ``speaker`` other than ``exclude`` that overlaps [start, end), in words ("" if none)."""
    other = (
        Turn.objects.filter(call=call, speaker=speaker, start__lt=end, end__gt=start)
        .exclude(pk=exclude)
        .order_by("start")
        .first()
    )
    if other is None:
        return ""
    return f"turn {other.order + 1} ({speaker.label}, {other.start:.2f}–{other.end:.2f} s)"


def _replace_words(call: Call, words: list[dict], *, speaker: str, start: float, end: float, new: list[dict]) -> None:
    """Swap the words of ``speaker`` inside [start, end) for ``new`` in the call's store."""
    kept = [w for w in words if not (w.get("spk") == speaker and start <= _mid(w) < end)]
    call.words = sorted(kept + [{**w, "spk": speaker} for w in new], key=lambda w: (w["s"], w["e"]))
    call.save(update_fields=["words"])


# --- corrections --------------------------------------------------------------------------------


def _keep_in_time_order(call, turn: Turn) -> None:
    """Give ``turn``, whose start moved, the place among the call's turns that its start says,
    so "the next turn" (a merge) is the next in time. Sets ``turn.order``; the caller saves it."""
    others = Turn.objects.filter(call=call).exclude(pk=turn.pk)
    earlier = others.filter(order__lt=turn.order, start__gt=turn.start).count()  # now start after it
    later = others.filter(order__gt=turn.order, start__lt=turn.start).count()  # now start before it
    to = turn.order - earlier + later
    if to == turn.order:
        return
    low, high, by = (to, turn.order - 1, 1) if to < turn.order else (turn.order + 1, to, -1)
    parked = 1_000_000  # as _shift_orders: the (call, order) uniqueness is checked row by row
    Turn.objects.filter(pk=turn.pk).update(order=2 * parked)
    others.filter(order__gte=low, order__lte=high).update(order=F("order") + parked)
    others.filter(order__gte=low + parked, order__lte=high + parked).update(order=F("order") - parked + by)
    turn.order = to


def _shifts_inside(turn: Turn) -> None:
    """After a boundary move, each annotation's shifts outside the turn are moved to its nearer
    edge (kept, never dropped: a save checks that every shift lies inside its turn, so one left
    outside refused every later save); the annotator is asked to re-check, and the version moves
    on so an open workspace merges instead of overwriting."""
    for annotation in TurnAnnotation.objects.select_for_update().filter(turn=turn):
        shifts = [{**s, "at": min(max(s["at"], turn.start), turn.end)} for s in annotation.shifts]
        if shifts != annotation.shifts:
            annotation.shifts, annotation.needs_recheck = shifts, True
            annotation.version += 1
            annotation.save(update_fields=["shifts", "needs_recheck", "version", "updated_at"])


def boundaries_moved(turn: Turn, *, user=None) -> None:
    """After ``turn``'s start or end moved (saved): its annotations' shifts are brought inside, and
    the other apps' rows follow through ``signals.turn_adjusted`` (qa's adjudications)."""
    _shifts_inside(turn)
    turn_adjusted.send(sender=Turn, turn=turn, user=user)


def turn_adjust(*, turn: Turn, start: float, end: float, revision: int, user) -> TurnRevision:
    with transaction.atomic():
        locked = _lock(turn, revision)
        call, words = call_words_locked(locked.call)
        before = turn_snapshot(locked)
        duration = call.duration or end
        start, end = round(start, 3), round(end, 3)  # as stored: checked after rounding, never 0 s long
        if not (0 <= start < end <= duration + 1e-6):
            raise ValidationError(f"Start must be before end, within the call (0–{duration:.2f} s).")
        overlap = same_speaker_overlap(call, speaker=locked.speaker, start=start, end=end, exclude=locked.pk)
        if overlap:
            raise ValidationError(f"The new boundaries overlap another turn of the same speaker, {overlap}.")
        locked.start, locked.end = start, end
        _keep_in_time_order(call, locked)
        _derive(locked, words)
        locked.revision += 1
        locked.save()
        boundaries_moved(locked, user=user)
        return _record(call=call, action="adjust", before=[before], after=[turn_snapshot(locked)], user=user,
                       turn=locked)  # fmt: skip


def turn_set_text(*, turn: Turn, text: str, revision: int, user) -> TurnRevision:
    """Correct the transcript of a turn. The typed words are aligned to the old ones
    (``typed_text.typed_words``): what was left as it was keeps its timing, a changed run shares
    the time of what it replaced."""
    if shows_nothing(text):  # a zero-width space alone was taken for a word
        raise ValidationError("The corrected text is empty; to drop a turn, merge it or move its boundaries.")
    if len(text) > 5000:
        raise ValidationError("The corrected text is longer than 5000 characters.")
    with transaction.atomic():
        locked = _lock(turn, revision)
        call, words = call_words_locked(locked.call)
        before = turn_snapshot(locked)
        old = words_in(words, speaker=locked.speaker.label, start=locked.start, end=locked.end)
        new = typed_words(old, text, start=locked.start, end=locked.end, language=locked.language)
        _replace_words(call, words, speaker=locked.speaker.label, start=locked.start, end=locked.end, new=new)
        _derive(locked, call.words)
        locked.revision += 1
        locked.save()
        return _record(call=call, action="text", before=[before], after=[turn_snapshot(locked)], user=user,
                       turn=locked)  # fmt: skip


def _copy_half(annotation: TurnAnnotation, *, turn: Turn, keep) -> TurnAnnotation:
    return TurnAnnotation(
        assignment_id=annotation.assignment_id, turn=turn, taxonomy_id=annotation.taxonomy_id,
        labels=annotation.labels, valence=annotation.valence, arousal=annotation.arousal,
        shifts=[s for s in annotation.shifts if keep(s["at"])], note=annotation.note,
        confidence=annotation.confidence, suggestion_actions=annotation.suggestion_actions,
        no_emotion=annotation.no_emotion, skipped=annotation.skipped, skip_reason=annotation.skip_reason,
        needs_recheck=True,
    )  # fmt: skip


def turn_split(*, turn: Turn, at: float, revision: int, user) -> TurnRevision:
    """Split at ``at``; every annotation of the turn is copied to both halves, flagged for a re-check."""
    with transaction.atomic():
        locked = _lock(turn, revision)
        if not locked.start + 0.1 < at < locked.end - 0.1:
            raise ValidationError(f"Split inside the turn ({locked.start:.2f}–{locked.end:.2f} s), not at its edge.")
        call, words = call_words_locked(locked.call)
        before = turn_snapshot(locked)
        at = round(at, 3)  # the halves' boundary as stored; the shifts are divided at the same point
        _shift_orders(call, after=locked.order, by=1)
        second = Turn(
            call=call, speaker=locked.speaker, order=locked.order + 1, start=at, end=locked.end,
            language=locked.language, language_confidence=locked.language_confidence,
            code_switch=locked.code_switch, prosody={},
        )  # fmt: skip
        _derive(second, words)
        second.save()
        _keep_in_time_order(call, second)  # past another speaker's turn that starts inside this one
        second.save(update_fields=["order"])
        locked.end = at
        _derive(locked, words)
        locked.revision += 1
        locked.save()
        _carry_split(locked, second, at, user=user)
        return _record(call=call, action="split", before=[before],
                       after=[turn_snapshot(locked), turn_snapshot(second)], user=user, turn=locked)  # fmt: skip


def _carry_split(first: Turn, second: Turn, at: float, *, user=None, restored_turn_id: int | None = None) -> None:
    """Each annotation (and suggestion) of ``first`` is copied to ``second``; the other apps'
    rows follow through ``signals.turn_split`` (qa copies the consensus of record to both halves,
    or, when a merge is undone, ``restored_turn_id`` naming the turn it removed, gives back what
    the merge withdrew)."""
    annotations = list(TurnAnnotation.objects.select_for_update().filter(turn=first))
    TurnAnnotation.objects.bulk_create(_copy_half(a, turn=second, keep=lambda t: t >= at) for a in annotations)
    for a in annotations:
        a.shifts = [s for s in a.shifts if s["at"] < at]
        a.needs_recheck = True
        a.version += 1  # an open workspace holding the old version merges instead of overwriting
        a.save(update_fields=["shifts", "needs_recheck", "version", "updated_at"])
    for suggestion in Suggestion.objects.filter(turn=first):
        suggestion.pk, suggestion.turn = None, second
        suggestion.save()
    turn_split_signal.send(sender=Turn, first=first, second=second, at=at, user=user, restored_turn_id=restored_turn_id)


def _unite(mine: TurnAnnotation, other: TurnAnnotation) -> None:
    """Merge ``other`` into ``mine``: union of labels with the highest intensity of each; "no
    emotion" and "skipped" only where both were."""
    by_key = {item["label"]: dict(item) for item in mine.labels}
    for item in other.labels:
        have = by_key.get(item["label"])
        if have is None:
            by_key[item["label"]] = dict(item)
        elif (item.get("intensity") or 0) > (have.get("intensity") or 0):
            have["intensity"] = item["intensity"]
    mine.labels = list(by_key.values())
    mine.shifts = sorted(mine.shifts + other.shifts, key=lambda s: s["at"])
    mine.valence = mine.valence if mine.valence is not None else other.valence
    mine.arousal = mine.arousal if mine.arousal is not None else other.arousal
    if other.confidence is not None:
        mine.confidence = other.confidence if mine.confidence is None else min(mine.confidence, other.confidence)
    mine.note = " / ".join(n for n in (mine.note, other.note) if n)
    if len(mine.note) > NOTE_MAX:
        raise ValidationError(
            f"{mine.assignment.annotator}'s notes on the two turns together are {len(mine.note)} characters long,"
            f" more than the {NOTE_MAX} a note holds; nothing was changed. Shorten one of the notes, then merge."
        )
    mine.suggestion_actions = {**other.suggestion_actions, **mine.suggestion_actions}
    # A decision holds for the merged turn only where both halves had it; labels on either half
    # undo "no emotion" (the two exclude each other). The re-check flag asks the annotator.
    mine.no_emotion = not mine.labels and mine.no_emotion and other.no_emotion
    mine.skipped = mine.skipped and other.skipped
    reasons = [] if not mine.skipped else [r for r in (mine.skip_reason, other.skip_reason) if r]
    mine.skip_reason = " / ".join(dict.fromkeys(reasons))
    if len(mine.skip_reason) > TURN_SKIP_REASON_MAX:
        raise ValidationError(
            f"{mine.assignment.annotator}'s reasons for skipping the two turns together are {len(mine.skip_reason)}"
            f" characters long, more than the {TURN_SKIP_REASON_MAX} a reason holds; nothing was changed. Shorten"
            " one of the reasons, then merge."
        )


def turn_merge_next(
    *, turn: Turn, revision: int, user, next_id: int | None = None, next_revision: int | None = None
) -> TurnRevision:
    """Merge with the next turn (same speaker); each annotator's labels are united. ``next_id`` and
    ``next_revision``: the next turn as the person who asked for the merge saw it (a proposal);
    refused when the next turn is another one now, or was corrected since."""
    with transaction.atomic():
        locked = _lock(turn, revision)
        following = (
            Turn.objects.select_for_update().select_related("speaker").filter(call=locked.call, order=locked.order + 1)
        ).first()
        if following is None:
            raise ValidationError("This is the last turn; there is nothing to merge it with.")
        if next_id is not None:
            _check_next(locked, following, next_id, next_revision)
        if following.speaker_id != locked.speaker_id:
            raise ValidationError("The next turn is another speaker's; reassign its speaker first.")
        call, words = call_words_locked(locked.call)
        before = [turn_snapshot(locked), turn_snapshot(following)]
        # Both turns' spans, whichever starts first: the next turn's words never fall outside.
        locked.start, locked.end = min(locked.start, following.start), max(locked.end, following.end)
        _derive(locked, words)
        locked.revision += 1
        _carry_merge(locked, following, user=user)
        following.delete()
        _shift_orders(call, after=locked.order + 1, by=-1)
        locked.order = Turn.objects.values_list("order", flat=True).get(pk=locked.pk)
        _keep_in_time_order(call, locked)
        locked.save()
        return _record(call=call, action="merge", before=before, after=[turn_snapshot(locked)], user=user,
                       turn=locked)  # fmt: skip


def _check_next(turn: Turn, following: Turn, next_id: int, next_revision: int | None) -> None:
    """Refuse a merge whose next turn is not the one (at the revision) its proposer saw."""
    now = f"{following.speaker.label} {following.start:.2f}–{following.end:.2f} s"
    if following.pk != next_id:
        raise ValidationError(
            f"The turn after turn {turn.order + 1} is no longer the turn proposed to merge with (it was split, "
            f"merged or moved since; the next turn now is turn {following.order + 1}, {now}); nothing was "
            "changed: propose the merge again if it still applies."
        )
    if next_revision is not None and following.revision != next_revision:
        raise ValidationError(
            f"Turn {following.order + 1}, the next turn, was corrected since this merge was proposed (now {now}"
            f"{_last_correction(following)}); nothing was changed: propose the merge again if it still applies."
        )


def _carry_merge(first: Turn, following: Turn, *, user=None) -> None:
    """Each annotator's annotation of ``following`` is united with theirs of ``first`` (before
    ``following`` is deleted); the other apps' rows follow through ``signals.turns_merged`` (qa
    keeps a consensus of record only where both halves had the same one, see
    ``qa.services.adjudications_merge``), and may refuse the merge."""
    mine = {a.assignment_id: a for a in TurnAnnotation.objects.select_for_update().filter(turn=first)}
    for other in TurnAnnotation.objects.select_for_update().filter(turn=following):
        target = mine.get(other.assignment_id)
        if target is None:
            other.turn, other.needs_recheck = first, True
            other.version += 1
            other.save()
            continue
        _unite(target, other)
    for target in mine.values():
        target.needs_recheck = True
        target.version += 1
        target.save()
    turns_merged.send(sender=Turn, kept=first, removed=following, user=user)


def turn_set_speaker(*, turn: Turn, speaker: Speaker, revision: int, user) -> TurnRevision:
    """Reassign the speaker; the turn's words go with it (they were the other speaker's words)."""
    with transaction.atomic():
        locked = _lock(turn, revision)
        if speaker.call_id != locked.call_id:
            raise ValidationError("That speaker belongs to another call.")
        if speaker.pk == locked.speaker_id:
            raise ValidationError(f"The turn is already {speaker.label}'s.")
        if Turn.objects.filter(call=locked.call, speaker=speaker, start__lt=locked.end, end__gt=locked.start).exists():
            raise ValidationError(f"{speaker.label} already has a turn overlapping this one.")
        call, words = call_words_locked(locked.call)
        before = turn_snapshot(locked)
        moved = words_in(words, speaker=locked.speaker.label, start=locked.start, end=locked.end)
        _replace_words(call, words, speaker=locked.speaker.label, start=locked.start, end=locked.end, new=[])
        call.words = sorted(call.words + [{**w, "spk": speaker.label} for w in moved], key=lambda w: (w["s"], w["e"]))
        call.save(update_fields=["words"])
        locked.speaker = speaker
        _derive(locked, call.words)
        locked.revision += 1
        locked.save()
        return _record(call=call, action="speaker", before=[before], after=[turn_snapshot(locked)], user=user,
                       turn=locked)  # fmt: skip
