"""The life of a ProcessingJob: enqueue, claim, heartbeat, commit exactly once, retry, reap.

Exactly-once comes from the ``lease`` token, not from the broker. Every (re)queue of a job
draws a new lease and sends it with the task message; a worker only starts a job whose lease
matches, and only commits its output if the lease still matches when it is done, inside the
same transaction that writes the output. So a message redelivered by the broker, a job the
reaper re-queued while a slow worker was still busy, or a worker killed mid-job can never make
a stage's output appear twice: the loser finds the lease changed and discards its work.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from annotera.background import progress_writer, reap_stale
from annotera.celery import celery_task

from .assignment import assignments_run
from .models import Call, ProcessingJob, Turn
from .stage_registry import BadInput, stage_names, stage_spec

logger = logging.getLogger(__name__)


def _send(job: ProcessingJob, countdown: float = 0) -> None:
    celery_task("annotation.run_job").apply_async_on_commit((job.pk, str(job.lease)), countdown=countdown or None)


def job_enqueue(*, call: Call, stage: str, send: bool = True) -> ProcessingJob:
    """Create (or reset) the job for one stage of a call and send it to a worker after commit."""
    stage_spec(stage)
    job, _ = ProcessingJob.objects.update_or_create(
        call=call,
        stage=stage,
        defaults={
            "status": ProcessingJob.Status.QUEUED,
            "progress": 0.0,
            "message": "",
            "attempts": 0,
            "max_attempts": settings.JOB_MAX_ATTEMPTS,
            "lease": uuid.uuid4(),
            "error": "",
            "started_at": None,
            "heartbeat_at": None,
            "finished_at": None,
            "seconds": None,
            "queued_at": timezone.now(),
        },
    )
    if send:
        _send(job)
    return job


def queued_jobs_send(*, calls: list[Call]) -> None:
    """Send the queued jobs of ``calls`` (made with ``send=False``) to the workers, after commit.
    A job that is never sent (the process died first) is sent on by the reaper once it has been
    queued for ``JOB_QUEUED_STALE_SECONDS``."""
    for job in ProcessingJob.objects.filter(call__in=calls, status=ProcessingJob.Status.QUEUED):
        _send(job)


def pipeline_start(
    *, call: Call, from_stage: str | None = None, send: bool = True, keep_ready: bool = False
) -> ProcessingJob:
    """(Re)start the machine pass of a call at ``from_stage`` (default: the first stage).

    ``keep_ready`` refreshes late stages (new suggestions) of a ready call without taking it
    away from its annotators: the call stays ready while the jobs run.
    """
    names = stage_names()
    first = from_stage or names[0]
    with transaction.atomic():
        if not (keep_ready and call.status == Call.Status.READY):
            Call.objects.filter(pk=call.pk).update(status=Call.Status.QUEUED, error="", failure="")
        # Later stages will be re-made; drop their rows so the progress display is honest.
        ProcessingJob.objects.filter(call=call, stage__in=names[names.index(first) + 1 :]).delete()
        return job_enqueue(call=call, stage=first, send=send)


class _Heartbeat(threading.Thread):
    """Marks the job alive every few seconds while the stage computes; dies with the process."""

    def __init__(self, job_id: int, lease: uuid.UUID) -> None:
        super().__init__(daemon=True, name=f"heartbeat-{job_id}")
        self.job_id, self.lease = job_id, lease
        self.stop_event = threading.Event()

    def run(self) -> None:
        try:
            while not self.stop_event.wait(settings.JOB_HEARTBEAT_SECONDS):
                ProcessingJob.objects.filter(pk=self.job_id, lease=self.lease).update(heartbeat_at=timezone.now())
        except Exception:  # a heartbeat must never take the worker down
            logger.exception("heartbeat for job %s failed", self.job_id)
        finally:
            connection.close()


def _claim(job_id: int, lease: str) -> ProcessingJob | None:
    stale_before = timezone.now() - timedelta(seconds=settings.JOB_STALE_SECONDS)
    with transaction.atomic():
        job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or str(job.lease) != str(lease):
            return None  # superseded by a re-queue or a retry: this delivery is stale
        if job.status in (ProcessingJob.Status.SUCCEEDED, ProcessingJob.Status.FAILED):
            return None
        if job.status == ProcessingJob.Status.RUNNING and job.heartbeat_at and job.heartbeat_at > stale_before:
            return None  # another live worker holds it
        now = timezone.now()
        job.status = ProcessingJob.Status.RUNNING
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        job.error = ""
        job.save(update_fields=["status", "attempts", "started_at", "heartbeat_at", "error"])
        # A ready call whose suggestions are being refreshed stays ready (and annotatable).
        Call.objects.filter(pk=job.call_id).exclude(status=Call.Status.READY).update(status=Call.Status.PROCESSING)
        return job


# The stage that makes a call's turns and speakers: the machine output ``clear_machine_output``
# removes is its output (and the later stages' additions to its turns).
TURNS_STAGE = "turns"


def _rebuilds_turns(stage: str) -> bool:
    """Whether a retry from ``stage`` builds the call's turns again (it is the turns stage or an
    earlier one)."""
    names = stage_names()
    return stage in names and TURNS_STAGE in names and names.index(stage) <= names.index(TURNS_STAGE)


def retry_stage(call: Call) -> str | None:
    """The stage a retry of a failed call starts at: the earliest failed one, or the turns stage
    when the call has lost its turns (a failure before this rule wiped them) and the failed stage
    comes after it; None: from the start."""
    failed = call.jobs.filter(status=ProcessingJob.Status.FAILED).order_by("queued_at").first()
    if failed is None:
        return None
    if not _rebuilds_turns(failed.stage) and not Turn.objects.filter(call=call).exists():
        return TURNS_STAGE
    return failed.stage


def crash_message(title: str, job: ProcessingJob) -> str:
    """What a call and its job say when a stage crashed on its last attempt: which stage, that the
    fault is on the server (not in the audio), that Retry may help, and where the details are."""
    attempts = f"{job.attempts} attempt" + ("" if job.attempts == 1 else "s")
    return (
        f"{title} failed with a server-side error ({attempts}). Retry may help; if it fails again, "
        f"ask an administrator: the details are in the server log (job {job.pk})."
    )


def crash_retry_message(title: str, job: ProcessingJob) -> str:
    """What a job says while it waits to run again after a crash."""
    return (
        f"{title} failed with a server-side error on attempt {job.attempts} of {job.max_attempts}; "
        f"it runs again by itself. The details are in the server log (job {job.pk})."
    )


def _fail_call(job: ProcessingJob, message: str, failure: str = Call.Failure.CRASHED) -> None:
    """Mark the job and its call failed, in one transaction; ``failure`` (``Call.Failure``) says
    what was at fault, and so whether a retry can help.

    A stage writes its output in the transaction that marks its job succeeded, so a failed stage
    wrote nothing; the only output removed here is the turns (speakers, suggestions) that a retry
    builds again: when the failed stage is the turns stage or an earlier one, the call's turns
    are an older run's. A later stage (prosody, suggestions) leaves the turns its succeeded turns
    job made: ``call_retry`` restarts at the failed stage, which reads them, and wiping them made
    the retried call ready with no turns at all (its speech gone from the transcript).

    A refresh of a ready call (``keep_ready``: new prosody or suggestions) that fails leaves the
    call ready with its turns: removing them would take the annotators' work with them."""
    with transaction.atomic():
        locked = ProcessingJob.objects.select_for_update().get(pk=job.pk)
        if locked.lease != job.lease:
            return
        locked.status = ProcessingJob.Status.FAILED
        locked.error = message
        locked.finished_at = timezone.now()
        locked.save(update_fields=["status", "error", "finished_at"])
        call = Call.objects.select_for_update().get(pk=job.call_id)
        if call.status == Call.Status.READY:
            logger.error(
                "call %s: refreshing stage %s failed; the call keeps its turns: %s", call.pk, job.stage, message
            )
            return
        if _rebuilds_turns(job.stage):
            call.clear_machine_output()
        call.status = Call.Status.FAILED
        call.error = message
        call.failure = failure
        call.save(update_fields=["status", "error", "failure", "updated_at"])


