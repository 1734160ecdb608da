"""The languages a project's calls are in: declared per project (browser, API, command line),
validated against the languages Whisper knows, and used by the machine pass to choose among
them. The end-to-end use through the real models is in ``test_codeswitch.py``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Project
from annotation.pipeline.whisper_languages import WHISPER_LANGUAGES, parse_languages
from annotation.project_setup import project_setup
from annotation.services import project_rule_update
from annotation.stages.speech import declared_languages
from annotera.models import AuditEvent


def test_the_language_list_is_whispers_own():
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    assert set(WHISPER_LANGUAGES) == set(_LANGUAGE_CODES)


@pytest.mark.parametrize(
    ("written", "codes"),
    [
        ("en, es, hi", ["en", "es", "hi"]),
        ("es-MX, en_US, zh-Hant", ["es", "en", "zh"]),  # BCP 47 tags: their language
        ("Spanish, haitian  creole, Filipino", ["es", "ht", "tl"]),  # English names, any case and spacing
        ("fil, jv, nb", ["tl", "jw", "no"]),  # ISO codes Whisper files under another code
        ("en, EN, English, en-GB", ["en"]),  # one language written four ways
        (["de", "fr, it"], ["de", "fr", "it"]),
        ("", []),
        (" , ", []),
    ],
)
def test_languages_are_read_as_people_write_them(written, codes):
    assert parse_languages(written) == codes


def test_a_space_between_codes_is_not_guessed():
    # "en IN" read as two codes would be English and Indonesian, "pt br" Portuguese and Breton;
    # "en es" may be English and Spanish or English of Spain. Commas or a hyphen say which.
    for written, listed, tag in (("en IN", "en, IN", "en-IN"), ("es, pt br", "pt, br", "pt-br"),
                                 ("es 419", "es, 419", "es-419"), ("EN ES", "EN, ES", "EN-ES")):  # fmt: skip
        with pytest.raises(ValueError, match=f"put commas between languages \\({listed}\\), or .* \\({tag}\\)"):
            parse_languages(written)
    assert parse_languages("Haitian Creole, en") == ["ht", "en"]  # a space inside a name is fine


def test_every_unknown_language_is_named():
    with pytest.raises(ValueError, match="'xx', 'klingon': not a language the speech models know"):
        parse_languages("en, xx, klingon")
    with pytest.raises(ValueError, match="'english-ish'"):
        parse_languages(["english-ish"])


def test_project_setup_stores_codes_and_refuses_unknown_languages_whole(taxonomy):
    project = project_setup(name="A", slug="a", taxonomy=taxonomy, spoken_languages="English, es-MX, fil")
    assert project.spoken_languages == ["en", "es", "tl"]
    assert project.spoken_languages_display == "English (en), Spanish (es), Tagalog (tl)"
    with pytest.raises(ValidationError) as refused:
        project_setup(name="B", slug="b", taxonomy=taxonomy, spoken_languages="en, xx")
    assert "'xx'" in refused.value.message_dict["spoken_languages"][0]
    assert not Project.objects.filter(slug="b").exists()
    # The model refuses what did not come through the parser (a code Whisper does not know).
    project.spoken_languages = ["en", "english"]
    with pytest.raises(ValidationError, match="english"):
        project.full_clean()


def test_rule_update_changes_languages_only_when_given_and_audits_it(taxonomy, make_user):
    pm = make_user("pm-lang", "project_manager")
    project = project_setup(name="R", slug="r", created_by=pm, taxonomy=taxonomy, spoken_languages="en,es")
    rule = {"overlap_k": 3, "blind_share": 0.1, "required_proficiency": "fluent", "locale_match": "preferred"}
    project_rule_update(project=project, actor=pm, **rule)
    assert Project.objects.get(pk=project.pk).spoken_languages == ["en", "es"]
    project_rule_update(project=project, actor=pm, **rule, spoken_languages="hi, en")
    event = AuditEvent.objects.filter(action="project.rule_update").latest("pk")
    assert (event.before["spoken_languages"], event.after["spoken_languages"]) == (["en", "es"], ["hi", "en"])
    with pytest.raises(ValidationError):
        project_rule_update(project=project, actor=pm, **{**rule, "overlap_k": 1}, spoken_languages="hi, zz")
    assert Project.objects.get(pk=project.pk).overlap_k == 3  # nothing half-written


def test_settings_page_shows_saves_and_refuses_languages(client, pm, project):
    client.force_login(pm)
    url = reverse("annotation:project_settings", args=[project.slug])
    rule = {"form": "rule", "overlap_k": "3", "blind_share": "0.1", "required_proficiency": "fluent"}
    assert client.post(url, {**rule, "locale_match": "preferred", "spoken_languages": "es, Hindi"}).status_code == 302
    project.refresh_from_db()
    assert project.spoken_languages == ["es", "hi"]
    page = client.get(url).content.decode()
    assert 'value="es, hi"' in page  # shown as written back, not as a Python list
    assert (
        "Spanish (es), Hindi (hi)"
        in client.get(reverse("annotation:project_detail", args=[project.slug])).content.decode()
    )
    refused = client.post(url, {**rule, "locale_match": "preferred", "spoken_languages": "es, Elvish"})
    assert refused.status_code == 200 and "&#x27;Elvish&#x27;: not a language" in refused.content.decode()
    project.refresh_from_db()
    assert project.spoken_languages == ["es", "hi"]
    client.post(url, {**rule, "locale_match": "preferred"})  # a form without the field leaves it alone
    project.refresh_from_db()
    assert project.spoken_languages == ["es", "hi"]
    client.post(url, {**rule, "locale_match": "preferred", "spoken_languages": ""})  # blank: any language
    project.refresh_from_db()
    assert project.spoken_languages == []
    assert (
        "calls in any language"
        in client.get(reverse("annotation:project_detail", args=[project.slug])).content.decode()
    )


def test_new_project_page_api_and_command_line_take_languages(client, make_user, taxonomy):
    pm = make_user("pm-new", "project_manager")
    client.force_login(pm)
    form = {"name": "Web", "slug": "web", "taxonomy": taxonomy.pk, "overlap_k": 3, "blind_share": 0.1,
            "required_proficiency": "fluent", "locale_match": "preferred", "channel_layout": "agent,customer"}  # fmt: skip
    refused = client.post(reverse("annotation:project_new"), {**form, "spoken_languages": "en, qq"})
    assert refused.status_code == 200 and "not a language the speech models know" in refused.content.decode()
    assert not Project.objects.filter(slug="web").exists()
    assert client.post(reverse("annotation:project_new"), {**form, "spoken_languages": "en, tl"}).status_code == 302
    assert Project.objects.get(slug="web").spoken_languages == ["en", "tl"]

    api = APIClient()
    api.force_authenticate(pm)
    payload = {"name": "Api", "slug": "api", "taxonomy": taxonomy.slug}
    answer = api.post("/api/projects/", {**payload, "spoken_languages": ["de", "xx"]}, format="json")
    assert answer.status_code == 400 and "'xx'" in json.dumps(answer.json())
    answer = api.post("/api/projects/", {**payload, "spoken_languages": ["German", "fr-CA"]}, format="json")
    assert answer.status_code == 201 and answer.json()["spoken_languages"] == ["de", "fr"]
    assert api.get("/api/projects/api/").json()["spoken_languages"] == ["de", "fr"]

    out = io.StringIO()
    call_command("create_project", "--name", "Cli", "--slug", "cli", "--taxonomy", taxonomy.slug,
                 "--languages", "hi,en", stdout=out)  # fmt: skip
    assert Project.objects.get(slug="cli").spoken_languages == ["hi", "en"]


def test_the_machine_pass_takes_the_projects_languages_else_the_installs(taxonomy, settings):
    settings.LANGUAGE_CANDIDATES = ["fil", "en"]
    project = project_setup(name="M", slug="m", taxonomy=taxonomy)
    assert declared_languages(project) == ["tl", "en"]  # the install's, as Whisper codes
    project.spoken_languages = ["es"]
    assert declared_languages(project) == ["es"]
    settings.LANGUAGE_CANDIDATES = []
    project.spoken_languages = []
    assert declared_languages(project) == []  # any language


def test_a_call_nobody_worked_on_can_run_again_and_one_with_work_cannot(client, pm, project, make_user):
    from annotation.corrections import turn_set_text
    from annotation.models import Assignment, Call, ProcessingJob, Speaker, Turn, TurnAnnotation
    from annotation.services import call_reprocess
    from annotation.storage import pcm_path
    from annotation.turn_annotations import turn_annotation_save

    call = project.calls.create(original_name="c.wav", sha256="5" * 64, audio="c.wav", status="ready", duration=9)
    speaker = Speaker.objects.create(call=call, label="S0")
    turn = Turn.objects.create(call=call, speaker=speaker, order=0, start=0.0, end=2.0, text="hola")
    for stage in ("decode", "transcribe", "diarize", "turns"):
        ProcessingJob.objects.create(call=call, stage=stage, status="succeeded", progress=100)
    client.force_login(pm)
    with pytest.raises(ValidationError, match="never decoded; use Retry"):
        call_reprocess(call=call)  # nothing to read again
    pcm_path(call).parent.mkdir(parents=True, exist_ok=True)
    pcm_path(call).write_bytes(b"\0" * 64)
    page = client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    assert "Run the machine pass again" in page and "any language" in page
    answer = client.post(reverse("annotation:call_reprocess", args=[call.pk]), follow=True)
    assert "runs again from language identification" in answer.content.decode()
    call.refresh_from_db()
    jobs = dict(call.jobs.values_list("stage", "status"))
    assert call.status == Call.Status.QUEUED and jobs == {"decode": "succeeded", "transcribe": "queued"}
    assert AuditEvent.objects.filter(action="call.reprocess", project=project).exists()
    # While it runs: not again, and no annotation lands on turns about to be replaced.
    with pytest.raises(ValidationError, match="already running"):
        call_reprocess(call=call)
    annotator = make_user("ann-re", "annotator")
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    with pytest.raises(ValidationError, match="not ready"):
        turn_annotation_save(assignment=assignment, turn=turn, data={"labels": []}, base_version=0)
    with pytest.raises(ValidationError, match="not ready"):  # nor a correction, kept in the word store
        turn_set_text(turn=turn, text="typed while it runs", revision=turn.revision, user=pm)
    assert Call.objects.get(pk=call.pk).words == []
    # Once people have worked on it, the page offers nothing and the service refuses.
    Call.objects.filter(pk=call.pk).update(status=Call.Status.READY)
    call.jobs.update(status="succeeded")  # the re-run finished
    turn_annotation_save(assignment=assignment, turn=turn, data={"labels": []}, base_version=0)
    assert TurnAnnotation.objects.filter(turn=turn).exists()
    assert (
        "Run the machine pass again"
        not in client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    )
    api = APIClient()
    api.force_authenticate(pm)
    refused = api.post(f"/api/calls/{call.pk}/reprocess/")
    assert refused.status_code == 400 and "annotators have saved annotations" in json.dumps(refused.json())
    assert Call.objects.get(pk=call.pk).status == Call.Status.READY


def test_speaker_corrections_and_imported_turns_count_as_work_a_rerun_would_discard(pm, project):
    from annotation.models import Speaker
    from annotation.seeding import call_turns_seed
    from annotation.services import call_human_work, speaker_update

    call = project.calls.create(original_name="d.wav", sha256="6" * 64, audio="d.wav", status="ready", duration=9)
    speaker = Speaker.objects.create(call=call, label="S0", role="unknown")
    assert call_human_work(call) == ""
    speaker_update(speaker=speaker, role="agent", actor=pm)
    assert call_human_work(call) == "its speakers' roles or names were corrected"
    other = project.calls.create(original_name="e.wav", sha256="7" * 64, audio="e.wav", status="ready", duration=9)
    call_turns_seed(call=other, fmt="rttm", data=b"SPEAKER e 1 0.5 1.0 <NA> <NA> A <NA> <NA>\n", rerun=False, actor=pm)
    assert call_human_work(other) == "its turns were imported from a file"


def test_a_wrong_install_wide_language_setting_is_said_at_start_up(settings):
    from annotation.checks import language_candidates_check

    settings.LANGUAGE_CANDIDATES = ["en", "klingon"]
    errors = language_candidates_check()
    assert [e.id for e in errors] == ["annotation.E001"] and "'klingon'" in errors[0].msg
    settings.LANGUAGE_CANDIDATES = ["en", "fil"]
    assert language_candidates_check() == []
