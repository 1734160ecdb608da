"""Pages and API for projects and calls, including refusals for other people's objects."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from django.urls import reverse

from annotation.models import Call, ProjectMembership
from annotation.services import call_upload, project_add_member, project_create


def wav_file(name="call.wav", seconds=1.0):
    buffer = io.BytesIO()
    sf.write(
        buffer, np.random.default_rng(1).normal(0, 0.1, int(16000 * seconds)).astype(np.float32), 16000, format="WAV"
    )
    buffer.seek(0)
    buffer.name = name
    return buffer


@pytest.fixture
def other_project(taxonomy):
    return project_create(name="Other", slug="other", taxonomy=taxonomy)


def test_pm_uploads_several_files_and_sees_progress(client, pm, project, django_capture_on_commit_callbacks):
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("annotation:call_upload", args=[project.slug]),
            {
                "files": [wav_file("a.wav", 1.0), wav_file("b.wav", 1.5)],
                "locale": "en-IN",
                "channel_layout": "agent,customer",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert Call.objects.filter(project=project, locale="en-IN").count() == 2
    assert len(callbacks) == 2  # one worker message per call, sent only after commit
    page = response.content.decode()
    assert "a.wav: uploaded" in page and 'hx-trigger="every 2s"' in page
    partial = client.get(reverse("annotation:project_calls_partial", args=[project.slug]))
    assert partial.status_code == 200 and b"decode" in partial.content


# case -> (file name, file bytes, form fields besides the file, words the page must show)
UPLOAD_ERRORS = {
    "locale not BCP 47": (
        "notes.wav",
        b"hello, not audio at all",
        {"locale": "not a locale!"},
        "Use a BCP 47 tag",
    ),
    "not audio": ("notes.wav", b"hello, not audio at all", {}, "notes.wav: not a supported audio file"),
    "empty file": ("empty.wav", b"", {}, "empty"),
}


@pytest.mark.parametrize("case", list(UPLOAD_ERRORS))
def test_upload_errors_are_shown_in_plain_words(client, pm, project, case):
    name, content, fields, expected = UPLOAD_ERRORS[case]
    client.force_login(pm)
    upload = io.BytesIO(content)
    upload.name = name
    response = client.post(
        reverse("annotation:call_upload", args=[project.slug]),
        {"files": [upload], "channel_layout": "agent,customer", **fields},
        follow=True,
    )
    page = response.content.decode()
    if case == "empty file":  # "empty" is a common word: look for it only in the page's main part, any case
        assert expected in page.lower().split("<main>")[1]
    else:
        assert expected in page
    assert Call.objects.count() == 0


def test_other_peoples_projects_and_calls_are_404(client, pm, other_project, make_user):
    call = call_upload(project=other_project, fileobj=wav_file(), filename="x.wav", start_pipeline=False).call
    annotator = make_user("ann", "annotator")
    for user in (pm, annotator):
        client.force_login(user)
        for url in (
            reverse("annotation:project_detail", args=[other_project.slug]),
            reverse("annotation:project_calls_partial", args=[other_project.slug]),
            reverse("annotation:call_detail", args=[call.pk]),
            reverse("api-call-detail", args=[call.pk]),
        ):
            assert client.get(url).status_code == 404, url
        assert client.post(reverse("annotation:call_retry", args=[call.pk])).status_code == 404
        assert client.post(reverse("annotation:call_upload", args=[other_project.slug]), {}).status_code == 404


def test_reviewer_sees_but_cannot_upload(client, project, make_user):
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("annotation:project_detail", args=[project.slug]))
    assert page.status_code == 200 and b"Upload calls" not in page.content
    assert client.post(reverse("annotation:call_upload", args=[project.slug]), {}).status_code == 404


def test_api_upload_status_and_duplicate(client, pm, project, django_capture_on_commit_callbacks):
    client.force_login(pm)
    url = reverse("api-call-upload", args=[project.slug])
    with django_capture_on_commit_callbacks(execute=False):
        created = client.post(url, {"file": wav_file(), "locale": "es-MX", "channel_roles": ["customer", "agent"]})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "queued" and body["locale"] == "es-MX" and body["channel_roles"] == ["customer", "agent"]
    assert body["duplicate"] is False
    again = client.post(url, {"file": wav_file(name="renamed.wav")})
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["duplicate"] is True
    # Two files in one request: the first was dropped without a word.
    two = client.post(url, {"file": [wav_file("a.wav", seconds=1.5), wav_file("b.wav", seconds=2.0)]})
    assert two.status_code == 400 and "2 files were sent (a.wav, b.wav). Nothing was stored." in two.json()["file"][0]
    assert Call.objects.filter(project=project).count() == 1
    status = client.get(reverse("api-call-detail", args=[body["id"]])).json()
    assert [j["stage"] for j in status["jobs"]] == ["decode"]
    bad = client.post(url, {"file": io.BytesIO(b"")})
    assert bad.status_code == 400
    bad = client.post(url, {"file": wav_file("c.wav", seconds=1.2), "locale": "en_IN"})
    assert bad.status_code == 400 and bad.json()["locale"] == ["Use a BCP 47 tag such as en-IN or es-MX."]
    listing = client.get(reverse("api-project-calls", args=[project.slug]) + "?status=queued").json()
    assert listing["count"] == 1


def test_api_schema_and_docs_render_offline(client, pm):
    client.force_login(pm)
    assert client.get(reverse("api-schema")).status_code == 200
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_pm_corrects_speaker_roles_and_language(client, pm, project):
    from annotation.models import Speaker

    call = call_upload(project=project, fileobj=wav_file(), filename="x.wav", start_pipeline=False).call
    speaker = Speaker.objects.create(call=call, label="SPEAKER_00", role="agent")
    client.force_login(pm)
    client.post(reverse("annotation:speaker_update", args=[call.pk, speaker.pk]), {"role": "customer"})
    speaker.refresh_from_db()
    assert speaker.role == "customer"
    page = client.post(reverse("annotation:speaker_update", args=[call.pk, speaker.pk]), {"role": "boss"}, follow=True)
    assert "Unknown role" in page.content.decode()
    client.post(reverse("annotation:call_metadata", args=[call.pk]), {"language_override": "ES", "locale": "es-MX"})
    call.refresh_from_db()
    assert (call.effective_language, call.locale) == ("es", "es-MX")
    page = client.post(
        reverse("annotation:call_metadata", args=[call.pk]), {"language_override": "spanish!"}, follow=True
    )
    assert "ISO 639" in page.content.decode()
    # Read as a project's languages are: names and tags; a code nobody knows is refused.
    for written, stored in (("Spanish", "es"), ("pt-BR", "pt"), ("fil", "tl"), ("", "")):
        client.post(reverse("annotation:call_metadata", args=[call.pk]), {"language_override": written})
        call.refresh_from_db()
        assert call.language_override == stored, written
    page = client.post(reverse("annotation:call_metadata", args=[call.pk]), {"language_override": "xx"}, follow=True)
    assert "&#x27;xx&#x27; is not a language we know" in page.content.decode()


def test_call_page_shows_speech_coverage_and_untranscribed_turns(client, pm, project):
    from annotation.models import Speaker, Turn

    call = call_upload(project=project, fileobj=wav_file(), filename="x.wav", start_pipeline=False).call
    client.force_login(pm)
    assert "speech in turns" not in client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    Call.objects.filter(pk=call.pk).update(coverage=0.9734, status=Call.Status.READY)
    speaker = Speaker.objects.create(call=call, label="SPEAKER_00", role="agent")
    Turn.objects.create(call=call, speaker=speaker, order=0, start=0.0, end=1.0, language="hi", untranscribed=True)
    page = client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode()
    assert 'class="error" title="share of the speech' in page and "speech in turns 97.3%" in page
    assert "untranscribed speech" in page


def test_matching_rule_change_is_saved_through_the_service_with_an_audit_row(client, pm, project):
    from annotera.models import AuditEvent

    client.force_login(pm)
    url = reverse("annotation:project_settings", args=[project.slug])
    rule = {"form": "rule", "overlap_k": "2", "blind_share": "0.25", "required_proficiency": "native"}
    response = client.post(url, {**rule, "locale_match": "required"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.overlap_k, project.blind_share, project.locale_match) == (2, 0.25, "required")
    event = AuditEvent.objects.get(action="project.rule_update")
    assert event.actor == pm and event.project == project
    assert event.before["overlap_k"] == 3 and event.after["overlap_k"] == 2
    # A refused rule changes nothing and writes no audit row.
    client.post(url, {**rule, "overlap_k": "0", "locale_match": "required"})
    project.refresh_from_db()
    assert project.overlap_k == 2 and AuditEvent.objects.filter(action="project.rule_update").count() == 1
    # Saving the rule as it is says so: "Matching rule saved" claimed a change nobody made.
    same = client.post(url, {**rule, "locale_match": "required"}, follow=True).content.decode()
    assert "already like this; nothing changed" in same and "Matching rule saved" not in same
    assert AuditEvent.objects.filter(action="project.rule_update").count() == 1


def test_project_settings_moves_the_taxonomy_through_its_form(client, pm, project):
    from taxonomy.services import taxonomy_draft_for_edit, taxonomy_publish

    v1 = project.taxonomy
    v2 = taxonomy_draft_for_edit(taxonomy=v1)
    taxonomy_publish(taxonomy=v2)
    client.force_login(pm)
    url = reverse("annotation:project_settings", args=[project.slug])
    bad = client.get(url, {"to": "v2"})
    assert bad.status_code == 400 and "Choose the taxonomy version to move to from the list." in bad.content.decode()
    preview = client.get(url, {"to": v2.pk})
    assert preview.status_code == 200 and preview.context["target"] == v2 and preview.context["plan"]
    refused = client.post(url, {"form": "taxonomy", "to_taxonomy": v2.pk, "map_anger": "missing", "apply": "1"})
    assert refused.status_code == 200
    assert any("'missing' (for 'anger') is not a label" in str(m) for m in refused.context["messages"])
    project.refresh_from_db()
    assert project.taxonomy == v1
    moved = client.post(url, {"form": "taxonomy", "to_taxonomy": v2.pk, "map_anger": "frustration", "apply": "1"})
    assert moved.status_code == 302
    project.refresh_from_db()
    change = project.taxonomy_changes.get()
    assert project.taxonomy == v2 and change.mapping["anger"] == ["frustration"] and change.changed_by == pm


def test_annotator_slots_count_each_ready_call_up_to_k(client, pm, project, make_user):
    """Three annotators on one ready call with k = 1 read "3 of 1 annotator slots assigned"."""
    from annotation.models import Assignment, Call

    project.overlap_k = 1
    project.save(update_fields=["overlap_k"])
    ready = Call.objects.create(project=project, original_name="r.wav", sha256="8" * 64, audio="r.wav", status="ready")
    Call.objects.create(project=project, original_name="q.wav", sha256="9" * 64, audio="q.wav", status="ready")
    for name in ("a1", "a2", "a3"):
        Assignment.objects.create(call=ready, annotator=make_user(name, "annotator"))
    client.force_login(pm)
    page = client.get(reverse("annotation:project_detail", args=[project.slug])).content.decode()
    assert "2 call(s) ready · 1 of 2 annotator slots filled (and 2 assignments beyond 1 per call)" in page
    table = client.get(reverse("annotation:project_calls_partial", args=[project.slug])).content.decode()
    assert "0 of 3 done<" in table and "0 of 0 done (1 wanted)" in table  # was "0/3 done (of 1)"


def retry_offered(client, call) -> dict[str, bool]:
    """Whether the call page and the project's call list offer a Retry of ``call``."""
    retry = reverse("annotation:call_retry", args=[call.pk]).encode()
    pages = {
        "call page": reverse("annotation:call_detail", args=[call.pk]),
        "call list": reverse("annotation:project_detail", args=[call.project.slug]),
    }
    return {name: f'action="{retry.decode()}"'.encode() in client.get(url).content for name, url in pages.items()}


