"""Consensus, adjudications and split strata read in one taxonomy version.

Regression tests: ``consensus_for_turns`` counted raw label keys of every version (a v1 "anger"
and a v2 "rage" split the vote), adjudications stored no version (the report looked their old
keys up in the new labels and found nothing), and split stratification counted raw keys.
The rule is the agreement report's (``qa.judgements``): older rows are read through the
project's recorded mappings; a split label counts for each new label, merged labels once, a
dropped label not at all.
"""

from __future__ import annotations

import importlib

from django.apps import apps
from django.urls import reverse

from annotation.models import Assignment, GoldCall, Turn, TurnAnnotation
from annotation.services import project_change_taxonomy
from annotation.turn_annotations import turn_annotation_save
from qa.agreement import project_report
from qa.consensus import consensus_for_turns
from qa.exports import ExportFilters
from qa.exports.records import call_alphas, iter_records
from qa.exports.splits import call_label_counts
from qa.models import Adjudication
from qa.services import adjudication_create, adjudications_merge, adjudications_split, call_adjudicate, gold_call_mark
from taxonomy.services import taxonomy_draft_for_edit, taxonomy_export, taxonomy_publish, taxonomy_replace_from_document

from .builders import annotated_call
from .test_integrity import rename_anger_to_rage


def split_anger_drop_frustration(project):
    """v2: "anger" split into "rage" and "fury"; "frustration" dropped."""
    v1 = project.taxonomy
    draft = taxonomy_draft_for_edit(taxonomy=v1)
    document = taxonomy_export(draft)
    anger = next(label for label in document["labels"] if label["key"] == "anger")
    anger.update(key="rage", name="Rage")
    document["labels"].append({**anger, "key": "fury", "name": "Fury", "hotkey": ""})
    document["labels"] = [label for label in document["labels"] if label["key"] != "frustration"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"anger": ["rage", "fury"]})
    project.refresh_from_db()
    return v1, draft


def labels_of(items):
    return [item["label"] for item in items]


def test_a_renamed_label_and_its_new_name_are_one_vote_in_the_exported_consensus(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["anger"]]})
    rename_anger_to_rage(project)
    a2 = Assignment.objects.get(call=call, annotator=users["a2"])
    row = TurnAnnotation.objects.get(assignment=a2)
    turn_annotation_save(
        assignment=a2, turn=turns[0], data={"labels": [{"label": "rage", "intensity": 3}]}, base_version=row.version
    )
    record = next(iter(iter_records(project, ExportFilters())))
    assert labels_of(record["consensus"]) == ["rage"]
    assert record["soft_labels"] == [{"label": "rage", "share": 1.0, "mean_intensity": 3.0}]
    assert record["disagreement"] == 0.0


def test_consensus_of_old_rows_is_in_the_current_versions_labels(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["anger"]]})
    v1, v2 = rename_anger_to_rage(project)
    consensus = consensus_for_turns([turns[0].pk])[turns[0].pk]
    assert labels_of(consensus.labels) == ["rage"] and set(labels_of(consensus.labels)) <= set(
        v2.labels.values_list("key", flat=True)
    )
    # A v1 snapshot (build sets project.taxonomy to the snapshot's version) reads v1's own keys.
    project.taxonomy = v1
    assert labels_of(next(iter(iter_records(project, ExportFilters())))["consensus"]) == ["anger"]


def test_a_v1_adjudication_is_the_consensus_in_v2_and_its_labels_are_mapped(project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["neutral"]]})
    adjudication_create(turn=turns[0], reviewer=reviewer, labels=[{"label": "anger", "intensity": 4}])
    v1, v2 = rename_anger_to_rage(project)
    consensus = consensus_for_turns([turns[0].pk])[turns[0].pk]
    assert consensus.source == "adjudicated" and consensus.labels == [{"label": "rage", "intensity": 4}]
    # Read in v1 (a snapshot of v1), a decision made in v2 cannot be read: the v1 one stands.
    adjudication_create(turn=turns[0], reviewer=reviewer, labels=[{"label": "neutral", "intensity": 2}])
    assert labels_of(consensus_for_turns([turns[0].pk])[turns[0].pk].labels) == ["neutral"]
    project.taxonomy = v1
    record = next(iter(iter_records(project, ExportFilters())))
    assert record["consensus_source"] == "adjudicated" and labels_of(record["consensus"]) == ["anger"]


