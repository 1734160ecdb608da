"""Anchoring controls: the two project settings (audited, validated), the snapshot each assignment
takes when it is created, and what the server sends an annotator under each mode."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.assignment import assignment_reassign, assignments_run
from annotation.models import AnnotatorProfile, Assignment, Call, Project, ProjectMembership, Speaker, Suggestion, Turn
from annotation.services import project_add_member
from annotation.suggestion_modes import project_suggestion_settings_update, rationale_without_confidence
from annotera.models import AuditEvent

RATIONALE = (
    "anger: pitch +4.2 st above this speaker's baseline; speech 40% faster than baseline | VADER sentiment -0.52"
)
LEARNED = (
    "learned model v3 (held-out alpha 0.62 vs rules 0.41): p(anger)=0.83, p(anxiety)=0.51 | "
    "rule evidence: anger: volume +7 dB over baseline"
)


@pytest.fixture
def world(project, make_user):
    call = Call.objects.create(
        project=project, audio="calls/c.wav", original_name="c.wav", sha256="7" * 64, status="ready", duration=6
    )
    speaker = Speaker.objects.create(call=call, label="CH0", role="customer", channel=0)
    turns = [Turn.objects.create(call=call, speaker=speaker, order=i, start=2 * i, end=2 * i + 1.5) for i in range(2)]
    Suggestion.objects.create(
        turn=turns[0],
        labels=[{"label": "anger", "intensity": 5, "confidence": 0.95}, {"label": "anxiety", "intensity": 4,
                                                                         "confidence": 0.84}],
        rationale=RATIONALE,
        model_version="rules-v1",
    )  # fmt: skip
    Suggestion.objects.create(
        turn=turns[1], labels=[{"label": "anger", "intensity": 3, "confidence": 0.83}], rationale=LEARNED,
        model_version="learned-test-v3",
    )  # fmt: skip
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    return {"call": call, "turns": turns, "pm": pm}


def annotator(make_user, name: str):
    user = make_user(name, "annotator")
    AnnotatorProfile.objects.create(user=user, languages=[{"code": "en", "proficiency": "native"}], locales=["en-US"])
    return user


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- the settings ------------------------------------------------------------------------------
def test_settings_change_is_saved_with_an_audit_event(project, world):
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=True, hide_suggestion_confidence=True
    )
    stored = Project.objects.get(pk=project.pk)
    assert stored.reveal_suggestions_after_play and stored.hide_suggestion_confidence
    event = AuditEvent.objects.get(action="project.suggestion_settings")
    assert event.actor == world["pm"] and event.project_id == project.pk and event.object_id == str(project.pk)
    assert event.before == {"reveal_suggestions_after_play": False, "hide_suggestion_confidence": False}
    assert event.after == {"reveal_suggestions_after_play": True, "hide_suggestion_confidence": True}
    # Saving the same values again changes nothing and records nothing.
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=True, hide_suggestion_confidence=True
    )
    assert AuditEvent.objects.filter(action="project.suggestion_settings").count() == 1


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_settings_service_refuses_non_booleans_and_writes_nothing(project, world, bad):
    with pytest.raises(ValidationError) as refused:
        project_suggestion_settings_update(
            project=project, actor=world["pm"], reveal_suggestions_after_play=bad, hide_suggestion_confidence=True
        )
    assert "Reveal suggestions after play must be yes or no" in refused.value.messages[0]
    stored = Project.objects.get(pk=project.pk)
    assert not stored.reveal_suggestions_after_play and not stored.hide_suggestion_confidence
    assert not AuditEvent.objects.filter(action="project.suggestion_settings").exists()


def test_settings_page_form_saves_and_refuses_bad_input_with_a_message(client, project, world):
    client.force_login(world["pm"])
    settings_url = reverse("annotation:project_settings", args=[project.slug])
    post_url = reverse("annotation:project_suggestion_settings", args=[project.slug])
    page = client.get(settings_url).content.decode()
    assert "How suggestions are shown" in page and 'name="reveal" value="no" checked' in page

    refused = client.post(post_url, {"reveal": "sometimes", "confidence": "yes"}, follow=True).content.decode()
    assert "When an annotator sees a turn&#x27;s suggestions: Select a valid choice" in refused
    assert "Nothing was changed" in refused
    missing = client.post(post_url, {"reveal": "yes"}, follow=True).content.decode()
    assert "Confidence numbers on suggestions: This field is required." in missing
    stored = Project.objects.get(pk=project.pk)
    assert not stored.reveal_suggestions_after_play and not stored.hide_suggestion_confidence
    assert not AuditEvent.objects.filter(action="project.suggestion_settings").exists()

    saved = client.post(post_url, {"reveal": "yes", "confidence": "no"}, follow=True).content.decode()
    assert "Suggestion settings saved" in saved and 'name="reveal" value="yes" checked' in saved
    stored = Project.objects.get(pk=project.pk)
    assert stored.reveal_suggestions_after_play and not stored.hide_suggestion_confidence
    assert AuditEvent.objects.get(action="project.suggestion_settings").actor == world["pm"]


def test_settings_are_managers_only(client, project, world, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    client.force_login(reviewer)
    post_url = reverse("annotation:project_suggestion_settings", args=[project.slug])
    assert client.post(post_url, {"reveal": "yes", "confidence": "yes"}).status_code in (403, 404)
    assert client.get(post_url).status_code == 405
    assert not Project.objects.get(pk=project.pk).reveal_suggestions_after_play


# --- the snapshot on each assignment -------------------------------------------------------------
def test_assignment_keeps_the_mode_it_was_created_under(project, world, make_user):
    before = Assignment.objects.create(call=world["call"], annotator=annotator(make_user, "early"))
    stale_project = world["call"].project  # cached object, still showing the old settings
    project_suggestion_settings_update(
        project=Project.objects.get(pk=project.pk), actor=world["pm"],
        reveal_suggestions_after_play=True, hide_suggestion_confidence=True,
    )  # fmt: skip
    assert not stale_project.hide_suggestion_confidence
    after = Assignment.objects.create(call=world["call"], annotator=annotator(make_user, "late"))
    got, created = Assignment.objects.get_or_create(
        call=world["call"], annotator=annotator(make_user, "demo"), defaults={"blind": True}
    )
    before.refresh_from_db()
    assert (before.reveal_suggestions_after_play, before.hide_suggestion_confidence) == (False, False)
    assert (after.reveal_suggestions_after_play, after.hide_suggestion_confidence) == (True, True)
    assert created and (got.reveal_suggestions_after_play, got.hide_suggestion_confidence) == (True, True)
    # A later change of the project's settings rewrites no existing assignment.
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=False, hide_suggestion_confidence=False
    )
    after.refresh_from_db()
    before.save()  # an ordinary update is not a creation: no new snapshot
    before.refresh_from_db()
    assert (after.reveal_suggestions_after_play, after.hide_suggestion_confidence) == (True, True)
    assert (before.reveal_suggestions_after_play, before.hide_suggestion_confidence) == (False, False)


def test_engine_bulk_assignments_and_reassignment_keep_the_snapshot(project, world, make_user):
    project.overlap_k = 2
    project.save()
    people = [annotator(make_user, name) for name in ("ann", "bob", "cy")]
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=True, hide_suggestion_confidence=False
    )
    assert assignments_run(project=project).created == 2  # bulk_create path
    made = list(world["call"].assignments.all())
    assert [(a.reveal_suggestions_after_play, a.hide_suggestion_confidence) for a in made] == [(True, False)] * 2
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=False, hide_suggestion_confidence=True
    )
    free = next(p for p in people if p.pk not in {a.annotator_id for a in made})
    moved = assignment_reassign(assignment=made[0], annotator=free)
    moved.refresh_from_db()
    assert moved.annotator == free
    assert (moved.reveal_suggestions_after_play, moved.hide_suggestion_confidence) == (True, False)
    newcomer = annotator(make_user, "newcomer")
    Assignment.objects.bulk_create([Assignment(call=world["call"], annotator=newcomer)])  # as the benchmarks do
    stored = Assignment.objects.get(call=world["call"], annotator=newcomer)
    assert (stored.reveal_suggestions_after_play, stored.hide_suggestion_confidence) == (False, True)


# --- what the annotator receives -----------------------------------------------------------------
def _settings(project, world, *, reveal: bool, hide: bool) -> None:
    project_suggestion_settings_update(
        project=project, actor=world["pm"], reveal_suggestions_after_play=reveal, hide_suggestion_confidence=hide
    )


def test_workspace_payload_under_hide_confidence_has_no_confidence_numbers(project, world, make_user):
    shown = Assignment.objects.create(call=world["call"], annotator=annotator(make_user, "shown"))
    _settings(project, world, reveal=False, hide=True)
    hidden_user = annotator(make_user, "hidden")
    hidden = Assignment.objects.create(call=world["call"], annotator=hidden_user)

    payload = api(hidden_user).get(reverse("api-workspace", args=[hidden.pk])).json()
    assert payload["assignment"]["suggestion_mode"] == {"reveal_after_play": False, "hide_confidence": True}
    suggestions = payload["suggestions"]
    assert len(suggestions) == 2
    for item in suggestions.values():
        assert all(set(label) == {"label", "intensity"} for label in item["labels"])
        assert "%" not in item["rationale"] and "0.83" not in item["rationale"] and "0.52" not in item["rationale"]
        assert item["reveal_after_play"] is False
    body = json.dumps(suggestions)
    assert "confidence" not in body and "0.95" not in body and "0.84" not in body
    first = suggestions[str(world["turns"][0].pk)]
    assert first["labels"] == [{"label": "anger", "intensity": 5}, {"label": "anxiety", "intensity": 4}]
    assert "speech faster than baseline" in first["rationale"] and "VADER sentiment negative" in first["rationale"]
    assert "pitch +4.2 st" in first["rationale"]  # measurements of the voice stay: they are the evidence
    assert suggestions[str(world["turns"][1].pk)]["rationale"].startswith("learned model v3: anger, anxiety")

    # The assignment made before the change still gets the numbers; so does its suggestions API.
    before = api(shown.annotator).get(reverse("api-workspace", args=[shown.pk])).json()
    assert before["suggestions"][str(world["turns"][0].pk)]["labels"][0]["confidence"] == 0.95
    assert "40%" in before["suggestions"][str(world["turns"][0].pk)]["rationale"]
    listed = api(hidden_user).get(reverse("api-assignment-suggestions", args=[hidden.pk])).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows and "confidence" not in json.dumps(rows) and all("%" not in r["rationale"] for r in rows)
    assert api(hidden_user).get(reverse("api-assignment-detail", args=[hidden.pk])).json()["hide_suggestion_confidence"]


def test_workspace_payload_marks_reveal_after_play_and_blind_gets_nothing(project, world, make_user):
    _settings(project, world, reveal=True, hide=False)
    user = annotator(make_user, "player")
    mine = Assignment.objects.create(call=world["call"], annotator=user)
    payload = api(user).get(reverse("api-workspace", args=[mine.pk])).json()
    assert payload["assignment"]["suggestion_mode"] == {"reveal_after_play": True, "hide_confidence": False}
    assert all(item["reveal_after_play"] for item in payload["suggestions"].values())
    assert payload["suggestions"][str(world["turns"][0].pk)]["labels"][0]["confidence"] == 0.95

    blind_user = annotator(make_user, "blindfolded")
    blind = Assignment.objects.create(call=world["call"], annotator=blind_user, blind=True)
    blind_payload = api(blind_user).get(reverse("api-workspace", args=[blind.pk])).json()
    assert "suggestions" not in blind_payload and "anger" not in json.dumps(blind_payload["turns"])


def test_call_page_applies_the_annotators_mode(client, project, world, make_user):
    _settings(project, world, reveal=False, hide=True)
    hider = annotator(make_user, "hider")
    Assignment.objects.create(call=world["call"], annotator=hider)
    client.force_login(hider)
    page = client.get(reverse("annotation:call_detail", args=[world["call"].pk])).content.decode()
    assert "speech faster than baseline" in page and "40%" not in page and "p(anger)" not in page

    _settings(project, world, reveal=True, hide=False)
    player = annotator(make_user, "player")
    Assignment.objects.create(call=world["call"], annotator=player)
    client.force_login(player)
    page = client.get(reverse("annotation:call_detail", args=[world["call"].pk])).content.decode()
    assert "speech 40% faster" not in page and "VADER" not in page  # seen in the workspace, after playing

    client.force_login(world["pm"])  # managers see the machine's output as it is
    assert (
        "speech 40% faster" in client.get(reverse("annotation:call_detail", args=[world["call"].pk])).content.decode()
    )


def test_rationale_without_confidence_keeps_the_evidence():
    assert rationale_without_confidence("anger 5 (95%), anxiety 4 (84%); confidence 0.9") == "anger 5, anxiety 4;"
    assert rationale_without_confidence("neutral: no prosody cue fired | VADER sentiment +0.01") == (
        "neutral: no prosody cue fired | VADER sentiment neutral"
    )
    assert rationale_without_confidence("2 pause(s), longest 1.3 s") == "2 pause(s), longest 1.3 s"
