"""The CLI entry points: ingest (sync), agreement, export_dataset."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import soundfile as sf
from django.core.management import CommandError, call_command

from annotation.models import Assignment, Call, TurnAnnotation


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_ingest_sync_prints_one_json_line_per_call(project, two_voice_call, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 file"):
        call_command("ingest", str(two_voice_call[0]), str(bad), "--project", project.slug, "--sync", stdout=out)
    good, rejected = [json.loads(line) for line in out.getvalue().splitlines()]
    assert good["status"] == "ready" and good["turns"] == 6 and good["speakers"] == 2 and good["language"] == "en"
    assert good["error"] == "" and isinstance(good["call"], int)
    assert rejected["status"] == "rejected" and "not a supported audio file" in rejected["error"]
    assert rejected["call"] is None and Call.objects.count() == 1
    # Ingesting the same audio again is recognised, not processed twice.
    again = json.loads(run("ingest", str(two_voice_call[0]), "--project", project.slug, "--sync"))
    assert again["call"] == good["call"] and again["duplicate"] is True


def test_ingest_unknown_project_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="No project with slug 'nope'"):
        call_command("ingest", str(tmp_path / "x.wav"), "--project", "nope")


def _annotated_project(project, make_user):
    """Two annotators on one call with three turns, agreeing on two turns."""
    from annotation.models import Speaker, Turn

    sf_buffer = io.BytesIO()
    sf.write(sf_buffer, np.random.default_rng(5).normal(0, 0.1, 8000).astype(np.float32), 16000, format="WAV")
    sf_buffer.seek(0)
    from annotation.services import call_upload

    call = call_upload(project=project, fileobj=sf_buffer, filename="c.wav", start_pipeline=False).call
    Call.objects.filter(pk=call.pk).update(status="ready")
    speaker = Speaker.objects.create(call=call, label="CH0", role="customer", channel=0)
    turns = [
        Turn.objects.create(call=call, speaker=speaker, order=i, start=i, end=i + 1, text=f"t{i}") for i in range(3)
    ]
    votes = {"a1": ["anger", "anger", "neutral"], "a2": ["anger", "neutral", "neutral"]}
    for name, labels in votes.items():
        assignment = Assignment.objects.create(call=call, annotator=make_user(name, "annotator"))
        for turn, label in zip(turns, labels, strict=True):
            TurnAnnotation.objects.create(
                assignment=assignment, turn=turn, taxonomy=project.taxonomy, labels=[{"label": label, "intensity": 3}]
            )
    return call


def test_agreement_json_report(project, make_user):
    import krippendorff

    _annotated_project(project, make_user)
    report = json.loads(run("agreement", "--project", project.slug, "--json", "--bootstrap", "200"))
    assert report["turns"] == 3 and report["annotators"] == 2
    # anger presence: a1 = 1 1 0, a2 = 1 0 0
    expected = krippendorff.alpha(reliability_data=[[1, 1, 0], [1, 0, 0]], level_of_measurement="nominal")
    anger = report["label_presence"]["per_label"]["anger"]
    assert anger["alpha"] == pytest.approx(expected, abs=1e-4) and anger["units"] == 3 and anger["excluded"] == 0
    assert anger["low"] <= anger["alpha"] <= anger["high"]
    assert report["label_presence"]["per_label"]["gratitude"]["alpha"] is None  # never used: undefined, not 1.0
    assert report["label_sets_masi"]["units"] == 3
    text = run("agreement", "--project", project.slug, "--bootstrap", "50")
    assert "label presence (nominal, labels in use)" in text and "excluded" in text and "shift positions" in text


def test_export_dataset_jsonl(project, make_user, tmp_path):
    _annotated_project(project, make_user)
    summary = json.loads(run("export_dataset", "--project", project.slug, "--format", "jsonl", "--out", str(tmp_path)))
    lines = (tmp_path / "jsonl" / "turns.jsonl").read_text().splitlines()
    assert summary["counts"]["turns"] == len(lines) == 3
    first = json.loads(lines[0])
    assert first["speaker_role"] == "customer" and len(first["annotations"]) == 2
    with pytest.raises(CommandError, match="unknown format bogus; available: jsonl, csv"):
        call_command("export_dataset", "--project", project.slug, "--format", "bogus", "--out", str(tmp_path / "b"))


def test_agreement_page_for_the_projects_reviewer_only(client, project, make_user):
    from django.urls import reverse

    from annotation.models import ProjectMembership
    from annotation.services import project_add_member

    _annotated_project(project, make_user)
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug]) + "?speaker_role=customer")
    assert page.status_code == 200
    body = page.content.decode()
    assert "label sets (MASI)" in body and "<svg" in body and "anger" in body
    client.force_login(make_user("other", "qa_reviewer"))
    assert client.get(reverse("qa:project_agreement", args=[project.slug])).status_code == 404


def test_demo_annotations_adds_two_simulated_annotators_once(project, make_user):
    from annotation.models import Speaker, Suggestion, Turn

    call = project.calls.create(original_name="c.wav", sha256="5" * 64, audio="c.wav", status="ready", duration=9)
    speaker = Speaker.objects.create(call=call, label="CH0", role="agent", channel=0)
    turns = [Turn.objects.create(call=call, speaker=speaker, order=i, start=3 * i, end=3 * i + 2) for i in range(3)]
    Suggestion.objects.create(turn=turns[0], labels=[{"label": "anger", "intensity": 4}], valence=-2, arousal=4)
    human = make_user("human", "annotator")
    Assignment.objects.create(call=call, annotator=human)
    out = io.StringIO()
    call_command("demo_annotations", "--project", project.slug, stdout=out)
    assert "annotator_gb (en-GB, with suggestions): 3 turns tagged" in out.getvalue()
    simulated = Assignment.objects.filter(call=call).exclude(annotator=human)
    assert sorted(simulated.values_list("annotator__username", "blind", "status")) == [
        ("annotator_gb", False, "submitted"),
        ("annotator_in", True, "submitted"),
    ]
    assert TurnAnnotation.objects.filter(assignment__in=simulated).count() == 6
    assert not TurnAnnotation.objects.filter(assignment__annotator=human).exists()  # the human's work is theirs
    assert all(not a.annotator.annotator_profile.active for a in simulated)  # the matching engine never picks them
    call_command("demo_annotations", "--project", project.slug, stdout=io.StringIO())  # idempotent
    assert TurnAnnotation.objects.filter(assignment__in=simulated).count() == 6
    with pytest.raises(CommandError, match="No project 'nope'"):
        call_command("demo_annotations", "--project", "nope")
