"""Bulk upload (``annotation.bulk_upload``): a batch is stored whole or not at all, whatever fails
while it is stored, and a file whose audio is already there is named with the call it matched,
with any metadata of its own that was not applied."""

from __future__ import annotations

import html
import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from annotation import bulk_upload
from annotation.bulk_upload import calls_bulk_upload
from annotation.models import Call, ProcessingJob

pytestmark = pytest.mark.django_db
DISK_FULL = OSError(28, "No space left on device")


def tone_wav(freq: float) -> bytes:
    t = np.arange(16000) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, format="WAV")
    return buffer.getvalue()


def batch(*names_and_tones) -> list:
    return [SimpleUploadedFile(name, tone_wav(freq)) for name, freq in names_and_tones]


def stored_files(settings) -> list[str]:
    return sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def fail_on_second_file(monkeypatch) -> None:
    """The per-file upload stores the first file, then the disk is full."""
    real, seen = bulk_upload.call_upload, []

    def upload(**kwargs):
        seen.append(kwargs["filename"])
        if len(seen) == 2:
            raise DISK_FULL
        return real(**kwargs)

    monkeypatch.setattr(bulk_upload, "call_upload", upload)


def disk_full_while_writing_second_file(monkeypatch) -> None:
    """The storage writes part of the second file, then the disk is full (a partial file stays)."""
    real, seen = FileSystemStorage._save, []

    def save(self, name, content):
        seen.append(name)
        if len(seen) == 2:
            path = Path(self.path(name))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"RIFF" + b"\0" * 100)
            raise DISK_FULL
        return real(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)


def test_a_disk_full_on_the_second_file_stores_nothing_and_queues_nothing(
    project, settings, monkeypatch, django_capture_on_commit_callbacks
):
    fail_on_second_file(monkeypatch)
    with django_capture_on_commit_callbacks() as queued, pytest.raises(ValidationError) as refused:
        calls_bulk_upload(project=project, files=batch(("one.wav", 220), ("two.wav", 330), ("three.wav", 440)))
    assert refused.value.messages == [
        "The upload failed while storing two.wav: No space left on device. Nothing was stored."
    ]
    assert isinstance(refused.value.__cause__, OSError)
    assert Call.objects.count() == 0 and ProcessingJob.objects.count() == 0
    assert stored_files(settings) == []
    assert queued == []  # no machine pass was sent for the first file


def test_a_file_the_storage_wrote_in_part_is_removed_with_the_rest(project, settings, monkeypatch):
    disk_full_while_writing_second_file(monkeypatch)
    with pytest.raises(ValidationError, match="while storing two.wav: No space left on device. Nothing was stored."):
        calls_bulk_upload(project=project, files=batch(("one.wav", 220), ("two.wav", 330)))
    assert Call.objects.count() == 0
    assert stored_files(settings) == []


def test_the_page_says_what_failed_instead_of_a_server_error(client, project, pm, settings, monkeypatch):
    disk_full_while_writing_second_file(monkeypatch)
    client.force_login(pm)
    page = client.post(
        reverse("annotation:calls_bulk_upload", args=[project.slug]),
        {"files": batch(("one.wav", 220), ("two.wav", 330)), "channel_layout": "agent,customer"},
        follow=True,
    )
    assert page.status_code == 200
    text = html.unescape(page.content.decode())
    assert "The upload failed while storing two.wav: No space left on device. Nothing was stored." in text
    assert Call.objects.count() == 0 and stored_files(settings) == []


def test_a_clean_batch_queues_every_machine_pass_after_it_is_stored(project, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as queued:
        result = calls_bulk_upload(project=project, files=batch(("one.wav", 220), ("two.wav", 330)))
    assert result.created == 2 and result.duplicates == []
    assert ProcessingJob.objects.filter(call__in=[o.call for o in result.outcomes]).count() == 2
    assert len(queued) == 2


def test_a_batch_that_dies_before_sending_its_jobs_leaves_them_for_the_reaper(
    project, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Review finding: the calls were committed with no job until the whole batch was stored, so
    a process killed part-way left calls queued forever (no job for the reaper, no retry, and a
    re-upload was "already in this project")."""
    import datetime as dt

    from django.utils import timezone

    from annotation.jobs import jobs_reap_stale

    monkeypatch.setattr(bulk_upload, "queued_jobs_send", lambda calls: None)  # the process died here
    with django_capture_on_commit_callbacks() as sent:
        result = calls_bulk_upload(project=project, files=batch(("one.wav", 220), ("two.wav", 330)))
    assert sent == []
    jobs = ProcessingJob.objects.filter(call__in=[o.call for o in result.outcomes])
    assert [job.status for job in jobs] == ["queued", "queued"]
    jobs.update(queued_at=timezone.now() - dt.timedelta(seconds=settings.JOB_QUEUED_STALE_SECONDS + 1))
    with django_capture_on_commit_callbacks() as sent:
        reaped = jobs_reap_stale()
    assert sorted(reaped) == sorted(job.pk for job in jobs) and len(sent) == 2


def test_a_duplicate_in_the_batch_is_named_with_the_call_it_matched_and_its_unapplied_metadata(project):
    metadata = b"file,locale,agent_id\none.wav,en-GB,A1\nsame-as-one.wav,en-IN,A2\n"
    result = calls_bulk_upload(
        project=project,
        files=batch(("one.wav", 220), ("same-as-one.wav", 220)),
        metadata=metadata,
        metadata_name="meta.csv",
    )
    one = Call.objects.get()
    assert (one.original_name, one.locale, one.metadata) == ("one.wav", "en-GB", {"agent_id": "A1"})
    (duplicate,) = result.duplicates
    assert (duplicate.file, duplicate.call, duplicate.earlier_file) == ("same-as-one.wav", one, "one.wav")
    assert duplicate.message == (
        f"same-as-one.wav is the same audio as one.wav, stored earlier in this batch as call {one.pk}; it was not "
        f"stored again. Its metadata differs from call {one.pk}'s and was not applied: locale en-IN (call "
        f"{one.pk} has en-GB); agent_id A2 (call {one.pk} has A1)."
    )


def test_a_duplicate_of_a_call_already_in_the_project_is_named_on_the_page(client, project, pm):
    calls_bulk_upload(project=project, files=batch(("first.wav", 220)), locale="en-GB")
    first = Call.objects.get()
    client.force_login(pm)
    page = client.post(
        reverse("annotation:calls_bulk_upload", args=[project.slug]),
        {"files": batch(("again.wav", 220), ("new.wav", 330)), "locale": "en-GB", "channel_layout": "agent,customer"},
        follow=True,
    )
    text = html.unescape(page.content.decode())
    assert "1 call(s) uploaded; the machine pass is queued. 1 file(s) were already in this project" in text
    # Same locale, no metadata of its own: nothing was dropped, so nothing to warn about.
    assert (
        f"again.wav is the same audio as call {first.pk} (first.wav), already in this project; "
        "it was not stored again." in text
    )
    assert "was not applied" not in text
