"""Removing a failed call nobody worked on (the advice says to upload another file; the failed
row stayed in the project for good)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.models import Assignment, Call, TurnAnnotation
from annotera.models import AuditEvent

from ..builders import ready_call

pytestmark = pytest.mark.django_db

CONFIRM = {"confirm": "yes"}  # the page's "Delete this call and its audio file" box, ticked


def failed_call(project, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "calls").mkdir()
    (tmp_path / "calls" / "noise.wav").write_bytes(b"RIFF....")
    call = project.calls.create(
        original_name="noise.wav", sha256="e" * 64, audio="calls/noise.wav", status=Call.Status.FAILED,
        failure=Call.Failure.NO_SPEECH, error="No speech was found in the recording.",
    )  # fmt: skip
    derived = tmp_path / "derived" / str(call.pk)
    derived.mkdir(parents=True, exist_ok=True)
    (derived / "pcm16k.f32").write_bytes(b"\0" * 16)
    return call, tmp_path / "calls" / "noise.wav", derived


def test_a_manager_removes_a_failed_call_with_its_files_and_an_audit_row(
    client, pm, project, tmp_path, settings, django_capture_on_commit_callbacks
):
    call, audio, derived = failed_call(project, tmp_path, settings)
    client.force_login(pm)
    page = client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    assert "Remove this call" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("annotation:call_remove", args=[call.pk]), CONFIRM, follow=True)
    assert "noise.wav: removed, with its files" in response.content.decode()
    assert not Call.objects.filter(pk=call.pk).exists()
    assert not audio.exists() and not derived.exists()
    event = AuditEvent.objects.get(action="call.remove")
    assert event.actor == pm and event.before["name"] == "noise.wav" and event.before["failure"] == "no_speech"


def test_a_call_that_is_not_failed_or_has_human_work_is_not_removed(client, pm, project, make_user):
    call, _, turns = ready_call(project, ["hello"])
    client.force_login(pm)
    assert "Remove this call" not in client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    refused = client.post(reverse("annotation:call_remove", args=[call.pk]), CONFIRM, follow=True).content.decode()
    assert "Only a call whose machine pass failed can be removed" in refused
    # Failed later (a re-run crashed) with an annotator's work on it: kept, and said why.
    assignment = Assignment.objects.create(call=call, annotator=make_user("ann", "annotator"))
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[0], taxonomy=project.taxonomy, labels=[{"label": "anger", "intensity": 3}]
    )
    Call.objects.filter(pk=call.pk).update(status=Call.Status.FAILED)
    refused = client.post(reverse("annotation:call_remove", args=[call.pk]), CONFIRM, follow=True).content.decode()
    assert "cannot be removed: annotators have saved annotations on its turns" in refused
    assert Call.objects.filter(pk=call.pk).exists() and not AuditEvent.objects.filter(action="call.remove").exists()


def test_an_annotator_cannot_remove_a_call(client, project, make_user, tmp_path, settings):
    call, audio, _ = failed_call(project, tmp_path, settings)
    client.force_login(make_user("ann", "annotator"))
    assert client.post(reverse("annotation:call_remove", args=[call.pk]), CONFIRM).status_code in (403, 404)
    assert Call.objects.filter(pk=call.pk).exists() and audio.exists()


def test_the_api_removes_a_failed_call_and_refuses_any_other_in_words(client, pm, project, tmp_path, settings):
    call, audio, _ = failed_call(project, tmp_path, settings)
    ready, _, _ = ready_call(project, ["hello"])
    client.force_login(pm)
    refused = client.delete(reverse("api-call-detail", args=[ready.pk]))
    assert refused.status_code == 400 and "Only a call whose machine pass failed" in refused.content.decode()
    assert client.delete(reverse("api-call-detail", args=[call.pk])).status_code == 204
    assert not Call.objects.filter(pk=call.pk).exists() and Call.objects.filter(pk=ready.pk).exists()


def test_a_second_remove_or_a_retry_after_the_removal_says_so_in_words(client, pm, project, tmp_path, settings):
    """A double click on Remove answered 500 (the second request found no call under its lock)."""
    from annotation.call_removal import call_remove

    call, _, _ = failed_call(project, tmp_path, settings)
    Call.objects.filter(pk=call.pk).update(failure=Call.Failure.CRASHED)  # Retry is offered for a crash
    stale = Call.objects.get(pk=call.pk)
    call_remove(call=call, actor=pm)
    with pytest.raises(ValidationError, match="noise.wav was already removed"):
        call_remove(call=stale, actor=pm)
    from annotation.services import call_retry

    with pytest.raises(ValidationError, match="was removed; there is nothing to retry"):
        call_retry(call=stale)


def test_removal_without_the_confirming_tick_removes_nothing(client, pm, project, tmp_path, settings):
    """Deleting a file cannot be undone: one click on a list button did it."""
    call, audio, _ = failed_call(project, tmp_path, settings)
    client.force_login(pm)
    page = client.post(reverse("annotation:call_remove", args=[call.pk]), follow=True).content.decode()
    assert "was not removed: tick" in page
    assert Call.objects.filter(pk=call.pk).exists() and audio.exists()
