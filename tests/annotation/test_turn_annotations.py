"""Saving annotations: validation against the taxonomy, versions, 409 on stale writes, submit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Assignment, Suggestion

from ..builders import ready_call


@pytest.fixture
def setup(project, make_user):
    call, speaker, turns = ready_call(project, [f"turn {i}" for i in range(2)])
    Suggestion.objects.create(
        turn=turns[0],
        labels=[{"label": "anger", "intensity": 4, "confidence": 0.8}],
        rationale="SECRET",
        model_version="rules-1+x",
    )
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    return assignment, turns, annotator


def put(client, assignment, turn, body, version=None):
    url = reverse("api-turn-annotation", args=[assignment.pk, turn.pk])
    headers = {"HTTP_IF_MATCH": f'"{version}"'} if version is not None else {}
    return client.put(url, body, content_type="application/json", **headers)


def test_save_then_stale_write_gets_409_with_the_current_state(client, setup):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    first = put(
        client, assignment, turns[0], {"labels": [{"label": "anger", "intensity": 4}], "valence": -2}, version=0
    )
    assert first.status_code == 200 and first["ETag"] == '"1"'
    assert first.json()["progress"] == {"turns": 2, "tagged": 1, "skipped": 0, "remaining": 1}
    # Tab B still holds version 0 and writes: refused, and told what is there now.
    stale = put(client, assignment, turns[0], {"labels": [{"label": "frustration", "intensity": 2}]}, version=0)
    assert stale.status_code == 409 and stale.json()["current"]["labels"] == [{"label": "anger", "intensity": 4}]
    merged = put(
        client,
        assignment,
        turns[0],
        {"labels": [{"label": "anger", "intensity": 4}, {"label": "frustration", "intensity": 2}]},
        version=1,
    )
    assert merged.status_code == 200 and merged.json()["annotation"]["version"] == 2
    assert put(client, assignment, turns[0], {"labels": []}).status_code == 428


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"labels": [{"label": "rage"}]}, "'rage' is not a label"),
        ({"labels": [{"label": "anger", "intensity": 9}]}, "between 1 and 5"),
        # Was truncated to 2 and saved; adjudication refused it. One rule now: refused.
        ({"labels": [{"label": "anger", "intensity": 2.7}]}, "must be a whole number from 1 to 5; got 2.7"),
        ({"labels": [{"label": "anger"}, {"label": "anger"}]}, "given twice"),
        ({"valence": "very"}, "valence must be a number"),
        ({"arousal": 0}, "arousal must be between 1 and 5"),
        ({"confidence": 1.5}, "confidence must be between 0 and 1"),
        ({"shifts": [{"at": 99, "from": "anger", "to": "neutral"}]}, "shifts[0].at must be between 0 and 2.5"),
        ({"shifts": [{"at": 1, "from": "anger", "to": "bliss"}]}, "'bliss' is not a label"),
        ({"labels": "anger"}, "labels must be a list"),
        ({"suggestion_actions": {"anger": "loved"}}, "accepted, edited or rejected"),
    ],
)
def test_bad_payloads_are_refused_clearly_and_nothing_is_written(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put(client, assignment, turns[0], body, version=0)
    assert response.status_code == 400
    assert any(message in m for m in response.json()["detail"]), response.json()
    assert not assignment.turn_annotations.exists()


def test_workspace_payload_and_blind_mode(client, setup, make_user):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    data = client.get(reverse("api-workspace", args=[assignment.pk])).json()
    assert [t["id"] for t in data["turns"]] == [t.pk for t in turns] and data["suggestions"]
    assignment.blind = True
    assignment.save()
    response = client.get(reverse("api-workspace", args=[assignment.pk]))
    assert "suggestions" not in response.json() and b"SECRET" not in response.content
    client.force_login(make_user("other", "annotator"))
    assert client.get(reverse("api-workspace", args=[assignment.pk])).status_code == 404
    assert put(client, assignment, turns[0], {"labels": []}, version=0).status_code == 404


def test_workspace_loads_words_and_contours_separately_by_turn_range(client, setup, make_user):
    assignment, turns, annotator = setup
    turns[1].words = [{"w": "turn", "s": 3.0, "e": 3.4, "l": "en"}, {"w": "uno", "s": 3.5, "e": 3.9, "l": "es"}]
    turns[1].prosody = {"f0_median_st": 4.5, "contour": {"hz": 10, "pitch_st": [1.0, None]}}
    turns[1].save()
    client.force_login(annotator)
    core = client.get(reverse("api-workspace", args=[assignment.pk])).json()
    assert "words" not in core["turns"][1] and "contour" not in core["turns"][1]
    assert core["turns"][1]["pitch"] == 4.5 and core["speakers"][0]["label"] == "CH1"
    url = reverse("api-workspace-turns", args=[assignment.pk])
    detail = client.get(url, {"first": 1, "last": 1}).json()
    assert list(detail["turns"]) == [str(turns[1].pk)]
    assert detail["turns"][str(turns[1].pk)] == {
        "words": turns[1].words,
        "contour": turns[1].prosody["contour"],
        "language_switches": [1],  # the switch marker: Spanish from the second word on
    }
    assert core["turns"][1]["language"] == turns[1].language and core["turns"][1]["untranscribed"] is False
    bad = client.get(url, {"first": "one"})
    assert bad.status_code == 400 and "whole numbers" in bad.json()["detail"][0]
    assert client.get(url, {"first": 3, "last": 1}).status_code == 400
    client.force_login(make_user("other", "annotator"))
    assert client.get(url, {"first": 0, "last": 1}).status_code == 404


def test_submit_needs_every_turn_or_a_skip_reason(client, setup):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    url = reverse("api-assignment-submit", args=[assignment.pk])
    put(client, assignment, turns[0], {"labels": [{"label": "anger", "intensity": 3}]}, version=0)
    refused = client.post(url, {}, content_type="application/json")
    assert refused.status_code == 400 and "1 of 2 turns are not tagged" in refused.json()["detail"][0]
    put(client, assignment, turns[1], {"labels": [{"label": "neutral", "intensity": 1}]}, version=0)
    assert client.post(url, {}, content_type="application/json").json() == {"status": "submitted"}
    again = put(client, assignment, turns[1], {"labels": []}, version=1)
    assert again.status_code == 400 and "read-only" in again.json()["detail"][0]


def test_skip_with_reason(client, setup):
    assignment, _, annotator = setup
    client.force_login(annotator)
    response = client.post(
        reverse("api-assignment-submit", args=[assignment.pk]),
        {"skip_reason": "audio is not in my language"},
        content_type="application/json",
    )
    assert response.json() == {"status": "skipped"}
    assignment.refresh_from_db()
    assert assignment.skip_reason == "audio is not in my language"


def test_what_a_get_returns_can_be_put_back(client, setup):
    """Read, change, write: the GET's own fields (needs_recheck, taxonomy_version, updated_at) are
    accepted and ignored, while a misspelt field is still refused."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    put(client, assignment, turns[0], {"labels": [{"label": "anger", "intensity": 3}]}, version=0)
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    body = client.get(url).json()
    assert {"needs_recheck", "taxonomy_version", "updated_at"} <= set(body)
    body["note"] = "raised voice"
    saved = put(client, assignment, turns[0], body, version=body["version"])
    assert saved.status_code == 200, saved.json()
    assert saved.json()["annotation"]["note"] == "raised voice"


