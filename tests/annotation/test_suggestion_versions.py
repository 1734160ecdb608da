"""Machine suggestions follow the project to a new taxonomy version.

Regression: suggestions carry no version of their own. After a project moved from v1 to a v2 that
renamed "anger" and dropped "frustration", the workspace still pre-filled "anger 3? (53%)" and
"frustration 2? (36%)", and accepting them was refused: "labels[0]: 'anger' is not a label of
this project's taxonomy."
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from annotation.models import Assignment, Suggestion, TurnAnnotation
from annotation.services import project_change_taxonomy
from taxonomy.services import taxonomy_draft_for_edit, taxonomy_export, taxonomy_publish, taxonomy_replace_from_document

from ..builders import ready_call

pytestmark = pytest.mark.django_db


def move_renaming_anger_dropping_frustration(project, mapping):
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    document = taxonomy_export(draft)
    next(label for label in document["labels"] if label["key"] == "anger").update(key="hostility", name="Hostility")
    document["labels"] = [label for label in document["labels"] if label["key"] != "frustration"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    project_change_taxonomy(project=project, to_taxonomy=draft, mapping=mapping)
    project.refresh_from_db()


def test_a_suggestion_made_before_a_move_is_offered_and_accepted_in_the_new_keys(client, project, make_user):
    call, _, turns = ready_call(project, ["I am so angry about this", "fine"])
    Suggestion.objects.create(
        turn=turns[0],
        labels=[
            {"label": "anger", "intensity": 3, "confidence": 0.53},
            {"label": "frustration", "intensity": 2, "confidence": 0.36},
        ],
        shifts=[{"at": float(turns[0].start), "from": "frustration", "to": "anger"}],
        model_version="rules-4",
    )
    untouched = Suggestion.objects.create(
        turn=turns[1], labels=[{"label": "neutral", "intensity": 3, "confidence": 0.9}], model_version="rules-4"
    )
    before = Suggestion.objects.get(pk=untouched.pk).labels
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator, status=Assignment.Status.IN_PROGRESS)

    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})

    client.force_login(annotator)
    payload = client.get(reverse("api-workspace", args=[assignment.pk])).json()
    offered = payload["suggestions"][str(turns[0].pk)]
    assert [item["label"] for item in offered["labels"]] == ["hostility"]
    assert offered["labels"][0]["intensity"] == 3 and offered["labels"][0]["confidence"] == 0.53
    assert offered["shifts"] == []  # "frustration" is gone: the shift names no emotion of v2
    assert Suggestion.objects.get(pk=untouched.pk).labels == before

    # Accepting what is offered is saved.
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    body = {"labels": [{"label": "hostility", "intensity": 3}], "suggestion_actions": {"hostility": "accepted"}}
    response = client.put(url, json.dumps(body), content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 200, response.content
    assert TurnAnnotation.objects.get(assignment=assignment, turn=turns[0]).labels[0]["label"] == "hostility"


def test_merged_labels_are_suggested_once_with_the_surer_confidence(project):
    call, _, turns = ready_call(project, ["why is this still broken"])
    Suggestion.objects.create(
        turn=turns[0],
        labels=[
            {"label": "anger", "intensity": 2, "confidence": 0.4},
            {"label": "frustration", "intensity": 4, "confidence": 0.7},
        ],
        model_version="rules-4",
    )
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"], "frustration": ["hostility"]})
    assert Suggestion.objects.get(turn=turns[0]).labels == [{"label": "hostility", "intensity": 4, "confidence": 0.7}]


def test_calibration_judges_a_moved_suggestion_by_what_the_old_labels_became(project, make_user):
    """A v1 "anger" consensus confirms the suggestion "hostility" it became (read raw, the two
    never matched, and the calibration learned that the suggestion was wrong)."""
    from annotation.calibration import judged_suggestions

    call, _, turns = ready_call(project, ["I am so angry about this"])
    Suggestion.objects.create(
        turn=turns[0], labels=[{"label": "anger", "intensity": 3, "confidence": 0.6}], model_version="rules-4"
    )
    for name in ("a1", "a2"):
        assignment = Assignment.objects.create(call=call, annotator=make_user(name, "annotator"))
        TurnAnnotation.objects.create(
            assignment=assignment, turn=turns[0], taxonomy=project.taxonomy, labels=[{"label": "anger", "intensity": 3}]
        )
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    [judged] = judged_suggestions(project)
    assert (judged.label, judged.confirmed) == ("hostility", True)


def test_suggestions_computed_before_a_move_and_written_after_it_are_in_the_new_keys(project):
    """The suggest stage read the taxonomy when it started and wrote in those keys at commit, even
    when the project had moved meanwhile."""
    from django.db import transaction

    from annotation.jobs import pipeline_start
    from annotation.stages.suggest import stage_suggest

    call, _, turns = ready_call(project, ["This is ridiculous, cancel my account now!", "okay"])
    job = pipeline_start(call=call, from_stage="suggest", send=False)
    commit = stage_suggest(job, lambda *args, **kwargs: None)
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    with transaction.atomic():
        commit()
    written = {item["label"] for s in Suggestion.objects.filter(turn__call=call) for item in s.labels}
    shifted = {
        side for s in Suggestion.objects.filter(turn__call=call) for sh in s.shifts for side in (sh["from"], sh["to"])
    }
    keys = set(project.taxonomy.labels.values_list("key", flat=True))
    assert written and written | shifted <= keys, written - keys
    assert "hostility" in written  # the furious turn's "anger", in the new version's key


def test_a_move_stops_the_learned_model_that_answers_in_the_old_keys(project):
    from annotation.models import SuggestionModel

    model = SuggestionModel.objects.create(
        project=project, version=1, trained_on=50, held_out=20, active=True, weights={}
    )
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    model.refresh_from_db()
    assert not model.active


def test_no_recorded_route_to_the_current_version_writes_no_label_of_the_old_one(project):
    """Suggestions computed in a version the current one cannot be reached from keep none of its
    keys (the project has none of them), rather than being written as they were."""
    from types import SimpleNamespace

    from annotation.stages.suggest import written_in_current_version

    result = SimpleNamespace(
        labels_json=lambda: [{"label": "anger", "intensity": 3, "confidence": 0.6}],
        shifts=[{"at": 1.0, "from": "neutral", "to": "anger"}],
    )
    v1 = project.taxonomy
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    assert written_in_current_version(project, v1.pk, project.taxonomy_id, [result]) == [
        (
            [{"label": "hostility", "intensity": 3, "confidence": 0.6}],
            [{"at": 1.0, "from": "neutral", "to": "hostility"}],
        )
    ]
    assert written_in_current_version(project, 10**9, project.taxonomy_id, [result]) == [([], [])]
    assert written_in_current_version(project, v1.pk, v1.pk, [result])[0][0][0]["label"] == "anger"


def test_a_second_submit_of_the_same_move_is_refused_not_mapped_twice(project):
    from django.core.exceptions import ValidationError

    from annotation.models import Project, TaxonomyChange

    stale = Project.objects.get(pk=project.pk)  # the form's page, opened before the first move
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    with pytest.raises(ValidationError, match="moved to another taxonomy version meanwhile"):
        project_change_taxonomy(project=stale, to_taxonomy=project.taxonomy, mapping={"anger": ["hostility"]})
    assert TaxonomyChange.objects.filter(project=project).count() == 1


def test_the_move_preview_counts_a_judgement_saved_under_a_key_an_earlier_move_renamed(project, make_user):
    """The preview narrows to rows naming a dropped key by their saved text: a v1 "anger", renamed
    "hostility" in v2, is lost when v3 drops "hostility" and must be counted."""
    from annotation.services import taxonomy_change_plan

    call, _, turns = ready_call(project, ["I am so angry about this"])
    assignment = Assignment.objects.create(call=call, annotator=make_user("ann", "annotator"))
    TurnAnnotation.objects.create(
        assignment=assignment, turn=turns[0], taxonomy=project.taxonomy, labels=[{"label": "anger", "intensity": 3}]
    )
    move_renaming_anger_dropping_frustration(project, {"anger": ["hostility"]})
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    document = taxonomy_export(draft)
    document["labels"] = [label for label in document["labels"] if label["key"] != "hostility"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    plan = taxonomy_change_plan(project=project, to_taxonomy=draft, mapping={})
    assert plan["dropped"] == ["hostility"]
    assert (plan["left_with_no_label"], plan["left_with_no_label_by_label"]) == (1, {"hostility": 1})