def test_the_report_reads_a_v1_gold_adjudication_in_v2(project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    table = {"a1": [["anger"], ["neutral"], ["anger"]], "a2": [["anger"], ["neutral"], ["neutral"]]}
    call, turns, users = annotated_call(project, make_user, table)
    decisions = [["anger"], ["neutral"], ["anger"]]
    call_adjudicate(
        call=call,
        reviewer=reviewer,
        decisions=[
            {"turn": turn.pk, "labels": [{"label": key, "intensity": 3} for key in keys]}
            for turn, keys in zip(turns, decisions, strict=True)
        ],
    )
    gold_call_mark(call=call, user=reviewer)
    before = {row["username"]: row for row in project_report(project, bootstrap=0)["per_annotator"]}
    assert before["a1"]["gold"]["exact_match"] == 1.0
    rename_anger_to_rage(project)
    after = {row["username"]: row for row in project_report(project, bootstrap=0)["per_annotator"]}
    # a1 agreed with every decision: the rename changes nothing (it counted as disagreeing on the
    # two "anger" turns, whose adjudicated keys were looked up in v2 and not found).
    assert after["a1"]["gold"] == before["a1"]["gold"]
    assert after["a2"]["gold"] == before["a2"]["gold"] and after["a2"]["gold"]["exact_match"] < 1.0
    assert after["a1"]["vs_consensus"]["alpha"] == before["a1"]["vs_consensus"]["alpha"] == 1.0
    assert after["a2"]["vs_consensus"]["alpha"] == before["a2"]["vs_consensus"]["alpha"]


def test_split_counts_for_every_new_label_and_a_dropped_label_is_gone(project, make_user):
    table = {
        "a1": [["anger"], ["frustration"], ["anger", "neutral"]],
        "a2": [["anger"], ["frustration", "neutral"], ["neutral"]],
    }
    call, turns, users = annotated_call(project, make_user, table)
    split_anger_drop_frustration(project)
    counts = call_label_counts([call.pk])[call.pk]
    assert dict(counts) == {"": 3, "rage": 3, "fury": 3, "neutral": 3}
    consensus = consensus_for_turns([t.pk for t in turns])
    # The report's rule: the split label is a vote for both new labels, with its intensity.
    assert consensus[turns[0].pk].labels == [{"label": "fury", "intensity": 3}, {"label": "rage", "intensity": 3}]
    # A dropped label is gone. a1 chose only the dropped label: that row is no judgement in v2 (not
    # a "no label" vote against neutral), so a2 alone decides the turn.
    assert consensus[turns[1].pk].annotators == 1 and consensus[turns[1].pk].soft_labels[0]["share"] == 1.0
    assert labels_of(consensus[turns[1].pk].labels) == ["neutral"]
    assert labels_of(consensus[turns[2].pk].labels) == ["neutral"]


def test_merged_labels_count_once_with_the_highest_intensity(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["anger"]]})
    TurnAnnotation.objects.filter(assignment__annotator=users["a1"]).update(
        labels=[{"label": "anger", "intensity": 2}, {"label": "frustration", "intensity": 4}]
    )
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    taxonomy_publish(taxonomy=draft)
    project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"frustration": ["anger"]})
    assert dict(call_label_counts([call.pk])[call.pk]) == {"": 1, "anger": 2}
    consensus = consensus_for_turns([turns[0].pk])[turns[0].pk]
    assert consensus.soft_labels == [{"label": "anger", "share": 1.0, "mean_intensity": 3.5}]
    assert consensus.disagreement == 0.0