def job_run(job_id: int, lease: str, *, chain: bool = True) -> ProcessingJob | None:
    """Run one job attempt. Returns the next stage's job when this one succeeded, else None.

    With ``chain`` the next stage is sent to a worker after commit; without it the caller
    runs it (``ingest --sync``).
    """
    job = _claim(job_id, lease)
    if job is None:
        logger.info("job %s: stale or busy delivery dropped", job_id)
        return None
    spec = stage_spec(job.stage)
    heartbeat = _Heartbeat(job.pk, job.lease)
    heartbeat.start()
    started = time.monotonic()
    try:
        progress = progress_writer(ProcessingJob.objects.filter(pk=job.pk, lease=job.lease), min_interval=0.5)
        commit = spec.compute(job, progress)
    except BadInput as exc:
        _fail_call(job, str(exc), exc.failure)
        return None
    except Exception:
        # The exception (its text may hold server paths, errnos, internals) goes to the log only;
        # the call and job keep a sentence written for the people who read them on pages and the API.
        logger.exception("job %s (%s) of call %s: attempt %s crashed", job.pk, job.stage, job.call_id, job.attempts)
        if job.attempts >= job.max_attempts:
            _fail_call(job, crash_message(spec.title, job))
        else:
            _retry(job, crash_retry_message(spec.title, job), send=chain)
        return None
    finally:
        heartbeat.stop_event.set()
    with transaction.atomic():
        locked = ProcessingJob.objects.select_for_update().get(pk=job.pk)
        if locked.lease != job.lease or locked.status != ProcessingJob.Status.RUNNING:
            logger.warning("job %s: lease lost while computing; output discarded", job.pk)
            return None
        locked.result = commit() or {}
        locked.status = ProcessingJob.Status.SUCCEEDED
        locked.progress = 100.0
        locked.finished_at = timezone.now()
        locked.seconds = time.monotonic() - started
        locked.model_version = locked.result.pop("model_version", locked.model_version) or ""
        locked.save()
        names = stage_names()
        index = names.index(job.stage)
        if index + 1 < len(names):
            return job_enqueue(call=locked.call, stage=names[index + 1], send=chain)
        refusal = _speech_without_turns(job.call_id)
        if refusal:
            _fail_unbuilt_turns(locked, refusal)
            return None
        Call.objects.filter(pk=job.call_id).update(status=Call.Status.READY, error="", failure="")
        # The call finished its machine pass: give it to annotators (on a worker, or right here).
        if chain:
            celery_task("annotation.assign_call").delay_on_commit(job.call_id)
        else:
            transaction.on_commit(partial(call_assign_ready, call_id=job.call_id))
        return None


