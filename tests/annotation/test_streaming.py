"""Audio streaming with HTTP Range, and waveform peaks by window, both access-checked."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile as sf
from django.urls import reverse

from annotation.models import Assignment
from annotation.pipeline.peaks import compute_peaks, peaks_window, save_peaks
from annotation.services import call_upload
from annotation.storage import peaks_path


@pytest.fixture
def call(project):
    buffer = io.BytesIO()
    tone = 0.5 * np.sin(2 * np.pi * 220 * np.arange(16000 * 4) / 16000)
    sf.write(buffer, np.stack([tone, tone * 0.25], axis=1), 16000, format="WAV", subtype="PCM_16")
    buffer.seek(0)
    return call_upload(project=project, fileobj=buffer, filename="tone.wav", start_pipeline=False).call


def test_range_requests_serve_only_the_bytes_asked_for(client, call, make_user):
    annotator = make_user("ann", "annotator")
    Assignment.objects.create(call=call, annotator=annotator)
    client.force_login(annotator)
    url = reverse("annotation:call_audio", args=[call.pk])
    whole = client.get(url)
    size = call.audio.size
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes" and int(whole["Content-Length"]) == size
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206 and part["Content-Range"] == f"bytes 100-199/{size}"
    body = b"".join(part.streaming_content)
    assert len(body) == 100 and body == call.audio.open("rb").read()[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert tail["Content-Range"] == f"bytes {size - 10}-{size - 1}/{size}"
    assert client.get(url, HTTP_RANGE=f"bytes={size + 5}-").status_code == 416


def test_audio_and_peaks_are_refused_to_other_annotators(client, call, make_user):
    client.force_login(make_user("stranger", "annotator"))
    assert client.get(reverse("annotation:call_audio", args=[call.pk])).status_code == 404
    assert client.get(reverse("annotation:call_peaks", args=[call.pk])).status_code == 404


def test_peaks_window_at_the_requested_resolution(client, call, make_user):
    samples, _ = sf.read(call.audio.path, dtype="float32", always_2d=True)
    save_peaks(compute_peaks(samples.T, 16000), peaks_path(call))
    call.duration = 4.0
    call.save()
    annotator = make_user("ann", "annotator")
    Assignment.objects.create(call=call, annotator=annotator)
    client.force_login(annotator)
    body = client.get(reverse("annotation:call_peaks", args=[call.pk]), {"start": 1, "end": 2, "buckets": 40}).json()
    assert body["channels"] == 2 and body["level"] == 50
    left = np.frombuffer(base64.b64decode(body["data"][0]), dtype=np.int8).reshape(40, 2)
    right = np.frombuffer(base64.b64decode(body["data"][1]), dtype=np.int8).reshape(40, 2)
    assert 60 <= left[:, 1].min() <= 64 and 14 <= right[:, 1].max() <= 17  # 0.5 and 0.125 full scale
    bad = client.get(reverse("annotation:call_peaks", args=[call.pk]), {"start": 2, "end": 1})
    assert bad.status_code == 400 and "start < end" in bad.json()["error"]


def test_two_hour_overview_is_small():
    levels = {10: np.zeros((2, 72000, 2), np.int8), 50: np.zeros((2, 360000, 2), np.int8)}
    level, window = peaks_window(levels, 0, 7200, 2000)
    assert level == 10 and window.shape == (2, 2000, 2) and window.nbytes == 8000
