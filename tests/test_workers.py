"""Real Celery worker processes: on the embedded broker, on Redis, and killed mid-job."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from annotation.jobs import pipeline_start, stage_names
from annotation.models import Call, ProcessingJob
from annotation.services import call_upload

from .conftest import redis_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[1]


def database_url_for_workers() -> str:
    """The URL of the database this test is using (the test database, not the configured one)."""
    conf = connection.settings_dict
    if conf["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{conf['NAME']}"
    user = conf.get("USER") or ""
    password = f":{conf['PASSWORD']}" if conf.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


class Worker:
    """A `celery worker` subprocess (own process group, so kill -9 takes its children too)."""

    def __init__(self, broker_url: str, tmp: Path, *, beat: bool = False, name: str = "w"):
        self.log = tmp / f"worker-{name}.log"
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": database_url_for_workers(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_BROKER_DIR": str(tmp / "broker"),
            "JOB_STALE_SECONDS": "6",
            "JOB_HEARTBEAT_SECONDS": "1",
            "REAPER_INTERVAL_SECONDS": "2",
            "HF_HUB_OFFLINE": "1",
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "annotera",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "--loglevel",
            "INFO",
            "--hostname",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
        ]
        if beat:
            command += ["--beat", "--schedule", str(tmp / f"beat-{name}")]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""


def wait_for(predicate, timeout: float, worker: Worker, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker.proc.poll() is not None:
            pytest.fail(f"worker exited ({worker.proc.returncode}) while waiting for {what}:\n{worker.tail()}")
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what}:\n{worker.tail()}")


def send_first_stage(call: Call, broker_url: str, transport_options: dict) -> None:
    """Queue the call's first stage on the given broker (the test process's own app config may differ)."""
    from annotation.tasks import run_job
    from annotera.celery import app

    job = pipeline_start(call=call, send=False)
    with app.connection_for_write(broker_url, transport_options=transport_options) as conn:
        run_job.apply_async((job.pk, str(job.lease)), connection=conn)


def filesystem_broker(tmp: Path) -> tuple[str, dict]:
    folder = tmp / "broker" / "queue"
    folder.mkdir(parents=True, exist_ok=True)
    (tmp / "broker" / "processed").mkdir(parents=True, exist_ok=True)
    return "filesystem://", {"data_folder_in": str(folder), "data_folder_out": str(folder)}


def upload(project, path: Path) -> Call:
    with path.open("rb") as fh:
        return call_upload(project=project, fileobj=fh, filename=path.name, start_pipeline=False).call


def run_to_ready(project, audio: Path, broker_url: str, options: dict, tmp: Path, name: str) -> Call:
    worker = Worker(broker_url, tmp, name=name)
    try:
        call = upload(project, audio)
        send_first_stage(call, broker_url, options)
        wait_for(lambda: Call.objects.get(pk=call.pk).status in ("ready", "failed"), 240, worker, "the call to finish")
        call.refresh_from_db()
        assert call.status == "ready", f"{call.error}\n{worker.tail()}"
        return call
    finally:
        worker.stop()


def test_worker_on_embedded_broker_runs_the_machine_pass(project, two_voice_call, tmp_path):
    url, options = filesystem_broker(tmp_path)
    call = run_to_ready(project, two_voice_call[0], url, options, tmp_path, "fs")
    assert call.turns.count() == 6
    assert set(call.jobs.values_list("status", flat=True)) == {"succeeded"}


@pytest.mark.integration
def test_worker_on_redis_runs_the_machine_pass(project, two_voice_call, tmp_path):
    url = redis_url()
    if not url:
        pytest.skip("set ANNOTERA_REDIS_URL (e.g. redis://127.0.0.1:6379/0) to run against a real Redis")
    import redis

    redis.Redis.from_url(url).flushdb()
    call = run_to_ready(project, two_voice_call[0], url, {}, tmp_path, "redis")
    assert call.turns.count() == 6


def test_killed_worker_job_is_reaped_and_completes_exactly_once(project, two_voice_call, tmp_path):
    url, options = filesystem_broker(tmp_path)
    first = Worker(url, tmp_path, name="doomed")
    call = upload(project, two_voice_call[0])
    send_first_stage(call, url, options)
    # Transcription is the longest stage (it loads the models); kill the worker while it runs.
    wait_for(
        lambda: ProcessingJob.objects.filter(call=call, stage="transcribe", status="running").exists(),
        180,
        first,
        "transcription to start",
    )
    first.kill()
    job = ProcessingJob.objects.get(call=call, stage="transcribe")
    assert job.status == "running" and job.attempts == 1

    second = Worker(url, tmp_path, beat=True, name="rescuer")
    try:
        wait_for(lambda: Call.objects.get(pk=call.pk).status in ("ready", "failed"), 240, second, "recovery")
    except BaseException:
        print("JOBS:", list(call.jobs.values_list("stage", "status", "attempts", "heartbeat_at", "message")))
        print("LOG:", second.log.read_text()[:6000])
        raise
    finally:
        second.stop()
    call.refresh_from_db()
    assert call.status == "ready", call.error
    job.refresh_from_db()
    assert job.status == "succeeded" and job.attempts == 2
    # Exactly once: one set of turns and speakers, every other stage ran once.
    assert call.turns.count() == 6 and call.speakers.count() == 2
    others = call.jobs.exclude(stage="transcribe")
    assert list(others.values_list("attempts", flat=True)) == [1] * (len(stage_names()) - 1)
