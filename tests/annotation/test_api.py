"""The REST API: tokens, turns, suggestions (never for blind work), assignments, annotations with
ETags, taxonomies, filtering, pagination and the audit log."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Assignment, ProjectMembership, Suggestion
from annotation.services import project_add_member
from annotera.models import AuditEvent

from ..builders import ready_call


@pytest.fixture
def setup(project, make_user):
    call, speaker, turns = ready_call(project, [f"turn {i}" for i in range(3)])
    Suggestion.objects.create(turn=turns[0], labels=[{"label": "anger", "intensity": 4}], model_version="m")
    annotator = make_user("ann", "annotator")
    blind_annotator = make_user("blind", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    blind = Assignment.objects.create(call=call, annotator=blind_annotator, blind=True)
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    return {"call": call, "turns": turns, "ann": annotator, "blind_ann": blind_annotator, "a": assignment,
            "blind": blind, "pm": pm}  # fmt: skip


def token_client(user) -> APIClient:
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def test_token_from_endpoint_and_command(client, setup, capsys):
    response = client.post(reverse("api-token"), {"username": "ann", "password": "pw-ann"})
    assert response.status_code == 200
    key = response.json()["token"]
    call_command("api_token", "ann")
    assert capsys.readouterr().out.strip() == key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(reverse("api-assignments")).json()["count"] == 1
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert api.get(reverse("api-assignments")).status_code == 401
    wrong = client.post(reverse("api-token"), {"username": "ann", "password": "nope"})
    assert wrong.status_code == 400


def test_token_page_creates_and_rotates(client, setup):
    client.force_login(setup["ann"])
    page = client.get(reverse("api_token"))
    assert b"You have no token yet" in page.content
    client.post(reverse("api_token"))
    from rest_framework.authtoken.models import Token

    first = Token.objects.get(user=setup["ann"]).key
    assert first.encode() in client.get(reverse("api_token")).content
    client.post(reverse("api_token"))
    assert Token.objects.get(user=setup["ann"]).key != first


def test_turns_list_detail_and_filters(setup):
    api = token_client(setup["ann"])
    url = reverse("api-call-turns", args=[setup["call"].pk])
    page = api.get(url).json()
    assert page["count"] == 3 and [t["order"] for t in page["results"]] == [0, 1, 2]
    assert api.get(url, {"start_after": 3}).json()["count"] == 2
    assert api.get(url, {"speaker_role": "agent"}).json()["count"] == 0
    detail = api.get(reverse("api-turn-detail", args=[setup["turns"][1].pk])).json()
    assert detail["text"] == "turn 1" and detail["speaker"] == "CH1"


def test_suggestions_never_reach_a_blind_assignment(setup):
    seeing = token_client(setup["ann"]).get(reverse("api-assignment-suggestions", args=[setup["a"].pk])).json()
    assert seeing["count"] == 1 and seeing["results"][0]["labels"][0]["label"] == "anger"
    blind_api = token_client(setup["blind_ann"])
    assert blind_api.get(reverse("api-assignment-suggestions", args=[setup["blind"].pk])).json()["count"] == 0
    # ...nor through the call: that route is for reviewers and managers only.
    assert blind_api.get(reverse("api-call-suggestions", args=[setup["call"].pk])).json()["count"] == 0
    assert token_client(setup["pm"]).get(reverse("api-call-suggestions", args=[setup["call"].pk])).json()["count"] == 1


def test_assignments_are_scoped_and_filterable(setup):
    assert token_client(setup["ann"]).get(reverse("api-assignments")).json()["count"] == 1
    pm = token_client(setup["pm"])
    assert pm.get(reverse("api-assignments")).json()["count"] == 2
    assert pm.get(reverse("api-assignments"), {"blind": "true"}).json()["count"] == 1
    assert pm.get(reverse("api-assignments"), {"annotator": "ann"}).json()["results"][0]["id"] == setup["a"].pk
    assert pm.get(reverse("api-assignment-detail", args=[setup["a"].pk])).json()["annotator"] == "ann"


def test_annotation_get_etag_304_put_if_match_and_list(setup):
    api = token_client(setup["ann"])
    url = reverse("api-turn-annotation", args=[setup["a"].pk, setup["turns"][0].pk])
    empty = api.get(url)
    assert empty.status_code == 200 and empty["ETag"] == '"0"' and empty.json() == {"version": 0}
    saved = api.put(url, {"labels": [{"label": "anger", "intensity": 2}]}, format="json", HTTP_IF_MATCH=empty["ETag"])
    assert saved.status_code == 200 and saved["ETag"] == '"1"'
    assert api.get(url, HTTP_IF_NONE_MATCH='"1"').status_code == 304
    assert api.get(url, HTTP_IF_NONE_MATCH='"0"').json()["version"] == 1
    stale = api.put(url, {"labels": []}, format="json", HTTP_IF_MATCH='"0"')
    assert stale.status_code == 409 and "Someone (another tab?) saved" in stale.json()["detail"]
    # A version no save ever made is not blamed on someone else.
    never = api.put(url, {"labels": []}, format="json", HTTP_IF_MATCH='"99999"')
    assert never.status_code == 409 and "was never saved for this turn (it is at version 1)" in never.json()["detail"]
    # And a negative one is no version at all: refused, naming the header.
    negative = api.put(url, {"labels": []}, format="json", HTTP_IF_MATCH='"-5"')
    assert negative.status_code == 400 and "If-Match must be the version you edited" in negative.json()["detail"][0]
    listing = token_client(setup["pm"]).get(reverse("api-assignment-annotations", args=[setup["a"].pk])).json()
    assert listing["count"] == 1 and listing["results"][0]["version"] == 1


def test_taxonomy_list_document_and_import(setup, taxonomy):
    pm = token_client(setup["pm"])
    assert pm.get(reverse("api-taxonomies")).json()["count"] >= 1
    document = pm.get(reverse("api-taxonomy-detail", args=[taxonomy.pk])).json()
    assert document["slug"] == taxonomy.slug and document["labels"]
    imported = pm.post(
        reverse("api-taxonomy-import") + "?publish=1",
        {**document, "slug": "client-x", "name": "Client X"},
        format="json",
    )
    assert imported.status_code == 201 and imported.json()["status"] == "published"
    bad = pm.post(reverse("api-taxonomy-import"), {"slug": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["detail"]
    refused = token_client(setup["ann"]).post(reverse("api-taxonomy-import"), document, format="json")
    assert refused.status_code == 403
    # Annotators see only the version their project pins.
    assert [t["id"] for t in token_client(setup["ann"]).get(reverse("api-taxonomies")).json()["results"]] == [
        taxonomy.pk
    ]


def test_audit_log_records_who_when_before_and_after(setup, taxonomy):
    from annotation.corrections import turn_adjust
    from annotation.turn_annotations import turn_annotation_save
    from taxonomy.services import taxonomy_draft_for_edit, taxonomy_publish

    AuditEvent.objects.all().delete()  # the fixtures' own taxonomy import
    turn = setup["turns"][0]
    turn_annotation_save(assignment=setup["a"], turn=turn, data={"labels": [{"label": "anger", "intensity": 2}]},
                         base_version=0)  # fmt: skip
    turn_annotation_save(assignment=setup["a"], turn=turn, data={"labels": []}, base_version=1)
    turn_adjust(turn=setup["turns"][2], start=6.2, end=8.0, revision=1, user=setup["pm"])
    draft = taxonomy_draft_for_edit(taxonomy=taxonomy, actor=setup["pm"])
    taxonomy_publish(taxonomy=draft, actor=setup["pm"])
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == [
        "annotation.save",
        "annotation.save",
        "turn.adjust",
        "taxonomy.import",
        "taxonomy.publish",
    ]
    second = events[1]
    assert second.actor == setup["ann"] and second.before["labels"] == [{"label": "anger", "intensity": 2}]
    assert second.after["labels"] == [] and second.after["version"] == 2
    assert events[2].before[0]["start"] == 6 and events[2].after[0]["start"] == 6.2
    assert events[4].before == {"status": "draft"} and events[4].after["status"] == "published"
    pm_view = token_client(setup["pm"]).get(reverse("api-audit")).json()
    assert pm_view["count"] == 5
    assert token_client(setup["pm"]).get(reverse("api-audit"), {"action": "turn.adjust"}).json()["count"] == 1
    assert token_client(setup["ann"]).get(reverse("api-audit")).json()["count"] == 0


def test_a_refused_write_leaves_no_audit_event(setup):
    from django.core.exceptions import ValidationError

    from annotation.turn_annotations import turn_annotation_save

    AuditEvent.objects.all().delete()  # the fixtures' own taxonomy import
    with pytest.raises(ValidationError):
        turn_annotation_save(assignment=setup["a"], turn=setup["turns"][0], data={"labels": [{"label": "nope"}]},
                             base_version=0)  # fmt: skip
    assert not AuditEvent.objects.exists()


def test_schema_is_valid_and_docs_page_loads(client, setup):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    client.force_login(setup["pm"])
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and b"<script>" not in docs.content.replace(b" ", b"")
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"after": "0691-11-12T14:56:48-21:45"}, "offset between -14:00 and +14:00"),
        ({"before": "0001-01-01T00:30:00+05:00"}, "between years 1 and 9999"),
        ({"after": "yesterday"}, "Enter a valid date/time"),
    ],
)
def test_time_filters_refuse_impossible_times_clearly(setup, query, message):
    # Found by schemathesis on PostgreSQL, which refuses such offsets with a database error.
    response = token_client(setup["pm"]).get(reverse("api-audit"), query)
    assert response.status_code == 400
    assert message in str(response.json()), response.json()


def test_an_annotator_cannot_tell_a_gold_assignment_from_the_api(setup):
    setup["a"].explanation = "gold check (blind): scored against the adjudicated labels"
    setup["a"].save()
    mine = token_client(setup["ann"]).get(reverse("api-assignment-detail", args=[setup["a"].pk])).json()
    assert mine["explanation"] == "" and "gold" not in str(mine)
    managed = token_client(setup["pm"]).get(reverse("api-assignment-detail", args=[setup["a"].pk])).json()
    assert managed["explanation"].startswith("gold check")
