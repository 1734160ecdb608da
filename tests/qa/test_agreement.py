"""The report's breakdowns on small hand-made data, against hand-built vectors and the package."""

from __future__ import annotations

import krippendorff
import pytest

from qa.agreement import ReportFilters, _label_items, project_report

from .builders import annotated_call

# a1 and a2 are en-IN, a3 is en-US and works blind.
TABLE = {
    "a1": [["anger"], ["anger"], ["neutral"], ["neutral"]],
    "a2": [["anger"], ["anger"], ["neutral"], ["anger"]],
    "a3": [["anger"], ["neutral"], ["neutral"], ["neutral"]],
}
CULTURES = {"a1": "en-IN", "a2": "en-IN", "a3": "en-US"}


def vector(sets, labels):
    return [1 if label in chosen else 0 for chosen in sets for label in labels]


@pytest.fixture
def report(project, make_user):
    annotated_call(project, make_user, TABLE, blind={"a3"}, cultures=CULTURES, seconds={"a1": [0, 10, 30, 40]})
    return project_report(project, bootstrap=200)


@pytest.fixture
def labels(project):
    return list(project.taxonomy.labels.order_by("order").values_list("key", flat=True))


def by_name(report):
    return {a["username"]: a for a in report["per_annotator"]}


def test_presence_matches_the_package_on_the_reliability_matrix(report, labels):
    matrix = [vector([set(s) for s in TABLE[a]], labels) for a in ("a1", "a2", "a3")]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    figure = report["label_presence"]
    assert figure["alpha"] == pytest.approx(expected, abs=1e-4)
    assert figure["units"] == 4 * len(labels) and figure["excluded"] == 0
    assert figure["low"] <= figure["alpha"] <= figure["high"]


def test_each_annotator_against_the_leave_one_out_consensus(report, labels):
    # Consensus of the other two (strict majority): for a3 it is anger, anger, neutral, {} (a tie).
    loo_a3 = [{"anger"}, {"anger"}, {"neutral"}, set()]
    a3 = by_name(report)["a3"]
    own = vector([set(s) for s in TABLE["a3"]], labels)
    other = vector(loo_a3, labels)
    expected = krippendorff.alpha(reliability_data=[own, other], level_of_measurement="nominal")
    assert a3["vs_consensus"]["alpha"] == pytest.approx(expected, abs=1e-4)
    # Three (turn, label) cells differ: t1 anger and neutral, t3 neutral.
    assert a3["vs_consensus"]["agreement"] == pytest.approx(1 - 3 / (4 * len(labels)), abs=1e-4)
    # For a1 the others tie on t1 and t3: consensus anger, {}, neutral, {}.
    a1 = by_name(report)["a1"]
    expected_a1 = krippendorff.alpha(
        reliability_data=[vector([set(s) for s in TABLE["a1"]], labels),
                          vector([{"anger"}, set(), {"neutral"}, set()], labels)],
        level_of_measurement="nominal",
    )  # fmt: skip
    assert a1["vs_consensus"]["alpha"] == pytest.approx(expected_a1, abs=1e-4)


def test_label_usage_speed_and_drift(report):
    people = by_name(report)
    assert people["a2"]["label_usage"]["anger"] == 0.75 and people["a2"]["label_usage"]["neutral"] == 0.25
    assert people["a3"]["label_usage"]["gratitude"] == 0.0
    # a1 saved at 0, 10, 30, 40 s: gaps 10, 20, 10 -> median 10 s per turn.
    assert people["a1"]["seconds_per_turn"] == 10.0
    # One day of work is one drift bucket, equal to the overall figure.
    assert len(people["a1"]["drift"]) == 1
    assert people["a1"]["drift"][0]["alpha"] == people["a1"]["vs_consensus"]["alpha"]


def test_culture_within_versus_across_on_the_same_turns(report, labels):
    sets = {a: [set(s) for s in TABLE[a]] for a in TABLE}
    within = krippendorff.alpha(
        reliability_data=[vector(sets["a1"], labels), vector(sets["a2"], labels)], level_of_measurement="nominal"
    )
    across = krippendorff.alpha(
        reliability_data=[vector(sets["a1"] + sets["a2"], labels), vector(sets["a3"] + sets["a3"], labels)],
        level_of_measurement="nominal",
    )
    culture = report["culture"]
    assert culture["turns"] == 4 and culture["cultures"] == ["en-IN", "en-US"]
    assert culture["within"]["alpha"] == pytest.approx(within, abs=1e-4)
    assert culture["across"]["alpha"] == pytest.approx(across, abs=1e-4)
    assert culture["within"]["pairs"] == 4 and culture["across"]["pairs"] == 8


