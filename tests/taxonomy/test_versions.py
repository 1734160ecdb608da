"""Versioning: published versions are frozen, edits make drafts, projects move with a mapping."""

from __future__ import annotations

import html
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.models import Assignment, ProjectMembership, Speaker, Turn, TurnAnnotation
from annotation.services import project_add_member, project_change_taxonomy, taxonomy_change_plan
from taxonomy.models import Label
from taxonomy.services import (
    taxonomy_draft_for_edit,
    taxonomy_export,
    taxonomy_import,
    taxonomy_publish,
    taxonomy_replace_from_document,
)


def edited(document, change):
    change(document)
    return document


def test_export_round_trips_through_import(taxonomy):
    document = taxonomy_export(taxonomy)
    again = taxonomy_export(taxonomy_import(data=document))
    assert {k: v for k, v in again.items() if k != "version"} == {k: v for k, v in document.items() if k != "version"}


def test_editing_a_published_version_makes_a_draft_and_old_annotations_keep_their_meaning(project, make_user):
    v1 = project.taxonomy
    call = project.calls.create(original_name="c.wav", sha256="0" * 64, audio="x.wav", status="ready")
    speaker = Speaker.objects.create(call=call, label="CH0")
    turn = Turn.objects.create(call=call, speaker=speaker, order=0, start=0, end=1)
    assignment = Assignment.objects.create(call=call, annotator=make_user("a", "annotator"))
    annotation = TurnAnnotation.objects.create(
        assignment=assignment, turn=turn, taxonomy=v1, labels=[{"label": "anger", "intensity": 4}]
    )

    draft = taxonomy_draft_for_edit(taxonomy=v1)
    assert (draft.version, draft.status, draft.derived_from_id) == (2, "draft", v1.pk)
    assert taxonomy_draft_for_edit(taxonomy=v1) == draft  # one open draft, not a new one per click
    with pytest.raises(ValidationError, match="published and frozen"):
        taxonomy_replace_from_document(taxonomy=v1, data=taxonomy_export(v1))

    def rename_and_split(doc):
        anger = next(label for label in doc["labels"] if label["key"] == "anger")
        anger.update(key="rage", name="Rage", definition="Hostile, shouting anger.")
        doc["labels"].append(
            {
                "key": "irritation",
                "name": "Irritation",
                "definition": "Mild annoyance.",
                "hotkey": "i",
                "colour": "#aa5500",
            }
        )

    taxonomy_replace_from_document(taxonomy=draft, data=edited(taxonomy_export(draft), rename_and_split))
    taxonomy_publish(taxonomy=draft)

    plan = taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={"anger": ["rage", "irritation"]})
    assert plan["split"] == ["anger -> rage, irritation"] and plan["dropped"] == [] and "frustration" in plan["kept"]
    change = project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"anger": ["rage", "irritation"]})
    project.refresh_from_db()
    assert project.taxonomy == draft and change.mapping["anger"] == ["rage", "irritation"]

    # The old annotation still means v1's "anger", definition and all.
    annotation.refresh_from_db()
    assert annotation.taxonomy == v1
    old_label = Label.objects.get(taxonomy=annotation.taxonomy, key=annotation.labels[0]["label"])
    assert old_label.name == "Anger" and "Hostility" in old_label.definition
    assert not Label.objects.filter(taxonomy=draft, key="anger").exists()


def test_change_plan_rejects_unknown_keys_and_drafts(project):
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    with pytest.raises(ValidationError, match="published"):
        taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={})
    taxonomy_publish(taxonomy=draft)
    with pytest.raises(ValidationError) as err:
        taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={"nope": ["anger"], "anger": ["missing"]})
    assert any("'nope' is not a label" in m for m in err.value.messages)
    assert any("'missing' (for 'anger') is not a label" in m for m in err.value.messages)
    plan = taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={"anger": ["frustration"]})
    assert plan["merged"] == ["anger, frustration -> frustration"]


