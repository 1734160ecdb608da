"""Imports: Label Studio JSON, TextGrid and RTTM seed a call's turns; every bad file is refused
with a clear message and nothing is written."""

from __future__ import annotations

import json

import pytest

from annotation.models import Call, Speaker, Turn, TurnAnnotation
from annotation.seeding import SeedRefused, call_turns_seed
from annotation.turn_files import ImportRejected
from qa.exports.build import export_write

from .exports_data import build_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(project, make_user, tmp_path):
    """A call exported in the three importable formats, and a fresh call of the same length."""
    built = build_calls(project, make_user, calls=1, turns=4, channels=2)
    out = tmp_path / "out"
    out.mkdir()
    export_write(project=project, formats=["textgrid", "rttm", "labelstudio"], out_dir=out, agreement_bootstrap=-1)
    source = built.calls[0]
    fresh = Call.objects.create(
        project=project,
        audio="calls/x.wav",
        original_name="fresh.wav",
        sha256="f" * 64,
        duration=source.duration,
        channels=2,
        status=Call.Status.READY,
    )
    return source, fresh, out


def turns_of(call):
    return [(t.speaker.label, t.start, t.end, t.text) for t in call.turns.select_related("speaker").order_by("order")]


@pytest.mark.parametrize(
    ("fmt", "path", "with_text"),
    [
        ("textgrid", "textgrid/call{id:06d}.TextGrid", True),
        ("rttm", "rttm/turns.rttm", False),
        ("labelstudio", "labelstudio/tasks.json", True),
    ],
)
def test_an_exported_call_seeds_the_same_turns(exported, fmt, path, with_text):
    source, fresh, out = exported
    result = call_turns_seed(call=fresh, fmt=fmt, data=(out / path.format(id=source.pk)).read_bytes())
    assert result.turns == 4 and result.created_speakers == 2
    want = turns_of(source)
    got = turns_of(fresh)
    if not with_text:
        want = [w[:3] + ("",) for w in want]
    assert got == want


def test_seeding_replaces_machine_turns_but_keeps_known_speakers(exported):
    source, fresh, out = exported
    Speaker.objects.create(call=fresh, label="SPEAKER_00", role="agent")
    Speaker.objects.create(call=fresh, label="SPEAKER_01", role="customer")
    data = (out / "rttm/turns.rttm").read_bytes()
    call_turns_seed(call=fresh, fmt="rttm", data=data)
    call_turns_seed(call=fresh, fmt="rttm", data=data)  # again: replaced, not duplicated
    assert fresh.turns.count() == 4 and fresh.speakers.count() == 2
    assert fresh.turns.get(order=0).speaker.role == "agent"


GOOD_RTTM = "SPEAKER fresh 1 0.500 1.000 <NA> <NA> A <NA> <NA>\nSPEAKER fresh 1 2.000 1.000 <NA> <NA> B <NA> <NA>\n"
TEXTGRID_HEAD = 'File type = "ooTextFile"\nObject class = "TextGrid"\n\nxmin = 0\nxmax = 9\ntiers? <exists>\n'


def textgrid(*tiers: tuple[str, list[tuple[float, float, str]]]) -> str:
    out = [TEXTGRID_HEAD + f"size = {len(tiers)}\nitem []:"]
    for k, (name, intervals) in enumerate(tiers, start=1):
        out.append(
            f'    item [{k}]:\n        class = "IntervalTier"\n        name = "{name}"\n'
            f"        xmin = 0\n        xmax = 9\n        intervals: size = {len(intervals)}"
        )
        for i, (a, b, text) in enumerate(intervals, start=1):
            out.append(
                f'        intervals [{i}]:\n            xmin = {a}\n            xmax = {b}\n            text = "{text}"'
            )
    return "\n".join(out) + "\n"


