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
    assert call.failure == Call.Failure.CRASHED and call.retry_can_help  # the next attempt may go through
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


def _call_turned(project, *, turns: int = 3) -> Call:
    """A call whose machine pass succeeded up to the turns stage (with ``turns`` turns)."""
    from annotation.models import Speaker, Turn

    call = project.calls.create(original_name="t.wav", sha256="9" * 64, audio="t.wav", status="processing")
    speaker = Speaker.objects.create(call=call, label="S0")
    for i in range(turns):
        Turn.objects.create(call=call, speaker=speaker, order=i, start=2 * i, end=2 * i + 1, text=f"turn {i}")
    speech = [[[2 * i, 2 * i + 1] for i in range(turns)]]
    for stage in ("decode", "peaks", "transcribe", "diarize", "turns"):
        result = {"speech": speech} if stage == "transcribe" else {"turns": turns} if stage == "turns" else {}
        job = job_enqueue(call=call, stage=stage, send=False)
        ProcessingJob.objects.filter(pk=job.pk).update(status="succeeded", attempts=1, result=result)
    return call


def _stub_stage(monkeypatch, name: str, *, fails: bool) -> None:
    """Replace one registered stage: it raises, or succeeds writing nothing."""
    from annotation import stage_registry

    def compute(job, progress):
        if fails:
            raise RuntimeError(f"{name} broke")
        return lambda: {"turns": job.call.turns.count()}

    monkeypatch.setitem(stage_registry._REGISTRY, name, stage_registry.StageSpec(name, name.title(), compute))


def _run_queued(call: Call) -> None:
    from annotation.jobs import job_run

    job = ProcessingJob.objects.get(call=call, status="queued")
    while job is not None:
        job = job_run(job.pk, str(job.lease), chain=False)


def test_a_retry_after_a_failed_prosody_stage_ends_ready_with_its_turns(
    project, monkeypatch, django_capture_on_commit_callbacks
):
    """Failing the prosody stage wiped the turns its succeeded turns job had made; the retry then
    restarted at prosody, found no turns, and marked the call ready with nothing in it."""
    from annotation.jobs import job_run
    from annotation.services import call_retry

    call = _call_turned(project)
    job = job_enqueue(call=call, stage="prosody", send=False)
    ProcessingJob.objects.filter(pk=job.pk).update(max_attempts=1)
    _stub_stage(monkeypatch, "prosody", fails=True)
    assert job_run(job.pk, str(job.lease), chain=False) is None
    call.refresh_from_db()
    assert call.status == "failed" and call.error.startswith("Prosody failed with a server-side error")
    assert call.turns.count() == 3 and call.speakers.count() == 1  # the turns stage's output stays

    _stub_stage(monkeypatch, "prosody", fails=False)
    _stub_stage(monkeypatch, "suggest", fails=False)
    with django_capture_on_commit_callbacks():  # the retry's message, run here instead
        call_retry(call=call)
    assert ProcessingJob.objects.get(call=call, status="queued").stage == "prosody"
    with django_capture_on_commit_callbacks():  # the assignment task
        _run_queued(call)
    call.refresh_from_db()
    assert call.status == "ready" and call.turns.count() == 3
    assert set(call.jobs.values_list("status", flat=True)) == {"succeeded"}


def test_a_call_with_speech_and_no_turns_is_failed_with_the_reason_not_marked_ready(
    project, monkeypatch, django_capture_on_commit_callbacks
):
    """The guard: whatever lost them, a call whose speech has no turns is never marked ready; the
    retry builds the turns again."""
    from annotation.services import call_retry

    call = _call_turned(project)
    call.turns.all().delete()
    job_enqueue(call=call, stage="suggest", send=False)
    _stub_stage(monkeypatch, "suggest", fails=False)
    with django_capture_on_commit_callbacks() as sent:
        _run_queued(call)
    call.refresh_from_db()
    assert call.status == "failed" and not sent  # not ready, nothing assigned
    assert "3.0 s of speech" in call.error and "no turns" in call.error
    assert ProcessingJob.objects.get(call=call, stage="turns").status == "failed"
    with django_capture_on_commit_callbacks():
        call_retry(call=call)
    assert ProcessingJob.objects.get(call=call, status="queued").stage == "turns"


