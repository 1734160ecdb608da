"""Snapshots: a dataset built once by a Celery task into MEDIA_ROOT/exports/<id>/, immutable after.

The build writes into a fresh temporary folder next to the final one and renames it into place
only when every file and the manifest are written, so a snapshot folder is either complete or
absent; a redelivered task finds the snapshot ready and does nothing.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from annotation.models import Project
from annotera.background import progress_writer, reap_stale
from annotera.celery import celery_task

from ..models import ExportSnapshot
from .build import export_write, validate_formats
from .records import ExportError, ExportFilters, selected_turns
from .splits import parse_ratios

logger = logging.getLogger(__name__)


def exports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "exports"


def snapshot_dir(snapshot: ExportSnapshot) -> Path:
    return exports_root() / str(snapshot.pk)


def snapshot_create(
    *,
    project: Project,
    created_by,
    formats: Sequence[str],
    filters: ExportFilters = ExportFilters(),
    split_ratios=None,
    split_seed: int = 0,
    send: bool = True,
) -> ExportSnapshot:
    """Validate the request, record the snapshot and queue its build after commit."""
    chosen = validate_formats(formats)
    ratios = parse_ratios(split_ratios)
    if not selected_turns(project, filters).exists():
        raise ExportError("no annotated-call turns match these filters; nothing to export.", field="filters")
    with transaction.atomic():
        snapshot = ExportSnapshot(
            project=project,
            taxonomy=project.taxonomy,
            formats=chosen,
            filters=filters.as_dict(),
            split_ratios=list(ratios or []),
            split_seed=int(split_seed),
            created_by=created_by,
        )
        snapshot.full_clean(exclude=["created_by"])  # None: made by the system, not a person
        snapshot.save()
        if send:
            _send(snapshot.pk)
    return snapshot


def _send(snapshot_id: int) -> None:
    celery_task("qa.build_export_snapshot").delay_on_commit(snapshot_id)


def snapshot_build(*, snapshot_id: int) -> ExportSnapshot | None:
    """Build a queued snapshot; anything else (ready, failed, or being built) is left alone.

    The attempt number is the lease: the build claims the row by bumping it, and its output is
    renamed into place only if the row still carries that attempt when it is done. So a message
    the broker redelivers, or a build the reaper gave up on while it was merely slow, can never
    replace a snapshot another attempt completed.
    """
    with transaction.atomic():
        snapshot = ExportSnapshot.objects.select_for_update().select_related("project").filter(pk=snapshot_id).first()
        if snapshot is None or snapshot.status != ExportSnapshot.Status.QUEUED:
            return snapshot
        snapshot.status = ExportSnapshot.Status.BUILDING
        snapshot.progress = 0.0
        snapshot.message = "starting"
        snapshot.error = ""
        snapshot.attempts += 1
        snapshot.heartbeat_at = timezone.now()
        snapshot.save(update_fields=["status", "progress", "message", "error", "attempts", "heartbeat_at"])
    attempt = snapshot.attempts
    root = exports_root()
    root.mkdir(parents=True, exist_ok=True)
    work = root / f".building-{snapshot.pk}-{uuid.uuid4().hex}"
    work.mkdir()
    started = time.monotonic()
    try:
        project = snapshot.project
        if snapshot.taxonomy_id and snapshot.taxonomy_id != project.taxonomy_id:
            project.taxonomy = snapshot.taxonomy  # read labels in the version the snapshot was asked in
        manifest = export_write(
            project=project,
            formats=snapshot.formats,
            out_dir=work,
            filters=ExportFilters.from_mapping(snapshot.filters),
            split_ratios=snapshot.split_ratios or None,
            split_seed=snapshot.split_seed,
            snapshot_id=snapshot.pk,
            progress=progress_writer(
                ExportSnapshot.objects.filter(pk=snapshot.pk, status=ExportSnapshot.Status.BUILDING, attempts=attempt)
            ),
            created_at=snapshot.created_at,
        )
        for path in work.rglob("*"):
            if path.is_file():
                path.chmod(0o444)
        datacard = _read_json(work / "datacard.json")
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        message = str(exc) if isinstance(exc, ExportError) else f"{type(exc).__name__}: {exc}"
        logger.exception("snapshot %s failed", snapshot.pk)
        ExportSnapshot.objects.filter(pk=snapshot.pk, attempts=attempt).update(
            status=ExportSnapshot.Status.FAILED, error=message[:2000], message="failed"
        )
        snapshot.refresh_from_db()
        return snapshot
    with transaction.atomic():
        current = ExportSnapshot.objects.select_for_update().get(pk=snapshot.pk)
        if current.status != ExportSnapshot.Status.BUILDING or current.attempts != attempt:
            shutil.rmtree(work, ignore_errors=True)  # another attempt owns this snapshot now
            return current
        final = snapshot_dir(snapshot)
        if final.exists():  # left by an attempt that died between its rename and its commit
            shutil.rmtree(final)
        os.replace(work, final)
        ExportSnapshot.objects.filter(pk=snapshot.pk).update(
            status=ExportSnapshot.Status.READY,
            progress=100.0,
            message=f"built in {time.monotonic() - started:.1f} s",
            # The database keeps the summary; the file list (one entry per clip) stays in manifest.json.
            manifest=manifest,
            counts=manifest["counts"],
            datacard=datacard,
            size_bytes=manifest["bytes"],
            built_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
    snapshot.refresh_from_db()
    return snapshot


def snapshots_reap_stale() -> list[int]:
    """Re-queue builds whose worker died (no sign of life for JOB_STALE_SECONDS) or whose message
    was lost (queued for JOB_QUEUED_STALE_SECONDS); give up after JOB_MAX_ATTEMPTS attempts."""
    now = timezone.now()
    stale_building = now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale_queued = now - timedelta(seconds=settings.JOB_QUEUED_STALE_SECONDS)

    def is_dead(snapshot: ExportSnapshot) -> bool:
        building = snapshot.status == ExportSnapshot.Status.BUILDING and snapshot.heartbeat_at < stale_building
        queued = snapshot.status == ExportSnapshot.Status.QUEUED and snapshot.created_at < stale_queued
        return building or queued

    def requeue_or_give_up(snapshot: ExportSnapshot) -> None:
        if snapshot.status == ExportSnapshot.Status.BUILDING and snapshot.attempts >= settings.JOB_MAX_ATTEMPTS:
            ExportSnapshot.objects.filter(pk=snapshot.pk).update(
                status=ExportSnapshot.Status.FAILED,
                message="failed",
                error=f"The build stopped responding {snapshot.attempts} times "
                "(the worker may be running out of memory or disk); giving up.",
            )
        else:
            ExportSnapshot.objects.filter(pk=snapshot.pk).update(
                status=ExportSnapshot.Status.QUEUED, message="re-queued after the worker stopped responding"
            )
            _send(snapshot.pk)

    candidates = ExportSnapshot.objects.filter(
        status=ExportSnapshot.Status.BUILDING, heartbeat_at__lt=stale_building
    ) | ExportSnapshot.objects.filter(status=ExportSnapshot.Status.QUEUED, created_at__lt=stale_queued)
    acted = reap_stale(candidates, still_stale=is_dead, act=requeue_or_give_up)
    for pk in acted:
        for leftover in exports_root().glob(f".building-{pk}-*"):
            shutil.rmtree(leftover, ignore_errors=True)
    return acted


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def snapshot_manifest(snapshot: ExportSnapshot) -> dict:
    """The full manifest of a ready snapshot (with every file and its sha256), from its folder."""
    if snapshot.status != ExportSnapshot.Status.READY:
        return {}
    return _read_json(snapshot_dir(snapshot) / "manifest.json")


def snapshot_file(snapshot: ExportSnapshot, relative: str) -> Path | None:
    """The path of one file of a ready snapshot; None for anything outside its folder."""
    if snapshot.status != ExportSnapshot.Status.READY:
        return None
    parts = Path(relative).parts
    if not parts or Path(relative).is_absolute() or any(p in ("..", ".", "") for p in parts):
        return None
    root = snapshot_dir(snapshot).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path
