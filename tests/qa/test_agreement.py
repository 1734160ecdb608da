"""The report's breakdowns on small hand-made data, against hand-built vectors and the package."""

from __future__ import annotations

import krippendorff
import pytest

from qa.agreement import ReportFilters, project_report
from qa.judgements import _label_items
from qa.unitizing import unitizing_alpha

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


def test_presence_matches_the_package_on_the_reliability_matrix_of_the_labels_in_use(report, labels):
    used = ["anger", "neutral"]
    matrix = [vector([set(s) for s in TABLE[a]], used) for a in ("a1", "a2", "a3")]
    expected = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
    figure = report["label_presence"]
    assert figure["alpha"] == pytest.approx(expected, abs=1e-4)
    assert figure["units"] == 4 * len(used) and figure["excluded"] == 0
    assert figure["low"] <= figure["alpha"] <= figure["high"]
    assert sorted(figure["never_used"]) == sorted(set(labels) - set(used)) and "never-used" in figure["pooled_note"]
    # Per label (the primary figure) is the package's alpha of that label's column.
    anger = [vector([set(s) for s in TABLE[a]], ["anger"]) for a in ("a1", "a2", "a3")]
    assert figure["per_label"]["anger"]["alpha"] == pytest.approx(
        krippendorff.alpha(reliability_data=anger, level_of_measurement="nominal"), abs=1e-4
    )


def test_pooled_presence_does_not_depend_on_how_many_labels_nobody_used(project, make_user, report):
    # The same judgements with more unused labels in the taxonomy gave a higher pooled figure.
    from taxonomy.models import Label

    before = report["label_presence"]["alpha"]
    for i in range(10):
        Label.objects.create(taxonomy=project.taxonomy, key=f"unused{i}", name=f"u{i}", definition="-", order=90 + i)
    after = project_report(project, bootstrap=0)["label_presence"]
    assert after["alpha"] == before and len(after["never_used"]) == len(report["label_presence"]["never_used"]) + 10


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
    # Work within two weeks drifts per run of N turns (N = turns / 8, at least 1), never one bucket.
    assert people["a1"]["drift_unit"] == "turns"
    assert [bucket["turns"] for bucket in people["a1"]["drift"]] == [1, 1, 1, 1]


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
    assert culture["cultures"] == ["en-in", "en-us"] and culture["same_turns"] is True
    assert culture["within"]["alpha"] == pytest.approx(within, abs=1e-4)
    assert culture["across"]["alpha"] == pytest.approx(across, abs=1e-4)
    assert culture["within"]["pairs"] == 4 and culture["across"]["pairs"] == 8


def test_anchoring_compares_both_groups_with_a_blind_only_consensus(report, labels):
    anchoring = report["anchoring"]
    # One blind annotator: no blind consensus is left for them, so the blind figure is undefined,
    # and the suggested annotators are compared with a3 alone (not with each other).
    assert anchoring["blind"] is None and anchoring["suggested"]["annotations"] == 8
    sets = {a: [set(s) for s in TABLE[a]] for a in TABLE}
    expected = krippendorff.alpha(
        reliability_data=[vector(sets["a1"] + sets["a2"], labels), vector(sets["a3"] + sets["a3"], labels)],
        level_of_measurement="nominal",
    )
    assert anchoring["suggested"]["alpha"] == pytest.approx(expected, abs=1e-4)


def test_suggestion_acceptance_per_label_counts_only_suggested_assignments(project, make_user):
    from annotation.models import TurnAnnotation

    annotated_call(project, make_user, TABLE, blind={"a3"}, cultures=CULTURES)
    rows = {r.assignment.annotator.username: r for r in TurnAnnotation.objects.filter(turn__order=0)}
    TurnAnnotation.objects.filter(pk=rows["a1"].pk).update(suggestion_actions={"anger": "accepted"})
    TurnAnnotation.objects.filter(pk=rows["a2"].pk).update(suggestion_actions={"anger": "rejected"})
    TurnAnnotation.objects.filter(pk=rows["a3"].pk).update(suggestion_actions={"anger": "accepted"})  # blind
    report = project_report(project, bootstrap=0)
    assert report["anchoring"]["acceptance"] == {"anger": {"n": 2, "accepted": 0.5, "edited": 0.0, "rejected": 0.5}}
    # n counts actions, not suggestions shown: the page says so ("Suggested" read as every suggestion).
    from django.template.loader import render_to_string

    page = render_to_string("qa/_report.html", {"report": report, "project": project})
    assert "<th>Acted on</th>" in page and "<th>Suggested</th>" not in page


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
    both = [{"label": "anger", "intensity": 3}, {"label": "neutral", "intensity": 3}]  # a shift's two emotions
    TurnAnnotation.objects.filter(pk=rows["a1"].pk).update(
        labels=both, shifts=[{"at": 0.5, "from": "anger", "to": "neutral"}]
    )
    TurnAnnotation.objects.filter(pk=rows["a2"].pk).update(
        labels=both, shifts=[{"at": 0.7, "from": "anger", "to": "neutral"}]
    )
    shifts = project_report(project, bootstrap=0)["shifts"]
    # a1 and a2 pair up (2 of their 2 marks), a3 marked nothing (a1's and a2's marks unmatched): 2 of 4.
    assert shifts["matched_share"] == 0.5 and shifts["units"] == 1 and shifts["excluded"] == 0
    # uα: the 1 s turn in 10 ms ticks; each mark is a unit of +/- 0.25 s; a3 is all gap.
    expected = unitizing_alpha([(100, [[(25, 50)], [(45, 50)], []])])
    assert shifts["unitizing_alpha"] == expected["alpha"] and shifts["marks"] == 2


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


def test_the_report_says_how_many_judgements_are_drafts(client, project, make_user, reviewer):
    """The report reads judgements of calls still in progress, which their annotators may change,
    without saying so."""
    from django.urls import reverse

    from annotation.models import Assignment
    from qa.services import agreement_report_compute_inline

    table = {"a1": [["anger"], ["joy"]], "a2": [["anger"], ["anger"]]}
    call, _, users = annotated_call(project, make_user, table, submitted=("a1",))
    assert Assignment.objects.get(call=call, annotator=users["a1"]).status == "submitted"
    assert project_report(project, bootstrap=0)["unsubmitted"] == 2
    agreement_report_compute_inline(project=project, filters=ReportFilters())
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug])).content.decode()
    assert "2 of the 4 judgements are from calls not submitted yet" in page


def test_a_median_time_per_turn_under_a_second_is_shown_not_blanked(project, make_user):
    """Saves are timed to the second, so fast tagging has a median of 0 s, which the page showed as
    "—" (no figure), as if nothing had been measured."""
    from django.template.loader import render_to_string

    annotated_call(project, make_user, TABLE, cultures=CULTURES)
    report = project_report(project, bootstrap=0)
    rows = [{**row, "username": "a"} for row in report["per_annotator"]]
    rows[0]["seconds_per_turn"] = 0.0
    page = render_to_string("qa/_report.html", {"report": report, "project": project, "per_annotator": rows})
    assert "<td>under 1</td>" in page
