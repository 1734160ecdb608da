"""Refusals of the annotation save path that used to be a 500, a silent drop, or a write that
landed where it no longer belonged: each is now a 4xx naming the field, and nothing is written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.assignment import assignment_reassign
from annotation.models import AnnotatorProfile, Assignment, TurnAnnotation
from annotation.turn_annotations import assignment_submit, turn_annotation_save
from annotera.models import AuditEvent

from ..builders import ready_call

ANGER = [{"label": "anger", "intensity": 2}]
TWO = [{"label": "anger", "intensity": 2}, {"label": "neutral", "intensity": 1}]
HUGE = "9" * 400  # a JSON integer Python parses exactly, and no float holds


def huge(template: str) -> str:
    return template.replace("HUGE", HUGE)


@pytest.fixture
def setup(project, make_user):
    call, speaker, turns = ready_call(project, [f"turn {i}" for i in range(2)])
    annotator = make_user("ann", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator, status=Assignment.Status.IN_PROGRESS)
    return assignment, turns, annotator


def put_raw(client, assignment, turn, body: str, content_type: str = "application/json", version: int = 0):
    url = reverse("api-turn-annotation", args=[assignment.pk, turn.pk])
    return client.generic("PUT", url, body, content_type=content_type, HTTP_IF_MATCH=f'"{version}"')


def messages(response) -> str:
    detail = response.json()["detail"]
    return " ".join(detail) if isinstance(detail, list) else detail


def nothing_written(assignment) -> bool:
    return not assignment.turn_annotations.exists() and not AuditEvent.objects.filter(action="annotation.save").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Each was an OverflowError (a 500) formatting or converting a number no float holds.
        (huge('{"labels": [], "valence": HUGE}'), "valence must be between -3 and 3"),
        (huge('{"labels": [], "arousal": -HUGE}'), "arousal must be between 1 and 5"),
        (huge('{"labels": [], "confidence": HUGE}'), "confidence must be between 0 and 1"),
        (huge('{"labels": [{"label": "anger", "intensity": HUGE}]}'), "labels[0].intensity must be between 1 and 5"),
        (
            huge(
                '{"labels": [{"label": "anger"}, {"label": "neutral"}], "shifts": [{"at": HUGE, "from": "anger", '
                '"to": "neutral"}]}'
            ),
            "shifts[0].at must be between 0 and 2.5",
        ),
    ],
)
def test_a_number_too_large_for_a_float_is_refused_not_a_server_error(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_raw(client, assignment, turns[0], body)
    assert response.status_code == 400, response.content[:200]
    assert message in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize("side", [["anger"], {"label": "anger"}, 7])
def test_a_shift_side_that_is_not_a_label_key_is_refused_not_a_server_error(client, setup, side):
    """A list or an object as ``from`` was a TypeError (unhashable) looking it up: a 500."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = client.put(
        reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk]),
        {"labels": TWO, "shifts": [{"at": 1.0, "from": side, "to": "neutral"}]},
        content_type="application/json",
        HTTP_IF_MATCH='"0"',
    )
    assert response.status_code == 400, response.content[:200]
    assert "shifts[0].from" in messages(response) and "is not a label" in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Dropped, the misspelt intensity saved the label with none, and the answer was 200.
        (
            {"labels": [{"label": "anger", "intensty": 4}]},
            "labels[0]: 'intensty' is not a label field. Did you mean intensity?",
        ),
        (
            {"labels": TWO, "shifts": [{"at": 1.0, "from": "anger", "too": "neutral"}]},
            "shifts[0]: 'too' is not a shift field. Did you mean to?",
        ),
        # A shift without its time was dropped from the saved list without a word.
        ({"labels": TWO, "shifts": [{"from": "anger", "to": "neutral"}]}, "shifts[0].at is missing"),
        ({"labels": TWO, "shifts": [{"at": None, "from": "anger", "to": "neutral"}]}, "shifts[0].at is missing"),
    ],
)
def test_a_label_or_shift_the_save_would_drop_in_part_is_refused(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    response = client.put(url, body, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:200]
    assert message in messages(response), messages(response)
    assert nothing_written(assignment)


def test_no_emotion_with_a_shift_between_emotions_is_refused(client, setup):
    """Saved as it came: a turn exported as "no emotion" that shifts from anger to neutral."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": [], "no_emotion": True, "shifts": [{"at": 1.0, "from": "anger", "to": "neutral"}]}
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    response = client.put(url, body, content_type="application/json", HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:200]
    assert 'Choose shifts or "no emotion", not both' in messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(
    "body",
    [
        "note=a%00b",  # a NUL no text column holds: was a 500 from the database
        "labels=anger&labels=frustration",  # a form keeps the last of each field: half of what was sent
        "note=hello",  # would save a blank annotation with a note, from a form nobody meant as a save
    ],
)
def test_an_annotation_sent_as_a_form_is_refused(client, setup, body):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_raw(client, assignment, turns[0], body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415, response.content[:200]
    assert "application/x-www-form-urlencoded" in messages(response)
    assert nothing_written(assignment)


def test_a_save_that_loses_the_race_with_a_skip_of_the_call_is_refused(setup):
    """The save read the assignment (open) before the lock; a skip of the whole call committed
    meanwhile, withdrawing every judgement: the save still wrote a live one into a skipped call."""
    assignment, turns, annotator = setup
    as_loaded = Assignment.objects.get(pk=assignment.pk)  # what the save's request read: in progress
    assignment_submit(assignment=Assignment.objects.get(pk=assignment.pk), skip_reason="bad audio")
    with pytest.raises(ValidationError) as refused:
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": ANGER}, base_version=0)
    assert "already skipped" in " ".join(refused.value.messages)
    assert nothing_written(assignment)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.SKIPPED


def test_a_save_that_loses_the_race_with_a_submit_is_refused(setup):
    """A submit counted every turn tagged; a save clearing one committed after it: a submitted
    call with an untagged turn."""
    assignment, turns, annotator = setup
    for turn in turns:
        turn_annotation_save(assignment=assignment, turn=turn, data={"labels": ANGER}, base_version=0)
    as_loaded = Assignment.objects.get(pk=assignment.pk)
    assignment_submit(assignment=Assignment.objects.get(pk=assignment.pk))
    with pytest.raises(ValidationError, match="already submitted"):
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": []}, base_version=1)
    assert TurnAnnotation.objects.get(turn=turns[0]).labels == ANGER


def test_a_save_that_loses_the_race_with_a_reassignment_is_refused(setup, make_user):
    """A reassignment checks that the assignment has no annotations yet; the old annotator's save,
    its request begun before, wrote one into the new annotator's assignment."""
    assignment, turns, annotator = setup
    other = make_user("bea", "annotator")
    AnnotatorProfile.objects.create(user=other)
    as_loaded = Assignment.objects.get(pk=assignment.pk)  # the old annotator's request: theirs
    assignment_reassign(assignment=Assignment.objects.get(pk=assignment.pk), annotator=other)
    with pytest.raises(ValidationError, match="no longer yours"):
        turn_annotation_save(assignment=as_loaded, turn=turns[0], data={"labels": ANGER}, base_version=0)
    assert nothing_written(assignment)


@pytest.mark.parametrize("body", ['"skip it: the audio is noise"', "[]", "null"])
def test_a_submit_body_that_is_not_an_object_is_refused_not_read_as_a_plain_submit(client, setup, body):
    assignment, turns, annotator = setup
    for turn in turns:
        turn_annotation_save(assignment=assignment, turn=turn, data={"labels": ANGER}, base_version=0)
    client.force_login(annotator)
    response = client.generic("POST", reverse("api-assignment-submit", args=[assignment.pk]), body,
                              content_type="application/json")  # fmt: skip
    assert response.status_code == 400, response.content[:200]
    assert "JSON object" in messages(response)
    assert Assignment.objects.get(pk=assignment.pk).status == Assignment.Status.IN_PROGRESS


def test_saving_into_an_assignment_that_is_not_yours_says_so(client, setup, make_user):
    """Was DRF's "No Assignment matches the given query.", shown under "not saved:" in the workspace."""
    assignment, turns, annotator = setup
    client.force_login(make_user("bea", "annotator"))
    response = put_raw(client, assignment, turns[0], '{"labels": []}')
    assert response.status_code == 404
    assert "not one of your assignments" in messages(response)
    assert nothing_written(assignment)


def put_json(client, assignment, turn, body, **headers):
    url = reverse("api-turn-annotation", args=[assignment.pk, turn.pk])
    return client.put(url, body, content_type="application/json", **headers)


# --- shifts: between two emotions the annotator tagged on the turn, from one to another


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Exported as "angry, shifting from neutral to anger" on a turn tagged anger only.
        (
            {"labels": ANGER, "shifts": [{"at": 1.0, "from": "neutral", "to": "anger"}]},
            "shifts[0].from: 'neutral' is not one of this turn's labels",
        ),
        (
            {"labels": ANGER, "shifts": [{"at": 1.0, "from": "anger", "to": "frustration"}]},
            "shifts[0].to: 'frustration' is not one of this turn's labels",
        ),
        # From a label to itself is no shift, yet it counted as one in the shift agreement figure.
        (
            {
                "labels": TWO,
                "shifts": [{"at": 0.5, "from": "anger", "to": "neutral"}, {"at": 1.0, "from": "anger", "to": "anger"}],
            },
            "shifts[1]: from and to are both 'anger'",
        ),
    ],
)
def test_a_shift_that_misstates_the_turns_emotions_is_refused(client, setup, body, message):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:300]
    assert message in messages(response), messages(response)
    assert nothing_written(assignment)