def test_a_retry_of_a_call_that_lost_its_turns_starts_at_the_turns_stage(project, django_capture_on_commit_callbacks):
    """A call failed at prosody whose turns are gone (wiped before failures kept them) retries from
    the turns stage, which builds them from the stored transcription."""
    from annotation.services import call_retry

    call = _call_turned(project)
    call.turns.all().delete()
    job = job_enqueue(call=call, stage="prosody", send=False)
    ProcessingJob.objects.filter(pk=job.pk).update(status="failed")
    Call.objects.filter(pk=call.pk).update(status="failed")
    call.refresh_from_db()
    with django_capture_on_commit_callbacks():
        call_retry(call=call)
    assert ProcessingJob.objects.get(call=call, status="queued").stage == "turns"
    assert not call.jobs.filter(stage="prosody").exists()


def test_the_reaper_giving_up_on_prosody_leaves_the_turns_for_the_retry(project, django_capture_on_commit_callbacks):
    """The reaper's give-up path failed the call the same way, wiping the turns the retry needs."""
    call = _call_turned(project)
    job = job_enqueue(call=call, stage="prosody", send=False)
    beat = timezone.now() - timedelta(hours=1)
    ProcessingJob.objects.filter(pk=job.pk).update(status="running", attempts=3, heartbeat_at=beat)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reap_stale() == [job.pk]
    call.refresh_from_db()
    assert call.status == "failed" and "stopped responding 3 times" in call.error
    assert call.turns.count() == 3

    from annotation.jobs import retry_stage

    assert retry_stage(call) == "prosody"


def test_a_crash_tells_people_what_failed_and_leaves_the_exception_to_the_log(project, monkeypatch, caplog):
    """A crashed call showed "Decode failed after 3 attempts: [Errno 21] Is a directory:
    '/tmp/.../var/media/derived/5/pcm16k.f32'" on its page and in the API: a server path and an
    errno, and nothing a person could act on. The call and job now say which stage failed, that
    the fault is the server's, that Retry may help and that the details are in the server log;
    the exception itself, path and all, is logged."""
    from annotation import stage_registry
    from annotation.jobs import job_run

    secret = "/tmp/pytest-of-x/var/media/derived/5/pcm16k.f32"

    def crash(job, progress):
        raise IsADirectoryError(21, "Is a directory", secret)

    monkeypatch.setitem(stage_registry._REGISTRY, "decode", stage_registry.StageSpec("decode", "Decode", crash))
    call = project.calls.create(original_name="d.wav", sha256="6" * 64, audio="d.wav", status="queued")
    job = job_enqueue(call=call, stage="decode", send=False)
    ProcessingJob.objects.filter(pk=job.pk).update(max_attempts=2)

    shown = []
    with caplog.at_level("ERROR", logger="annotation.jobs"):
        for _ in range(2):
            job.refresh_from_db()
            assert job_run(job.pk, str(job.lease), chain=False) is None
            job.refresh_from_db()
            shown.append(job.error)  # the stage table's note: first while it waits for its second attempt
    call.refresh_from_db()
    assert job.status == "failed" and call.status == "failed" and call.retry_can_help
    shown.append(call.error)
    for text in shown:
        assert secret not in text and "Errno" not in text and "IsADirectoryError" not in text, text
        assert "Decode" in text and "server-side error" in text and "server log" in text, text
    assert "runs again by itself" in shown[0]
    assert "Retry may help" in call.error and call.error == job.error
    assert caplog.text.count(secret) == 2 and "IsADirectoryError" in caplog.text  # both attempts, in full
