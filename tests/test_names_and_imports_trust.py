"""Nothing misstated, nothing dropped without a word: uploaded file names are shown as the person
gave them (the stored file's name is generated); a turn import says what the file held that it
did not bring in, and its refusals name the file; a project name that shows nothing, or that
reorders the text around it, is refused on every path that creates projects."""

from __future__ import annotations

import io
import json
import re
import unicodedata

import numpy as np
import pytest
import soundfile as sf
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.bulk_upload import calls_bulk_upload
from annotation.models import Call, Project
from annotation.project_setup import project_setup
from annotation.seeding import call_turns_seed
from annotation.services import call_upload

pytestmark = pytest.mark.django_db
STORED = re.compile(r"calls/\d+/[0-9a-f]{32}\.wav")


def tone_wav(freq: float = 440.0) -> bytes:
    t = np.arange(16000) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, format="WAV")
    return buffer.getvalue()


# --- 1. Uploaded file names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("Anruf Kündigung 😀.wav", "Anruf Kündigung 😀.wav"),
        ("😀😀.wav", "😀😀.wav"),
        ("قناة الدعم.wav", "قناة الدعم.wav"),
        ("Anrufu\u0308.wav", "Anruf\u00fc.wav"),  # decomposed (as macOS sends it) shown composed
        ("C:\\Users\\jo\\Calls\\Support call.wav", "Support call.wav"),
        ("../../etc/passwd", "passwd"),
        ("a\x00b\x07.wav", "ab.wav"),
        ("line\r\nbreak.wav", "line  break.wav"),
        ("Q3\u202evaw.exe", "Q3vaw.exe"),  # shown as "Q3exe.wav" with the override in
        ("...", "call"),
        ("\x00\x01", "call"),
        ("folder/", "call"),
    ],
)
def test_an_upload_keeps_the_name_people_gave_it_and_stores_under_a_generated_one(project, sent, shown):
    call = call_upload(project=project, fileobj=io.BytesIO(tone_wav()), filename=sent, start_pipeline=False).call
    call.refresh_from_db()
    assert call.original_name == shown
    assert STORED.fullmatch(call.audio.name), call.audio.name  # never a part of the client's name


def test_a_long_name_keeps_its_extension(project):
    call = call_upload(project=project, fileobj=io.BytesIO(tone_wav()), filename="ü" * 400 + ".flac",
                       start_pipeline=False).call  # fmt: skip
    assert len(call.original_name) == 255 and call.original_name.endswith("ü.flac")


def test_a_refusal_names_the_file_as_given(project):
    with pytest.raises(ValidationError, match="Anruf Kündigung 😀.wav: not a supported audio file"):
        call_upload(project=project, fileobj=io.BytesIO(b"no audio here"), filename="Anruf Kündigung 😀.wav")
    assert not Call.objects.exists()


def test_the_call_list_shows_the_name_as_given(client, pm, project):
    call_upload(project=project, fileobj=io.BytesIO(tone_wav()), filename="Anruf Kündigung 😀.wav",
                start_pipeline=False)  # fmt: skip
    client.force_login(pm)
    listing = client.get(reverse("api-project-calls", args=[project.slug])).json()
    assert [c["original_name"] for c in listing["results"]] == ["Anruf Kündigung 😀.wav"]


def test_bulk_upload_matches_metadata_rows_to_non_ascii_names(project):
    # The row is typed in composed form; the file comes from a Mac, decomposed.
    metadata = "file,locale,agent_id\nAnruf Kündigung.wav,de-DE,A7\n😀 Beschwerde.wav,de-AT,A8\n".encode()
    files = [
        SimpleUploadedFile(unicodedata.normalize("NFD", "Anruf Kündigung.wav"), tone_wav(440)),
        SimpleUploadedFile("😀 Beschwerde.wav", tone_wav(550)),
    ]
    result = calls_bulk_upload(project=project, files=files, metadata=metadata, metadata_name="m.csv",
                               start_pipeline=False)  # fmt: skip
    assert result.created == 2
    calls = {c.original_name: c for c in Call.objects.filter(project=project)}
    assert set(calls) == {"Anruf Kündigung.wav", "😀 Beschwerde.wav"}
    assert calls["Anruf Kündigung.wav"].locale == "de-DE" and calls["Anruf Kündigung.wav"].metadata == {
        "agent_id": "A7"
    }
    assert calls["😀 Beschwerde.wav"].locale == "de-AT"