def test_a_shift_between_two_tagged_emotions_is_saved(client, setup):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": TWO, "shifts": [{"at": 1.0, "from": "neutral", "to": "anger"}]}
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 200, response.content[:300]
    assert TurnAnnotation.objects.get(turn=turns[0]).shifts == [{"at": 1.0, "from": "neutral", "to": "anger"}]


# --- a skipped turn carries no tags; a shift is given once


@pytest.mark.parametrize(
    ("tags", "named"),
    [({"labels": ANGER}, "labels"), ({"no_emotion": True}, "no_emotion"),
     ({"labels": TWO, "shifts": [{"at": 1.0, "from": "anger", "to": "neutral"}]}, "labels and shifts")],
)  # fmt: skip
def test_a_skipped_turn_with_tags_is_refused_naming_them(client, setup, tags, named):
    """Stored as sent, the tags were excluded everywhere with the skipped turn: saved, and never counted."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {**tags, "skipped": True, "skip_reason": "cross-talk"}
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:300]
    assert f"A skipped turn carries no tags, but {named}" in messages(response), messages(response)
    assert nothing_written(assignment)


def test_a_skipped_turn_with_empty_tags_is_saved(client, setup):
    """What the workspace sends for a skipped turn: empty lists, no_emotion false."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": [], "shifts": [], "no_emotion": False, "skipped": True, "skip_reason": "music", "note": "n"}
    assert put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"').status_code == 200
    stored = TurnAnnotation.objects.get(turn=turns[0])
    assert (stored.skipped, stored.skip_reason, stored.labels) == (True, "music", [])