def ls_task(*regions: tuple[str, float, float, list]) -> str:
    result = [
        {
            "id": rid,
            "from_name": "speaker",
            "to_name": "audio",
            "type": "labels",
            "value": {"start": a, "end": b, "labels": labels},
        }
        for rid, a, b, labels in regions
    ]
    return json.dumps([{"data": {"audio": "x.wav"}, "annotations": [{"result": result}]}])


BAD_IMPORTS = [
    (
        "rttm",
        "SPEAKER fresh 1 0.5 1.0 <NA> <NA> A <NA> <NA>\nSPEAKER fresh 1 3.0 -1.0 <NA> <NA> A <NA> <NA>\n",
        "line 2: duration -1.0 must be positive (end before start)",
    ),
    ("rttm", "SPEAKER fresh 1 zero 1.0 <NA> <NA> A <NA> <NA>\n", "line 1: start 'zero' is not a number"),
    ("rttm", "SPEAKER fresh 1 0.5\n", "line 1: expected at least 9 space-separated fields"),
    ("rttm", GOOD_RTTM + "SPEAKER other 1 4.0 1.0 <NA> <NA> A <NA> <NA>\n", "more than one recording"),
    (
        "rttm",
        "SPEAKER fresh 1 0.5 2.0 <NA> <NA> A <NA> <NA>\nSPEAKER fresh 1 1.5 1.0 <NA> <NA> A <NA> <NA>\n",
        "line 2: overlaps line 1 of the same speaker 'A'",
    ),
    ("rttm", "SPEAKER fresh 1 8.0 5.0 <NA> <NA> A <NA> <NA>\n", "line 1: ends at 13 s, after the call ends (9 s)"),
    ("rttm", "SPEAKER fresh 1 -1.0 2.0 <NA> <NA> A <NA> <NA>\n", "line 1: starts at -1 s, before the call starts"),
    ("rttm", "SPEAKER fresh 1 9.01 0.02 <NA> <NA> A <NA> <NA>\n", "line 1: starts at 9.01 s, where the call has ended"),
    ("rttm", "# only a comment\n", "no turns found in the file"),
    ("textgrid", "this is not a textgrid", "not a Praat TextGrid"),
    (
        "textgrid",
        TEXTGRID_HEAD + 'size = 1\nitem []:\n    item [1]:\n        class = "IntervalTier"\n',
        "the file is truncated",
    ),
    (
        "textgrid",
        textgrid(("A", [(0, 1, "hi"), (1, 12, "too long")])).replace("xmax = 9", "xmax = 12"),
        "ends at 12 s, after the call ends (9 s)",
    ),
    ("textgrid", textgrid(("A", [(0, 1, "hi"), (1, 12, "too long")])), "intervals end at 12, not at the tier's end 9"),
    ("labelstudio", '[{"annotations": [', "not valid JSON: line 1 column"),
    ("labelstudio", json.dumps({"data": {}}), "not a Label Studio task"),
    (
        "labelstudio",
        json.dumps([{"annotations": []}, {"annotations": []}]),
        "expected one Label Studio task (one call), found 2",
    ),
    ("labelstudio", ls_task(("r1", 2.0, 1.0, ["A"])), "result r1: end before start (2 s to 1 s)"),
    (
        "labelstudio",
        ls_task(("r1", 0.0, 1.0, ["A", "B"])),
        "result r1: a speaker region needs exactly one speaker label",
    ),
    ("labelstudio", ls_task(("r1", "soon", 1.0, ["A"])), "result r1: start 'soon' is not a number"),
    ("labelstudio", json.dumps([{"annotations": [{"result": []}]}]), "no speaker regions"),
    ("srt", GOOD_RTTM, "unknown import format 'srt'"),
]


