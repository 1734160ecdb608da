"""Turn-file imports (Label Studio JSON, TextGrid, RTTM) given files nobody tuned for: each is
either read as written or refused with the place and the reason, and a refusal writes nothing."""

from __future__ import annotations

import json

import pytest

from annotation.models import Call, Turn
from annotation.seeding import call_turns_seed
from annotation.turn_files import ImportRejected, parse_turns

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(project):
    return Call.objects.create(
        project=project,
        audio="calls/x.wav",
        original_name="x.wav",
        sha256="e" * 64,
        duration=30.0,
        channels=1,
        status=Call.Status.READY,
    )


def ls_task(start: str, end: str, label: str = '"Agent"', text: str = '"hello"') -> bytes:
    """A Label Studio task written by hand, so a number can be spelled as the file spells it."""
    return (
        '[{"id": 7, "data": {"audio": "x.wav"}, "annotations": [{"id": 1, "result": ['
        f'{{"id": "r1", "from_name": "speaker", "to_name": "audio", "type": "labels",'
        f' "value": {{"start": {start}, "end": {end}, "labels": [{label}]}}}},'
        f'{{"id": "r1", "from_name": "transcript", "to_name": "audio", "type": "textarea",'
        f' "value": {{"text": [{text}]}}}}'
        "]}]}]"
    ).encode()


def rttm(start: str, duration: str, speaker: str = "Agent") -> bytes:
    return f"SPEAKER call 1 {start} {duration} <NA> <NA> {speaker} <NA> <NA>\n".encode()


def refused(call, fmt: str, data: bytes) -> list[str]:
    """The errors of an import refused through the write path, after checking it wrote nothing."""
    with pytest.raises(ImportRejected) as caught:
        call_turns_seed(call=call, fmt=fmt, data=data)
    assert not Turn.objects.filter(call=call).exists()
    assert not call.speakers.exists()
    return caught.value.errors


def test_a_well_formed_label_studio_task_with_a_unicode_speaker_is_read(call):
    result = call_turns_seed(call=call, fmt="labelstudio", data=ls_task("1.5", "4", label='"客服 Ana"'))
    assert result.turns == 1
    turn = Turn.objects.get(call=call)
    assert (turn.speaker.label, turn.start, turn.end, turn.text) == ("客服 Ana", 1.5, 4.0, "hello")


@pytest.mark.parametrize(
    ("start", "end"),
    [("0", "1" * 400), ("1" * 5000, "2")],
    ids=["integer too large for a float", "integer longer than Python reads"],
)
def test_a_time_too_large_to_be_a_number_is_refused_by_place(call, start, end):
    errors = refused(call, "labelstudio", ls_task(start, end))
    assert len(errors) == 1
    assert "not a number" in errors[0] or "too large" in errors[0], errors
    assert "Exceeds the limit" not in errors[0] and "set_int_max_str_digits" not in errors[0]


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe" + 'File type = "ooTextFile"'.encode("utf-16-le") + b"x",  # odd length: cut mid-character
        b"\xff\xfe" + 'File type = "'.encode("utf-16-le") + b"\x00\xd8" + '"'.encode("utf-16-le"),  # lone surrogate
    ],
    ids=["odd length", "lone surrogate"],
)
def test_a_damaged_utf16_textgrid_is_refused_in_words(call, data):
    errors = refused(call, "textgrid", data)
    assert len(errors) == 1 and "UTF-16" in errors[0], errors
    assert "codec" not in errors[0]


def test_a_file_in_another_encoding_is_refused_with_the_line():
    text = 'File type = "ooTextFile"\nObject class = "TextGrid"\n\n"Agent"\n"señor"\n'
    with pytest.raises(ImportRejected) as caught:
        parse_turns("textgrid", text.encode("latin-1"), duration=10)
    (error,) = caught.value.errors
    assert "line 5" in error and "not UTF-8 text" in error, error


def test_times_whose_sum_is_past_any_number_are_refused(call):
    Call.objects.filter(pk=call.pk).update(duration=None)  # not decoded yet: no length to check against
    call.refresh_from_db()
    errors = refused(call, "rttm", rttm("1e308", "1e308"))
    assert errors == ["line 1: end 1e308 + 1e308 is not a finite number"]