def _speech_without_turns(call_id: int) -> str:
    """Why the call must not be marked ready ("" when it may): the machine pass heard speech
    (transcription's speech stretches, or the turns the turns stage built) but the call has no
    turn to hold it, so its speech would silently be missing from the transcript."""
    if Turn.objects.filter(call_id=call_id).exists():
        return ""
    results = dict(
        ProcessingJob.objects.filter(
            call_id=call_id, stage__in=("transcribe", TURNS_STAGE), status=ProcessingJob.Status.SUCCEEDED
        ).values_list("stage", "result")
    )
    speech = sum(
        float(end) - float(start)
        for channel in results.get("transcribe", {}).get("speech", [])
        for start, end in channel
    )
    built = results.get(TURNS_STAGE, {}).get("turns") or 0
    if speech <= 0 and not built:
        return ""
    heard = f"{speech:.1f} s of speech" if speech > 0 else f"speech ({built} turns built)"
    return (
        f"The machine pass heard {heard}, but the call has no turns, so it was not marked ready "
        "(its speech would be missing from the transcript). Retry builds the turns again."
    )


def _fail_unbuilt_turns(job: ProcessingJob, message: str) -> None:
    """Fail the call with ``message``, in the caller's transaction, and mark its turns stage
    failed (the stage whose output is missing), so ``call_retry`` builds the turns again."""
    ProcessingJob.objects.filter(call_id=job.call_id, stage=TURNS_STAGE).update(
        status=ProcessingJob.Status.FAILED, error=message, finished_at=timezone.now()
    )
    Call.objects.filter(pk=job.call_id).update(
        status=Call.Status.FAILED, error=message, failure=Call.Failure.CRASHED, updated_at=timezone.now()
    )
    logger.error("call %s: %s", job.call_id, message)


