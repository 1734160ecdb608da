"""The bad-input corpus, continued (see ``test_bad_inputs.py`` for files and annotation payloads):
query strings, headers, imports and API payloads, including every 5xx of issue 16. Each case
must get a 4xx with words a person understands and write nothing: no row in any table that a
request could touch, no file under MEDIA_ROOT."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotation.models import Assignment, Call, ProjectMembership, Speaker, Turn, TurnAnnotation
from annotation.services import project_add_member
from annotera.models import AuditEvent
from qa.models import AgreementReport, ExportSnapshot
from taxonomy.models import Taxonomy

from .builders import ready_call

DEEP = "[" * 50_000 + "]" * 50_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000


@dataclass
class World:
    project: object
    call: Call
    turn: Turn
    assignment: Assignment
    snapshot: ExportSnapshot
    pm: object
    annotator: object
    tokens: dict = field(default_factory=dict)


@pytest.fixture
def world(project, make_user):
    call, speaker, (turn,) = ready_call(project)
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    snapshot = ExportSnapshot.objects.create(project=project, formats=["jsonl"], status=ExportSnapshot.Status.READY)
    AuditEvent.objects.all().delete()
    return World(project, call, turn, assignment, snapshot, pm, annotator)


def counts() -> tuple:
    models = (Call, Turn, Speaker, Assignment, TurnAnnotation, AuditEvent, Taxonomy, ExportSnapshot, AgreementReport)
    return tuple(m.objects.count() for m in models)


def media_files(settings) -> list[Path]:
    return sorted(p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())


def wav(seconds: float, amplitude: float = 0.3, channels: int = 1) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    mono = (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    buffer = io.BytesIO()
    sf.write(buffer, mono if channels == 1 else np.tile(mono[:, None], (1, channels)), 16000, format="WAV")
    return buffer.getvalue()


def wav_claiming_4gb(seconds: float = 0.25) -> bytes:
    """A WAV whose data chunk claims 0xFFFFFFFF bytes but holds a quarter of a second."""
    data = wav(seconds)
    at = data.index(b"data") + 4
    return data[:at] + b"\xff\xff\xff\xff" + data[at + 4 :]


def files(**named: bytes) -> dict:
    out = {}
    for key, value in named.items():
        handle = io.BytesIO(value)
        handle.name = f"{key}.bin"
        out[key] = handle
    return out


def labelstudio(**task) -> dict:
    return {"format": "labelstudio", "file": _named(json.dumps(task).encode(), "task.json")}


def _named(data: bytes, name: str) -> io.BytesIO:
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def upload(data: bytes, name: str = "call.wav", **fields) -> dict:
    return {"file": _named(data, name), **fields}


@dataclass(frozen=True)
class Bad:
    """One bad request: as ``role``, ``method`` ``url(world)`` with ``body``; expect ``status``
    and ``words`` in the answer."""

    role: str
    method: str
    url: Callable[[World], str]
    status: int
    words: str
    body: Callable[[World], object] | None = None
    kind: str = "json"  # json | multipart | raw
    headers: dict = field(default_factory=dict)


def peaks(query: str) -> Callable[[World], str]:
    return lambda w: reverse("annotation:call_peaks", args=[w.call.pk]) + query


def agreement_api(query: str) -> Callable[[World], str]:
    return lambda w: reverse("api-project-agreement", args=[w.project.slug]) + query


def snapshots_api(w: World) -> str:
    return reverse("api-project-snapshots", args=[w.project.slug])


def snapshot_download(query: str) -> Callable[[World], str]:
    return lambda w: reverse("api-snapshot-download", args=[w.snapshot.pk]) + query


def annotation_put(w: World) -> str:
    return reverse("api-turn-annotation", args=[w.assignment.pk, w.turn.pk])


def turns_import(w: World) -> str:
    return reverse("api-call-turns-import", args=[w.call.pk])


def call_upload(w: World) -> str:
    return reverse("api-call-upload", args=[w.project.slug])


GOOD_SNAPSHOT = {"formats": ["jsonl"]}

CASES: dict[str, Bad] = {
    # --- query strings
    "peaks end=inf": Bad("pm", "GET", peaks("?end=inf"), 400, "finite numbers of seconds"),
    "peaks end=1e308": Bad("pm", "GET", peaks("?end=1e308"), 400, "end <= 14400"),
    "peaks end=-inf": Bad("pm", "GET", peaks("?end=-inf"), 400, "finite numbers"),
    "peaks start=nan": Bad("annotator", "GET", peaks("?start=nan&end=2"), 400, "finite numbers"),
    "peaks start after end": Bad("annotator", "GET", peaks("?start=5&end=1"), 400, "0 <= start < end"),
    "peaks buckets=0": Bad("annotator", "GET", peaks("?buckets=0"), 400, "1 <= buckets <= 20000"),
    "peaks buckets=abc": Bad("annotator", "GET", peaks("?buckets=abc"), 400, "buckets a whole number"),
    "peaks buckets=10**30": Bad("annotator", "GET", peaks("?buckets=" + "9" * 30), 400, "1 <= buckets"),
    "agreement API taxonomy_version=10**20": Bad(
        "pm", "GET", agreement_api("?taxonomy_version=99999999999999999999"), 400, "from 1 to 2147483647"
    ),
    "agreement API taxonomy_version=abc": Bad("pm", "GET", agreement_api("?taxonomy_version=abc"), 400, "whole"),
    "agreement API taxonomy_version=-3": Bad("pm", "GET", agreement_api("?taxonomy_version=-3"), 400, "whole"),
    "agreement page taxonomy_version=10**20": Bad(
        "pm",
        "GET",
        lambda w: reverse("qa:project_agreement", args=[w.project.slug]) + "?taxonomy_version=99999999999999999999",
        400,
        "from 1 to 2147483647",
    ),
    "settings ?to=abc": Bad(
        "pm",
        "GET",
        lambda w: reverse("annotation:project_settings", args=[w.project.slug]) + "?to=abc",
        400,
        "Choose the taxonomy version",
    ),  # fmt: skip
    "settings ?to=10**30": Bad(
        "pm",
        "GET",
        lambda w: reverse("annotation:project_settings", args=[w.project.slug]) + "?to=" + "9" * 30,
        400,
        "Choose the taxonomy version",
    ),  # fmt: skip
    "snapshot ?file= with NUL": Bad("pm", "GET", snapshot_download("?file=a%00b.json"), 400, "control characters"),
    "snapshot ?file= with CR LF": Bad("pm", "GET", snapshot_download("?file=a%0d%0ab"), 400, "control characters"),
    "snapshot ?file= 5,000 characters": Bad("pm", "GET", snapshot_download("?file=" + "a" * 5000), 400, "too long"),
    "snapshot page file path 5,000 characters": Bad(
        "pm", "GET", lambda w: reverse("qa:snapshot_file", args=[w.snapshot.pk, "b" * 5000]), 400, "too long"
    ),
    # --- headers
    "Content-Length not a number": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "Content-Length header is not a number",
        body=lambda w: b"{}",
        kind="raw",
        headers={"CONTENT_LENGTH": "abc"},
    ),  # fmt: skip
    "Content-Length negative": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "Content-Length header is negative",
        body=lambda w: b"{}",
        kind="raw",
        headers={"CONTENT_LENGTH": "-5"},
    ),  # fmt: skip
    "Content-Encoding br": Bad(
        "pm",
        "POST",
        snapshots_api,
        415,
        "Compressed request bodies (br)",
        body=lambda w: b"{}",
        kind="raw",
        headers={"HTTP_CONTENT_ENCODING": "br"},
    ),  # fmt: skip
    "token of 5,000 characters": Bad(
        "pm", "GET", snapshots_api, 401, "Invalid token", headers={"HTTP_AUTHORIZATION": "Token " + "x" * 5000}
    ),
    "token with a space": Bad(
        "pm",
        "GET",
        snapshots_api,
        401,
        "Token string should not contain spaces",
        headers={"HTTP_AUTHORIZATION": "Token a b"},
    ),  # fmt: skip
    "JSON body sent as text/csv": Bad(
        "pm",
        "POST",
        snapshots_api,
        415,
        "Unsupported media type",
        body=lambda w: b"formats,jsonl",
        kind="raw",
        headers={"CONTENT_TYPE": "text/csv"},
    ),  # fmt: skip
    # --- deep JSON, refused before parsing
    "annotation PUT 50,000-deep list": Bad(
        "annotator",
        "PUT",
        annotation_put,
        400,
        "nests 50000 levels deep",
        body=lambda w: DEEP.encode(),
        kind="raw",
        headers={"HTTP_IF_MATCH": '"0"'},
    ),  # fmt: skip
    "annotation PUT 50,000-deep object": Bad(
        "annotator",
        "PUT",
        annotation_put,
        400,
        "levels deep",
        body=lambda w: DEEP_OBJECT.encode(),
        kind="raw",
        headers={"HTTP_IF_MATCH": '"0"'},
    ),  # fmt: skip
    "taxonomy import 50,000-deep": Bad(
        "pm",
        "POST",
        lambda w: reverse("api-taxonomy-import"),
        400,
        "levels deep",
        body=lambda w: DEEP.encode(),
        kind="raw",
    ),  # fmt: skip
    "snapshot POST 50,000-deep": Bad(
        "pm", "POST", snapshots_api, 400, "levels deep", body=lambda w: DEEP.encode(), kind="raw"
    ),  # fmt: skip
    "upload metadata 50,000-deep": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "nests 20000 levels deep",
        body=lambda w: upload(wav(1.0), metadata="[" * 20_000 + "]" * 20_000),
        kind="multipart",
    ),  # fmt: skip
    "upload metadata over 64 KB": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "the limit is 65,536",
        body=lambda w: upload(wav(1.0), metadata=json.dumps({"notes": "x" * 70_000})),
        kind="multipart",
    ),  # fmt: skip
    "Label Studio import 50,000-deep": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "levels deep",
        body=lambda w: {"format": "labelstudio", "file": _named(DEEP.encode(), "deep.json")},
        kind="multipart",
    ),  # fmt: skip
    # --- snapshot payloads
    "snapshot seed 10**30": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "less than or equal to 2147483647",
        body=lambda w: {**GOOD_SNAPSHOT, "seed": 10**30},
    ),  # fmt: skip
    "snapshot filters.calls [10**20]": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "a call id is a whole number from 1",
        body=lambda w: {**GOOD_SNAPSHOT, "filters": {"calls": [10**20]}},
    ),  # fmt: skip
    "snapshot filters.calls [0]": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "a call id is a whole number from 1",
        body=lambda w: {**GOOD_SNAPSHOT, "filters": {"calls": [0]}},
    ),  # fmt: skip
    "snapshot filters.calls text": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "give call ids as whole numbers",
        body=lambda w: {**GOOD_SNAPSHOT, "filters": {"calls": "abc"}},
    ),  # fmt: skip
    "snapshot filters.min_alpha 5": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "between -1 and 1",
        body=lambda w: {**GOOD_SNAPSHOT, "filters": {"min_alpha": 5}},
    ),
    "snapshot filters.date_from not a date": Bad(
        "pm",
        "POST",
        snapshots_api,
        400,
        "YYYY-MM-DD",
        body=lambda w: {**GOOD_SNAPSHOT, "filters": {"date_from": "yesterday"}},
    ),  # fmt: skip
    "snapshot formats empty": Bad("pm", "POST", snapshots_api, 400, "may not be empty", body=lambda w: {"formats": []}),
    "snapshot format unknown": Bad(
        "pm", "POST", snapshots_api, 400, "is not a valid choice", body=lambda w: {"formats": ["exe"]}
    ),
    "snapshot body a list": Bad("pm", "POST", snapshots_api, 400, "Expected a dictionary", body=lambda w: [1, 2]),
    # --- imports
    "Label Studio from_name null": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "from_name must be a text, found null",
        body=lambda w: labelstudio(annotations=[{"result": [{"type": "labels", "from_name": None, "value": {}}]}]),
        kind="multipart",
    ),  # fmt: skip
    'Label Studio "predictions": 5': Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "predictions must be a list of objects, found a number",
        body=lambda w: labelstudio(predictions=5),
        kind="multipart",
    ),  # fmt: skip
    "Label Studio two tasks": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "expected one Label Studio task",
        body=lambda w: {"format": "labelstudio", "file": _named(b"[{}, {}]", "t.json")},
        kind="multipart",
    ),  # fmt: skip
    "Label Studio not JSON": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "not valid JSON",
        body=lambda w: {"format": "labelstudio", "file": _named(b"{oops", "t.json")},
        kind="multipart",
    ),  # fmt: skip
    "import format unknown": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "choose one of labelstudio",
        body=lambda w: {"format": "exe", "file": _named(b"x", "t.exe")},
        kind="multipart",
    ),  # fmt: skip
    "RTTM line of garbage": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "line 1",
        body=lambda w: {"format": "rttm", "file": _named(b"hello world\n", "t.rttm")},
        kind="multipart",
    ),  # fmt: skip
    "TextGrid that is not one": Bad(
        "pm",
        "POST",
        turns_import,
        400,
        "not a Praat TextGrid",
        body=lambda w: {"format": "textgrid", "file": _named(b"hello", "t.TextGrid")},
        kind="multipart",
    ),  # fmt: skip
    # --- uploads that the decode stage would fail: refused at once
    "WAV claiming 0xFFFFFFFF bytes, 0.25 s of audio": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "too short (0.25 s)",
        body=lambda w: upload(wav_claiming_4gb()),
        kind="multipart",
    ),  # fmt: skip
    "1 s silent WAV": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "recording is silent",
        body=lambda w: upload(wav(1.0, amplitude=0.0)),
        kind="multipart",
    ),  # fmt: skip
    "1 s WAV at -80 dBFS": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "peak level -78 dBFS",
        body=lambda w: upload(wav(1.0, amplitude=1e-4)),
        kind="multipart",
    ),  # fmt: skip
    "0.2 s WAV": Bad(
        "pm", "POST", call_upload, 400, "too short (0.20 s)", body=lambda w: upload(wav(0.2)), kind="multipart"
    ),
    "0.2 s stereo WAV": Bad(
        "pm", "POST", call_upload, 400, "too short", body=lambda w: upload(wav(0.2, channels=2)), kind="multipart"
    ),
    "51 files in one API upload": Bad(
        "pm",
        "POST",
        call_upload,
        400,
        "Too many files in one request: at most 50",
        body=lambda w: {f"file{n}": _named(b"RIFF", f"{n}.wav") for n in range(51)},
        kind="multipart",
    ),  # fmt: skip
}


def send(client: Client, case: Bad, w: World):
    url = case.url(w)
    body = case.body(w) if case.body else None
    headers = dict(case.headers)
    if case.kind == "multipart":
        return client.post(url, body, **headers)
    if case.kind == "raw":
        content_type = headers.pop("CONTENT_TYPE", "application/json")
        return client.generic(case.method, url, body, content_type=content_type, **headers)
    if body is None:
        return client.generic(case.method, url, **headers)
    return client.generic(case.method, url, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_request_is_refused_clearly_and_writes_nothing(world, settings, name):
    case = CASES[name]
    user = world.pm if case.role == "pm" else world.annotator
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    if "HTTP_AUTHORIZATION" in case.headers:
        client = Client()
    else:
        client.force_login(user)
    before, files_before = counts(), media_files(settings)
    response = send(client, case, world)
    text = response.content.decode(errors="replace")
    assert response.status_code == case.status, text[:500]
    assert case.words.lower() in text.lower(), text[:500]
    assert counts() == before and media_files(settings) == files_before


def test_the_corpus_is_large_and_varied():
    from . import test_bad_inputs as first
    from . import test_security_findings as findings

    taxonomy_cases = [m for m in findings.test_taxonomy_import_runs_full_clean.pytestmark if m.name == "parametrize"]
    total = (
        len(CASES)
        + len(first.BAD_FILES)
        + len(first.BAD_FORMS)
        + len(first.BAD_PAYLOADS)
        + len(first.BAD_CORRECTIONS)
        + len(first.BAD_TAXONOMIES)
        + len(taxonomy_cases[0].args[1])
    )
    assert total >= 100, total


def test_reassign_to_a_non_number_is_refused_with_a_message(world, client):
    client.force_login(world.pm)
    response = client.post(
        reverse("annotation:assignment_reassign", args=[world.assignment.pk]), {"annotator": "abc"}, follow=True
    )
    assert response.status_code == 200 and "Choose an annotator to reassign to." in response.content.decode()
    world.assignment.refresh_from_db()
    assert world.assignment.annotator == world.annotator


def test_51_file_form_upload_answers_with_a_message(world, client, settings):
    client.force_login(world.pm)
    data = {"files": [_named(b"RIFF", f"{n}.wav") for n in range(51)], "channel_layout": "agent,customer"}
    response = client.post(reverse("annotation:call_upload", args=[world.project.slug]), data, follow=True)
    assert response.status_code == 200
    assert "Too many files in one upload: at most 50 at a time" in response.content.decode()
    assert Call.objects.count() == 1 and not media_files(settings)
