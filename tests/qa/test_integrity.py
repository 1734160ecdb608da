"""What goes into the agreement figures: only real judgements, in one taxonomy version.

Each test is a regression test for a way the old report was misled: blank autosaved rows
counted as "no emotion", skips never excluded, taxonomy versions read through the wrong labels,
shift consensus counting marks instead of annotators, culture compared case-sensitively.
"""

from __future__ import annotations

import krippendorff
import pytest
from django.core.exceptions import ValidationError

from annotation.models import Assignment, TurnAnnotation
from annotation.services import project_change_taxonomy
from annotation.turn_annotations import assignment_progress, assignment_submit, turn_annotation_save
from qa.agreement import ReportFilters, project_report
from qa.consensus import consensus_for_turns
from qa.exports import ExportFilters
from qa.exports.records import call_alphas, iter_records
from taxonomy.services import taxonomy_draft_for_edit, taxonomy_export, taxonomy_publish, taxonomy_replace_from_document

from .builders import annotated_call

TWO = {
    "a1": [["anger"], ["anger"], ["neutral"], ["frustration"]],
    "a2": [["anger"], ["frustration"], ["neutral"], ["frustration"]],
}


def presence(project, **filters):
    return project_report(project, ReportFilters(**filters), bootstrap=0)["label_presence"]


def test_rows_without_a_label_decision_are_not_judgements(project, make_user):
    call, turns, users = annotated_call(project, make_user, TWO)
    before = presence(project)
    # Two more annotators whose autosave stored only a valence: labels [] without a decision.
    for who in ("b1", "b2"):
        assignment = Assignment.objects.create(call=call, annotator=make_user(f"{who}x", "annotator"))
        for turn in turns:
            TurnAnnotation.objects.create(assignment=assignment, turn=turn, taxonomy=project.taxonomy, valence=1)
    after = project_report(project, bootstrap=0)
    assert after["label_presence"]["alpha"] == before["alpha"] and after["annotations"] == 8
    # An explicit "no emotion" decision is a judgement, and it does move the figure.
    TurnAnnotation.objects.filter(assignment__annotator__username="b1x").update(no_emotion=True)
    decided = project_report(project, bootstrap=0)
    assert decided["annotations"] == 12 and decided["label_presence"]["alpha"] != before["alpha"]


def test_progress_agreement_and_consensus_share_one_definition_of_tagged(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"], None, None, None]})
    assignment = Assignment.objects.get(call=call, annotator=users["a1"])
    turn_annotation_save(assignment=assignment, turn=turns[1], data={"valence": 1}, base_version=0)
    turn_annotation_save(assignment=assignment, turn=turns[2], data={"no_emotion": True}, base_version=0)
    turn_annotation_save(assignment=assignment, turn=turns[3], data={"skipped": True, "skip_reason": "music"},
                         base_version=0)  # fmt: skip
    assert assignment_progress(assignment) == {"turns": 4, "tagged": 2, "skipped": 1, "remaining": 1}
    tagged = set(TurnAnnotation.objects.judgements().values_list("turn__order", flat=True))
    assert tagged == {0, 2}
    consensus = consensus_for_turns([t.pk for t in turns])
    assert [consensus[t.pk].annotators for t in turns] == [1, 0, 1, 0]
    # Exports hold the same judgements, and say which empty label list was a "no emotion" decision.
    exported = {r["turn"]: r["annotations"] for r in iter_records(project, ExportFilters())}
    assert [[a["no_emotion"] for a in exported[t.order]] for t in turns] == [[False], [], [True], []]


def test_no_emotion_with_labels_is_refused_and_nothing_is_written(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [None]})
    assignment = Assignment.objects.get(call=call)
    with pytest.raises(ValidationError, match="not both"):
        turn_annotation_save(
            assignment=assignment, turn=turns[0], data={"labels": [{"label": "anger"}], "no_emotion": True},
            base_version=0,
        )  # fmt: skip
    assert not TurnAnnotation.objects.exists()


def test_off_grid_valence_is_refused_with_the_scale_in_the_message(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [None]})
    assignment = Assignment.objects.get(call=call)
    with pytest.raises(ValidationError, match="steps of 1 from -3; got 0.6667"):
        turn_annotation_save(
            assignment=assignment, turn=turns[0], data={"labels": [{"label": "anger"}], "valence": 0.6667},
            base_version=0,
        )  # fmt: skip
    assert not TurnAnnotation.objects.exists()


def test_skipping_a_turn_or_a_call_removes_its_rows_from_every_figure(project, make_user):
    call, turns, users = annotated_call(project, make_user, {**TWO, "a3": [["neutral"]] * 4})
    with_a3 = project_report(project, bootstrap=0)
    assert with_a3["annotations"] == 12
    a3 = Assignment.objects.get(call=call, annotator=users["a3"])
    row = TurnAnnotation.objects.get(assignment=a3, turn=turns[0])
    turn_annotation_save(assignment=a3, turn=turns[0], data={"skipped": True}, base_version=row.version)
    assert project_report(project, bootstrap=0)["annotations"] == 11
    assignment_submit(assignment=a3, skip_reason="I do not speak this dialect")
    report = project_report(project, bootstrap=0)
    assert report["annotations"] == 8 and report["label_presence"]["alpha"] == presence(project)["alpha"]
    assert consensus_for_turns([turns[0].pk])[turns[0].pk].annotators == 2
    assert TurnAnnotation.objects.filter(assignment=a3, skipped=True).count() == 4


