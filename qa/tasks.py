"""Celery tasks: thin wrappers that take ids and call services."""

from celery import shared_task

from .exports.snapshot import snapshot_build, snapshots_reap_stale
from .services import agreement_report_compute


@shared_task(name="qa.compute_agreement_report", acks_late=True, ignore_result=True)
def compute_agreement_report(report_id: int) -> None:
    agreement_report_compute(report_id=report_id)


# --- Dataset export snapshots -------------------------------------------------------------


@shared_task(name="qa.build_export_snapshot", acks_late=True, ignore_result=True)
def build_export_snapshot(snapshot_id: int) -> None:
    snapshot_build(snapshot_id=snapshot_id)


@shared_task(name="qa.reap_stale_snapshots", ignore_result=True)
def reap_stale_snapshots() -> list[int]:
    return snapshots_reap_stale()


# --- end of dataset export snapshots ------------------------------------------------------
