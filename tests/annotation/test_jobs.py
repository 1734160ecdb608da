"""The job reaper (annotation.jobs.jobs_reap_stale, through annotera.background.reap_stale)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from annotation.jobs import job_enqueue, jobs_reap_stale
from annotation.models import Call, ProcessingJob


def _running_job(project, *, attempts: int, stale: bool) -> ProcessingJob:
    call = project.calls.create(original_name="c.wav", sha256="7" * 64, audio="c.wav", status="processing")
    job = job_enqueue(call=call, stage="transcribe", send=False)
    beat = timezone.now() - timedelta(hours=1 if stale else 0)
    ProcessingJob.objects.filter(pk=job.pk).update(status="running", attempts=attempts, heartbeat_at=beat)
    job.refresh_from_db()
    return job


def test_a_dead_job_is_requeued_with_a_new_lease_and_a_live_one_is_left(project, django_capture_on_commit_callbacks):
    live = _running_job(project, attempts=1, stale=False)
    assert jobs_reap_stale() == []
    ProcessingJob.objects.filter(pk=live.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as sent:  # the re-queued message, not delivered here
        assert jobs_reap_stale() == [live.pk]
    requeued = ProcessingJob.objects.get(pk=live.pk)
    assert requeued.status == "queued" and requeued.lease != live.lease and len(sent) == 1
    assert requeued.message == "re-queued after the worker stopped responding"


def test_a_job_dead_too_often_fails_its_call_with_the_reason(project, django_capture_on_commit_callbacks):
    job = _running_job(project, attempts=3, stale=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reap_stale() == [job.pk]
    call = Call.objects.get(pk=job.call_id)
    assert call.status == "failed" and "stopped responding 3 times" in call.error
    assert ProcessingJob.objects.get(pk=job.pk).status == "failed"


def test_a_failed_refresh_of_a_ready_call_keeps_its_turns_and_their_annotations(
    project, make_user, django_capture_on_commit_callbacks
):
    """A suggestion refresh of a ready call (after a turn import) that failed for good cleared the
    call's machine output: its turns, and with them every annotation saved on them."""
    from annotation.models import Assignment, Speaker, Turn, TurnAnnotation

    call = project.calls.create(original_name="r.wav", sha256="8" * 64, audio="r.wav", status="ready")
    turn = Turn.objects.create(
        call=call, speaker=Speaker.objects.create(call=call, label="S0"), order=0, start=0, end=1
    )
    assignment = Assignment.objects.create(call=call, annotator=make_user("ann-f", "annotator"))
    TurnAnnotation.objects.create(assignment=assignment, turn=turn, taxonomy=project.taxonomy, labels=[])
    job = job_enqueue(call=call, stage="suggest", send=False)
    beat = timezone.now() - timedelta(hours=1)
    ProcessingJob.objects.filter(pk=job.pk).update(status="running", attempts=3, heartbeat_at=beat)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reap_stale() == [job.pk]
    assert ProcessingJob.objects.get(pk=job.pk).status == "failed"
    assert Call.objects.get(pk=call.pk).status == "ready"
    assert TurnAnnotation.objects.filter(turn__call=call).count() == 1
