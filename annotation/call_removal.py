"""Removing a call whose machine pass failed and that nobody has worked on.

A call that failed because its audio holds no speech (or cannot be used) is told to upload
another file; the failed call stayed in the project's list for good. A project manager may now
remove it: the row, its jobs, speakers and assignments, and its files (the upload and the decoded
audio), with an audit row that keeps what it was. A call people have worked on is never removed
here; nor is one whose machine pass is still running or that finished.
"""

from __future__ import annotations

import logging
import shutil
from functools import partial
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from annotera.audit import audit_record

from .models import Call
from .services import call_human_work
from .storage import derived_dir

logger = logging.getLogger(__name__)


def call_removal_refusal(call: Call) -> str:
    """Why ``call`` may not be removed ("" when it may)."""
    if call.status != Call.Status.FAILED:
        return f"Only a call whose machine pass failed can be removed; this one is {call.get_status_display().lower()}."
    work = call_human_work(call)
    if work:
        return f"This call cannot be removed: {work}."
    return ""


def call_remove(*, call: Call, actor) -> str:
    """Remove a failed call nobody has worked on; returns its name. Its files are deleted once
    the removal is committed (a rolled-back removal keeps them)."""
    with transaction.atomic():
        locked = Call.objects.select_for_update().filter(pk=call.pk).first()
        if locked is None:  # a second click, or another manager, removed it first
            raise ValidationError(f"{call.original_name} was already removed.")
        refusal = call_removal_refusal(locked)
        if refusal:
            raise ValidationError(refusal)
        storage, audio = locked.audio.storage, locked.audio.name
        derived = derived_dir(locked)
        audit_record(
            actor=actor,
            action="call.remove",
            obj=locked,
            project=locked.project,
            before={
                "name": locked.original_name,
                "sha256": locked.sha256,
                "status": locked.status,
                "failure": locked.failure,
                "error": locked.error,
            },
        )
        name = locked.original_name
        locked.delete()
        transaction.on_commit(partial(_remove_files, storage, audio, derived))
    return name


def _remove_files(storage, audio: str, derived: Path) -> None:
    try:
        if audio:
            storage.delete(audio)  # through the storage API, as uploads are written
        shutil.rmtree(derived, ignore_errors=True)
    except OSError:  # the row is gone either way; a file left behind is logged, not shown as a failure
        logger.exception("call removal: could not delete %s or %s", audio, derived)
