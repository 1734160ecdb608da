"""Disagreement queue, adjudication (and who may do it), gold calls, cached reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Assignment, GoldCall, TurnAnnotation
from qa.agreement import ReportFilters, project_report
from qa.models import Adjudication, AgreementReport

from .builders import annotated_call

TABLE = {
    "a1": [["anger"], ["anger"], ["anger"], ["neutral"]],
    "a2": [["anger"], ["neutral"], ["anger", "frustration"], ["neutral"]],
    "a3": [["anger"], ["gratitude"], ["anger"], ["neutral"]],
}


@pytest.fixture
def annotated(project, make_user):
    return annotated_call(project, make_user, TABLE, submitted="all")


def test_disagreement_queue_most_disagreed_first(client, reviewer, project, annotated):
    _, turns, _ = annotated
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_disagreements", args=[project.slug]))
    assert page.status_code == 200
    queue = page.context["queue"]
    # t1: three different sets (1.0); t2: Jaccard 1/2, 1, 1/2 -> 1 - 2/3; t0 and t3 unanimous.
    assert [item.turn.pk for item in queue] == [turns[1].pk, turns[2].pk]
    assert queue[0].consensus.disagreement == 1.0 and queue[1].consensus.disagreement == pytest.approx(1 / 3, abs=1e-4)


def test_reviewer_adjudicates_and_it_becomes_the_consensus(client, reviewer, project, annotated):
    _, turns, _ = annotated
    client.force_login(reviewer)
    url = reverse("qa:turn_adjudicate", args=[turns[1].pk])
    page = client.get(url)
    assert page.status_code == 200 and b"<svg" in page.content and b"call_audio" not in page.content
    assert f"/calls/{turns[1].call_id}/audio".encode() in page.content
    response = client.post(url, {"label": ["frustration"], "intensity_frustration": "4", "valence": "-1", "note": "x"})
    assert response.status_code == 302
    adjudication = Adjudication.objects.get(turn=turns[1])
    assert adjudication.labels == [{"label": "frustration", "intensity": 4}] and adjudication.reviewer == reviewer
    from qa.consensus import consensus_for_turns

    consensus = consensus_for_turns([turns[1].pk])[turns[1].pk]
    assert consensus.source == "adjudicated" and consensus.labels == [{"label": "frustration", "intensity": 4}]
    # Resolved turns leave the queue.
    queue = client.get(reverse("qa:project_disagreements", args=[project.slug])).context["queue"]
    assert [item.turn.pk for item in queue] == [turns[2].pk]


def test_adjudication_refused_for_annotators_and_other_projects_reviewers(client, make_user, annotated, project):
    _, turns, users = annotated
    url = reverse("qa:turn_adjudicate", args=[turns[1].pk])
    client.force_login(users["a1"])  # an annotator of this very call
    assert client.get(url).status_code == 403
    assert client.post(url, {"label": ["anger"]}).status_code == 403
    assert client.get(reverse("qa:project_disagreements", args=[project.slug])).status_code == 403
    client.force_login(make_user("elsewhere", "qa_reviewer"))  # reviews no project of this turn
    assert client.post(url, {"label": ["anger"]}).status_code == 404
    assert client.get(reverse("qa:project_agreement", args=[project.slug])).status_code == 404
    assert not Adjudication.objects.exists()


def test_bad_adjudication_is_refused_with_a_clear_message(client, reviewer, annotated):
    _, turns, _ = annotated
    client.force_login(reviewer)
    url = reverse("qa:turn_adjudicate", args=[turns[1].pk])
    page = client.post(url, {"label": ["no-such-label"]}, follow=True)
    assert "is not a label of this project" in page.content.decode()
    page = client.post(url, {"label": ["anger"], "valence": "9"}, follow=True)
    assert "valence must be between" in page.content.decode()
    page = client.post(url, {"label": ["anger"], "intensity_anger": "9"}, follow=True)
    assert "intensity must be between 1 and 5; got 9" in page.content.decode()
    # The annotators' rule, in the same words: intensity is a whole step on the scale.
    page = client.post(url, {"label": ["anger"], "intensity_anger": "2.7"}, follow=True)
    assert "intensity must be a whole number from 1 to 5; got 2.7" in page.content.decode()
    page = client.post(url, {"label": ["anger"], "intensity_anger": "strong"}, follow=True)
    assert "The intensity of &#x27;anger&#x27; must be a number" in page.content.decode()
    assert not Adjudication.objects.exists()


def test_gold_needs_every_turn_adjudicated_then_scores_annotators(client, pm, reviewer, annotated, project):
    from qa.services import adjudication_create

    call, turns, _ = annotated
    url = reverse("qa:call_mark_gold", args=[call.pk])
    client.force_login(reviewer)  # reviewers do not mark gold
    assert client.post(url).status_code == 404
    client.force_login(pm)
    page = client.post(url, follow=True)
    assert "4 of 4 turns have no adjudication yet" in page.content.decode() and not GoldCall.objects.exists()
    truth = [["anger"], ["anger"], ["anger"], ["neutral"]]
    for turn, labels in zip(turns, truth, strict=True):
        adjudication_create(turn=turn, reviewer=reviewer, labels=[{"label": k, "intensity": 3} for k in labels])
    client.post(url)
    assert GoldCall.objects.filter(call=call, marked_by=pm).exists()
    people = {a["username"]: a for a in project_report(project, bootstrap=50)["per_annotator"]}
    assert people["a1"]["gold"] == {"turns": 4, "exact_match": 1.0, "label_accuracy": 1.0}
    assert people["a2"]["gold"]["exact_match"] == 0.5  # t1 and t2 differ from the adjudication
    assert people["a3"]["gold"]["exact_match"] == 0.75


def test_gold_calls_are_mixed_blind_into_queues_once(project, make_user, annotated, reviewer):
    from annotation.assignment import assignment_next, gold_assignment_mix
    from qa.services import adjudication_create, gold_call_mark

    gold, turns, users = annotated
    for turn in turns:
        adjudication_create(turn=turn, reviewer=reviewer, labels=[{"label": "anger", "intensity": 3}])
    gold_call_mark(call=gold, user=reviewer)
    newcomer = make_user("a4", "annotator")
    annotated_call(project, make_user, {"a4": [["anger"]]}, name="other.wav", users={"a4": newcomer})
    assert gold_assignment_mix(user=users["a1"], share=1.0) is None  # a1 has seen the gold call
    assert gold_assignment_mix(user=newcomer, share=0.5) is None  # one other call: below the share
    mixed = gold_assignment_mix(user=newcomer, share=1.0)
    assert mixed.call == gold and mixed.blind and mixed.status == Assignment.Status.ASSIGNED
    assert gold_assignment_mix(user=newcomer, share=1.0) is None  # never the same call twice
    assert assignment_next(user=newcomer) is not None


def test_saves_mark_reports_stale_and_queue_one_recompute(project, annotated, monkeypatch,
                                                          django_capture_on_commit_callbacks):  # fmt: skip
    from qa import services
    from qa.tasks import compute_agreement_report

    monkeypatch.setitem(compute_agreement_report.app.conf, "task_always_eager", True)
    report = services.agreement_report_compute_inline(project=project, filters=ReportFilters())
    assert not report.stale and report.computed_at and report.report["turns"] == 4
    computed = []
    real = services.project_report
    monkeypatch.setattr(services, "project_report", lambda *a, **k: computed.append(1) or real(*a, **k))
    with django_capture_on_commit_callbacks(execute=False) as saves:
        for row in TurnAnnotation.objects.filter(turn__order=1)[:3]:  # three autosaves
            row.labels = [{"label": "anger", "intensity": 2}]
            row.save()
    assert len(saves) == 3
    with django_capture_on_commit_callbacks(execute=False) as queued:
        for callback in saves:
            callback()
    report.refresh_from_db()
    assert report.stale and report.queued_at is not None
    assert len(queued) == 1  # one recompute for three saves
    queued[0]()
    report.refresh_from_db()
    assert computed == [1] and not report.stale and report.queued_at is None and report.progress == 100.0
    usage = {a["username"]: a["label_usage"]["anger"] for a in report.report["per_annotator"]}
    assert usage["a2"] == 0.75  # was 0.5: the new labels are in
    # Idempotent: running the task again for a fresh report computes nothing.
    compute_agreement_report.delay(report.pk)
    assert computed == [1]


def test_page_shows_the_cached_report_and_polls_while_recomputing(client, reviewer, project, annotated):
    from qa.services import agreement_report_compute_inline

    agreement_report_compute_inline(project=project, filters=ReportFilters())
    client.force_login(reviewer)
    url = reverse("qa:project_agreement", args=[project.slug])
    body = client.get(url).content.decode()
    assert "Computed " in body and "hx-trigger" not in body and "Annotators" in body
    AgreementReport.objects.update(stale=True, queued_at="2026-01-01T00:00:00Z")
    body = client.get(url).content.decode()
    assert "Recomputing…" in body and 'hx-trigger="every 2s"' in body
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert partial.startswith('<div id="report"') and "<h1>" not in partial
    assert "<script>" not in body and " onclick=" not in body


def test_large_projects_compute_in_the_background(client, reviewer, project, annotated, monkeypatch,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    from qa import services, views

    monkeypatch.setattr(views, "INLINE_LIMIT", 1)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        body = client.get(
            reverse("qa:project_agreement", args=[project.slug]) + "?speaker_role=customer"
        ).content.decode()
    assert "Computing…" in body and 'hx-trigger="every 2s"' in body and len(queued) == 1
    assert AgreementReport.objects.get(key='{"speaker_role": "customer"}').computed_at is None
    assert services  # the queued callback is the worker's job; computing it is tested above


def test_agreement_api(client, reviewer, project, annotated, make_user, django_capture_on_commit_callbacks):
    from qa.services import agreement_report_compute_inline

    url = reverse("api-project-agreement", args=[project.slug])
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=False):
        first = client.get(url)
    assert first.status_code == 202 and first.json()["report"] is None and first.json()["computing"]
    agreement_report_compute_inline(project=project, filters=ReportFilters())
    ready = client.get(url).json()
    assert ready["report"]["turns"] == 4 and ready["stale"] is False
    client.force_login(make_user("ann", "annotator"))
    assert client.get(url).status_code == 403
    client.force_login(make_user("other", "qa_reviewer"))
    assert client.get(url).status_code == 404


def test_adjudication_view_draws_the_waveform_and_prosody(client, reviewer, annotated):
    import numpy as np

    from annotation.pipeline.peaks import compute_peaks, save_peaks
    from annotation.storage import peaks_path

    call, turns, _ = annotated
    rate = 8000
    t = np.arange(rate * 5) / rate
    save_peaks(compute_peaks((0.5 * np.sin(2 * np.pi * 220 * t))[None, :].astype(np.float32), rate), peaks_path(call))
    turn = turns[1]
    turn.prosody = {"contour": {"hz": 10, "pitch_st": [1.0, None, 3.0, 2.0], "loudness_db": [-20, -18, -25, -22]}}
    turn.save()
    client.force_login(reviewer)
    body = client.get(reverse("qa:turn_adjudicate", args=[turn.pk])).content.decode()
    svg = body[body.index('aria-label="waveform with pitch and loudness"') :]
    assert svg.count('fill="#98a2b3"') > 100  # waveform bars
    assert "pitch (semitones)" in svg and "loudness (dB)" in svg
    assert "gratitude" in body and "a3" in body  # each annotator's labels, side by side


def test_a_queued_recompute_no_worker_started_is_queued_again(project, annotated, django_capture_on_commit_callbacks):
    import datetime as dt

    from django.utils import timezone

    from qa.services import agreement_report_request

    with django_capture_on_commit_callbacks(execute=False) as queued:
        report = agreement_report_request(project=project, filters=ReportFilters())
        agreement_report_request(project=project, filters=ReportFilters())  # already queued: nothing more
    assert len(queued) == 1 and report.queued_at is not None
    AgreementReport.objects.filter(pk=report.pk).update(queued_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as again:
        agreement_report_request(project=project, filters=ReportFilters())
    assert len(again) == 1


def test_bad_taxonomy_version_filter_is_a_message_not_an_error(client, reviewer, project, annotated):
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug]) + "?taxonomy_version=abc")
    assert page.status_code == 400 and "must be a whole number" in page.content.decode()


def test_large_projects_queue_from_the_cached_most_disagreed_list(project, annotated, reviewer, monkeypatch):
    from qa import selectors
    from qa.services import adjudication_create, agreement_report_compute_inline

    _, turns, _ = annotated
    report = agreement_report_compute_inline(project=project, filters=ReportFilters()).report
    assert report["most_disagreed"] == [[turns[1].pk, 1.0], [turns[2].pk, pytest.approx(1 / 3, abs=1e-4)]]
    monkeypatch.setattr(selectors, "CANDIDATE_LIMIT", 1)
    adjudication_create(turn=turns[1], reviewer=reviewer, labels=[{"label": "anger", "intensity": 3}])
    assert [item.turn.pk for item in selectors.disagreement_queue(project)] == [turns[2].pk]


def test_a_project_with_one_annotator_says_why_agreement_is_undefined(client, reviewer, project):
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug])).content.decode()
    assert "Agreement needs at least two annotators on the same turns" in page


def test_adjudication_shifts_are_checked_like_an_annotators(reviewer, annotated):
    from django.core.exceptions import ValidationError

    from qa.services import adjudication_create

    _, turns, _ = annotated
    turn = turns[1]
    with pytest.raises(ValidationError) as refused:
        adjudication_create(
            turn=turn, reviewer=reviewer, labels=[{"label": "anger", "intensity": 3}],
            shifts=[{"at": turn.end + 60, "from": "anger", "to": "bliss"}],
        )  # fmt: skip
    assert any("shifts[0].at must be between" in m for m in refused.value.messages)
    assert any("'bliss' is not a label" in m for m in refused.value.messages)
    assert not Adjudication.objects.exists()


def test_agreement_filters_that_match_nothing_in_the_project_are_refused_not_queued(
    client, reviewer, project, annotated, django_capture_on_commit_callbacks
):
    url = reverse("api-project-agreement", args=[project.slug])
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        misspelt = client.get(url, {"langauge": "en"})
        nonsense = client.get(url, {"language": "zz", "speaker_role": "boss"})
    assert misspelt.status_code == 400 and "Did you mean language?" in misspelt.json()["detail"]
    body = nonsense.json()
    assert nonsense.status_code == 400 and set(body["filters"]) == {"language", "speaker_role"}
    assert "language 'zz' (it has: " in body["detail"] and "agent, customer, unknown" in body["detail"]
    assert not queued and not AgreementReport.objects.exists()
    # The page drops what matches nothing, says so, and reports on the rest.
    page = client.get(reverse("qa:project_agreement", args=[project.slug]), {"language": "zz", "speaker_role": "agent"},
                      follow=True)  # fmt: skip
    assert page.redirect_chain[-1][0].endswith("?speaker_role=agent")  # polling and links carry no "zz"
    assert page.status_code == 200 and "language &#x27;zz&#x27;" in page.content.decode()
    assert set(AgreementReport.objects.values_list("key", flat=True)) == {'{"speaker_role": "agent"}'}


def test_reopening_a_skipped_assignment_marks_the_cached_reports_stale(
    project, annotated, monkeypatch, django_capture_on_commit_callbacks
):
    """Reopening a skipped call gives its judgements back with a bulk update (no row signals), and
    the assignment's own signal only marked reports stale when the new status was "skipped"."""
    from annotation.turn_annotations import assignment_reopen, assignment_submit
    from qa import services

    queued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", queued.extend)  # the recompute a worker would run
    _, _, users = annotated
    Assignment.objects.filter(annotator=users["a3"]).update(status=Assignment.Status.IN_PROGRESS, submitted_at=None)
    a3 = Assignment.objects.get(annotator=users["a3"])
    with django_capture_on_commit_callbacks(execute=True):
        assignment_submit(assignment=a3, skip_reason="I do not speak this dialect")
    report = services.agreement_report_compute_inline(project=project, filters=ReportFilters())
    assert not report.stale and report.report["annotations"] == 8
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assignment_reopen(assignment=a3, user=users["a3"])
    report.refresh_from_db()
    assert report.stale and report.queued_at is not None and queued == [report.pk]
    assert services.agreement_report_compute(report_id=report.pk).report["annotations"] == 12


