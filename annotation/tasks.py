"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from . import jobs
from .learning import suggestion_model_train, training_due
from .models import Project


@shared_task(name="annotation.run_job", acks_late=True, ignore_result=True)
def run_job(job_id: int, lease: str) -> None:
    jobs.job_run(job_id, lease)


@shared_task(name="annotation.reap_stale_jobs", ignore_result=True)
def reap_stale_jobs() -> list[int]:
    return jobs.jobs_reap_stale()


@shared_task(name="annotation.assign_call", acks_late=True, ignore_result=True)
def assign_call(call_id: int) -> None:
    jobs.call_assign_ready(call_id=call_id)


@shared_task(name="annotation.train_suggestion_model", acks_late=True, ignore_result=True)
def train_suggestion_model(project_id: int) -> None:
    project = Project.objects.filter(pk=project_id).first()
    if project is not None:
        suggestion_model_train(project=project)


@shared_task(name="annotation.train_due_models", ignore_result=True)
def train_due_models() -> None:
    """Beat task: train a project's suggestion model when enough new turns are annotated."""
    for project in Project.objects.all():
        if training_due(project):
            train_suggestion_model.delay(project.pk)