def test_a_move_to_other_scales_is_refused_once_there_are_annotations(project, make_user):
    """The plan compared labels only: a version whose intensity ran 1-3 and valence -1..1 was
    "kept", and every stored 5 was then read as a 5 on a 1-3 scale (exports, EmotionML, alpha)."""

    def narrower(doc):
        for dim in doc["dimensions"]:
            if dim["key"] == "intensity":
                dim.update(maximum=3.0, anchors={"1": "barely there", "3": "overwhelming"})
            if dim["key"] == "valence":
                dim.update(minimum=-1.0, maximum=1.0, anchors={"-1": "negative", "1": "positive"})

    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    taxonomy_replace_from_document(taxonomy=draft, data=edited(taxonomy_export(draft), narrower))
    taxonomy_publish(taxonomy=draft)
    assert taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={})["kept"]  # nothing to misread yet
    call = project.calls.create(original_name="c.wav", sha256="0" * 64, audio="x.wav", status="ready")
    turn = Turn.objects.create(
        call=call, speaker=Speaker.objects.create(call=call, label="CH0"), order=0, start=0, end=1
    )
    TurnAnnotation.objects.create(assignment=Assignment.objects.create(call=call, annotator=make_user("a", "annotator")),
                                  turn=turn, taxonomy=project.taxonomy, labels=[{"label": "anger", "intensity": 5}])  # fmt: skip
    with pytest.raises(ValidationError) as err:
        project_change_taxonomy(project=project, to_taxonomy=draft, mapping={})
    (message,) = err.value.messages
    assert "intensity runs 1 to 5 in" in message and "1 to 3 in" in message and "valence runs -3 to 3" in message
    project.refresh_from_db()
    assert project.taxonomy != draft


def test_pm_edits_a_draft_in_the_browser_forms(client, taxonomy, make_user):
    client.force_login(make_user("pm", "project_manager"))
    response = client.post(reverse("taxonomy:edit", args=[taxonomy.pk]))
    draft_url = response.url
    page = client.get(draft_url)
    form = page.context["labels"]
    data = {"name": "Call-centre emotions", "description": ""}
    data.update({f"labels-{k}": v for k, v in form.management_form.initial.items()})
    data.update({f"dims-{k}": v for k, v in page.context["dimensions"].management_form.initial.items()})
    for i, f in enumerate(form.forms):
        for name in f.fields:
            value = f.initial.get(name, "")
            data[f"labels-{i}-{name}"] = value if value is not None else ""
    for i, f in enumerate(page.context["dimensions"].forms):
        for name in f.fields:
            data[f"dims-{i}-{name}"] = f.initial.get(name, "")
    extra = len(form.forms) - 1
    data.update(
        {
            f"labels-{extra}-key": "sarcasm",
            f"labels-{extra}-name": "Sarcasm",
            f"labels-{extra}-definition": "Saying the opposite of what is meant.",
            f"labels-{extra}-hotkey": "f",  # collides with frustration
            f"labels-{extra}-colour": "#123456",
        }
    )
    response = client.post(draft_url, data, follow=True)
    assert "Hotkey &#x27;f&#x27; is already used by label &#x27;frustration&#x27;" in response.content.decode()
    data[f"labels-{extra}-hotkey"] = "x"
    response = client.post(draft_url, data, follow=True)
    assert "Draft saved." in response.content.decode()
    assert json.loads(client.get(draft_url + "export.json").content)["labels"][-1]["key"] == "sarcasm"


def test_annotators_cannot_edit_taxonomies(client, taxonomy, make_user):
    client.force_login(make_user("ann", "annotator"))
    assert client.get(reverse("taxonomy:list")).status_code == 403
    assert client.post(reverse("taxonomy:edit", args=[taxonomy.pk])).status_code == 403


def test_pm_edits_an_annotator_profile(client, project, make_user):
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    person = make_user("tala", "annotator")
    client.force_login(pm)
    url = reverse("annotation:annotator_edit", args=[person.pk])
    bad = client.post(url, {"languages": "tl:expert", "locales": "fil PH", "daily_capacity": 5})
    assert "native, fluent or working" in bad.content.decode() and "Not BCP 47" in bad.content.decode()
    client.post(url, {"languages": "tl:native, en:fluent", "locales": "fil-PH", "daily_capacity": 5, "active": "on"})
    person.annotator_profile.refresh_from_db()
    assert person.annotator_profile.languages == [
        {"code": "tl", "proficiency": "native"},
        {"code": "en", "proficiency": "fluent"},
    ]
    assert "tl · native" in client.get(reverse("annotation:annotators")).content.decode()