def test_bulk_upload_names_duplicates_and_refusals_as_given(project):
    first = calls_bulk_upload(project=project, files=[SimpleUploadedFile("Anruf Kündigung.wav", tone_wav(440))],
                              start_pipeline=False)  # fmt: skip
    again = calls_bulk_upload(project=project, files=[SimpleUploadedFile("Kündigung (Kopie).wav", tone_wav(440))],
                              start_pipeline=False)  # fmt: skip
    call = first.outcomes[0].call
    assert again.duplicates[0].message.startswith(
        f"Kündigung (Kopie).wav is the same audio as call {call.pk} (Anruf Kündigung.wav), already in this project"
    )
    with pytest.raises(ValidationError) as refused:
        calls_bulk_upload(project=project, files=[SimpleUploadedFile("Notiz ü.wav", b"not audio")],
                          start_pipeline=False)  # fmt: skip
    assert any(m.startswith("Notiz ü.wav: not a supported audio file") for m in refused.value.messages)
    assert Call.objects.count() == 1


def test_bulk_upload_metadata_for_a_file_not_sent_is_named_as_given(project):
    metadata = "file,locale\nAnruf Kündigung.wav,de-DE\n".encode()
    with pytest.raises(ValidationError) as refused:
        calls_bulk_upload(project=project, files=[SimpleUploadedFile("Anruf Kuendigung.wav", tone_wav())],
                          metadata=metadata, metadata_name="m.csv", start_pipeline=False)  # fmt: skip
    assert "metadata names Anruf Kündigung.wav, which is not among the uploaded files." in refused.value.messages
    assert not Call.objects.exists()


# --- 2. Turn imports: what was not imported, and which file was refused ---------------------


def _region(rid: str, start: float, end: float, control: str, kind: str, value: dict) -> dict:
    return {"id": rid, "from_name": control, "to_name": "audio", "type": kind,
            "value": {"start": start, "end": end, **value}}  # fmt: skip


def labelstudio_task() -> dict:
    """Two turns (speaker + transcription), each with a sentiment choice and emotion labels in the
    same annotation, a prediction of other turns, and a second annotator's emotion labels."""
    turns = [
        _region("t1", 0.0, 2.0, "speaker", "labels", {"labels": ["A"]}),
        _region("t1", 0.0, 2.0, "transcription", "textarea", {"text": ["Hallo"]}),
        _region("t1", 0.0, 2.0, "sentiment", "choices", {"choices": ["negative"]}),
        _region("t1", 0.0, 2.0, "emotion", "labels", {"labels": ["anger", "frustration"]}),
        _region("t2", 2.0, 4.0, "speaker", "labels", {"labels": ["B"]}),
        _region("t2", 2.0, 4.0, "transcription", "textarea", {"text": ["Guten Tag"]}),
        _region("t2", 2.0, 4.0, "sentiment", "choices", {"choices": ["neutral"]}),
        _region("t2", 2.0, 4.0, "emotion", "labels", {"labels": ["calm"]}),
    ]
    other = [_region("o1", 0.0, 2.0, "emotion", "labels", {"labels": ["anger"]})]
    machine = [_region("m1", 0.0, 4.0, "speaker", "labels", {"labels": ["A"]})]
    return {
        "data": {"audio": "x.wav"},
        "annotations": [
            {"updated_at": "2026-01-02T00:00:00Z", "result": turns},
            {"updated_at": "2026-01-01T00:00:00Z", "result": other},
        ],
        "predictions": [{"result": machine}],
    }


def textgrid(tiers: dict[str, list[tuple[float, float, str]]], xmax: float = 4.0) -> str:
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0", f"xmax = {xmax}",
             "tiers? <exists>", f"size = {len(tiers)}", "item []:"]  # fmt: skip
    for k, (name, rows) in enumerate(tiers.items(), start=1):
        lines += [f"    item [{k}]:", '        class = "IntervalTier"', f'        name = "{name}"',
                  "        xmin = 0", f"        xmax = {xmax}", f"        intervals: size = {len(rows)}"]  # fmt: skip
        for i, (start, end, text) in enumerate(rows, start=1):
            lines += [f"        intervals [{i}]:", f"            xmin = {start}", f"            xmax = {end}",
                      f'            text = "{text}"']  # fmt: skip
    return "\n".join(lines) + "\n"


ANNOTERA_TEXTGRID = textgrid(
    {
        "A|turns": [(0, 2, "agent"), (2, 4, "")],
        "A|transcript": [(0, 2, "Hallo"), (2, 4, "")],
        "A|consensus": [(0, 2, "anger:3"), (2, 4, "")],
        "A|ann1": [(0, 2, "anger:4,frustration"), (2, 4, "")],
        "A|ann2": [(0, 2, "(no labels)"), (2, 4, "")],
    }
)


