"""Assignment services on the database: the engine run, auto-assignment, reassignment, the queue."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from django.core.exceptions import ValidationError
from django.urls import reverse

from annotation.assignment import assignment_next, assignment_reassign, assignments_run, matching_gaps
from annotation.models import AnnotatorProfile, Assignment, Call, ProjectMembership
from annotation.services import call_upload, project_add_member


def ready_call(project, name, language="en", locale=""):
    buffer = io.BytesIO()
    sf.write(
        buffer, np.random.default_rng(sum(map(ord, name))).normal(0, 0.1, 8000).astype(np.float32), 16000, format="WAV"
    )
    buffer.seek(0)
    call = call_upload(project=project, fileobj=buffer, filename=name, start_pipeline=False, locale=locale).call
    Call.objects.filter(pk=call.pk).update(status="ready", language=language)
    return Call.objects.get(pk=call.pk)


@pytest.fixture
def annotators(make_user):
    people = {}
    for name, languages, locales, capacity in (
        ("ana", [{"code": "es", "proficiency": "native"}], ["es-MX"], 10),
        ("bea", [{"code": "es", "proficiency": "fluent"}, {"code": "en", "proficiency": "native"}], ["en-GB"], 10),
        ("carl", [{"code": "en", "proficiency": "fluent"}], ["en-US"], 1),
    ):
        user = make_user(name, "annotator")
        AnnotatorProfile.objects.create(user=user, languages=languages, locales=locales, daily_capacity=capacity)
        people[name] = user
    return people


def test_run_fills_calls_explains_and_is_idempotent(project, annotators):
    project.overlap_k = 2
    project.save()
    es = ready_call(project, "es.wav", "es", "es-MX")
    en = ready_call(project, "en.wav", "en", "en-US")
    tl = ready_call(project, "tl.wav", "tl", "fil-PH")
    run = assignments_run(project=project)
    assert run.created == 4
    assert set(es.assignments.values_list("annotator__username", flat=True)) == {"ana", "bea"}
    assert set(en.assignments.values_list("annotator__username", flat=True)) == {"bea", "carl"}
    assert not tl.assignments.exists()
    assert [g.reason for g in run.gaps] == ["no active annotator speaks Tagalog (tl)"]
    first = es.assignments.get(annotator=annotators["ana"])
    assert "native Spanish (es)" in first.explanation and "locale es-MX matches" in first.explanation
    assert assignments_run(project=project).created == 0  # nothing more to do
    gaps = matching_gaps(project)
    assert gaps == [
        {"language": "tl", "locale": "fil-PH", "reason": "no active annotator speaks Tagalog (tl)", "missing": 2}
    ]


def test_capacity_is_per_day(project, annotators):
    project.overlap_k = 1
    project.save()
    ready_call(project, "a.wav", "en")
    ready_call(project, "b.wav", "en")
    ready_call(project, "c.wav", "en")
    assignments_run(project=project)
    loads = dict(
        Assignment.objects.values_list("annotator__username").annotate(n=__import__("django").db.models.Count("id"))
    )
    assert loads == {"bea": 2, "carl": 1}  # carl's capacity is 1 a day; bea takes the rest


def test_reassign_and_queue(project, annotators, make_user):
    project.overlap_k = 1
    project.save()
    call = ready_call(project, "en.wav", "en")
    assignments_run(project=project)
    assignment = call.assignments.get()
    other = annotators["carl"] if assignment.annotator != annotators["carl"] else annotators["bea"]
    assert assignment_next(user=assignment.annotator) == assignment
    with pytest.raises(ValidationError, match="already has this call"):
        assignment_reassign(assignment=assignment, annotator=assignment.annotator)
    with pytest.raises(ValidationError, match="no active annotator profile"):
        assignment_reassign(assignment=assignment, annotator=make_user("stranger", "annotator"))
    moved = assignment_reassign(assignment=assignment, annotator=other)
    assert moved.annotator == other and "reassigned" in moved.explanation
    assert assignment_next(user=other) == moved


def test_pm_runs_assignment_and_annotator_starts_next_task(client, project, annotators, make_user):
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    call = ready_call(project, "en.wav", "en")
    client.force_login(pm)
    response = client.post(reverse("annotation:assignments_run", args=[project.slug]), follow=True)
    assert "Created 2 assignments." in response.content.decode()  # k=3, but only bea and carl speak English
    assert "all 2 fluent English (en) annotator(s) are already on this call" in response.content.decode()
    client.force_login(annotators["bea"])
    queue = client.get(reverse("annotation:queue"))
    assert "Start next task: en.wav" in queue.content.decode()
    response = client.post(reverse("annotation:queue_next"))
    mine = call.assignments.get(annotator=annotators["bea"])
    assert response.status_code == 302 and response.url == reverse("annotation:workspace", args=[mine.pk])
    assert call.assignments.get(annotator=annotators["bea"]).status == "in_progress"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_call_is_assigned_when_its_machine_pass_finishes(project, annotators, two_voice_call):
    from annotation.jobs import run_pipeline_inline

    with two_voice_call[0].open("rb") as fh:
        call = call_upload(project=project, fileobj=fh, filename="dual.wav", start_pipeline=False).call
    call = run_pipeline_inline(call=call)
    assert call.status == "ready" and call.coverage >= 0.99
    assert set(call.assignments.values_list("annotator__username", flat=True)) == {"bea", "carl"}