def test_project_settings_page_renders_for_its_manager(client, project, make_user):
    pm = make_user("pm2", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    client.force_login(pm)
    page = client.get(reverse("annotation:project_settings", args=[project.slug]))
    body = page.content.decode()
    assert page.status_code == 200 and body.count("Suggestion models learned from annotators") == 1
    assert "<title>Settings · Test project</title>" in body


def drop_frustration(project):
    """A published v2 without "frustration" (so the plan drops it unless it is mapped)."""
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    document = taxonomy_export(draft)
    document["labels"] = [label for label in document["labels"] if label["key"] != "frustration"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    return taxonomy_publish(taxonomy=draft)


def test_the_change_plan_counts_the_judgements_a_dropped_label_empties(client, project, make_user):
    """The plan said "Dropped: frustration" and not what it cost: the judgements that chose only
    dropped labels leave agreement and consensus once the project moves."""
    from tests.qa.builders import annotated_call

    call, turns, users = annotated_call(
        project,
        make_user,
        {
            "a1": [["frustration"], ["frustration", "anger"], ["anger"]],
            "a2": [["frustration"], ["neutral"], None],
        },
    )
    # An explicit "no emotion" and a skipped turn lose nothing.
    a3 = Assignment.objects.create(call=call, annotator=make_user("a3", "annotator"))
    TurnAnnotation.objects.create(assignment=a3, turn=turns[0], taxonomy=project.taxonomy, no_emotion=True)
    TurnAnnotation.objects.create(assignment=a3, turn=turns[1], taxonomy=project.taxonomy, skipped=True,
                                  labels=[{"label": "frustration", "intensity": 3}])  # fmt: skip
    v2 = drop_frustration(project)
    plan = taxonomy_change_plan(project=project, to_taxonomy=v2, mapping={})
    assert plan["dropped"] == ["frustration"]
    assert (plan["left_with_no_label"], plan["losing_some_labels"]) == (2, 1)
    assert plan["left_with_no_label_by_label"] == {"frustration": 2}
    kept = taxonomy_change_plan(project=project, to_taxonomy=v2, mapping={"frustration": ["anger"]})
    assert (kept["left_with_no_label"], kept["losing_some_labels"], kept["left_with_no_label_by_label"]) == (0, 0, {})

    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    client.force_login(pm)
    page = client.get(reverse("annotation:project_settings", args=[project.slug]), {"to": v2.pk}).content.decode()
    page = html.unescape(page)
    assert "2 judgements would be left with no label</strong> and leave the agreement figures" in page
    assert "every label they chose is dropped ('frustration' in 2). Map 'frustration' to a label of" in page
    assert "1 judgement would lose some of its labels and keep the others." in page
    # Taxonomy versions record no label identity: the form names the unmatched label, guesses nothing.
    assert "has no label with the key of 1 current label: frustration. Its row starts empty" in page
    assert 'name="map_frustration" value=""' in page
    assert "Unchanged: 7 labels" in page and "label(s)" not in page


def test_the_change_plan_does_not_count_judgements_an_earlier_change_already_emptied(project, make_user):
    from tests.qa.builders import annotated_call

    annotated_call(project, make_user, {"a1": [["frustration"], ["confusion"]]})
    v2 = drop_frustration(project)
    project_change_taxonomy(project=project, to_taxonomy=v2, mapping={})
    project.refresh_from_db()
    draft = taxonomy_draft_for_edit(taxonomy=v2)
    document = taxonomy_export(draft)
    document["labels"] = [label for label in document["labels"] if label["key"] != "confusion"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    v3 = taxonomy_publish(taxonomy=draft)
    plan = taxonomy_change_plan(project=project, to_taxonomy=v3, mapping={})
    # The v1 "frustration" row is out already (counted by the agreement page); "confusion" is new loss.
    assert plan["left_with_no_label_by_label"] == {"confusion": 1} and plan["left_with_no_label"] == 1
