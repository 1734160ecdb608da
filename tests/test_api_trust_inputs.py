"""Hostile request bodies against the REST API: each is refused with a 4xx and a message in the
API's error shape, and nothing is written.

Two kinds were 500s: JSON nested deeper than Python's parser recurses, reaching a parser that
did not measure it first (the token endpoint, a form-encoded ``taxonomy_json``); and JSON text
holding characters no text column can hold, ``\\u0000`` (PostgreSQL refuses NUL in text and
jsonb) or half of a UTF-16 pair such as ``\\ud800`` (not encodable as UTF-8), reaching the
database or the password check through fields that are not DRF ``CharField`` s (JSON objects,
dicts, service-validated annotation bodies).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from annotation.models import Assignment, Call, Project, TurnAnnotation
from annotera.models import AuditEvent
from qa.models import ExportSnapshot
from taxonomy.models import Taxonomy
from taxonomy.services import taxonomy_export

from .builders import ready_call

DEEP = "[" * 100_000 + "]" * 100_000


def client_for(user=None) -> APIClient:
    client = APIClient(raise_request_exception=False)
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def message(response) -> str:
    body = response.json()
    return json.dumps(body) if isinstance(body, dict) else str(body)


def counts() -> tuple:
    return (
        Project.objects.count(),
        Taxonomy.objects.count(),
        Call.objects.count(),
        TurnAnnotation.objects.count(),
        ExportSnapshot.objects.count(),
        AuditEvent.objects.count(),
        Token.objects.count(),
    )


@pytest.fixture
def world(project, pm, make_user):
    call, _speaker, (turn,) = ready_call(project)
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    admin = make_user("root", is_superuser=True, is_staff=True)
    for user in (pm, annotator, admin):
        Token.objects.get_or_create(user=user)
    return {"project": project, "call": call, "turn": turn, "ann": annotator, "a": assignment, "pm": pm, "admin": admin}


def wav_file() -> io.BytesIO:
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(np.arange(16000) / 5)).astype("float32"), 16000, format="WAV", subtype="PCM_16")
    buffer.seek(0)
    buffer.name = "call.wav"
    return buffer


def taxonomy_doc(taxonomy, **label_changes) -> dict:
    doc = taxonomy_export(taxonomy)
    doc = json.loads(doc) if isinstance(doc, (str, bytes)) else doc
    doc["slug"] = "imported"
    doc["labels"][0].update(label_changes)
    return doc


# --- nesting deeper than the parser recurses


def test_deeply_nested_json_to_the_token_endpoint_is_refused(world):
    before = counts()
    response = client_for().post(reverse("api-token"), DEEP, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert "nests 100000 levels deep" in response.json()["detail"]
    assert counts() == before


def test_deeply_nested_form_encoded_taxonomy_json_is_refused(world):
    before = counts()
    response = client_for(world["pm"]).post(reverse("api-projects"), {"name": "P", "slug": "p2", "taxonomy_json": DEEP})
    assert response.status_code == 400, response.content[:200]
    assert "nests 100000 levels deep" in " ".join(response.json()["taxonomy_json"])
    assert counts() == before


def test_form_encoded_taxonomy_json_still_imports(world, taxonomy):
    """The bounded field parses a form-encoded document as before."""
    doc = taxonomy_doc(taxonomy)
    response = client_for(world["pm"]).post(
        reverse("api-projects"), {"name": "P", "slug": "p3", "taxonomy_json": json.dumps(doc)}
    )
    assert response.status_code == 201, response.content[:300]
    assert Project.objects.get(slug="p3").taxonomy.slug == "imported"


# --- text no column can hold


def _token(w, bad):
    return client_for().post(
        reverse("api-token"),
        json.dumps({"username": f"ann{bad}", "password": "x"}, ensure_ascii=True),
        content_type="application/json",
    )


def _taxonomy_label(w, bad):
    doc = taxonomy_doc(Taxonomy.objects.get(), name=f"Anger{bad}")
    return client_for(w["pm"]).post(
        reverse("api-projects"),
        json.dumps({"name": "P", "slug": "p4", "taxonomy_json": doc}, ensure_ascii=True),
        content_type="application/json",
    )


def _snapshot_filter(w, bad):
    return client_for(w["pm"]).post(
        reverse("api-project-snapshots", args=[w["project"].slug]),
        json.dumps({"formats": ["jsonl"], "filters": {"languages": [f"en{bad}"]}}, ensure_ascii=True),
        content_type="application/json",
    )


def _upload_metadata(w, bad):
    return client_for(w["pm"]).post(
        reverse("api-call-upload", args=[w["project"].slug]),
        {"file": wav_file(), "metadata": json.dumps({"agent": f"Ana{bad}"}, ensure_ascii=True)},
        format="multipart",
    )


def _annotation_note(w, bad):
    return client_for(w["ann"]).put(
        reverse("api-turn-annotation", args=[w["a"].pk, w["turn"].pk]),
        json.dumps({"labels": [{"label": "anger", "intensity": 3}], "note": f"n{bad}"}, ensure_ascii=True),
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )


def _annotation_key(w, bad):
    body = {"labels": [{"label": "anger", "intensity": 3}], "suggestion_actions": {f"anger{bad}": "accepted"}}
    return client_for(w["ann"]).put(
        reverse("api-turn-annotation", args=[w["a"].pk, w["turn"].pk]),
        json.dumps(body, ensure_ascii=True),
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )


SENDERS = {
    "token user name": (_token, "username"),
    "taxonomy_json label name": (_taxonomy_label, "taxonomy_json.labels[0].name"),
    "snapshot language filter": (_snapshot_filter, "filters.languages[0]"),
    "upload metadata value": (_upload_metadata, "agent"),
    "annotation note": (_annotation_note, "note"),
    "annotation suggestion_actions key": (_annotation_key, "suggestion_actions"),
}
UNSTORABLE = {"NUL": ("\x00", "U+0000 (NUL)"), "lone surrogate": ("\ud800", "U+D800 (half of a UTF-16 pair)")}


@pytest.mark.parametrize("character", list(UNSTORABLE))
@pytest.mark.parametrize("where", list(SENDERS))
def test_text_no_column_can_hold_is_refused_and_nothing_is_written(world, taxonomy, where, character):
    send, path = SENDERS[where]
    bad, named = UNSTORABLE[character]
    before = counts()
    response = send(world, bad)
    assert response.status_code == 400, response.content[:300]
    text = message(response)
    assert named in text and "cannot be stored as text" in text, text
    assert path in text, text
    assert counts() == before


def test_emoji_escaped_as_a_surrogate_pair_is_text(world):
    """A pair of escapes is one character: only a lone half is refused."""
    response = client_for(world["ann"]).put(
        reverse("api-turn-annotation", args=[world["a"].pk, world["turn"].pk]),
        '{"labels": [{"label": "anger", "intensity": 3}], "note": "ok \\ud83d\\ude00"}',
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert response.status_code == 200, response.content[:300]
    assert TurnAnnotation.objects.get().note == "ok \U0001f600"


def test_a_body_declared_utf16_is_checked_too(world):
    """The fast path looks for the escapes as ASCII bytes; a body in another charset is walked."""
    before = counts()
    body = json.dumps({"labels": [{"label": "anger", "intensity": 3}], "note": "n\x00"}).encode("utf-16-le")
    response = client_for(world["ann"]).put(
        reverse("api-turn-annotation", args=[world["a"].pk, world["turn"].pk]),
        body,
        content_type="application/json; charset=utf-16-le",
        HTTP_IF_MATCH='"0"',
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert counts() == before


# --- every API route, hostile bodies: as an admin (who reaches furthest), anonymously, and as the
# annotator on the routes only an assignment's own annotator may write


def api_routes() -> list[tuple[str, str]]:
    """(route name, pattern) of every named route under /api/."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern) and entry.name:
                found.append((entry.name, prefix + str(entry.pattern)))

    walk(get_resolver().url_patterns, "")
    return [(name, pattern) for name, pattern in found if pattern.startswith("api/")]