def test_every_new_adjudication_records_its_taxonomy_version(project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"], ["anger"]]})
    v1 = project.taxonomy
    first = adjudication_create(turn=turns[0], reviewer=reviewer, labels=[{"label": "anger", "intensity": 3}])
    assert first.taxonomy_id == v1.pk
    v1, v2 = rename_anger_to_rage(project)
    call.refresh_from_db()
    [second] = call_adjudicate(
        call=call, reviewer=reviewer, decisions=[{"turn": turns[1].pk, "labels": [{"label": "rage", "intensity": 3}]}]
    )
    assert second.taxonomy_id == v2.pk
    # Copies made by turn corrections keep the version of the labels they copy.
    half = Turn.objects.create(call=call, speaker=turns[0].speaker, order=2, start=2, end=3, text="half")
    copies = adjudications_split(first=turns[0], second=half, at=0.5)
    assert [copy.taxonomy_id for copy in copies] == [v1.pk, v1.pk]
    # The same decision on the half, newer, still in v1's terms (made before the move).
    Adjudication.objects.create(turn=half, reviewer=reviewer, taxonomy=v1, labels=[{"label": "anger", "intensity": 3}])
    united = adjudications_merge(kept=turns[0], removed=half)
    # United in the project's current version, where both halves were read and compared.
    assert united is not None and united.taxonomy_id == v2.pk and labels_of(united.labels) == ["rage"]
    assert labels_of(consensus_for_turns([turns[0].pk])[turns[0].pk].labels) == ["rage"]


def test_the_migration_gives_old_adjudications_the_version_in_force_when_they_were_made(project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"], ["neutral"]]})
    before = adjudication_create(turn=turns[0], reviewer=reviewer, labels=[{"label": "anger", "intensity": 3}])
    v1, v2 = rename_anger_to_rage(project)
    after = adjudication_create(turn=turns[1], reviewer=reviewer, labels=[{"label": "rage", "intensity": 3}])
    GoldCall.objects.create(call=call, marked_by=reviewer)
    Adjudication.objects.update(taxonomy=None)
    migration = importlib.import_module("qa.migrations.0005_adjudication_taxonomy")
    migration.fill_taxonomy(apps, None)
    assert Adjudication.objects.get(pk=before.pk).taxonomy_id == v1.pk
    assert Adjudication.objects.get(pk=after.pk).taxonomy_id == v2.pk
    gold = {row["username"]: row["gold"] for row in project_report(project, bootstrap=0)["per_annotator"]}
    assert gold["a1"]["exact_match"] == 0.5  # turn 2: a1 said neutral, the reviewer rage


# A judgement whose chosen labels a version change all dropped (v1 "frustration" only, dropped in
# v2) was read in v2 as "no label": the same as an explicit "No emotion on this turn", so it
# agreed with every "no emotion" and disagreed with every label. It is no judgement in v2: left
# out of agreement, consensus and the disagreement queue, and counted.

DROPPED = {
    "a1": [["neutral"], ["anger"], ["neutral"], ["anger"]],
    "a2": [["neutral"], ["anger"], ["neutral"], ["anger"]],
    # Three rows with only the label v2 drops; on turn 2 "neutral" survives, so that row stays.
    "a3": [["frustration"], ["frustration"], ["frustration", "neutral"], ["frustration"]],
}


def test_a_judgement_whose_labels_were_all_dropped_is_left_out_of_the_report_and_counted(
    client, reviewer, project, make_user
):
    call, turns, users = annotated_call(project, make_user, DROPPED)
    # An explicit "no emotion" decision made in v1 stays a judgement in v2.
    a4 = Assignment.objects.create(call=call, annotator=make_user("a4", "annotator"))
    TurnAnnotation.objects.create(assignment=a4, turn=turns[0], taxonomy=project.taxonomy, no_emotion=True)
    split_anger_drop_frustration(project)
    report = project_report(project, bootstrap=0)
    assert report["annotations"] == 4 + 4 + 1 + 1
    assert report["rows_labels_removed"] == 3 and report["rows_left_out"] == 0
    assert report["versions"] == [{"version": 1, "rows": 10, "mapped": True}]
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug])).content.decode()
    assert "3 judgements left out of every figure on this page, valence and arousal included:" in page
    alphas = call_alphas(project)
    # The oracle: the same figures as if those three rows had never been saved.
    TurnAnnotation.objects.filter(assignment__annotator=users["a3"], turn__in=[turns[0], turns[1], turns[3]]).delete()
    never_saved = project_report(project, bootstrap=0)
    assert never_saved["rows_labels_removed"] == 0
    assert {k: v for k, v in report.items() if k != "rows_labels_removed"} == {
        k: v for k, v in never_saved.items() if k != "rows_labels_removed"
    }
    assert call_alphas(project) == alphas  # the export filter min_alpha reads them alike