def test_reopening_a_skipped_call_gives_its_judgements_back(client, setup):
    """Skipping the call withdrew every judgement on it; reopening it left them withdrawn (and the
    workspace said "reopened: your changes are saved again"), so the call counted as untagged."""
    from annotation.models import TurnAnnotation

    assignment, turns, annotator = setup
    client.force_login(annotator)
    put(client, assignment, turns[0], {"labels": [{"label": "anger", "intensity": 3}]}, version=0)
    put(client, assignment, turns[1], {"skipped": True, "skip_reason": "music"}, version=0)
    submit = reverse("api-assignment-submit", args=[assignment.pk])
    assert client.post(submit, {"skip_reason": "wrong language"}, content_type="application/json").status_code == 200
    assert not TurnAnnotation.objects.judgements().filter(assignment=assignment).exists()
    assert TurnAnnotation.objects.get(turn=turns[0]).version == 2  # an open workspace merges, not overwrites
    assert client.post(reverse("api-assignment-reopen", args=[assignment.pk])).status_code == 200
    rows = {row.turn_id: row for row in TurnAnnotation.objects.filter(assignment=assignment)}
    assert (rows[turns[0].pk].skipped, rows[turns[0].pk].labels) == (False, [{"label": "anger", "intensity": 3}])
    assert (rows[turns[1].pk].skipped, rows[turns[1].pk].skip_reason) == (True, "music")  # the annotator's own skip
    assert TurnAnnotation.objects.judgements().filter(assignment=assignment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_lose_an_update(setup):
    """Two writers race on one turn from the same base version: exactly one wins, the other is told."""
    import threading

    from django.db import connection

    from annotation.turn_annotations import StaleWrite, turn_annotation_save

    assignment, turns, _ = setup
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def writer(label: str) -> None:
        try:
            barrier.wait()
            turn_annotation_save(
                assignment=assignment,
                turn=turns[0],
                data={"labels": [{"label": label, "intensity": 3}]},
                base_version=0,
            )
            outcomes.append("saved")
        except StaleWrite:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(label,)) for label in ("anger", "frustration")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "saved"], outcomes
    stored = assignment.turn_annotations.get()
    assert stored.version == 1