def test_a_number_with_an_underscore_is_not_read_as_another_number(call):
    # Python's float() reads "1_5" as 15: a start that is not what the file says
    errors = refused(call, "rttm", rttm("1_5", "2"))
    assert errors == ["line 1: start '1_5' is not a number"]


@pytest.mark.parametrize(
    ("fmt", "data", "where"),
    [
        ("labelstudio", ls_task("0", "1", label='"Age\\u0000nt"'), "result r1"),
        ("labelstudio", ls_task("0", "1", text='"hel\\u0000lo"'), "result r1"),
        ("labelstudio", ls_task("0", "1", label='"\\ud800"'), "result r1"),
        ("rttm", rttm("0", "1", speaker="Age%00nt"), "line 1"),
        ("rttm", rttm("0", "1", speaker="Age\x00nt"), "line 1"),
    ],
    ids=["NUL in speaker", "NUL in text", "lone surrogate in speaker", "escaped NUL", "raw NUL"],
)
def test_text_the_database_cannot_hold_is_refused_by_place(call, fmt, data, where):
    errors = refused(call, fmt, data)
    assert len(errors) == 1 and errors[0].startswith(f"{where}: "), errors
    assert "character" in errors[0]


def test_a_refused_import_leaves_earlier_turns_as_they_were(call):
    call_turns_seed(call=call, fmt="rttm", data=rttm("0", "2") + rttm("3", "1", "Customer"))
    before = list(Turn.objects.filter(call=call).values_list("speaker__label", "start", "end").order_by("start"))
    bad = rttm("0", "2") + rttm("3", "1", speaker="Cust\x00omer")
    with pytest.raises(ImportRejected):
        call_turns_seed(call=call, fmt="rttm", data=bad)
    after = list(Turn.objects.filter(call=call).values_list("speaker__label", "start", "end").order_by("start"))
    assert after == before
    assert sorted(call.speakers.values_list("label", flat=True)) == ["Agent", "Customer"]


def test_label_studio_json_min_export_is_refused_with_what_to_export_instead():
    data = json.dumps([{"id": 1, "audio": "x.wav", "speaker": [{"start": 0, "end": 1, "labels": ["A"]}]}])
    with pytest.raises(ImportRejected) as caught:
        parse_turns("labelstudio", data.encode(), duration=10)
    assert caught.value.errors == [
        "this is Label Studio's JSON-MIN export, which leaves out the regions' ids and texts; "
        "export the project as JSON and import that"
    ]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32"])
def test_text_in_an_encoding_without_its_mark_is_refused_as_such(call, encoding):
    """Read as UTF-8 it had a NUL after every letter: refused as "line 2: expected at least 9
    fields, found 1", or as "no turns found" for a file full of turns."""
    errors = refused(call, "rttm", (rttm("0", "1") + rttm("2", "1")).decode().encode(encoding))
    assert errors == [
        "line 1: the file holds NUL characters, so it is not UTF-8 text (UTF-16 without its byte-order "
        "mark?); save it as UTF-8 and import that"
    ]


def test_an_rttm_file_without_speaker_lines_says_what_it_holds_instead(call):
    data = b"speaker call 1 0 1 <NA> <NA> Agent <NA> <NA>\nSPKR-INFO call 1 <NA> <NA> <NA> adult Agent <NA> <NA>\n"
    errors = refused(call, "rttm", data)
    assert errors == [
        "no turns found: an RTTM turn is a line that starts with SPEAKER; this file's lines start with "
        "'speaker' (line 1), 'SPKR-INFO' (line 2)"
    ]


def test_a_refusal_quoting_half_a_character_reaches_the_uploader(call, pm, client):
    """A region id holding a lone surrogate ("\\ud800" in the JSON) was quoted into the refusal,
    which then could not be written out as UTF-8: a server error instead of the message."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    data = ls_task('"soon"', "1").replace(b'"id": "r1"', b'"id": "r\\ud800"')
    client.force_login(pm)
    response = client.post(
        reverse("api-call-turns-import", args=[call.pk]),
        {"format": "labelstudio", "file": SimpleUploadedFile("task.json", data)},
    )
    assert response.status_code == 400
    (error,) = response.json()["file"]
    assert error == "'task.json': result r\\ud800: start 'soon' is not a number", error
    assert not Turn.objects.filter(call=call).exists()