@pytest.mark.django_db(transaction=True)
def test_a_call_with_no_speech_offers_no_retry_and_says_what_to_do(client, pm, project, models_dir):
    """Three seconds of noise: the real machine pass finds no speech. Retry read the same audio
    again and failed the same way; the call page's "Run the machine pass again" as well."""
    from annotation.jobs import run_pipeline_inline

    call = call_upload(project=project, fileobj=wav_file("noise.wav", 3.0), filename="noise.wav", start_pipeline=False)
    call = run_pipeline_inline(call=call.call)
    assert call.status == Call.Status.FAILED and call.failure == Call.Failure.NO_SPEECH, call.error
    client.force_login(pm)
    assert retry_offered(client, call) == {"call page": False, "call list": False}
    for url in (
        reverse("annotation:call_detail", args=[call.pk]),
        reverse("annotation:project_detail", args=[project.slug]),
    ):
        page = client.get(url).content.decode()
        assert "No speech was found" in page and "upload another file" in page, url
        assert reverse("annotation:call_reprocess", args=[call.pk]) not in page, url
    jobs_before = list(call.jobs.order_by("pk").values_list("pk", "status", "lease"))
    response = client.post(reverse("annotation:call_retry", args=[call.pk]), follow=True)
    assert "Retrying cannot help" in response.content.decode()
    assert client.post(reverse("api-call-retry", args=[call.pk])).status_code == 400
    call.refresh_from_db()
    assert call.status == Call.Status.FAILED and call.failure == Call.Failure.NO_SPEECH
    assert list(call.jobs.order_by("pk").values_list("pk", "status", "lease")) == jobs_before  # nothing re-queued