def test_a_call_skip_reason_too_long_is_refused_not_cut(client, setup):
    """The reason was cut to 2000 characters without a word; the call is not skipped now."""
    assignment, _, annotator = setup
    client.force_login(annotator)
    submit = reverse("api-assignment-submit", args=[assignment.pk])
    refused = client.post(submit, {"skip_reason": "r" * 2001}, content_type="application/json")
    assert refused.status_code == 400 and "2001 characters" in str(refused.json())
    assignment.refresh_from_db()
    assert assignment.status != "skipped" and assignment.skip_reason == ""
    assert client.post(submit, {"skip_reason": "r" * 2000}, content_type="application/json").status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == "skipped" and len(assignment.skip_reason) == 2000


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("action", ["submit-skip", "reopen"])
def test_submit_and_reopen_wait_for_the_call_lock_first(setup, action):
    """Lock order everywhere is call, then assignment, then annotations (a save, a turn split or
    merge). Submit and reopen locked the assignment and then the annotations without the call:
    a call skip racing a turn split could deadlock. While another transaction holds the call's
    lock, they now wait before touching the assignment."""
    import threading
    import time

    from django.db import connection, transaction

    from annotation.models import Call
    from annotation.turn_annotations import assignment_reopen, assignment_submit

    assignment, _, annotator = setup
    if action == "reopen":
        assignment_submit(assignment=assignment, skip_reason="noise")
    held, done = threading.Event(), threading.Event()
    release = threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                Call.objects.select_for_update().get(pk=assignment.call_id)
                held.set()
                release.wait(10)
        finally:
            connection.close()

    def actor() -> None:
        try:
            if action == "reopen":
                assignment_reopen(assignment=assignment, user=annotator)
            else:
                assignment_submit(assignment=assignment, skip_reason="noise")
            done.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=holder), threading.Thread(target=actor)]
    threads[0].start()
    assert held.wait(10)
    threads[1].start()
    time.sleep(0.5)
    waited = not done.is_set()
    # While it waits, the assignment row is free: another transaction can lock it at once.
    with transaction.atomic():
        Assignment.objects.select_for_update(nowait=True).get(pk=assignment.pk)
    release.set()
    for thread in threads:
        thread.join(10)
    assert waited and done.is_set()