@pytest.fixture
def fresh_call(project):
    return Call.objects.create(project=project, audio="calls/x.wav", original_name="fresh.wav", sha256="f" * 64,
                               duration=4.0, channels=2, status=Call.Status.READY)  # fmt: skip


def test_a_labelstudio_import_counts_what_it_did_not_bring_in(fresh_call):
    result = call_turns_seed(call=fresh_call, fmt="labelstudio", data=json.dumps(labelstudio_task()).encode())
    assert result.turns == 2
    assert result.not_imported == {"sentiment choices": 2, "emotion labels": 4, "speaker labels": 1}
    assert result.not_imported_message == (
        "2 sentiment choices, 4 emotion labels and 1 speaker label in the file were not imported: "
        "turn import brings in turns and text only."
    )


def test_annoteras_own_labelstudio_export_says_its_labels_were_not_imported(fresh_call):
    turns = [_region("t1", 0.0, 2.0, "speaker", "labels", {"labels": ["A"]}),
             _region("t1", 0.0, 2.0, "transcription", "textarea", {"text": ["Hallo"]})]  # fmt: skip
    consensus = [_region("t1", 0.0, 2.0, "emotion", "labels", {"labels": ["anger"]}),
                 _region("t1", 0.0, 2.0, "intensity_anger", "number", {"number": 3})]  # fmt: skip
    task = {"predictions": [{"model_version": "annotera-turns", "result": turns},
                            {"model_version": "annotera-consensus", "result": consensus}],
            "annotations": [{"result": consensus}, {"result": consensus}]}  # fmt: skip
    result = call_turns_seed(call=fresh_call, fmt="labelstudio", data=json.dumps([task]).encode())
    assert result.turns == 1
    assert result.not_imported == {"emotion labels": 3, "intensity_anger numbers": 3}


def test_annoteras_own_textgrid_says_its_consensus_and_annotator_tiers_were_not_imported(fresh_call):
    result = call_turns_seed(call=fresh_call, fmt="textgrid", data=ANNOTERA_TEXTGRID.encode())
    assert result.turns == 1 and fresh_call.turns.get().text == "Hallo"
    assert result.not_imported == {
        "labelled intervals of tier 'A|consensus'": 1,
        "labelled intervals of tier 'A|ann1'": 1,
        "labelled intervals of tier 'A|ann2'": 1,
    }


def test_a_file_of_turns_only_says_nothing_more(fresh_call):
    plain = textgrid({"Agent": [(0, 2, "Hallo"), (2, 4, "")], "Kunde": [(0, 2, ""), (2, 4, "Tag")]})
    result = call_turns_seed(call=fresh_call, fmt="textgrid", data=plain.encode())
    assert result.turns == 2 and result.not_imported == {} and result.not_imported_message == ""


def test_an_rttm_import_counts_the_records_that_are_not_turns(fresh_call):
    """Only SPEAKER lines are turns; the file's other records (words, speaker info) were dropped
    without a word."""
    rttm = "\n".join(
        [
            "SPKR-INFO call 1 <NA> <NA> <NA> unknown agent <NA> <NA>",
            "SPEAKER call 1 0.00 1.50 <NA> <NA> agent <NA> <NA>",
            "LEXEME call 1 0.10 0.40 hello lex agent <NA> <NA>",
            "LEXEME call 1 0.60 0.40 there lex agent <NA> <NA>",
            "SPEAKER call 1 2.00 1.50 <NA> <NA> customer <NA> <NA>",
            "X\u0007Y call 1 0 1 a b c d e",
        ]
    )
    result = call_turns_seed(call=fresh_call, fmt="rttm", data=rttm.encode())
    assert result.turns == 2
    assert result.not_imported == {"SPKR-INFO lines": 1, "LEXEME lines": 2, "other lines": 1}
    assert result.not_imported_message.startswith("1 SPKR-INFO line, 2 LEXEME lines and 1 other line in the file")


def _page_messages(client, response) -> list[str]:
    """The messages the redirect's page shows."""
    assert response.status_code == 302
    return [str(m) for m in get_messages(client.get(response.url).wsgi_request)]


