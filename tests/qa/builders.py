"""Small hand-made projects for the QA tests: one call, turns, annotators with given label sets."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from annotation.models import AnnotatorProfile, Assignment, Call, Speaker, Turn, TurnAnnotation


def annotated_call(
    project, make_user, table, *, blind=(), cultures=None, name="c.wav", users=None, seconds=None, submitted=()
):
    """``table``: annotator name -> one list of label keys per turn. ``seconds``: annotator name ->
    save time (seconds after a fixed start) per turn. ``submitted``: the annotators who have
    submitted the call ("all": every one); the others are still working on it (their saves are
    drafts, which the disagreement queue does not route). Returns (call, turns, {name: user})."""
    cultures = cultures or {}
    call = Call.objects.create(
        project=project, audio=f"calls/{name}", original_name=name, sha256=name.rjust(64, "0"), status="ready"
    )
    speaker = Speaker.objects.create(call=call, label="CH0", role="customer", channel=0)
    n = len(next(iter(table.values())))
    turns = [
        Turn.objects.create(call=call, speaker=speaker, order=i, start=i, end=i + 1, text=f"turn {i}") for i in range(n)
    ]
    users = dict(users or {})
    start = timezone.now() - dt.timedelta(hours=1)
    for who, rows in table.items():
        if who not in users:
            users[who] = make_user(who, "annotator")
            AnnotatorProfile.objects.create(user=users[who], locales=[cultures.get(who, "en-US")])
        draft = not (submitted == "all" or who in submitted)
        assignment = Assignment.objects.create(
            call=call,
            annotator=users[who],
            blind=who in blind,
            status=Assignment.Status.IN_PROGRESS if draft else Assignment.Status.SUBMITTED,
            submitted_at=None if draft else timezone.now(),
        )
        for i, (turn, labels) in enumerate(zip(turns, rows, strict=True)):
            if labels is None:
                continue
            row = TurnAnnotation.objects.create(
                assignment=assignment,
                turn=turn,
                taxonomy=project.taxonomy,
                labels=[{"label": key, "intensity": 3} for key in labels],
            )
            if seconds and who in seconds:
                TurnAnnotation.objects.filter(pk=row.pk).update(
                    updated_at=start + dt.timedelta(seconds=seconds[who][i])
                )
    return call, turns, users
