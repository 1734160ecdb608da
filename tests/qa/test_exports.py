"""Records, JSONL/CSV, filters, snapshots (task, manifest, data card, immutability) and the CLI."""

from __future__ import annotations

import csv
import hashlib
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from annotation.models import Call, GoldCall, Turn
from qa.exports import ExportError, ExportFilters
from qa.exports.build import export_write, read_manifest
from qa.exports.records import iter_records
from qa.exports.snapshot import snapshot_build, snapshot_create, snapshot_dir
from qa.models import Adjudication, ExportSnapshot

from .exports_data import build_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(project, make_user):
    return build_calls(project, make_user, calls=3, turns=4)


def test_records_carry_every_field_and_the_consensus_of_record(project, data):
    turn = data.turns[1]
    Adjudication.objects.create(
        turn=turn, labels=[{"label": "gratitude", "intensity": 2}], valence=2.0, arousal=1.0, shifts=[]
    )
    records = list(iter_records(project, ExportFilters()))
    assert len(records) == 12
    assert [(r["call"], r["turn"]) for r in records] == sorted((r["call"], r["turn"]) for r in records)
    r = next(r for r in records if r["call"] == turn.call_id and r["turn"] == 1)
    assert r["consensus_source"] == "adjudicated"
    assert r["consensus"] == [{"label": "gratitude", "intensity": 2}]
    assert r["valence_mean"] == 2.0 and r["arousal_mean"] == 1.0
    assert r["valence_sd"] == pytest.approx(0.8165)  # the annotators' spread stays
    assert {a["annotator"] for a in r["annotations"]} == {f"annotator-{u.pk}" for u in data.annotators}
    assert r["suggestions"] == [
        {
            "labels": [{"label": "anger", "intensity": 3, "confidence": 0.7}],
            "valence": -1.0,
            "arousal": 4.0,
            "model_version": "rules-v1",
        }
    ]
    assert "contour" not in r["prosody"] and r["prosody"]["pitch_mean"] == 181.0
    assert r["words"][0]["w"] == "hello" and r["speaker_role"] == "customer" and r["language"] == "en"
    shares = {s["label"]: s["share"] for s in r["soft_labels"]}
    assert sum(1 for s in shares.values() if s > 0) >= 1 and max(shares.values()) >= 0.6666
    assert r["shifts"] == []  # the adjudication's shifts (none), not the annotators'
    other = next(x for x in records if x["call"] == turn.call_id and x["turn"] == 0)
    assert other["consensus_source"] == "vote" and other["consensus"]


def test_filters_select_the_right_turns(project, data):
    first, second, third = data.calls
    Turn.objects.filter(call=second, order=0).update(language="hi")
    GoldCall.objects.create(call=third)
    Adjudication.objects.create(turn=data.turns[0], labels=[{"label": "anger", "intensity": 1}])

    def pairs(**filters):
        return {(r["call"], r["turn"]) for r in iter_records(project, ExportFilters.from_mapping(filters))}

    assert pairs(calls=str(first.pk)) == {(first.pk, t) for t in range(4)}
    assert pairs(languages="hi") == {(second.pk, 0)}
    assert pairs(gold_only=True) == {(third.pk, t) for t in range(4)}
    assert pairs(adjudicated_only="on") == {(data.turns[0].call_id, 0)}
    assert pairs(date_from="2026-01-02", date_to="2026-01-02") == {(second.pk, t) for t in range(4)}
    # min_alpha: no call here reaches 0.99, so only the adjudicated turn remains.
    assert pairs(min_alpha="0.99") == {(data.turns[0].call_id, 0)}
    assert len(pairs(min_alpha="-1")) == 12
    Call.objects.filter(pk=first.pk).update(status=Call.Status.PROCESSING)
    assert first.pk not in {c for c, _ in pairs()}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"calls": "1,x"}, "calls: give call ids"),
        ({"min_alpha": "high"}, "min_alpha: give a number"),
        ({"min_alpha": "2"}, "min_alpha: give a number"),
        ({"date_from": "2026-13-01"}, "date_from: give a date"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "starts after it ends"),
    ],
)
def test_bad_filters_are_refused_clearly(filters, message):
    with pytest.raises(ExportError, match=message):
        ExportFilters.from_mapping(filters)


