"""A corpus of bad inputs, files and API payloads alike, sent through the real endpoints.

Each case must get a clear, human-readable refusal (the expected words are asserted) and leave
nothing behind: no Call, no stored file, no TurnAnnotation, no audit event.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Assignment, Call, Turn, TurnAnnotation
from annotera.models import AuditEvent

from .builders import ready_call

SR = 16000


def wav(samples: np.ndarray, rate: int = SR, subtype: str = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format="WAV", subtype=subtype)
    return buffer.getvalue()


def tone(seconds: float, channels: int = 1) -> np.ndarray:
    t = np.arange(int(SR * seconds)) / SR
    mono = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    return mono if channels == 1 else np.tile(mono[:, None], (1, channels))


def post_upload(api, project, content: bytes, name: str, fields: dict | None = None):
    """POST ``content`` as a file called ``name`` to the call upload API; ``fields`` add form
    fields or, with a value of None, drop one (``{"file": None}``: no file at all)."""
    upload = io.BytesIO(content)
    upload.name = name
    data = {k: v for k, v in {"file": upload, **(fields or {})}.items() if v is not None}
    return api.post(reverse("api-call-upload", args=[project.slug]), data, format="multipart")


def wav_header(channels: int, rate: int, data_bytes: int, bits: int = 16) -> bytes:
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip


def zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("call.wav", b"\0" * (20 * 2**20))  # 20 MB of zeros in ~20 KB
    return buffer.getvalue()


# name -> (file name, contents, words the refusal must contain)
BAD_FILES = {
    "zero bytes": ("empty.wav", lambda: b"", "file is empty"),
    "truncated wav": ("cut.wav", lambda: wav_header(1, SR, SR * 2 * 20) + b"\x01\x02" * 4000, "truncated"),
    "header claims 10 hours": (
        "long.wav",
        lambda: wav_header(1, SR, SR * 2 * 36000) + b"\x01\x02" * 4000,
        "truncated",
    ),
    "header only, no samples": ("header.wav", lambda: wav_header(1, SR, 0), "no audio samples"),
    "NaN samples": (
        "nan.wav",
        lambda: wav(np.where(np.arange(SR) % 100 == 0, np.nan, tone(1.0)).astype(np.float32), subtype="FLOAT"),
        "NaN",
    ),
    "infinite samples": (
        "inf.wav",
        lambda: wav(np.where(np.arange(SR) % 7 == 0, np.inf, tone(1.0)).astype(np.float32), subtype="FLOAT"),
        "NaN or infinity",
    ),
    "64 channels": ("many.wav", lambda: wav(tone(0.5, 64)), "64 channels"),
    "3 channels": ("three.wav", lambda: wav(tone(0.5, 3)), "3 channels"),
    "0 channels": ("none.wav", lambda: wav_header(0, SR, 3200) + b"\0" * 3200, "could not be read"),
    "absurd sample rate": ("fast.wav", lambda: wav_header(1, 50_000_000, 3200) + b"\0" * 3200, "sample rate"),
    "1 Hz sample rate": ("slow.wav", lambda: wav_header(1, 1, 3200) + b"\0" * 3200, "sample rate"),
    "zip bomb renamed .wav": ("bomb.wav", zip_bomb, "not a supported audio file"),
    "gzip file renamed .wav": ("gz.wav", lambda: gzip.compress(b"\0" * 2**20), "not a supported audio file"),
    "HTML renamed .wav": ("page.wav", lambda: b"<!doctype html><html><body>hi</body></html>" * 5, "not a supported"),
    "text file": ("notes.txt", lambda: b"just some notes\n" * 20, "not a supported audio file"),
    "PNG image": ("image.wav", lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "not a supported audio file"),
    "PDF": ("doc.wav", lambda: b"%PDF-1.7\n" + b"x" * 300, "not a supported audio file"),
    "AVI (RIFF, not WAVE)": ("movie.wav", lambda: b"RIFF\x00\x10\x00\x00AVI LIST" + b"\0" * 300, "not a supported"),
    "garbage after RIFF/WAVE": ("junk.wav", lambda: b"RIFF\x00\x10\x00\x00WAVEjunk" + b"\xff" * 512, "could not"),
    "FLAC magic, junk": ("x.flac", lambda: b"fLaC" + b"\x13" * 400, "could not be read"),
    "OGG magic, junk": ("x.ogg", lambda: b"OggS" + b"\x00\x02" * 300, "could not be read"),
    "M4A magic, junk": ("x.m4a", lambda: b"\0\0\0\x18ftypM4A " + b"\x07" * 400, "could not be read"),
    "ID3 tag, no MP3 frames, named .wav": ("fake.wav", lambda: b"ID3\x04\0\0\0\0\0\x0a" + b"\0" * 300, "could not"),
    "path traversal name, not audio": (
        "../../etc/passwd.wav",
        lambda: b"root:x:0:0:root:/root:/bin/bash\n",
        "passwd.wav",
    ),
    "NUL byte in name, not audio": ("evil\x00.wav", lambda: b"hello" * 50, "not a supported audio file"),
}


@pytest.fixture
def api(pm):
    client = APIClient()
    client.force_authenticate(pm)
    return client


def nothing_stored(settings) -> bool:
    return Call.objects.count() == 0 and not any(p.is_file() for p in Path(settings.MEDIA_ROOT).rglob("*"))


def message_of(response) -> str:
    return (
        json.dumps(response.json())
        if response["Content-Type"].startswith("application/json")
        else response.content.decode()
    )


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_is_refused_clearly_and_nothing_is_stored(api, project, settings, case):
    name, make, expected = BAD_FILES[case]
    response = post_upload(api, project, make(), name)
    assert response.status_code == 400, message_of(response)
    assert expected.lower() in message_of(response).lower()
    assert nothing_stored(settings)


# name -> (form fields besides a good file, or a replacement for it; words of the refusal)
BAD_FORMS = {
    "no file field": ({"file": None}, "No file was submitted"),
    "file field is text": ({"file": "not a file"}, "not a file"),
    "locale not BCP 47": ({"locale": "not a locale!"}, "use a bcp 47 tag such as en-in"),
    "unknown channel role": ({"channel_roles": ["boss"]}, "not a valid choice"),
    "three channel roles": ({"channel_roles": ["agent", "customer", "agent"]}, "no more than 2"),
    "metadata not JSON": ({"metadata": "{not json"}, "Value must be valid JSON"),
    "metadata not an object": ({"metadata": "[1, 2]"}, "metadata must be a JSON object"),
}


@pytest.mark.parametrize("case", list(BAD_FORMS))
def test_bad_upload_form_is_refused_clearly(api, project, settings, case):
    fields, expected = BAD_FORMS[case]
    response = post_upload(api, project, wav(tone(1.0)), "good.wav", fields)
    assert response.status_code == 400, message_of(response)
    assert expected.lower() in message_of(response).lower()
    assert nothing_stored(settings)


def test_too_long_a_call_is_refused(api, project, settings):
    settings.AUDIO_MAX_SECONDS = 1.0
    response = post_upload(api, project, wav(tone(2.0)), "two-seconds.wav")
    assert response.status_code == 400 and "the limit is" in message_of(response)
    assert nothing_stored(settings)


def test_oversized_upload_by_content_length_is_refused_unread(api, project, settings):
    settings.UPLOAD_MAX_REQUEST_BYTES = 10_000
    response = post_upload(api, project, wav(tone(1.0)), "big.wav")
    assert response.status_code == 413 and "the limit is 9.8 KB" in message_of(response)
    assert nothing_stored(settings)


def test_gzip_encoded_request_body_is_refused(api, project, settings):
    body = gzip.compress(b"\0" * 2**20)
    response = api.generic(
        "POST",
        reverse("api-call-upload", args=[project.slug]),
        body,
        content_type="multipart/form-data; boundary=x",
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 415 and "Compressed request bodies" in message_of(response)
    assert nothing_stored(settings)


@pytest.mark.parametrize("name", ["../../etc/passwd.wav", "..\\..\\win.ini.wav", "a\x00b.wav", "/abs/path.wav"])
def test_hostile_names_of_good_audio_never_become_paths(
    api, project, settings, name, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        response = post_upload(api, project, wav(tone(1.0) * (1 + len(name) / 100)), name)
    assert response.status_code == 201, message_of(response)
    call = Call.objects.get()
    assert call.audio.name.startswith(f"calls/{project.pk}/") and ".." not in call.audio.name
    assert "/" not in call.original_name and "\\" not in call.original_name and "\x00" not in call.original_name
    stored = [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert len(stored) == 1 and Path(settings.MEDIA_ROOT) in stored[0].parents


def test_real_mp3_renamed_wav_is_judged_by_its_contents(api, project, tmp_path, django_capture_on_commit_callbacks):
    """Not a bad input: the contents decide, so an MP3 called .wav is accepted as the MP3 it is."""
    source = tmp_path / "t.wav"
    source.write_bytes(wav(tone(1.0)))
    mp3 = tmp_path / "t.mp3"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), str(mp3)], check=True)
    with django_capture_on_commit_callbacks(execute=False):
        response = post_upload(api, project, mp3.read_bytes(), "really-an-mp3.wav")
    assert response.status_code == 201


# --- API payloads: the annotation PUT


@pytest.fixture
def turn_setup(project, make_user):
    call, speaker, (turn,) = ready_call(project)
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    client = APIClient()
    client.force_authenticate(annotator)
    AuditEvent.objects.all().delete()
    return client, reverse("api-turn-annotation", args=[assignment.pk, turn.pk])


GOOD = {"labels": [{"label": "anger", "intensity": 3}], "valence": -1, "arousal": 3}

# name -> (JSON body, If-Match, expected status, words of the refusal)
BAD_PAYLOADS = {
    "labels not a list": ({"labels": "anger"}, "0", 400, "labels must be a list"),
    "misspelt field (it would save a blank annotation)": (
        {"lables": [{"label": "anger", "intensity": 3}]},
        "0",
        400,
        "'lables' is not an annotation field. Did you mean labels?",
    ),
    "empty object": ({}, "0", 400, "Nothing to save"),
    "only a version": ({"version": 0}, "0", 400, "Nothing to save"),
    "label item not an object": ({"labels": ["anger"]}, "0", 400, "must be an object with a 'label' key"),
    "label key not text": ({"labels": [{"label": 7}]}, "0", 400, "must be an object with a 'label' key"),
    "unknown label key": ({"labels": [{"label": "boredom_xyz", "intensity": 2}]}, "0", 400, "is not a label"),
    "label twice": (
        {"labels": [{"label": "anger", "intensity": 2}, {"label": "anger", "intensity": 3}]},
        "0",
        400,
        "given twice",
    ),
    "intensity 0": ({"labels": [{"label": "anger", "intensity": 0}]}, "0", 400, "between 1 and 5"),
    "intensity 6": ({"labels": [{"label": "anger", "intensity": 6}]}, "0", 400, "between 1 and 5"),
    "intensity 'high'": ({"labels": [{"label": "anger", "intensity": "high"}]}, "0", 400, "must be a number"),
    "intensity true": ({"labels": [{"label": "anger", "intensity": True}]}, "0", 400, "must be a number"),
    "valence out of range": ({**GOOD, "valence": 9}, "0", 400, "valence must be between"),
    "valence text": ({**GOOD, "valence": "sad"}, "0", 400, "valence must be a number"),
    "arousal a list": ({**GOOD, "arousal": [1]}, "0", 400, "arousal must be a number"),
    "confidence 2": ({**GOOD, "confidence": 2}, "0", 400, "confidence must be between 0 and 1"),
    "shifts not a list": ({**GOOD, "shifts": 5}, "0", 400, "shifts must be a list"),
    "shift not an object": ({**GOOD, "shifts": ["x"]}, "0", 400, "shifts[0] must be an object"),
    "shift outside the turn": (
        {**GOOD, "shifts": [{"at": 99, "from": "anger", "to": "relief"}]},
        "0",
        400,
        "shifts[0].at must be between",
    ),
    "shift to unknown label": ({**GOOD, "shifts": [{"at": 1, "from": "anger", "to": "zzz"}]}, "0", 400, "'zzz'"),
    "note not text": ({**GOOD, "note": 123}, "0", 400, "note must be text"),
    "note too long": ({**GOOD, "note": "x" * 5001}, "0", 400, "at most 5000"),
    "suggestion actions bad": ({**GOOD, "suggestion_actions": {"anger": "loved"}}, "0", 400, "accepted, edited"),
    "suggestion actions a list": ({**GOOD, "suggestion_actions": ["anger"]}, "0", 400, "suggestion_actions must"),
    "body a JSON list": ([1, 2, 3], "0", 400, "must be a JSON object"),
    # Given but no version: a 400 naming the header (428 is for a save that names no version at all).
    "If-Match not a number": (GOOD, "abc", 400, "If-Match must be the version you edited, in the digits 0-9"),
    "If-Match negative": (GOOD, "-1", 400, "If-Match must be the version you edited, in the digits 0-9"),
    "If-Match from the future": (GOOD, "7", 400, "No saved annotation at version 7"),
}


@pytest.mark.parametrize("case", list(BAD_PAYLOADS))
def test_bad_annotation_payload_is_refused_clearly_and_nothing_is_written(turn_setup, case):
    client, url = turn_setup
    body, if_match, status, expected = BAD_PAYLOADS[case]
    response = client.put(url, body, format="json", HTTP_IF_MATCH=f'"{if_match}"')
    assert response.status_code == status, message_of(response)
    assert expected.lower() in message_of(response).lower()
    assert not TurnAnnotation.objects.exists() and not AuditEvent.objects.exists()


def test_malformed_json_is_refused(turn_setup):
    client, url = turn_setup
    response = client.generic("PUT", url, b'{"labels": [', content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 400 and "JSON parse error" in message_of(response)
    assert not TurnAnnotation.objects.exists()


def test_wrong_content_type_is_refused(turn_setup):
    client, url = turn_setup
    response = client.generic("PUT", url, b"labels=anger", content_type="text/plain", HTTP_IF_MATCH='"0"')
    assert response.status_code == 415 and "Unsupported media type" in message_of(response)
    assert not TurnAnnotation.objects.exists()


def test_oversized_json_is_refused_before_reading(turn_setup, settings):
    client, url = turn_setup
    body = json.dumps({**GOOD, "note": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    response = client.generic("PUT", url, body, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 413 and "the limit is 2.0 MB" in message_of(response)
    assert not TurnAnnotation.objects.exists()


def test_negative_ids_do_not_route(turn_setup):
    client, _ = turn_setup
    response = client.put("/api/assignments/-1/turns/-5/annotation/", GOOD, format="json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 404
    assert not TurnAnnotation.objects.exists()


# --- API payloads: turn corrections and taxonomy import

BAD_CORRECTIONS = {
    "revision text": ("adjust", {"revision": "abc", "start": 0, "end": 1}, "revision: A valid integer is required"),
    "no revision": ("merge", {}, "revision: This field is required"),
    "start after end": ("adjust", {"revision": 1, "start": 2, "end": 1}, "Start must be before end"),
    "split at the edge": ("split", {"revision": 1, "at": 0}, "Split inside the turn"),
    "stale revision": ("adjust", {"revision": 9, "start": 0, "end": 1}, "corrected by someone else"),
    "empty text": ("text", {"revision": 1, "text": ""}, "text: This field may not be blank"),
}


@pytest.mark.parametrize("case", list(BAD_CORRECTIONS))
def test_bad_turn_correction_is_refused(turn_setup, case):
    from annotation.models import CorrectionProposal

    client, url = turn_setup
    turn = Turn.objects.get()
    action, body, expected = BAD_CORRECTIONS[case]
    response = client.post(reverse(f"api-propose-{action}", args=[turn.call_id, turn.pk]), body, format="json")
    assert response.status_code == 400 and expected.lower() in message_of(response).lower()
    turn.refresh_from_db()
    assert (turn.revision, turn.start, turn.end) == (1, 0, 2.5) and not AuditEvent.objects.exists()
    assert not CorrectionProposal.objects.exists()


BAD_TAXONOMIES = {
    "not an object": ([1, 2], "must be a JSON object"),
    "labels not a list": ({"slug": "x", "name": "X", "labels": "anger"}, "labels"),
    "label key with spaces": (
        {"slug": "x", "name": "X", "labels": [{"key": "Big Anger", "name": "A", "definition": "d"}]},
        "use lower-case letters",
    ),
    "dimension min above max": (
        {
            "slug": "x",
            "name": "X",
            "labels": [{"key": "a", "name": "A", "definition": "d"}],
            "dimensions": [{"key": "valence", "kind": "scale", "minimum": 3, "maximum": -3}],
        },
        "minimum",
    ),  # fmt: skip
}


@pytest.mark.parametrize("case", list(BAD_TAXONOMIES))
def test_bad_taxonomy_import_is_refused(api, case):
    from taxonomy.models import Taxonomy

    before = Taxonomy.objects.count()
    AuditEvent.objects.all().delete()
    body, expected = BAD_TAXONOMIES[case]
    response = api.post(reverse("api-taxonomy-import"), body, format="json")
    assert response.status_code == 400 and expected.lower() in message_of(response).lower()
    assert Taxonomy.objects.count() == before and not AuditEvent.objects.exists()