def test_anchoring_blind_versus_suggested(report):
    anchoring = report["anchoring"]
    assert anchoring["blind"]["annotations"] == 4 and anchoring["suggested"]["annotations"] == 8
    assert anchoring["blind"]["alpha"] == by_name(report)["a3"]["vs_consensus"]["alpha"]


def test_suggestion_acceptance_per_label_counts_only_suggested_assignments(project, make_user):
    from annotation.models import TurnAnnotation

    annotated_call(project, make_user, TABLE, blind={"a3"}, cultures=CULTURES)
    rows = {r.assignment.annotator.username: r for r in TurnAnnotation.objects.filter(turn__order=0)}
    TurnAnnotation.objects.filter(pk=rows["a1"].pk).update(suggestion_actions={"anger": "accepted"})
    TurnAnnotation.objects.filter(pk=rows["a2"].pk).update(suggestion_actions={"anger": "rejected"})
    TurnAnnotation.objects.filter(pk=rows["a3"].pk).update(suggestion_actions={"anger": "accepted"})  # blind
    acceptance = project_report(project, bootstrap=0)["anchoring"]["acceptance"]
    assert acceptance == {"anger": {"n": 2, "accepted": 0.5, "edited": 0.0, "rejected": 0.5}}


def test_single_annotations_are_excluded_and_counted(project, make_user):
    annotated_call(project, make_user, {"a1": [["anger"], ["anger"]], "a2": [["anger"], None]})
    report = project_report(project, bootstrap=50)
    assert report["label_sets_masi"]["units"] == 1 and report["label_sets_masi"]["excluded"] == 1
    assert report["shifts"]["excluded"] == 1


def test_filters_reach_the_query(project, make_user, report):
    assert project_report(project, ReportFilters(speaker_role="agent"), bootstrap=0)["turns"] == 0
    assert project_report(project, ReportFilters(culture="en-IN"), bootstrap=0)["annotators"] == 2


def test_label_items_fast_path_and_json_fallback_agree():
    texts = ['[{"label": "anger", "intensity": 3}, {"label": "joy", "intensity": null}]', "[]", '[{"label": "x"}]']
    rows, keys, intensities = _label_items(texts)  # the third row has no intensity key: json path
    assert rows.tolist() == [0, 0, 2] and keys == ["anger", "joy", "x"] and intensities == [3, None, None]
    rows, keys, intensities = _label_items(texts[:2])  # regex path
    assert rows.tolist() == [0, 0] and keys == ["anger", "joy"] and intensities == [3.0, None]


def test_shift_boundaries_count_annotators_without_shifts(project, make_user):
    from annotation.models import TurnAnnotation

    annotated_call(project, make_user, TABLE)
    rows = {r.assignment.annotator.username: r for r in TurnAnnotation.objects.filter(turn__order=0)}
    TurnAnnotation.objects.filter(pk=rows["a1"].pk).update(shifts=[{"at": 0.5, "from": "anger", "to": "neutral"}])
    TurnAnnotation.objects.filter(pk=rows["a2"].pk).update(shifts=[{"at": 0.7, "from": "anger", "to": "neutral"}])
    shifts = project_report(project, bootstrap=0)["shifts"]
    # a1 and a2 match each other (2 checks), a3 marked nothing (2 misses): 2 of 4.
    assert shifts == {"boundary_agreement": 0.5, "units": 1, "excluded": 0}


def test_progress_is_reported_between_stages(project, make_user):
    annotated_call(project, make_user, TABLE)
    seen = []
    project_report(project, bootstrap=0, progress=lambda percent, message: seen.append(percent))
    assert seen == [5, 40, 60, 85]


def test_a_project_without_annotations_reports_nothing_to_measure(project):
    report = project_report(project, bootstrap=100)
    assert report["turns"] == 0 and report["label_presence"]["alpha"] is None
    assert report["per_annotator"] == [] and report["most_disagreed"] == []
    assert report["label_sets_masi"]["units"] == 0