def test_a_crashed_call_offers_retry_and_the_retry_queues_it(
    client, pm, project, monkeypatch, django_capture_on_commit_callbacks
):
    """A stage that crashed on its last attempt (a worker bug, a lost GPU, a time-out): the same
    audio may well go through next time, so Retry is offered, and it runs the failed stage again."""
    from annotation import stage_registry
    from annotation.jobs import job_enqueue, job_run
    from annotation.models import ProcessingJob

    def crash(job, progress):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setitem(stage_registry._REGISTRY, "transcribe", stage_registry.StageSpec("transcribe", "ASR", crash))
    call = project.calls.create(original_name="c.wav", sha256="5" * 64, audio="c.wav", status="processing")
    job = job_enqueue(call=call, stage="transcribe", send=False)
    ProcessingJob.objects.filter(pk=job.pk).update(max_attempts=1)
    assert job_run(job.pk, str(job.lease), chain=False) is None
    call.refresh_from_db()
    assert call.status == Call.Status.FAILED and call.failure == Call.Failure.CRASHED, call.error
    client.force_login(pm)
    assert retry_offered(client, call) == {"call page": True, "call list": True}
    with django_capture_on_commit_callbacks() as sent:
        response = client.post(reverse("annotation:call_retry", args=[call.pk]), follow=True)
    assert "queued again" in response.content.decode() and len(sent) == 1
    call.refresh_from_db()
    assert call.status == Call.Status.QUEUED and call.failure == "" and call.error == ""
    assert ProcessingJob.objects.get(call=call, status="queued").stage == "transcribe"