def test_a_call_of_another_project_is_refused(project, data, taxonomy):
    from annotation.services import project_create

    other = project_create(name="Other", slug="other", taxonomy=taxonomy)
    with pytest.raises(ExportError, match=r"calls: no call \d+ in project 'other'"):
        list(iter_records(other, ExportFilters(calls=(data.calls[0].pk,))))


def test_jsonl_and_csv_hold_the_same_turns_and_the_manifest_hashes_every_file(project, data, tmp_path):
    summary = export_write(project=project, formats=["jsonl", "csv"], out_dir=tmp_path, agreement_bootstrap=0)
    manifest = read_manifest(tmp_path / "manifest.json")
    lines = [json.loads(line) for line in (tmp_path / "jsonl/turns.jsonl").read_text().splitlines()]
    assert lines == list(iter_records(project, ExportFilters()))
    with (tmp_path / "csv/turns.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(lines) == 12
    for row, line in zip(rows, lines, strict=True):
        assert row["text"] == line["text"]
        assert json.loads(row["consensus"]) == line["consensus"]
        assert json.loads(row["soft_labels"]) == line["soft_labels"]
        assert json.loads(row["annotations"]) == line["annotations"]
        assert float(row["start"]) == line["start"]
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == {"jsonl/turns.jsonl", "csv/turns.csv", "datacard.json", "datacard.md"}
    for path, entry in listed.items():
        blob = (tmp_path / path).read_bytes()
        assert entry["sha256"] == hashlib.sha256(blob).hexdigest() and entry["bytes"] == len(blob)
    assert manifest["taxonomy"]["slug"] == project.taxonomy.slug
    assert manifest["counts"]["turns"] == 12 and manifest["counts"]["calls"] == 3
    assert {k: v for k, v in manifest.items() if k != "files"} == summary
    assert summary["file_count"] == 4 and summary["bytes"] == sum(f["bytes"] for f in listed.values())


def test_words_a_correction_left_outside_every_turn_are_exported_not_lost(project, data, make_user, tmp_path):
    """A reviewer-accepted boundary move can leave words in no turn; the dataset lists them (with
    speaker and times), counts them in the manifest and says so in the data card."""
    from annotation.corrections import turn_adjust

    turn = data.turns[0]  # words "hello" (0.5-1.0) and "turn0" (1.1-2.0)
    turn_adjust(turn=turn, start=0.5, end=1.05, revision=turn.revision, user=make_user("rev", "qa_reviewer"))
    assert Turn.objects.get(pk=turn.pk).text == "hello"
    export_write(project=project, formats=["jsonl"], out_dir=tmp_path, agreement_bootstrap=0)
    lines = [json.loads(line) for line in (tmp_path / "unassigned_words.jsonl").read_text().splitlines()]
    assert lines == [
        {"call": turn.call_id, "words": [{"speaker": turn.speaker.label, "start": 1.1, "end": 2.0, "text": "turn0"}]}
    ]
    manifest = read_manifest(tmp_path / "manifest.json")
    assert manifest["counts"]["unassigned_words"] == 1
    assert "unassigned_words.jsonl" in {f["path"] for f in manifest["files"]}
    assert "1 transcribed words lie outside every turn" in (tmp_path / "datacard.md").read_text()
    turn_adjust(
        turn=Turn.objects.get(pk=turn.pk), start=0.5, end=2.0, revision=2, user=make_user("rev2", "qa_reviewer")
    )
    again = tmp_path / "again"
    export_write(project=project, formats=["jsonl"], out_dir=again, agreement_bootstrap=0)
    assert not (again / "unassigned_words.jsonl").exists()  # the boundary came back: so did the word
    assert read_manifest(again / "manifest.json")["counts"]["unassigned_words"] == 0


def test_unknown_format_is_refused(project, data, tmp_path):
    with pytest.raises(ExportError, match="unknown format parquet"):
        export_write(project=project, formats=["parquet"], out_dir=tmp_path)
    assert not any(tmp_path.iterdir())


def test_snapshot_build_writes_manifest_datacard_and_is_immutable(project, data, make_user, settings):
    pm = make_user("pm", "project_manager")
    snapshot = snapshot_create(
        project=project,
        created_by=pm,
        formats=["jsonl", "csv"],
        filters=ExportFilters(languages=("en",)),
        split_ratios="0.6,0.2,0.2",
        split_seed=7,
        send=False,
    )
    assert snapshot.status == ExportSnapshot.Status.QUEUED and snapshot.taxonomy_id == project.taxonomy_id
    built = snapshot_build(snapshot_id=snapshot.pk)
    assert built.status == ExportSnapshot.Status.READY, built.error
    assert built.progress == 100.0 and built.built_at is not None
    folder = snapshot_dir(built)
    assert folder.is_dir() and not list(folder.parent.glob(".building-*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {k: v for k, v in manifest.items() if k != "files"} == built.manifest
    assert built.manifest["file_count"] == len(manifest["files"]) == 4
    assert built.size_bytes == sum(f["bytes"] for f in manifest["files"])
    assert manifest["filters"] == {"languages": ["en"]}
    assert manifest["split"] == {"ratios": {"train": 0.6, "dev": 0.2, "test": 0.2}, "seed": 7}
    assert sum(s["turns"] for s in manifest["counts"]["splits"].values()) == 12
    card = built.datacard
    assert card["label_distribution"]["consensus"]
    assert card["languages"]["turns_by_language"] == {"en": 12}
    assert card["languages"]["calls_by_locale"] == {"en-IN": 2, "en-GB": 1}
    assert set(card["agreement"]) >= {"label_presence", "label_sets_masi", "intensity", "valence", "arousal"}
    assert "alpha" in card["agreement"]["label_presence"]
    # Aggregated pool, no one identifiable: 2 annotators in en-IN and 1 in en-GB/hi-IN, all below 3.
    pool = card["annotator_pool"]
    assert pool["annotators"] == 3 and pool["by_locale"] == {"other (fewer than 3 each)": 4}
    text = (folder / "datacard.md").read_text()
    assert "Agreement" in text and "Annotator pool" in text
    everything = text + json.dumps(card)
    for user in data.annotators:
        assert user.username not in everything and f"annotator-{user.pk}" not in everything
    first = (folder / "jsonl/turns.jsonl").read_bytes()
    # Immutable: a second build (a redelivered task) changes nothing.
    again = snapshot_build(snapshot_id=snapshot.pk)
    assert again.built_at == built.built_at and (folder / "jsonl/turns.jsonl").read_bytes() == first
    assert again.attempts == 1
    again.filters = {"languages": ["hi"]}
    with pytest.raises(ValueError, match="is built and cannot change"):
        again.save()
    assert ExportSnapshot.objects.get(pk=snapshot.pk).filters == {"languages": ["en"]}


def test_snapshot_task_runs_through_celery_after_commit(project, data, django_capture_on_commit_callbacks):
    from annotera.celery import app

    app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            snapshot = snapshot_create(project=project, created_by=None, formats=["jsonl"])
            assert ExportSnapshot.objects.get(pk=snapshot.pk).status == ExportSnapshot.Status.QUEUED
    finally:
        app.conf.task_always_eager = False
    assert len(callbacks) == 1
    snapshot.refresh_from_db()
    assert snapshot.status == ExportSnapshot.Status.READY and snapshot.progress == 100.0
    assert snapshot.counts["turns"] == 12 and snapshot.message.startswith("built in")


def test_snapshot_failure_is_recorded_and_leaves_no_folder(project, data, make_user):
    from annotation.storage import pcm_path

    pcm_path(data.calls[1]).unlink()
    snapshot = snapshot_create(project=project, created_by=None, formats=["audiofolder"], send=False)
    failed = snapshot_build(snapshot_id=snapshot.pk)
    assert failed.status == ExportSnapshot.Status.FAILED
    assert f"call {data.calls[1].pk} (call-1.wav) has no decoded audio" in failed.error
    assert not snapshot_dir(failed).exists() and not list(snapshot_dir(failed).parent.glob(".building-*"))


def test_snapshot_with_no_matching_turns_is_refused(project, data):
    with pytest.raises(ExportError, match="no annotated-call turns match"):
        snapshot_create(project=project, created_by=None, formats=["jsonl"], filters=ExportFilters(languages=("fr",)))
    with pytest.raises(ExportError, match="split: give three"):
        snapshot_create(project=project, created_by=None, formats=["jsonl"], split_ratios="0.5,0.5")
    assert not ExportSnapshot.objects.exists()


def test_cli_writes_every_format(project, data, tmp_path, capsys):
    out = tmp_path / "all"
    call_command("export_dataset", project="test", fmt="all", out=str(out), split="0.6,0.2,0.2", bootstrap=0)
    summary = json.loads(capsys.readouterr().out)
    assert summary["counts"]["turns"] == 12
    for folder in ("jsonl", "csv", "audiofolder", "textgrid", "eaf", "rttm", "webvtt", "emotionml", "labelstudio"):
        assert any((out / folder).rglob("*")), folder
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("export_dataset", project="test", fmt="jsonl", out=str(out))
    with pytest.raises(CommandError, match="unknown format"):
        call_command("export_dataset", project="test", fmt="xml", out=str(tmp_path / "x"))
    with pytest.raises(CommandError, match="No project with slug"):
        call_command("export_dataset", project="nope", fmt="jsonl", out=str(tmp_path / "y"))


def test_consensus_accepts_shifts_marked_at_the_same_time():
    from qa.consensus import Judgement, turn_consensus

    shift = {"at": 2.0, "from": "neutral", "to": "anger"}
    c = turn_consensus([Judgement(1, [], shifts=[shift]), Judgement(2, [], shifts=[dict(shift, to="frustration")])])
    assert [s["at"] for s in c.shifts] == [2.0]


def test_reaper_requeues_a_dead_build_and_gives_up_after_the_limit(project, data, settings):
    import datetime as dt

    from django.utils import timezone

    from qa.exports.snapshot import exports_root, snapshots_reap_stale

    snapshot = snapshot_create(project=project, created_by=None, formats=["jsonl"], send=False)
    # A worker claimed it, then died: heartbeat long gone, its temp folder left behind.
    old = timezone.now() - dt.timedelta(seconds=settings.JOB_STALE_SECONDS + 5)
    ExportSnapshot.objects.filter(pk=snapshot.pk).update(status="building", attempts=1, heartbeat_at=old)
    leftover = exports_root() / f".building-{snapshot.pk}-dead"
    leftover.mkdir(parents=True)
    # A redelivered message for a build in progress does nothing.
    assert snapshot_build(snapshot_id=snapshot.pk).status == "building"
    assert snapshots_reap_stale() == [snapshot.pk]
    assert not leftover.exists()
    snapshot.refresh_from_db()
    assert snapshot.status == "queued" and "re-queued" in snapshot.message
    built = snapshot_build(snapshot_id=snapshot.pk)
    assert built.status == "ready" and built.attempts == 2
    assert snapshots_reap_stale() == []
    # Past the attempt limit it fails with a reason instead.
    other = snapshot_create(project=project, created_by=None, formats=["jsonl"], send=False)
    ExportSnapshot.objects.filter(pk=other.pk).update(
        status="building", attempts=settings.JOB_MAX_ATTEMPTS, heartbeat_at=old
    )
    assert snapshots_reap_stale() == [other.pk]
    other.refresh_from_db()
    assert other.status == "failed" and "stopped responding" in other.error
