"""Only annotators are given calls: a reviewer, project manager or admin who also keeps an active
annotator profile would otherwise label calls of a project they oversee, after seeing the other
annotators' labels and the suggestions hidden from blind annotators (anchoring)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from annotation.assignment import annotator_pool, assignment_reassign, assignments_run
from annotation.models import AnnotatorProfile, Assignment, ProjectMembership
from annotation.services import project_add_member

from .test_assignment import ready_call

pytestmark = pytest.mark.django_db
ENGLISH = [{"code": "en", "proficiency": "native"}]


def with_profile(user, capacity: int = 50):
    AnnotatorProfile.objects.create(user=user, languages=ENGLISH, locales=["en-US"], daily_capacity=capacity)
    return user


@pytest.fixture
def overseers(project, make_user, pm, reviewer):
    """The project's manager and reviewer, an admin, and a reviewer who is also in the
    annotator group (acting as a reviewer): each with an active annotator profile."""
    admin = make_user("root", is_superuser=True)
    both = make_user("both", "qa_reviewer")
    both.groups.add(Group.objects.get(name="annotator"))
    project_add_member(project=project, user=both, role=ProjectMembership.Role.REVIEWER)
    return [with_profile(u) for u in (pm, reviewer, admin, both)]


def test_a_project_without_annotator_members_assigns_only_annotators(project, make_user, overseers):
    ann = with_profile(make_user("ann", "annotator"), capacity=1)
    project.overlap_k = 3
    project.save()
    call = ready_call(project, "en.wav", "en")
    assert {a.username for a in annotator_pool(project)} == {"ann"}
    run = assignments_run(project=project)
    assert list(call.assignments.values_list("annotator__username", flat=True)) == ["ann"]
    assert run.created == 1 and run.gaps  # the rest of k is a gap, not a reviewer
    assert not Assignment.objects.filter(annotator__in=overseers).exists()
    assert ann.assignments.count() == 1


def test_a_project_with_annotator_members_leaves_out_its_overseers(project, make_user, overseers):
    ann = with_profile(make_user("ann", "annotator"))
    project_add_member(project=project, user=ann, role=ProjectMembership.Role.ANNOTATOR)
    # An annotator membership given to a reviewer without the role check (the service allows it).
    project_add_member(project=project, user=overseers[1], role=ProjectMembership.Role.ANNOTATOR)
    assert {a.username for a in annotator_pool(project)} == {"ann"}


def test_the_pool_without_a_project_holds_only_annotators(make_user, overseers):
    with_profile(make_user("ann", "annotator"))
    assert {a.username for a in annotator_pool()} == {"ann"}


def test_a_call_cannot_be_reassigned_to_someone_who_oversees(project, make_user, overseers):
    project.overlap_k = 1
    project.save()
    with_profile(make_user("ann", "annotator"))
    call = ready_call(project, "en.wav", "en")
    assignments_run(project=project)
    assignment = call.assignments.get()
    for person in overseers:
        with pytest.raises(ValidationError, match="not an annotator"):
            assignment_reassign(assignment=assignment, annotator=person)
    assignment.refresh_from_db()
    assert assignment.annotator.username == "ann"