def _poll_once(client, page):
    """Do what htmx does with the call page's polling element, on ``page`` (an lxml tree): ask for
    its hx-get, swap the response's out-of-band elements in, then swap the element hx-select picks
    for hx-target (the poller itself by default), outerHTML. Returns the response's tree."""
    from lxml import html

    [poller] = page.xpath("//*[@hx-trigger]")
    assert poller.get("hx-trigger") == "every 2s" and poller.get("hx-swap") == "outerHTML"
    response = client.get(poller.get("hx-get"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    new = html.fromstring(response.content.decode())
    for oob in new.xpath("//*[@hx-swap-oob]"):
        how = oob.attrib.pop("hx-swap-oob")
        assert how in ("innerHTML", "true")
        [old] = page.xpath(f'//*[@id="{oob.get("id")}"]')
        if how == "innerHTML":
            old.text, old[:] = oob.text, list(oob)
            oob.drop_tree()
        else:  # "true": the element itself, outerHTML
            oob.getparent().remove(oob)
            old.getparent().replace(old, oob)
    target = page.xpath(f'//*[@id="{poller.get("hx-target")[1:]}"]')[0] if poller.get("hx-target") else poller
    [selected] = new.xpath(f'//*[@id="{poller.get("hx-select").removeprefix("#")}"]')
    target.getparent().replace(target, selected)
    return new


def test_the_open_call_page_follows_a_crash_and_a_retry_to_the_end(client, pm, project):
    """The call page refreshed only its stage table: a call that crashed while it was open still
    said "Queued" in its heading, with no error and no Retry, and after a Retry it stayed "Queued"
    until a reload; it also went on polling after the call was settled. The status, error, advice,
    Retry and stages now follow the call, the heading's status is a polite live region that
    changes only when the status does, and the polling stops once the call is ready or failed."""
    from lxml import html

    from annotation.jobs import crash_message, job_enqueue
    from annotation.models import ProcessingJob

    call = project.calls.create(original_name="p.wav", sha256="4" * 64, audio="p.wav", status="queued")
    job = job_enqueue(call=call, stage="decode", send=False)
    client.force_login(pm)
    url = reverse("annotation:call_detail", args=[call.pk])
    retry = reverse("annotation:call_retry", args=[call.pk])
    page = html.fromstring(client.get(url).content.decode())
    [live] = page.xpath('//h1//*[@aria-live="polite"]')
    assert live.text_content().strip() == "Queued" and not page.xpath("//*[@aria-live and .//table]")

    response = _poll_once(client, page)  # nothing changed: nothing to announce, still polling
    assert not response.xpath("//*[@hx-swap-oob]") and page.xpath("//*[@hx-trigger]")

    message = crash_message("Decode", job)  # the worker's crash, while the page is open
    ProcessingJob.objects.filter(pk=job.pk).update(status="failed", error=message)
    Call.objects.filter(pk=call.pk).update(status="failed", error=message, failure=Call.Failure.CRASHED)
    _poll_once(client, page)
    [live] = page.xpath('//h1//*[@aria-live="polite"]')
    assert live.text_content().strip() == "Failed"
    assert message in page.text_content() and page.xpath(f'//form[@action="{retry}"]//button')
    assert not page.xpath("//*[@hx-trigger]")  # settled: no more polling

    page = html.fromstring(client.post(retry, {"back": "call"}, follow=True).content.decode())
    assert page.xpath('//h1//*[@aria-live="polite"]')[0].text_content().strip() == "Queued"
    Call.objects.filter(pk=call.pk).update(status="processing")
    _poll_once(client, page)
    assert page.xpath('//h1//*[@aria-live="polite"]')[0].text_content().strip() == "Processing"
    assert message not in page.text_content() and not page.xpath(f'//form[@action="{retry}"]')
    Call.objects.filter(pk=call.pk).update(status="ready")
    _poll_once(client, page)
    assert page.xpath('//h1//*[@aria-live="polite"]')[0].text_content().strip() == "Ready to annotate"
    assert not page.xpath("//*[@hx-trigger]")


def test_the_open_call_page_shows_the_turns_of_a_call_that_turns_ready(client, pm, project):
    """A call that became ready while its page was open said so, but its turns stayed away until a
    reload (the page offered a link to one). The poll that sees it ready now swaps the speakers,
    assignments and turns in (out of band), announced once in the heading's live region; polls
    before that, and after, swap none of it."""
    from lxml import html

    from annotation.jobs import job_enqueue
    from annotation.models import Speaker, Turn

    call = project.calls.create(original_name="r.wav", sha256="6" * 64, audio="r.wav", status="processing")
    job_enqueue(call=call, stage="decode", send=False)
    client.force_login(pm)
    url = reverse("annotation:call_detail", args=[call.pk])
    page = html.fromstring(client.get(url).content.decode())
    speaker = Speaker.objects.create(call=call, label="CH0", role="agent", channel=0)
    Turn.objects.create(call=call, speaker=speaker, order=0, start=0.0, end=2.0, text="my bill is wrong")
    response = _poll_once(client, page)  # still processing: the turns so far are not swapped in yet
    assert not response.xpath("//*[@hx-swap-oob]") and not page.xpath('//*[@aria-label="Turns"]')

    Call.objects.filter(pk=call.pk).update(status="ready")
    _poll_once(client, page)
    [results] = page.xpath('//*[@id="call-results"]')
    assert "my bill is wrong" in results.text_content() and results.xpath('.//*[@aria-label="Turns"]')
    assert results.xpath('.//h2[.="Speakers"]') and results.xpath('.//h2[.="Assignments"]')
    [live] = page.xpath('//h1//*[@aria-live="polite"]')
    assert " ".join(live.text_content().split()) == "Ready to annotate: its speakers and turns are shown below"
    assert len(page.xpath("//*[@aria-live]")) == 1  # the one live region, announcing once
    assert not page.xpath(f'//a[@href="{url}"]') and page.xpath('//a[@href="#call-results"]')
    assert not page.xpath("//*[@hx-trigger]")  # settled: no poll, so no second announcement


def _ready_call_with_an_open_page(client, pm, project):
    """A call whose machine pass is running, its page open; then its last stage finishes and it
    turns ready, as ``jobs`` leaves it before the separate ``assign_call`` task has run."""
    from django.utils import timezone
    from lxml import html

    from annotation.jobs import job_enqueue
    from annotation.models import ProcessingJob, Speaker, Turn

    call = project.calls.create(original_name="a.wav", sha256="7" * 64, audio="a.wav", status="processing")
    job_enqueue(call=call, stage="decode", send=False)
    client.force_login(pm)
    page = html.fromstring(client.get(reverse("annotation:call_detail", args=[call.pk])).content.decode())
    speaker = Speaker.objects.create(call=call, label="CH0", role="agent", channel=0)
    Turn.objects.create(call=call, speaker=speaker, order=0, start=0.0, end=2.0, text="my bill is wrong")
    ProcessingJob.objects.filter(call=call).update(status="succeeded", finished_at=timezone.now())
    Call.objects.filter(pk=call.pk).update(status="ready")
    return call, page


def test_the_open_call_page_shows_the_assignment_that_follows_ready(client, pm, project, make_user):
    """Assignment runs as a task of its own, queued once the call is ready; the page stopped
    polling at "ready" and went on saying "No annotator yet. Run assignment from the project
    page" after an annotator had been given the call, until a reload. It now says "Assigning
    annotators…" and polls while the assignment is to come, then swaps it in, announced once in
    the heading's live region, and stops."""
    from annotation.jobs import call_assign_ready
    from annotation.models import AnnotatorProfile

    ana = make_user("ana", "annotator")
    AnnotatorProfile.objects.create(user=ana, languages=[{"code": "en", "proficiency": "native"}], daily_capacity=9)
    call, page = _ready_call_with_an_open_page(client, pm, project)

    _poll_once(client, page)  # ready: the turns come in, the assignment is still to come
    [assignments] = page.xpath('//*[@id="call-assignments"]')
    assert "Assigning annotators…" in assignments.text_content() and "No annotator yet" not in page.text_content()
    [poller] = page.xpath("//*[@hx-trigger]")
    assert "assigning=1" in poller.get("hx-get")
    response = _poll_once(client, page)  # nothing changed: nothing swapped, nothing announced, still polling
    assert not response.xpath("//*[@hx-swap-oob]") and page.xpath("//*[@hx-trigger]")

    call_assign_ready(call_id=call.pk)  # the worker's task
    _poll_once(client, page)
    [assignments] = page.xpath('//*[@id="call-assignments"]')
    assert assignments.xpath(".//table//td[.='ana']") and "Assigning" not in assignments.text_content()
    [live] = page.xpath('//h1//*[@aria-live="polite"]')
    assert " ".join(live.text_content().split()) == "Ready to annotate: assigned to ana"
    assert len(page.xpath("//*[@aria-live]")) == 1 and len(page.xpath('//*[@id="call-assignments"]')) == 1
    assert not page.xpath("//*[@hx-trigger]")  # settled: no more polling, no second announcement


def test_the_call_page_waits_for_no_assignment_that_cannot_come(client, pm, project, make_user, monkeypatch):
    """Nobody fits the call (no annotator speaks its language), or the assignment task is long
    overdue (a lost message): the page does not poll for an assignment and says how to get one."""
    from annotation import assignment
    from annotation.models import AnnotatorProfile

    bo = make_user("bo", "annotator")
    profile = AnnotatorProfile.objects.create(
        user=bo, languages=[{"code": "fr", "proficiency": "native"}], daily_capacity=9
    )
    call, page = _ready_call_with_an_open_page(client, pm, project)
    _poll_once(client, page)
    assert "No annotator yet" in page.text_content() and "Assigning" not in page.text_content()
    assert not page.xpath("//*[@hx-trigger]")

    profile.languages = [{"code": "en", "proficiency": "native"}]
    profile.save()
    url = reverse("annotation:call_detail", args=[call.pk])
    assert "Assigning annotators…" in client.get(url).content.decode()  # now someone fits: to come
    monkeypatch.setattr(assignment, "ASSIGN_WAIT_SECONDS", 0.0)
    from lxml import html

    page = html.fromstring(client.get(url).content.decode())  # overdue: not waited for any more
    assert "No annotator yet" in page.text_content() and not page.xpath("//*[@hx-trigger]")