def rename_anger_to_rage(project):
    v1 = project.taxonomy
    draft = taxonomy_draft_for_edit(taxonomy=v1)
    document = taxonomy_export(draft)
    next(label for label in document["labels"] if label["key"] == "anger").update(key="rage", name="Rage")
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"anger": ["rage"]})
    project.refresh_from_db()
    return v1, draft


def test_reports_map_older_versions_into_the_report_version(project, make_user):
    call, turns, users = annotated_call(project, make_user, TWO)
    v1_alpha = presence(project)["per_label"]["anger"]["alpha"]
    v1, v2 = rename_anger_to_rage(project)
    # Default: all versions mapped into the current one, and the report says so.
    report = project_report(project, bootstrap=0)
    assert report["taxonomy_version"] == 2 and report["versions"] == [{"version": 1, "rows": 8, "mapped": True}]
    assert report["label_presence"]["per_label"]["rage"]["alpha"] == v1_alpha
    # A v1 report reads v1's labels: anger does not vanish.
    assert presence(project, taxonomy_version=1)["per_label"]["anger"]["alpha"] == v1_alpha
    # A row re-saved after the move holds v2 keys, so it is stored as v2.
    assignment = Assignment.objects.get(call=call, annotator=users["a1"])
    row = TurnAnnotation.objects.get(assignment=assignment, turn=turns[0])
    saved = turn_annotation_save(
        assignment=assignment, turn=turns[0], data={"labels": [{"label": "rage"}]}, base_version=row.version
    )
    assert saved.taxonomy_id == v2.pk
    versions = project_report(project, bootstrap=0)["versions"]
    assert versions == [{"version": 1, "rows": 7, "mapped": True}, {"version": 2, "rows": 1, "mapped": False}]
    # Export filters read older rows through the mapping too (min_alpha kept nothing before).
    assert call_alphas(project)[call.pk] is not None
    # Read in v1, the v2 row is left out (no recorded mapping back) and counted.
    assert project_report(project, ReportFilters(taxonomy_version=1), bootstrap=0)["rows_left_out"] == 1


def test_cultures_differing_only_by_case_are_one_and_different_cultures_give_an_across_figure(project, make_user):
    annotated_call(project, make_user, TWO, cultures={"a1": "en-GB", "a2": "en-IN"})
    culture = project_report(project, bootstrap=0)["culture"]
    assert culture["cultures"] == ["en-gb", "en-in"] and culture["within"] is None
    assert culture["across"]["pairs"] == 4 and culture["across"]["alpha"] is not None
    assert project_report(project, ReportFilters(culture="EN-gb"), bootstrap=0)["annotators"] == 1


def test_anchoring_is_measured_against_blind_annotators_and_the_machine(project, make_user):
    from annotation.models import Suggestion

    table = {
        "b1": [["anger"], ["neutral"], ["neutral"], ["anger"]],
        "b2": [["anger"], ["neutral"], ["anger"], ["neutral"]],
        "s1": [["anger"], ["anger"], ["anger"], ["anger"]],  # follows the machine everywhere
    }
    call, turns, users = annotated_call(project, make_user, table, blind={"b1", "b2"})
    for turn in turns:
        Suggestion.objects.create(turn=turn, labels=[{"label": "anger", "intensity": 3}], model_version="rules-1")
    anchoring = project_report(project, bootstrap=0)["anchoring"]
    labels = list(project.taxonomy.labels.order_by("order", "key").values_list("key", flat=True))

    def cells(sets):
        return [1 if label in chosen else 0 for chosen in sets for label in labels]

    # s1 against the blind majority (both blind annotators: anger, neutral, {} (tie), {} (tie)).
    blind_consensus = [{"anger"}, {"neutral"}, set(), set()]
    expected = krippendorff.alpha(
        reliability_data=[cells(map(set, table["s1"])), cells(blind_consensus)], level_of_measurement="nominal"
    )
    assert anchoring["suggested"]["alpha"] == pytest.approx(expected, abs=1e-4)
    # Each blind annotator against the other: the same two vectors twice.
    pair = krippendorff.alpha(
        reliability_data=[cells(map(set, table["b1"])) + cells(map(set, table["b2"])),
                          cells(map(set, table["b2"])) + cells(map(set, table["b1"]))],
        level_of_measurement="nominal",
    )  # fmt: skip
    assert anchoring["blind"]["alpha"] == pytest.approx(pair, abs=1e-4)
    # Agreement with the machine: complete for s1, lower for the blind annotators.
    assert anchoring["suggested_vs_machine"]["agreement"] == 1.0
    assert anchoring["blind_vs_machine"]["agreement"] < 1.0