@pytest.mark.parametrize(("fmt", "text", "message"), BAD_IMPORTS)
def test_bad_imports_are_refused_clearly_and_write_nothing(exported, fmt, text, message):
    _, fresh, _ = exported
    Call.objects.filter(pk=fresh.pk).update(duration=9.0)
    fresh.refresh_from_db()
    call_turns_seed(call=fresh, fmt="rttm", data=GOOD_RTTM.encode())
    before = turns_of(fresh)
    with pytest.raises(ImportRejected) as caught:
        call_turns_seed(call=fresh, fmt=fmt, data=text.encode())
    assert any(message in e for e in caught.value.errors), caught.value.errors
    assert turns_of(fresh) == before and fresh.speakers.count() == 2


def test_a_turn_rounded_past_the_call_end_ends_where_the_call_does(exported):
    """Another tool's rounding (up to 50 ms past the end) is accepted, but the turn no longer holds
    time the audio has not."""
    _, fresh, _ = exported
    Call.objects.filter(pk=fresh.pk).update(duration=9.0)
    fresh.refresh_from_db()
    call_turns_seed(call=fresh, fmt="rttm", data=b"SPEAKER fresh 1 8.0 1.04 <NA> <NA> A <NA> <NA>\n")
    assert list(fresh.turns.values_list("start", "end")) == [(8.0, 9.0)]


def test_unknown_speaker_is_refused_when_the_call_has_speakers(exported):
    _, fresh, _ = exported
    Speaker.objects.create(call=fresh, label="SPEAKER_00")
    with pytest.raises(ImportRejected, match="line 1: unknown speaker 'A'; this call's speakers are SPEAKER_00"):
        call_turns_seed(call=fresh, fmt="rttm", data=GOOD_RTTM.encode())
    assert not fresh.turns.exists()


def test_not_utf8_and_too_large_are_refused(exported):
    _, fresh, _ = exported
    with pytest.raises(ImportRejected, match="not UTF-8 text"):
        call_turns_seed(call=fresh, fmt="rttm", data=b"\x80\x81 SPEAKER")
    with pytest.raises(ImportRejected, match="the limit is"):
        call_turns_seed(call=fresh, fmt="rttm", data=b"#" * (5 * 1024 * 1024 + 1))
    assert not Turn.objects.filter(call=fresh).exists()


def test_an_annotated_call_is_not_reseeded(exported):
    source, _, out = exported
    assert TurnAnnotation.objects.filter(turn__call=source).exists()
    before = turns_of(source)
    with pytest.raises(SeedRefused, match="already has annotations"):
        call_turns_seed(call=source, fmt="rttm", data=(out / "rttm/turns.rttm").read_bytes())
    assert turns_of(source) == before


def test_every_error_is_reported_at_once():
    from annotation.turn_files import parse_turns

    text = "SPEAKER f 1 0 -1 <NA> <NA> A <NA> <NA>\nSPEAKER f 1 x 1 <NA> <NA> A <NA> <NA>\n"
    with pytest.raises(ImportRejected) as caught:
        parse_turns("rttm", text.encode(), duration=10)
    assert [e.split(":")[0] for e in caught.value.errors] == ["line 1", "line 2"]


def test_seeding_a_decoded_call_requeues_prosody_and_suggestions(exported, django_capture_on_commit_callbacks):
    from annotation.models import ProcessingJob
    from annotation.storage import pcm_path

    source, fresh, out = exported
    pcm_path(fresh).parent.mkdir(parents=True, exist_ok=True)
    pcm_path(fresh).write_bytes(pcm_path(source).read_bytes())
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = call_turns_seed(call=fresh, fmt="rttm", data=(out / "rttm/turns.rttm").read_bytes())
    assert result.rerun_from == "prosody" and len(callbacks) == 1
    job = ProcessingJob.objects.get(call=fresh)
    assert job.stage == "prosody" and job.status == "queued"
    fresh.refresh_from_db()
    assert fresh.status == Call.Status.READY  # annotators keep the call while it runs
    # The stage runs on the imported turns (no words from an RTTM) and fills their prosody.
    from annotation.jobs import job_run

    with django_capture_on_commit_callbacks(execute=False):
        job_run(job.pk, str(job.lease))
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert all(t.prosody for t in fresh.turns.all())
