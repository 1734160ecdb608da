"""Upload and the machine pass through the services, on the database."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.core.exceptions import ValidationError

from annotation.jobs import pipeline_start, run_pipeline_inline, stage_names
from annotation.models import Call, ProcessingJob, Speaker, Turn
from annotation.services import call_retry, call_upload


def wav_bytes(samples: np.ndarray, rate: int = 16000) -> io.BytesIO:
    buffer = io.BytesIO()
    sf.write(buffer, samples.T if samples.ndim > 1 else samples, rate, format="WAV", subtype="PCM_16")
    buffer.seek(0)
    return buffer


def test_upload_rejects_non_audio_before_storing_anything(project):
    with pytest.raises(ValidationError, match="not a supported audio file"):
        call_upload(project=project, fileobj=io.BytesIO(b"%PDF-1.7 not audio" * 10), filename="../../etc/passwd.wav")
    with pytest.raises(ValidationError, match="empty"):
        call_upload(project=project, fileobj=io.BytesIO(b""), filename="x.wav")
    assert Call.objects.count() == 0


def test_stored_name_never_comes_from_the_client(project, settings):
    outcome = call_upload(
        project=project,
        fileobj=wav_bytes(np.random.default_rng(7).normal(0, 0.1, 16000).astype(np.float32)),
        filename="../../../evil name;.wav",
        start_pipeline=False,
    )
    name = outcome.call.audio.name
    assert ".." not in name and "evil" not in name and name.startswith(f"calls/{project.pk}/")
    # Shown as the person named it (its path parts dropped); stored under a generated name.
    assert outcome.call.original_name == "evil name;.wav"


def test_same_audio_twice_is_one_call(project):
    audio = wav_bytes(np.random.default_rng(0).normal(0, 0.1, 16000).astype(np.float32))
    first = call_upload(project=project, fileobj=audio, filename="a.wav", start_pipeline=False)
    audio.seek(0)
    second = call_upload(project=project, fileobj=audio, filename="b.wav", start_pipeline=False)
    assert first.created and not second.created and first.call.pk == second.call.pk


def test_silent_call_is_refused_at_upload_and_writes_nothing(project, settings):
    """The decode stage's silence check runs while the uploader waits (it used to be accepted and
    fail later in the pipeline, leaving a row and a file behind)."""
    with pytest.raises(ValidationError, match="silence.wav: the recording is silent"):
        call_upload(
            project=project,
            fileobj=wav_bytes(np.zeros(16000 * 3, dtype=np.float32)),
            filename="silence.wav",
            start_pipeline=False,
        )
    assert not Call.objects.exists() and not ProcessingJob.objects.exists()
    assert not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_dual_channel_call_end_to_end_and_rerun_does_not_duplicate(project, two_voice_call):
    dual, _, truth = two_voice_call
    with dual.open("rb") as fh:
        outcome = call_upload(project=project, fileobj=fh, filename="dual.wav", start_pipeline=False)
    call = run_pipeline_inline(call=outcome.call)
    assert call.status == Call.Status.READY, call.error
    assert call.channels == 2 and call.language == "en"
    assert call.coverage >= 0.99  # every second the channel VAD calls speech is inside a turn
    jobs = {j.stage: j for j in call.jobs.all()}
    assert list(jobs) == stage_names() and all(j.status == "succeeded" for j in jobs.values())
    assert all(j.seconds is not None and j.progress == 100 for j in jobs.values())
    assert "whisperx" in jobs["transcribe"].model_version
    speakers = {s.label: s for s in call.speakers.all()}
    assert {s.role for s in speakers.values()} == {"agent", "customer"}
    turns = list(call.turns.select_related("speaker").order_by("order"))
    # Channel split: every true utterance is one turn of the right party, at the right time.
    assert len(turns) == len(truth)
    for turn, span in zip(turns, truth, strict=True):
        assert turn.speaker.role == span.speaker
        assert abs(turn.start - span.start) < 0.3 and abs(turn.end - span.end) < 0.4
        assert turn.prosody["f0_median_st"] is not None and "z" in turn.prosody
    assert "refund" in turns[4].text.lower()
    # Suggestions: one per turn, with provenance and a rationale.
    from annotation.models import Suggestion
    from annotation.pipeline.suggest import RULES_VERSION

    suggestions = Suggestion.objects.filter(turn__call=call)
    assert suggestions.count() == len(turns)
    assert {s.model_version.split("+")[0] for s in suggestions} == {RULES_VERSION}
    assert all(s.labels and s.rationale for s in suggestions)

    before = (Turn.objects.filter(call=call).count(), Speaker.objects.filter(call=call).count())
    pipeline_start(call=call, from_stage="turns", send=False)
    job = ProcessingJob.objects.get(call=call, stage="turns")
    from annotation.jobs import job_run

    while job is not None:  # turns, then every later stage
        job = job_run(job.pk, str(job.lease), chain=False)
    assert (Turn.objects.filter(call=call).count(), Speaker.objects.filter(call=call).count()) == before
    call.refresh_from_db()
    assert call.status == Call.Status.READY


def test_only_failed_calls_can_be_retried(project):
    outcome = call_upload(
        project=project,
        fileobj=wav_bytes(np.random.default_rng(3).normal(0, 0.1, 16000).astype(np.float32)),
        filename="x.wav",
        start_pipeline=False,
    )
    with pytest.raises(ValidationError, match="Only a failed call"):
        call_retry(call=outcome.call)
