"""RTTM and Label Studio round trips on a call with empty-text turns, cross-talk, speaker names
with spaces and quotes and times with 4+ decimals; Label Studio tasks as Label Studio writes them
(corrected annotations next to predictions, malformed fields); RTTM names with spaces."""

from __future__ import annotations

import copy
import json

import pytest

from annotation.models import Speaker
from annotation.seeding import call_turns_seed
from annotation.turn_files import ImportRejected, parse_turns
from qa.exports.build import export_write

from .exports_tricky import AGENT, CUSTOMER, TURNS, assert_same_turns, build_tricky_call, make_call, turns_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(project, make_user, tmp_path):
    call = build_tricky_call(project, make_user("rt-annotator", "annotator"))
    export_write(project=project, formats=["rttm", "labelstudio"], out_dir=tmp_path, agreement_bootstrap=-1)
    return call, tmp_path


@pytest.mark.parametrize(
    ("fmt", "path", "with_text"), [("rttm", "rttm/turns.rttm", False), ("labelstudio", "labelstudio/tasks.json", True)]
)
def test_round_trip_keeps_speakers_boundaries_and_text(project, exported, fmt, path, with_text):
    source, out = exported
    fresh = make_call(project, name="fresh.wav")
    result = call_turns_seed(call=fresh, fmt=fmt, data=(out / path).read_bytes(), rerun=False)
    assert result.turns == len(TURNS) and result.created_speakers == 2
    assert {s.label for s in fresh.speakers.all()} == {AGENT, CUSTOMER}
    assert_same_turns(turns_of(fresh), turns_of(source), with_text=with_text)


def test_rttm_loads_in_pyannote_with_the_names_escaped_not_changed(exported):
    from pyannote.database.util import load_rttm

    _, out = exported
    (annotation,) = load_rttm(str(out / "rttm/turns.rttm")).values()
    assert set(annotation.labels()) == {"Agent%20%22Jo%22%20Smith".replace("%22", '"'), "Customer%20X"}


def test_rttm_names_with_underscores_map_back_to_the_calls_speakers_or_are_refused(project):
    call = make_call(project, name="known.wav", duration=9.0)
    Speaker.objects.create(call=call, label="Agent Jo")
    text = "SPEAKER x 1 0.5 1.0 <NA> <NA> Agent_Jo <NA> <NA>\n"
    (seed,) = parse_turns("rttm", text.encode(), duration=9.0, known_speakers=["Agent Jo"])
    assert seed.speaker == "Agent Jo"
    with pytest.raises(ImportRejected) as caught:
        parse_turns("rttm", text.encode(), duration=9.0, known_speakers=["Agent Jo", "Agent\tJo"])
    assert caught.value.errors[0].startswith("line 1: speaker 'Agent_Jo' could be any of 'Agent\\tJo', 'Agent Jo'")


def test_an_rttm_name_with_a_broken_escape_is_refused_with_a_message():
    with pytest.raises(ImportRejected, match="line 1: speaker 'A%FF' holds a %-escape that is not UTF-8 text"):
        parse_turns("rttm", b"SPEAKER x 1 0.5 1.0 <NA> <NA> A%FF <NA> <NA>\n", duration=9.0)


def task_of(out) -> dict:
    (task,) = json.loads((out / "labelstudio/tasks.json").read_text())
    return task


def test_label_studio_prefers_the_newest_corrected_annotation_over_predictions(exported):
    """A task exported from Label Studio after someone moved a predicted turn: the correction is
    an annotation with speaker regions, the prediction is still there; they are not merged."""
    _, out = exported
    task = task_of(out)
    predicted = task["predictions"][0]["result"]
    corrected = copy.deepcopy(predicted)
    for result in corrected:
        if result["id"] == "t1":
            result["value"]["start"] = 1.7
    older = copy.deepcopy(predicted)
    task["annotations"] += [
        {"id": 7, "created_at": "2026-01-02T10:00:00Z", "result": older},
        {"id": 9, "created_at": "2026-01-03T10:00:00Z", "result": corrected},
        {"id": 8, "created_at": "2026-01-04T10:00:00Z", "result": corrected[:2], "was_cancelled": True},
    ]
    seeds = parse_turns("labelstudio", json.dumps(task).encode(), duration=9.0)
    assert len(seeds) == len(TURNS)
    assert [s.start for s in seeds if s.speaker == CUSTOMER][0] == 1.7


BAD_TASKS = [
    (
        lambda t: t["predictions"][0]["result"][0].update(from_name=None),
        "result 1: from_name must be a text, found null",
    ),
    (lambda t: t.update(predictions=5), "predictions must be a list of objects, found a number"),
    (lambda t: t.update(annotations=[5]), "annotations[1]: expected an object, found a number"),
    (lambda t: t["predictions"][0].update(result={"a": 1}), "predictions[1]: result must be a list, found an object"),
    (lambda t: t["predictions"][0]["result"][0].update(value=[1]), "result 1: value must be an object, found a list"),
    (lambda t: t["predictions"][0]["result"][0]["value"].update(start=True), "result t0: start true is not a number"),
    (lambda t: t["predictions"][0]["result"][0]["value"].update(labels=[3]), "needs exactly one speaker label"),
    (lambda t: t["predictions"][0]["result"][1]["value"].update(text=[None]), "text must be a list of texts"),
]


def test_deeply_nested_json_is_refused_with_a_message():
    with pytest.raises(ImportRejected, match="nested too deeply"):
        parse_turns("labelstudio", b"[" * 200_000 + b"]" * 200_000, duration=9.0)


@pytest.mark.parametrize(("damage", "message"), BAD_TASKS)
def test_malformed_label_studio_fields_are_refused_with_a_message(exported, damage, message):
    _, out = exported
    task = task_of(out)
    damage(task)
    with pytest.raises(ImportRejected) as caught:
        parse_turns("labelstudio", json.dumps(task).encode(), duration=9.0)
    assert any(message in e for e in caught.value.errors), caught.value.errors


def test_malformed_label_studio_upload_is_a_400_with_the_message_not_a_500(exported, client, project, make_user):
    """Through the API: the type errors that used to raise in the parser come back as messages."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from annotation.models import ProjectMembership
    from annotation.services import project_add_member

    _, out = exported
    pm = make_user("ls-pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    fresh = make_call(project, name="fresh-api.wav")
    client.force_login(pm)
    for damage, message in ((BAD_TASKS[0][0], BAD_TASKS[0][1]), (BAD_TASKS[1][0], BAD_TASKS[1][1])):
        task = task_of(out)
        damage(task)
        upload = SimpleUploadedFile("task.json", json.dumps(task).encode())
        response = client.post(
            reverse("api-call-turns-import", args=[fresh.pk]), {"format": "labelstudio", "file": upload}
        )
        assert response.status_code == 400, response.content
        assert any(message in e for e in response.json()["file"]), response.json()
    assert not fresh.turns.exists()
