"""Human corrections of turns: adjust boundaries, split at a time, merge with the next turn,
reassign the speaker. Each is checked, applied in one transaction and recorded (TurnRevision)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from annotera.audit import audit_record

from .models import Speaker, Turn, TurnRevision
from .pipeline.types import Word, join_words


def _record(*, call, action: str, before: list[dict], after: list[dict], user, turn: Turn) -> None:
    """The correction's history row (TurnRevision) and its audit event, in the caller's transaction."""
    TurnRevision.objects.create(call=call, action=action, before=before, after=after, user=user)
    audit_record(actor=user, action=f"turn.{action}", obj=turn, project=call.project, before=before, after=after)


def _snapshot(turn: Turn) -> dict:
    return {"id": turn.pk, "order": turn.order, "start": turn.start, "end": turn.end, "speaker": turn.speaker.label,
            "text": turn.text, "revision": turn.revision}  # fmt: skip


def _lock(turn: Turn, expected_revision: int) -> Turn:
    locked = Turn.objects.select_for_update().select_related("speaker", "call").get(pk=turn.pk)
    if locked.revision != expected_revision:
        raise ValidationError(
            f"Turn {locked.order} was corrected by someone else (revision {locked.revision}); reload and try again."
        )
    return locked


def _words_text(words: list[dict]) -> str:
    return join_words([Word.from_dict(w) for w in words])


def _shift_orders(call, *, after: int, by: int) -> None:
    """Move every turn after ``after`` by ``by`` places. Two steps, because the database checks
    the (call, order) uniqueness row by row during a single UPDATE."""
    parked = 1_000_000
    Turn.objects.filter(call=call, order__gt=after).update(order=F("order") + parked)
    Turn.objects.filter(call=call, order__gt=parked).update(order=F("order") - parked + by)


def turn_adjust(*, turn: Turn, start: float, end: float, revision: int, user) -> Turn:
    with transaction.atomic():
        locked = _lock(turn, revision)
        before = _snapshot(locked)
        neighbours = Turn.objects.filter(call=locked.call, speaker=locked.speaker).exclude(pk=locked.pk)
        duration = locked.call.duration or end
        if not (0 <= start < end <= duration + 1e-6):
            raise ValidationError(f"Start must be before end, within the call (0–{duration:.2f} s).")
        if neighbours.filter(start__lt=end, end__gt=start).exists():
            raise ValidationError("The new boundaries overlap another turn of the same speaker.")
        locked.start, locked.end = round(start, 3), round(end, 3)
        locked.words = [w for w in locked.words if w["s"] >= start - 0.05 and w["e"] <= end + 0.05]
        locked.text = _words_text(locked.words)
        locked.revision += 1
        locked.save()
        _record(call=locked.call, action="adjust", before=[before], after=[_snapshot(locked)], user=user, turn=locked)
        return locked


def turn_split(*, turn: Turn, at: float, revision: int, user) -> tuple[Turn, Turn]:
    with transaction.atomic():
        locked = _lock(turn, revision)
        if locked.annotations.exists():
            raise ValidationError("This turn already has annotations; splitting it would orphan them.")
        if not locked.start + 0.1 < at < locked.end - 0.1:
            raise ValidationError(f"Split inside the turn ({locked.start:.2f}–{locked.end:.2f} s), not at its edge.")
        before = _snapshot(locked)
        # Make room: every later turn moves one place down (two steps avoid unique clashes).
        _shift_orders(locked.call, after=locked.order, by=1)
        words = locked.words
        first_words = [w for w in words if (w["s"] + w["e"]) / 2 < at]
        second_words = [w for w in words if (w["s"] + w["e"]) / 2 >= at]
        second = Turn.objects.create(
            call=locked.call, speaker=locked.speaker, order=locked.order + 1, start=round(at, 3), end=locked.end,
            words=second_words, text=_words_text(second_words), language=locked.language, prosody={},
        )  # fmt: skip
        locked.end, locked.words, locked.text = round(at, 3), first_words, _words_text(first_words)
        locked.revision += 1
        locked.save()
        _record(
            call=locked.call,
            action="split",
            before=[before],
            after=[_snapshot(locked), _snapshot(second)],
            user=user,
            turn=locked,
        )
        return locked, second


def turn_merge_next(*, turn: Turn, revision: int, user) -> Turn:
    with transaction.atomic():
        locked = _lock(turn, revision)
        following = Turn.objects.select_for_update().filter(call=locked.call, order=locked.order + 1).first()
        if following is None:
            raise ValidationError("This is the last turn; there is nothing to merge it with.")
        if following.speaker_id != locked.speaker_id:
            raise ValidationError("The next turn is another speaker's; reassign its speaker first.")
        if locked.annotations.exists() or following.annotations.exists():
            raise ValidationError("These turns already have annotations; merging them would orphan them.")
        before = [_snapshot(locked), _snapshot(following)]
        locked.end = max(locked.end, following.end)
        locked.words = locked.words + following.words
        locked.text = _words_text(locked.words)
        locked.revision += 1
        following.delete()
        locked.save()
        _shift_orders(locked.call, after=locked.order + 1, by=-1)
        _record(call=locked.call, action="merge", before=before, after=[_snapshot(locked)], user=user, turn=locked)
        return locked


def turn_set_speaker(*, turn: Turn, speaker: Speaker, revision: int, user) -> Turn:
    with transaction.atomic():
        locked = _lock(turn, revision)
        if speaker.call_id != locked.call_id:
            raise ValidationError("That speaker belongs to another call.")
        before = _snapshot(locked)
        locked.speaker = speaker
        locked.revision += 1
        locked.save(update_fields=["speaker", "revision"])
        _record(call=locked.call, action="speaker", before=[before], after=[_snapshot(locked)], user=user, turn=locked)
        return locked