def call_assign_ready(*, call_id: int) -> None:
    """Assign a call that finished its machine pass (the ``assign_call`` task's work)."""
    call = Call.objects.select_related("project").filter(pk=call_id).first()
    if call is not None:
        assignments_run(project=call.project, calls=Call.objects.filter(pk=call_id))


def _retry(job: ProcessingJob, error: str, *, send: bool) -> None:
    with transaction.atomic():
        locked = ProcessingJob.objects.select_for_update().get(pk=job.pk)
        if locked.lease != job.lease:
            return
        locked.status = ProcessingJob.Status.QUEUED
        locked.lease = uuid.uuid4()
        locked.error = error
        locked.save(update_fields=["status", "lease", "error"])
        if send:
            _send(locked, countdown=min(60, 5 * 2 ** (locked.attempts - 1)))


def jobs_reap_stale() -> list[int]:
    """Re-queue jobs whose worker died (stale heartbeat) or whose message was lost.

    A job past its attempt limit fails its call with a clear reason instead.
    Returns the ids of the jobs it acted on.
    """
    now = timezone.now()
    stale_running = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale_queued = now - timedelta(seconds=settings.JOB_QUEUED_STALE_SECONDS)

    def is_dead(job: ProcessingJob) -> bool:
        return (job.status == ProcessingJob.Status.RUNNING and job.heartbeat_at < stale_running) or (
            job.status == ProcessingJob.Status.QUEUED and job.queued_at < stale_queued
        )

    def requeue_or_give_up(job: ProcessingJob) -> None:
        if job.attempts >= job.max_attempts:
            message = (
                f"{stage_spec(job.stage).title} stopped responding {job.attempts} times "
                "(the worker may be running out of memory); giving up. Retry may help; if it stops "
                f"again, ask an administrator: the details are in the server log (job {job.pk})."
            )
            logger.error("reaper: call %s: %s", job.call_id, message)
            transaction.on_commit(partial(_fail_call, job, message))
            return
        job.status = ProcessingJob.Status.QUEUED
        job.lease = uuid.uuid4()
        job.queued_at = now
        job.message = "re-queued after the worker stopped responding"
        job.save(update_fields=["status", "lease", "queued_at", "message"])
        logger.warning("reaper: re-queued job %s (%s), attempt %s done", job.pk, job.stage, job.attempts)
        _send(job)

    candidates = ProcessingJob.objects.filter(
        status=ProcessingJob.Status.RUNNING, heartbeat_at__lt=stale_running
    ) | ProcessingJob.objects.filter(status=ProcessingJob.Status.QUEUED, queued_at__lt=stale_queued)
    return reap_stale(candidates, still_stale=is_dead, act=requeue_or_give_up)


def run_pipeline_inline(*, call: Call, from_stage: str | None = None) -> Call:
    """Run every stage of a call (from ``from_stage``) in this process (``ingest --sync``, tests)."""
    job: ProcessingJob | None = pipeline_start(call=call, from_stage=from_stage, send=False)
    while job is not None:
        attempts = 0
        current = job
        while True:
            attempts += 1
            next_job = job_run(current.pk, str(current.lease), chain=False)
            current.refresh_from_db()
            if current.status != ProcessingJob.Status.QUEUED or attempts >= current.max_attempts:
                break
        job = next_job
        close_old_connections()
    call.refresh_from_db()
    return call