def test_the_import_page_says_what_was_not_imported_and_names_refused_files(client, pm, fresh_call):
    client.force_login(pm)
    url = reverse("qa:call_turns_import", args=[fresh_call.pk])
    upload = SimpleUploadedFile("Kündigung tasks.json", json.dumps(labelstudio_task()).encode())
    done = _page_messages(client, client.post(url, {"format": "labelstudio", "file": upload}))
    assert len(done) == 1 and done[0].startswith("Imported 2 turns for 2 speakers from 'Kündigung tasks.json'.")
    assert "2 sentiment choices, 4 emotion labels and 1 speaker label in the file were not imported: " \
           "turn import brings in turns and text only." in done[0]  # fmt: skip

    before = list(fresh_call.turns.values_list("pk", flat=True))
    bad = SimpleUploadedFile("Anruf 7.json", b'{"annotations": [{"result": [{"value": 3}]}]}')
    refused = _page_messages(client, client.post(url, {"format": "labelstudio", "file": bad}))
    assert len(refused) == 1 and refused[0].startswith("Import of 'Anruf 7.json' refused: annotations[1] result 1")
    bad = SimpleUploadedFile("../x/grid.TextGrid", b"not a grid")
    refused = _page_messages(client, client.post(url, {"format": "textgrid", "file": bad}))
    assert refused[0].startswith("Import of 'grid.TextGrid' refused: not a Praat TextGrid")
    assert list(fresh_call.turns.values_list("pk", flat=True)) == before


def test_the_import_api_says_what_was_not_imported_and_names_refused_files(pm, fresh_call):
    api = APIClient()
    api.force_authenticate(pm)
    url = reverse("api-call-turns-import", args=[fresh_call.pk])
    upload = SimpleUploadedFile("export.TextGrid", ANNOTERA_TEXTGRID.encode())
    answer = api.post(url, {"format": "textgrid", "file": upload}, format="multipart")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["turns"] == 1 and body["file"] == "export.TextGrid"
    assert body["not_imported"]["labelled intervals of tier 'A|consensus'"] == 1
    assert body["message"].endswith("in the file were not imported: turn import brings in turns and text only.")

    bad = SimpleUploadedFile("Anruf 7.rttm", b"SPEAKER f 1 0 -1 <NA> <NA> A <NA> <NA>\n")
    refused = api.post(url, {"format": "rttm", "file": bad}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["file"] == ["'Anruf 7.rttm': line 1: duration -1 must be positive (end before start)"]


# --- 3. Project names that show nothing, or reorder the text --------------------------------

BAD_PROJECT_NAMES = [
    ("\u200b", "made only of invisible characters (U+200B ZERO WIDTH SPACE)"),
    ("\u200b\u2060\ufeff", "U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER, U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("\u3164", "U+3164 HANGUL FILLER"),
    ("Q3 refunds\u202egnp.exe", "holds U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("Billing \u2067isolate", "holds U+2067 RIGHT-TO-LEFT ISOLATE"),
]


@pytest.mark.parametrize(("name", "message"), BAD_PROJECT_NAMES)
def test_project_setup_refuses_invisible_and_reordering_names(taxonomy, name, message):
    with pytest.raises(ValidationError) as refused:
        project_setup(name=name, slug="bad", taxonomy=taxonomy)
    assert any(message in m for m in refused.value.message_dict["name"])
    assert not Project.objects.filter(slug="bad").exists()


def test_readable_names_in_any_script_are_kept(taxonomy):
    for k, name in enumerate(["Kündigungen 😀", "دعم العملاء", "👨\u200d👩\u200d👧 Familie", "नमस्ते"]):
        assert project_setup(name=name, slug=f"ok-{k}", taxonomy=taxonomy).name == name


def test_browser_api_and_command_line_refuse_the_same_names(client, make_user, taxonomy):
    pm = make_user("pm-new", "project_manager")
    client.force_login(pm)
    form = {"slug": "web", "taxonomy": taxonomy.pk, "overlap_k": 3, "blind_share": 0.1,
            "required_proficiency": "fluent", "locale_match": "preferred", "channel_layout": "agent,customer"}  # fmt: skip
    page = client.post(reverse("annotation:project_new"), {**form, "name": "\u200b"})
    assert page.status_code == 200 and "U+200B ZERO WIDTH SPACE" in page.content.decode()

    api = APIClient()
    api.force_authenticate(pm)
    answer = api.post("/api/projects/", {"name": "Q3\u202egnp.exe", "slug": "api", "taxonomy": taxonomy.slug},
                      format="json")  # fmt: skip
    assert answer.status_code == 400 and "U+202E RIGHT-TO-LEFT OVERRIDE" in answer.json()["name"][0]

    with pytest.raises(CommandError, match="name: The name is made only of invisible characters"):
        call_command("create_project", "--name", "\u200b\u200c", "--slug", "cli", "--taxonomy", taxonomy.slug)
    assert not Project.objects.filter(slug__in=["web", "api", "cli"]).exists()