def test_changing_the_projects_taxonomy_marks_the_cached_reports_stale(
    project, annotated, monkeypatch, django_capture_on_commit_callbacks
):
    from annotation.services import project_change_taxonomy
    from qa import services
    from taxonomy.services import (
        taxonomy_draft_for_edit,
        taxonomy_export,
        taxonomy_publish,
        taxonomy_replace_from_document,
    )

    queued: list[int] = []
    monkeypatch.setattr(services, "_enqueue", queued.extend)
    report = services.agreement_report_compute_inline(project=project, filters=ReportFilters())
    assert not report.stale and "anger" in report.report["label_presence"]["per_label"]
    draft = taxonomy_draft_for_edit(taxonomy=project.taxonomy)
    document = taxonomy_export(draft)
    next(label for label in document["labels"] if label["key"] == "anger").update(key="rage", name="Rage")
    taxonomy_replace_from_document(taxonomy=draft, data=document)
    taxonomy_publish(taxonomy=draft)
    queued.clear()
    with django_capture_on_commit_callbacks(execute=True):
        project_change_taxonomy(project=project, to_taxonomy=draft, mapping={"anger": ["rage"]})
    report.refresh_from_db()
    assert report.stale and queued == [report.pk]
    figures = services.agreement_report_compute(report_id=report.pk).report["label_presence"]["per_label"]
    assert "rage" in figures and "anger" not in figures