HOSTILE_BODIES = {
    "deep JSON": (DEEP, "application/json"),
    "NUL in a JSON key and value": ('{"x\\u0000": "\\u0000", "labels": ["\\u0000"]}', "application/json"),
    "lone surrogate": ('{"name": "\\udc00", "formats": ["\\ud800"]}', "application/json"),
    "JSON list": ("[1, 2, 3]", "application/json"),
    "JSON null": ("null", "application/json"),
    "empty body": ("", "application/json"),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json"),
    "huge number": ('{"version": 1e999, "overlap_k": 1e308, "seed": -1e308}', "application/json"),
    "form with NUL": ("name=%00&slug=a%00&note=%00&version=%00", "application/x-www-form-urlencoded"),
    "plain text": ("hello", "text/plain"),
}


def route_kwargs(w, pattern: str) -> dict:
    values = {"slug": w["project"].slug, "pk": w["a"].pk, "turn_id": w["turn"].pk}
    return {name: values[name] for name in values if f"<{name}>" in pattern or f":{name}>" in pattern}


def written_methods(url: str) -> list[str]:
    """The methods with a body that the route's view implements (the rest are a 405 unread)."""
    view = resolve(url).func
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    return [m for m in ("post", "put", "patch") if view_class is None or hasattr(view_class, m)]