def test_the_same_shift_twice_is_refused_like_a_label_twice(client, setup):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    shift = {"at": 1.0, "from": "anger", "to": "neutral"}
    body = {"labels": TWO, "shifts": [shift, {"at": 0.5, "from": "neutral", "to": "anger"}, dict(shift)]}
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:300]
    assert "shifts[2]" in messages(response) and "given twice" in messages(response), messages(response)
    assert "shifts[0]" not in messages(response) and "shifts[1]" not in messages(response), messages(response)
    assert nothing_written(assignment)


# --- skip_reason belongs to a skipped turn


@pytest.mark.parametrize("skipped", [{"skipped": False}, {}])
def test_a_skip_reason_on_a_turn_that_is_not_skipped_is_refused_not_dropped(client, setup, skipped):
    """The reason was replaced by "" and the answer was 200: the sender believed the turn skipped."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": ANGER, **skipped, "skip_reason": "cross-talk"}
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:300]
    assert "skip_reason" in messages(response) and '"skipped": true' in messages(response), messages(response)
    assert nothing_written(assignment)


def test_an_empty_skip_reason_on_a_turn_that_is_not_skipped_is_saved(client, setup):
    """What the workspace sends for every turn it does not skip."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": ANGER, "skipped": False, "skip_reason": ""}
    assert put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"').status_code == 200


# --- suggestion_actions name labels of the taxonomy


def test_a_suggestion_action_for_an_unknown_label_is_refused_with_the_nearest_name(client, setup):
    """Saved as it came: an acceptance rate for "angr", a label no taxonomy version has."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": ANGER, "suggestion_actions": {"anger": "accepted", "angr": "rejected"}}
    response = put_json(client, assignment, turns[0], body, HTTP_IF_MATCH='"0"')
    assert response.status_code == 400, response.content[:300]
    assert "suggestion_actions: 'angr' is not a label. Did you mean anger?" in messages(response), messages(response)
    assert nothing_written(assignment)


# --- the version edited: If-Match (the ETag as the GET gave it) or the body's "version"


@pytest.mark.parametrize("if_match", ["-0", "+0", " 0 ", "\u0660", '"\u0660"', '"-0"', "0.0", "0x0", "*", "", '"0'])
def test_an_if_match_that_is_not_a_version_in_digits_is_refused(client, setup, if_match):
    """int() read each of these as version 0 (signs, spaces, Arabic-Indic digits)."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_json(client, assignment, turns[0], {"labels": ANGER}, HTTP_IF_MATCH=if_match)
    assert response.status_code == 400, response.content[:300]
    assert "If-Match" in messages(response) and "digits" in messages(response), messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize("if_match", [f'"{"9" * 19}"', "9" * 23, f'W/"{"9" * 23}"'])