def test_the_queue_routes_submitted_work_only(client, reviewer, project, make_user):
    """A turn whose annotators were still working on it reached the queue, and a reviewer
    adjudicated labels the annotator could still change (the change then went unseen)."""
    from qa.selectors import disagreement_queue

    table = {"a1": [["anger"], ["joy"]], "a2": [["neutral"], ["sadness"]], "a3": [["anger"], ["joy"]]}
    call, turns, users = annotated_call(project, make_user, table, submitted=("a1",))
    assert disagreement_queue(project) == []  # one submitted judgement per turn: nothing to compare yet
    Assignment.objects.filter(call=call, annotator=users["a2"]).update(status=Assignment.Status.SUBMITTED)
    assert [item.turn.pk for item in disagreement_queue(project)] == [turns[0].pk, turns[1].pk]
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_disagreements", args=[project.slug])).content.decode()
    assert "not submitted yet are not routed" in page


def test_large_projects_do_not_let_drafts_crowd_submitted_disagreements_out_of_the_queue(
    project, make_user, monkeypatch
):
    """The cached most-disagreed list reads drafts too: when it held only turns where drafts
    disagreed, the queue came out empty while a submitted disagreement waited."""
    from qa import selectors
    from qa.models import AgreementReport
    from qa.services import agreement_report_compute_inline

    _, drafts, _ = annotated_call(project, make_user, {"d1": [["anger"]], "d2": [["joy"]]}, name="d.wav")
    _, done, _ = annotated_call(
        project, make_user, {"s1": [["anger"]], "s2": [["sadness"]]}, name="s.wav", submitted="all"
    )
    agreement_report_compute_inline(project=project, filters=ReportFilters())
    cached = AgreementReport.objects.get(project=project, key="{}")
    cached.report = {**cached.report, "most_disagreed": [[drafts[0].pk, 1.0]]}  # the list's places all taken
    cached.save(update_fields=["report"])
    monkeypatch.setattr(selectors, "CANDIDATE_LIMIT", 1)
    assert [item.turn.pk for item in selectors.disagreement_queue(project)] == [done[0].pk]