def test_no_hostile_body_gets_a_server_error_on_any_api_route(world, settings):
    routes = api_routes()
    assert len(routes) >= 30, routes
    failures = []
    clients = {"admin": client_for(world["admin"]), "anonymous": client_for(), "annotator": client_for(world["ann"])}
    for name, pattern in routes:
        url = reverse(name, kwargs=route_kwargs(world, pattern) or None)
        for who, client in clients.items():
            if who == "annotator" and not pattern.startswith("api/assignments/"):
                continue
            for method in written_methods(url):
                for label, (body, content_type) in HOSTILE_BODIES.items():
                    response = getattr(client, method)(url, body, content_type=content_type)
                    if response.status_code >= 500:
                        failures.append(f"{who} {method.upper()} {url} [{label}] -> {response.status_code}")
                    elif response.status_code >= 400 and response["Content-Type"].startswith("application/json"):
                        assert response.json(), f"{who} {method.upper()} {url} [{label}]: an empty refusal"
    assert not failures, "\n".join(failures[:30])


# --- ids in query parameters


def test_a_filter_by_id_does_not_tell_whether_another_projects_call_or_turn_exists(world, taxonomy):
    """``?call=`` and ``?turn=`` answered 400 "Select a valid choice" for an id that does not
    exist and 200 with an empty list for one in a project the user cannot see."""
    from annotation.services import project_create

    theirs = project_create(name="Theirs", slug="theirs", taxonomy=taxonomy)
    their_call = theirs.calls.create(original_name="t.wav", sha256="4" * 64, audio="t.wav", status="ready", duration=1)
    their_turn = their_call.turns.create(
        speaker=their_call.speakers.create(label="CH0", role="agent", channel=0), order=0, start=0, end=1, text="x"
    )
    missing = max(their_call.pk, their_turn.pk) + 1000
    client = client_for(world["ann"])
    for url, other in (
        (reverse("api-assignments") + "?call={}", their_call.pk),
        (reverse("api-assignment-annotations", args=[world["a"].pk]) + "?turn={}", their_turn.pk),
    ):
        seen, nothing = client.get(url.format(other)), client.get(url.format(missing))
        assert (seen.status_code, seen.json()) == (nothing.status_code, nothing.json()) == (200, seen.json())
        assert seen.json()["results"] == []
    # The filter still filters.
    mine = client.get(reverse("api-assignments") + f"?call={world['call'].pk}").json()["results"]
    assert [a["id"] for a in mine] == [world["a"].pk]
    assert client.get(reverse("api-assignments") + "?call=abc").status_code == 400
