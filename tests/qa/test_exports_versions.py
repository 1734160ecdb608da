"""Exported annotations in one key space: the snapshot's taxonomy version, like the consensus.

Regression tests: each record's "annotations" gave every annotator's labels in the keys they were
saved under (a v1 "anger" next to a consensus "rage"), an annotation whose labels a version
change all dropped was an empty label list (read as "no label"), and one saved in a version that
does not lead to the snapshot's stood among the others in its own keys. The formats built on
the records carried both key spaces (Label Studio labels its config.xml does not list).
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

from annotation.models import Assignment, TurnAnnotation
from annotation.services import project_change_taxonomy
from qa.exports import ExportFilters
from qa.exports.build import export_write
from qa.exports.records import iter_records
from taxonomy.services import taxonomy_draft_for_edit, taxonomy_export, taxonomy_publish, taxonomy_replace_from_document

from .builders import annotated_call
from .exports_data import build_calls

pytestmark = pytest.mark.django_db

OLD_KEYS = {"anger", "frustration"}


def rename_anger_drop_frustration(project):
    """v2: "anger" renamed "rage"; "frustration" dropped (no mapping: it maps to [])."""
    v1 = project.taxonomy
    draft = taxonomy_draft_for_edit(taxonomy=v1)
    document = taxonomy_export(draft)
    next(label for label in document["labels"] if label["key"] == "anger").update(key="rage", name="Rage")
    document["labels"] = [label for label in document["labels"] if label["key"] != "frustration"]
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"anger": ["rage"]})
    project.refresh_from_db()
    return v1, draft


def keys(items):
    return [item["label"] for item in items]


def test_annotations_are_given_in_the_snapshots_version_and_emptied_ones_are_listed_apart(project, make_user):
    table = {
        "a1": [["anger"], ["frustration"], ["frustration", "neutral"]],
        "a2": [["anger"], ["neutral"], ["neutral"]],
    }
    call, turns, users = annotated_call(project, make_user, table)
    a1 = Assignment.objects.get(call=call, annotator=users["a1"])
    TurnAnnotation.objects.filter(assignment=a1, turn=turns[0]).update(
        shifts=[{"at": 0.5, "from": "neutral", "to": "anger"}]
    )
    v1, v2 = rename_anger_drop_frustration(project)
    records = list(iter_records(project, ExportFilters()))
    by_turn = {r["turn"]: {a["annotator"]: a for a in r["annotations"]} for r in records}
    first = by_turn[0][f"annotator-{users['a1'].pk}"]
    assert first["labels"] == [{"label": "rage", "intensity": 3}]
    assert first["labels_as_saved"] == [{"label": "anger", "intensity": 3}]
    assert first["shifts"] == [{"at": 0.5, "from": "neutral", "to": "rage"}]
    assert first["shifts_as_saved"] == [{"at": 0.5, "from": "neutral", "to": "anger"}]
    # A row whose labels the change left as they were carries no "as saved" copy.
    unchanged = by_turn[1][f"annotator-{users['a2'].pk}"]
    assert unchanged["labels"] == [{"label": "neutral", "intensity": 3}] and "labels_as_saved" not in unchanged
    # Some labels survive: the row stays, with what survived.
    partly = by_turn[2][f"annotator-{users['a1'].pk}"]
    assert keys(partly["labels"]) == ["neutral"] and keys(partly["labels_as_saved"]) == ["frustration", "neutral"]
    # Every label dropped: no "no label" annotation, but one listed apart, with its labels as saved.
    assert list(by_turn[1]) == [f"annotator-{users['a2'].pk}"]
    assert records[1]["annotations_left_out"] == [
        {
            "annotator": f"annotator-{users['a1'].pk}",
            "reason": "labels_removed_by_taxonomy_change",
            "labels_as_saved": [{"label": "frustration", "intensity": 3}],
            "no_emotion": False,
            "valence": None,
            "arousal": None,
            "shifts_as_saved": [],
            "taxonomy": v1.pk,
            "submitted": False,
        }
    ]
    labels_v2 = set(v2.labels.values_list("key", flat=True))
    for r in records:
        # One key space, and the annotations are the judgements the consensus counted.
        assert {k for a in r["annotations"] for k in keys(a["labels"])} | set(keys(r["consensus"])) <= labels_v2
        for soft in r["soft_labels"]:
            chose = sum(soft["label"] in keys(a["labels"]) for a in r["annotations"])
            assert soft["share"] == round(chose / len(r["annotations"]), 4)


def test_a_snapshot_of_an_older_version_lists_later_annotations_apart(project, make_user):
    call, turns, users = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["anger"]]})
    v1, v2 = rename_anger_drop_frustration(project)
    a2 = Assignment.objects.get(call=call, annotator=users["a2"])
    TurnAnnotation.objects.filter(assignment=a2).update(taxonomy=v2, labels=[{"label": "rage", "intensity": 4}])
    project.taxonomy = v1  # as the build of a v1 snapshot reads it
    [record] = iter_records(project, ExportFilters())
    assert [(a["annotator"], a["labels"]) for a in record["annotations"]] == [
        (f"annotator-{users['a1'].pk}", [{"label": "anger", "intensity": 3}])
    ]
    [later] = record["annotations_left_out"]
    assert later["reason"] == "taxonomy_version_not_leading_here" and later["taxonomy"] == v2.pk
    assert later["labels_as_saved"] == [{"label": "rage", "intensity": 4}]
    assert record["soft_labels"] == [{"label": "anger", "share": 1.0, "mean_intensity": 3.0}]


def test_every_format_speaks_the_snapshots_version_and_the_card_counts_what_was_left_out(project, make_user, tmp_path):
    built = build_calls(project, make_user, calls=2, turns=3)
    v1, v2 = rename_anger_drop_frustration(project)
    formats = ["jsonl", "csv", "labelstudio", "emotionml", "textgrid", "audiofolder"]
    export_write(project=project, formats=formats, out_dir=tmp_path, agreement_bootstrap=0)
    records = [json.loads(line) for line in (tmp_path / "jsonl/turns.jsonl").read_text().splitlines()]
    labels_v2 = list(v2.labels.order_by("order", "key").values_list("key", flat=True))

    # Label Studio: every label of every task is one the config lists, with its intensity control.
    config = ET.parse(tmp_path / "labelstudio/config.xml").getroot()
    listed = [label.get("value") for label in config.find("Labels[@name='emotion']")]
    assert listed == labels_v2
    controls = {number.get("name") for number in config.iter("Number")}
    for task in json.loads((tmp_path / "labelstudio/tasks.json").read_text()):
        for entry in task["annotations"] + task["predictions"]:
            for result in entry["result"]:
                if result["from_name"] == "emotion":
                    assert set(result["value"]["labels"]) <= set(listed)
                elif result["type"] == "number":
                    assert result["from_name"] in controls
    # EmotionML: the vocabulary is the version's labels, and no category names another.
    ns = {"e": "http://www.w3.org/2009/10/emotionml"}
    for path in (tmp_path / "emotionml").iterdir():
        root = ET.parse(path).getroot()
        assert [item.get("name") for item in root.find("e:vocabulary[@type='category']", ns)] == labels_v2
        assert {c.get("name") for c in root.iter(f"{{{ns['e']}}}category")} <= set(labels_v2)
    removed = sum(len(r["annotations_left_out"]) for r in records)
    # The generated calls hold rows with only "frustration" and rows that keep a label.
    assert removed and sum(len(r["annotations"]) for r in records) + removed == TurnAnnotation.objects.count()
    assert any("labels_as_saved" in a for r in records for a in r["annotations"])
    # TextGrid: no old key in any tier, and no "(none)" for an annotation that was left out.
    from praatio import textgrid

    for path in (tmp_path / "textgrid").iterdir():
        assert not OLD_KEYS & set(re.findall(r"[a-z]+", path.read_text()))
    checked = 0
    for r in records:
        grid = textgrid.openTextgrid(
            str(tmp_path / f"textgrid/call{r['call']:06d}.TextGrid"), includeEmptyIntervals=False
        )
        for a in r["annotations_left_out"]:
            tier = f"{r['speaker']}|{a['annotator']}"
            if tier in grid.tierNames:
                assert not [e for e in grid.getTier(tier).entries if e.start == r["start"]]
                checked += 1
    assert checked
    # CSV: the same annotations, and the ones left out, as JSON.
    import csv

    with (tmp_path / "csv/turns.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [json.loads(row["annotations"]) for row in rows] == [r["annotations"] for r in records]
    assert [json.loads(row["annotations_left_out"]) for row in rows] == [r["annotations_left_out"] for r in records]
    # audiofolder: the annotations' labels as in the JSONL, and how many were left out.
    metadata = [
        json.loads(line)
        for path in sorted((tmp_path / "audiofolder").rglob("metadata.jsonl"))
        for line in path.read_text().splitlines()
    ]
    by_key = {(r["call"], r["turn"]): r for r in records}
    for row in metadata:
        r = by_key[(row["call"], row["turn"])]
        assert [a["labels"] for a in row["annotations"]] == [a["labels"] for a in r["annotations"]]
        assert row["annotations_left_out"] == len(r["annotations_left_out"])
    # The data card counts the annotations it holds and those it left out, and says why.
    card = json.loads((tmp_path / "datacard.json").read_text())
    assert card["counts"]["annotations"] == sum(len(r["annotations"]) for r in records)
    assert card["counts"]["annotations_left_out"] == {
        "labels_removed_by_taxonomy_change": removed,
        "taxonomy_version_not_leading_here": 0,
    }
    assert card["agreement"]["judgements_left_out"]["labels_removed_by_taxonomy_change"] == removed
    markdown = (tmp_path / "datacard.md").read_text()
    assert f"{removed} annotation{'s' if removed != 1 else ''} of these turns" in markdown
    assert "because their labels were all removed by a taxonomy change" in markdown
    assert len(built.calls) == len({r["call"] for r in records})


def test_the_review_pages_show_judgements_in_the_current_version_and_say_what_was_saved(
    client, project, make_user, reviewer
):
    """The turn page showed "anger (3)" beside a queue saying "rage" and a form without "anger"."""
    from django.urls import reverse

    call, turns, _ = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["neutral"]]})
    rename_anger_drop_frustration(project)
    client.force_login(reviewer)
    turn_page = client.get(reverse("qa:turn_adjudicate", args=[turns[0].pk])).content.decode()
    assert re.search(r"<td>rage \(3\) <span[^>]*>saved as anger \(3\) in an earlier taxonomy version</span>", turn_page)
    call_page = client.get(reverse("qa:call_adjudicate", args=[call.pk])).content.decode()
    assert re.search(r": rage \(3\) <span[^>]*>\(saved as anger\)</span>", call_page)
    assert "anger (3)" not in turn_page.replace("saved as anger (3)", "")