def test_a_judgement_whose_labels_were_all_dropped_is_no_vote_and_sends_no_turn_to_review(project, make_user):
    from qa.selectors import disagreement_queue, says_no_emotion

    table = {
        "a1": [["neutral"], ["anger"], ["frustration"], ["neutral"]],
        "a2": [["frustration"], ["frustration"], ["frustration"], None],
    }
    call, turns, users = annotated_call(project, make_user, table, submitted="all")
    a2 = Assignment.objects.get(call=call, annotator=users["a2"])
    TurnAnnotation.objects.create(assignment=a2, turn=turns[3], taxonomy=project.taxonomy, no_emotion=True)
    split_anger_drop_frustration(project)
    consensus = consensus_for_turns([t.pk for t in turns])
    # Turns 0 and 1: a1 alone decides; a2's emptied row is no "no label" vote against it.
    assert consensus[turns[0].pk].annotators == 1 and labels_of(consensus[turns[0].pk].labels) == ["neutral"]
    assert labels_of(consensus[turns[1].pk].labels) == ["fury", "rage"] and consensus[turns[1].pk].disagreement == 0
    # Turn 2: nobody's judgement survives, so there is no consensus, not a "no emotion" one.
    assert consensus[turns[2].pk].source == "none" and not says_no_emotion(consensus[turns[2].pk])
    # Only the real disagreement (neutral against an explicit "no emotion") goes to a reviewer.
    assert [item.turn.pk for item in disagreement_queue(project)] == [turns[3].pk]
    # The snapshot's consensus is the same.
    records = list(iter_records(project, ExportFilters()))
    assert [r["consensus_source"] for r in records] == ["vote", "vote", "none", "vote"]


def test_an_adjudication_whose_labels_were_all_dropped_is_no_decision_in_the_new_version(project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    call, turns, users = annotated_call(project, make_user, {"a1": [["neutral"], ["neutral"]], "a2": [["neutral"]] * 2})
    adjudication_create(turn=turns[0], reviewer=reviewer, labels=[{"label": "frustration", "intensity": 3}])
    adjudication_create(turn=turns[1], reviewer=reviewer, labels=[], no_emotion=True)
    split_anger_drop_frustration(project)
    consensus = consensus_for_turns([t.pk for t in turns])
    # The v1 decision named only a label v2 dropped: the vote stands, not an empty "no emotion".
    assert consensus[turns[0].pk].source == "vote" and labels_of(consensus[turns[0].pk].labels) == ["neutral"]
    # An explicit "no emotion" decision stays one.
    assert consensus[turns[1].pk].source == "adjudicated" and consensus[turns[1].pk].labels == []


def test_the_agreement_page_names_the_removed_labels_in_a_notice_and_links_the_move(
    client, reviewer, pm, project, make_user
):
    """The count of judgements a version change emptied was the page's smallest grey sentence: it
    named no label, did not say valence and arousal lose those turns too, nor where the move was."""
    annotated_call(project, make_user, DROPPED)
    split_anger_drop_frustration(project)
    url = reverse("qa:project_agreement", args=[project.slug])
    client.force_login(reviewer)
    page = client.get(url).content.decode()
    notice = page[page.index('<ul class="messages"><li class="warning"><strong>3 judgements') :]
    notice = notice[: notice.index("</li>")]
    assert "valence and arousal included" in notice
    assert "v1 → v2 removed frustration." in notice
    # A reviewer may not open the settings page: the notice says where, without a link that refuses.
    settings_url = reverse("annotation:project_settings", args=[project.slug])
    assert settings_url not in notice and "the project's settings page (its managers')" in notice
    client.force_login(pm)
    managed = client.get(url).content.decode()
    assert f'<a href="{settings_url}#taxonomy-version">the project\'s settings page</a>' in managed
    assert 'id="taxonomy-version"' in client.get(settings_url).content.decode()


def test_an_agreement_report_cached_before_the_count_existed_shows_no_notice(client, reviewer, project, make_user):
    from qa.models import AgreementReport

    annotated_call(project, make_user, DROPPED)
    split_anger_drop_frustration(project)
    client.force_login(reviewer)
    url = reverse("qa:project_agreement", args=[project.slug])
    assert "3 judgements left out" in client.get(url).content.decode()
    cached = AgreementReport.objects.get(project=project)
    cached.report.pop("rows_labels_removed")
    cached.save(update_fields=["report"])
    response = client.get(url)
    assert response.status_code == 200 and "judgements left out" not in response.content.decode()
    assert "labels_removed_by" not in response.context