def test_an_if_match_of_too_many_digits_is_refused_as_too_large(client, setup, if_match):
    """It was refused as not "in the digits 0-9", which it is: the sender looked for a wrong character."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_json(client, assignment, turns[0], {"labels": ANGER}, HTTP_IF_MATCH=if_match)
    assert response.status_code == 400, response.content[:300]
    assert "If-Match" in messages(response) and "too large" in messages(response), messages(response)
    assert "in the digits 0-9" not in messages(response), messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(
    ("version", "shown"),
    [("-0", '"-0"'), ("\u0660", '"\u0660"'), (" 0", '" 0"'), (True, "got true."), (0.0, "got 0.0."), (-1, "got -1."),
     (None, "got null."), ([0], "got [0]."), ({"v": 1}, '{"v": 1}')],
)  # fmt: skip
def test_a_body_version_that_is_not_a_whole_number_is_refused(client, setup, version, shown):
    """The refusal echoes the value in JSON, as it was sent: it said "got True", "got None"."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_json(client, assignment, turns[0], {"labels": ANGER, "version": version})
    assert response.status_code == 400, response.content[:300]
    assert "version" in messages(response) and "whole number" in messages(response), messages(response)
    assert shown in messages(response), messages(response)
    assert "True" not in messages(response) and "None" not in messages(response), messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize("version", [10**18, "9" * 23, 10**40])
def test_a_body_version_of_too_many_digits_is_refused_as_too_large(client, setup, version):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_json(client, assignment, turns[0], {"labels": ANGER, "version": version})
    assert response.status_code == 400, response.content[:300]
    assert "version" in messages(response) and "too large" in messages(response), messages(response)
    assert nothing_written(assignment)


def test_a_body_version_of_thousands_of_digits_is_refused_without_a_500(client, setup):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    response = put_raw(client, assignment, turns[0], '{"labels": [], "version": ' + "9" * 4000 + "}")
    assert response.status_code == 400, response.content[:300]
    assert "too large" in messages(response) and "4000 digits" in messages(response), messages(response)
    assert nothing_written(assignment)


@pytest.mark.parametrize(("headers", "body_version"), [({"HTTP_IF_MATCH": '"0"'}, None),
                                                       ({"HTTP_IF_MATCH": "0"}, None),
                                                       ({"HTTP_IF_MATCH": 'W/"0"'}, None),
                                                       ({}, 0), ({"HTTP_IF_MATCH": '"0"'}, 0)])  # fmt: skip
def test_the_version_in_the_forms_the_api_gives_is_accepted(client, setup, headers, body_version):
    assignment, turns, annotator = setup
    client.force_login(annotator)
    body = {"labels": ANGER} if body_version is None else {"labels": ANGER, "version": body_version}
    response = put_json(client, assignment, turns[0], body, **headers)
    assert response.status_code == 200, response.content[:300]
    assert response["ETag"] == '"1"'


def test_an_if_match_and_a_body_version_that_disagree_are_refused(client, setup):
    """The header won without a word: a client that sent back the body of an older GET with the
    newer ETag (or the other way round) overwrote a version it never saw."""
    assignment, turns, annotator = setup
    client.force_login(annotator)
    assert put_json(client, assignment, turns[0], {"labels": ANGER}, HTTP_IF_MATCH='"0"').status_code == 200
    AuditEvent.objects.all().delete()
    response = put_json(client, assignment, turns[0], {"labels": TWO, "version": 0}, HTTP_IF_MATCH='"1"')
    assert response.status_code == 400, response.content[:300]
    assert "If-Match" in messages(response) and "version" in messages(response), messages(response)
    assert "disagree" in messages(response), messages(response)
    row = TurnAnnotation.objects.get(turn=turns[0])
    assert (row.version, row.labels) == (1, ANGER)
    assert not AuditEvent.objects.filter(action="annotation.save").exists()
