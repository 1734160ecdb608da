"""Corrections as proposals: an annotator proposes, a reviewer accepts (applied for everyone, with
history and undo) or rejects. Until then the proposal changes nothing but the proposer's own view,
so exports and other annotators only ever see accepted corrections."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotera.audit import audit_record
from annotera.roles import ADMIN, PROJECT_MANAGER, QA_REVIEWER, user_role

from . import corrections
from .models import Call, CorrectionProposal, Speaker, Turn, TurnRevision
from .selectors import projects_managed_by, projects_visible_to


class _DryRun(Exception):
    def __init__(self, after: list[dict]):
        self.after = after


def _apply(*, turn: Turn, action: str, params: dict, revision: int, user) -> TurnRevision:
    if action == "adjust":
        return corrections.turn_adjust(turn=turn, start=params["start"], end=params["end"], revision=revision,
                                       user=user)  # fmt: skip
    if action == "split":
        return corrections.turn_split(turn=turn, at=params["at"], revision=revision, user=user)
    if action == "merge":
        # The next turn as the proposer saw it: a merge with whatever is next now is not what they meant.
        return corrections.turn_merge_next(turn=turn, revision=revision, user=user, next_id=params.get("next"),
                                           next_revision=params.get("next_revision"))  # fmt: skip
    if action == "speaker":
        speaker = Speaker.objects.filter(call_id=turn.call_id, pk=params["speaker"]).first()
        if speaker is None:
            raise ValidationError("That speaker is not one of this call's speakers.")
        return corrections.turn_set_speaker(turn=turn, speaker=speaker, revision=revision, user=user)
    if action == "text":
        return corrections.turn_set_text(turn=turn, text=params["text"], revision=revision, user=user)
    raise ValidationError(f"Unknown correction '{action}'.")


def may_propose(user, call: Call) -> bool:
    return (
        call.assignments.filter(annotator=user).exists()
        or projects_managed_by(user).filter(pk=call.project_id).exists()
    )


def may_review(user, call: Call) -> bool:
    return user_role(user) in (ADMIN, PROJECT_MANAGER, QA_REVIEWER) and (
        projects_visible_to(user).filter(pk=call.project_id).exists()
    )


def proposal_create(*, turn: Turn, action: str, params: dict, revision: int, user) -> CorrectionProposal:
    """Check the correction exactly as acceptance would apply it (a rolled-back dry run), then
    store it as a proposal with its before/after picture. Nothing of the call changes."""
    if not may_propose(user, turn.call):
        raise ValidationError("Only the call's annotators and project managers propose corrections.")
    turn = Turn.objects.select_related("speaker", "call").get(pk=turn.pk)
    before = [corrections.turn_snapshot(turn)]
    if action == "merge":
        following = Turn.objects.filter(call=turn.call, order=turn.order + 1).select_related("speaker").first()
        if following is not None:
            before.append(corrections.turn_snapshot(following))
            params = {**params, "next": following.pk, "next_revision": following.revision}
    try:
        with transaction.atomic():
            applied = _apply(turn=turn, action=action, params=params, revision=revision, user=user)
            raise _DryRun(applied.after)
    except _DryRun as dry:
        after = dry.after
    with transaction.atomic():
        # One open proposal per turn and person: a newer one replaces the older (it is what they mean now).
        CorrectionProposal.objects.filter(
            turn=turn, proposed_by=user, status=CorrectionProposal.Status.PROPOSED
        ).update(status=CorrectionProposal.Status.WITHDRAWN, decided_at=timezone.now())
        proposal = CorrectionProposal(call=turn.call, turn=turn, action=action, params=params,
                                      base_revision=revision, before=before, after=after, proposed_by=user)  # fmt: skip
        proposal.full_clean()
        proposal.save()
        audit_record(actor=user, action="proposal.create", obj=proposal, project=turn.call.project, before=None,
                     after={"action": action, "params": params})  # fmt: skip
    return proposal


def _lock_open(proposal: CorrectionProposal) -> CorrectionProposal:
    # of=self: PostgreSQL cannot lock the nullable side of the outer join to the turn.
    locked = (
        CorrectionProposal.objects.select_for_update(of=("self",)).select_related("call", "turn").get(pk=proposal.pk)
    )
    if locked.status != CorrectionProposal.Status.PROPOSED:
        raise ValidationError(f"This proposal is already {locked.get_status_display().lower()}.")
    return locked


def proposal_accept(*, proposal: CorrectionProposal, user, note: str = "") -> CorrectionProposal:
    """Apply the proposal for everyone (a TurnRevision that can be undone)."""
    if not may_review(user, proposal.call):
        raise ValidationError("Only the project's reviewers and managers accept corrections.")
    with transaction.atomic():
        locked = _lock_open(proposal)
        if locked.turn is None:
            raise ValidationError("The turn this proposal corrects no longer exists (merged away); reject it.")
        params = locked.params
        if locked.action == CorrectionProposal.Action.MERGE and "next" not in params and len(locked.before) > 1:
            # Proposed before the next turn was kept in params: its picture says which one it was.
            params = {**params, "next": locked.before[1]["id"], "next_revision": locked.before[1]["revision"]}
        revision = _apply(turn=locked.turn, action=locked.action, params=params,
                          revision=locked.base_revision, user=locked.proposed_by)  # fmt: skip
        locked.status, locked.revision = CorrectionProposal.Status.ACCEPTED, revision
        locked.decided_by, locked.decided_at, locked.decision_note = user, timezone.now(), note[:2000]
        locked.save()
        audit_record(actor=user, action="proposal.accept", obj=locked, project=locked.call.project,
                     before=None, after={"revision": revision.pk})  # fmt: skip
        return locked


def proposal_reject(*, proposal: CorrectionProposal, user, note: str = "") -> CorrectionProposal:
    if not may_review(user, proposal.call):
        raise ValidationError("Only the project's reviewers and managers reject corrections.")
    with transaction.atomic():
        locked = _lock_open(proposal)
        locked.status = CorrectionProposal.Status.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_note = user, timezone.now(), note[:2000]
        locked.save()
        audit_record(actor=user, action="proposal.reject", obj=locked, project=locked.call.project,
                     before=None, after={"note": locked.decision_note})  # fmt: skip
        return locked


def proposal_withdraw(*, proposal: CorrectionProposal, user) -> CorrectionProposal:
    if proposal.proposed_by_id != user.pk:
        raise ValidationError("Only the person who proposed a correction withdraws it.")
    with transaction.atomic():
        locked = _lock_open(proposal)
        locked.status, locked.decided_at = CorrectionProposal.Status.WITHDRAWN, timezone.now()
        locked.save()
        return locked


# --- undo ---------------------------------------------------------------------------------------


def turn_revision_undo(*, revision: TurnRevision, user) -> TurnRevision:
    """Put the turns back as they were before ``revision``, if nobody has corrected them since."""
    if not may_review(user, revision.call):
        raise ValidationError("Only the project's reviewers and managers undo corrections.")
    with transaction.atomic():
        locked = TurnRevision.objects.select_for_update().get(pk=revision.pk)
        if locked.undone_by_id or locked.action == TurnRevision.Action.UNDO:
            raise ValidationError("This correction is already undone (or is itself an undo).")
        current = {
            t.pk: t for t in Turn.objects.select_for_update().select_related("speaker").filter(
                pk__in=[a["id"] for a in locked.after])
        }  # fmt: skip
        for snap in locked.after:
            turn = current.get(snap["id"])
            if turn is None or turn.revision != snap["revision"]:
                raise ValidationError("The turn was corrected again since; undo the later correction first.")
        call, words = corrections.call_words_locked(locked.call)
        first = current[locked.after[0]["id"]]
        was = locked.before[0]
        if locked.action == TurnRevision.Action.SPLIT:
            second = current[locked.after[1]["id"]]
            # Each annotator's second half goes back into the first as a merge would: its shifts
            # and anything tagged there since the split are kept, and the annotator re-checks.
            corrections._carry_merge(first, second, user=user)
            second.delete()
            corrections._shift_orders(call, after=first.order + 1, by=-1)
        elif locked.action == TurnRevision.Action.MERGE:
            _unmerge(call, words, first, locked.before[1], user=user)
        elif locked.action == TurnRevision.Action.SPEAKER:
            _unset_speaker(call, words, first, was)
        elif locked.action == TurnRevision.Action.TEXT:
            # Exactly the words the correction typed go, the words it replaced come back; any other
            # word in the span (none should be) is left where it is.
            corrections.exchange_words(call, words, remove=_spoken_by(locked.after[0]["words"], first.speaker.label),
                                       add=_spoken_by(was["words"], was["speaker"]))  # fmt: skip
        elif locked.action == TurnRevision.Action.ADJUST:
            overlap = corrections.same_speaker_overlap(call, speaker=first.speaker, start=was["start"], end=was["end"],
                                                       exclude=first.pk)  # fmt: skip
            if overlap:
                raise ValidationError(
                    f"Put back at {was['start']:.2f}–{was['end']:.2f} s, turn {first.order + 1} would overlap "
                    f"{overlap}, which has moved there since; nothing was changed. Move that turn first, then undo."
                )
        first.start, first.end = was["start"], was["end"]
        first.order = Turn.objects.values_list("order", flat=True).get(pk=first.pk)  # orders may have moved
        corrections._keep_in_time_order(call, first)  # its start may be back where another turn is now
        corrections._derive(first, call.words)
        first.revision += 1
        first.save()
        if locked.action == TurnRevision.Action.ADJUST:
            corrections.boundaries_moved(first, user=user)  # shifts marked since, out there, come inside
        after = [corrections.turn_snapshot(t) for t in Turn.objects.filter(pk__in=[b["id"] for b in locked.before])]
        undo = corrections._record(call=call, action="undo", before=locked.after, after=after, user=user, turn=first)
        locked.undone_by = undo
        locked.save(update_fields=["undone_by"])
        return undo


def _spoken_by(words: list[dict], speaker: str) -> list[dict]:
    return [{**w, "spk": speaker} for w in words]


def _unset_speaker(call: Call, words: list[dict], turn: Turn, was: dict) -> None:
    """Give ``turn`` back to its speaker before the change, with the words that change moved (and
    only those: words of the new speaker it took in, unassigned until then, stay theirs)."""
    old = Speaker.objects.get(call=call, label=was["speaker"])
    overlap = corrections.same_speaker_overlap(call, speaker=old, start=turn.start, end=turn.end, exclude=turn.pk)
    if overlap:
        raise ValidationError(
            f"Given back to {old.label}, turn {turn.order + 1} would overlap {overlap}, which has moved there "
            "since; nothing was changed. Move that turn first, then undo."
        )
    corrections.exchange_words(call, words, remove=_spoken_by(was["words"], turn.speaker.label),
                               add=_spoken_by(was["words"], old.label))  # fmt: skip
    turn.speaker = old


def _unmerge(call: Call, words: list[dict], first: Turn, was_following: dict, *, user=None) -> None:
    """Recreate the turn a merge removed; every annotation is copied back to it (re-check)."""
    corrections._shift_orders(call, after=first.order, by=1)
    following = Turn(call=call, speaker=Speaker.objects.get(call=call, label=was_following["speaker"]),
                     order=first.order + 1, start=was_following["start"], end=was_following["end"],
                     language=first.language, prosody={})  # fmt: skip
    corrections._derive(following, words)
    following.save()
    corrections._keep_in_time_order(call, following)  # past a turn moved in between since the merge
    following.save(update_fields=["order"])
    # As a split: each half keeps its own shifts (the first turn kept the later ones, which its
    # restored end then put outside it: every later save refused), re-check flagged, versions moved on.
    # The apps above give the recreated turn back what the merge withdrew from the one it removed.
    corrections._carry_split(first, following, was_following["start"], user=user,
                             restored_turn_id=was_following["id"])  # fmt: skip
