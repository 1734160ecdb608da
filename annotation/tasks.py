"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from . import jobs


@shared_task(name="annotation.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int, lease: str) -> None:
    jobs.job_run(job_id, lease)


@shared_task(name="annotation.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> list[int]:
    return jobs.jobs_reap_stale()
