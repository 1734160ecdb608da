"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task


@shared_task(name="qa.compute_agreement_report", acks_late=True, ignore_result=True)
def compute_agreement_report(report_id: int) -> None:
    from .services import agreement_report_compute

    agreement_report_compute(report_id=report_id)
