"""The new project's checklist: what is done, and where to do the next step."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse

from .models import Assignment, Project, ProjectMembership, TurnAnnotation


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    detail: str
    url: str
    action: str


def project_onboarding_steps(project: Project) -> list[Step]:
    annotators = project.memberships.filter(role=ProjectMembership.Role.ANNOTATOR).count()
    calls = project.calls.count()
    assignments = Assignment.objects.filter(call__project=project).count()
    # Agreement needs at least one turn judged by two different annotators.
    doubly_judged = (
        TurnAnnotation.objects.filter(turn__call__project=project, skipped=False)
        .values("turn")
        .annotate(n=Count("assignment__annotator", distinct=True))
        .filter(n__gte=2)
        .exists()
    )
    members = reverse("people:project_members", args=[project.slug])
    detail = reverse("annotation:project_detail", args=[project.slug])
    return [
        Step("Taxonomy chosen", True, f"{project.taxonomy}", reverse("annotation:project_settings", args=[project.slug]),
             "Change version"),
        Step("People added", annotators > 0, f"{annotators} annotator(s)", members, "Manage members"),
        Step("First calls uploaded", calls > 0, f"{calls} call(s)", detail + "#upload", "Upload calls"),
        Step("Assignments made", assignments > 0, f"{assignments} assignment(s)", detail + "#coverage",
             "Run assignment"),
        Step("First agreement figures", doubly_judged,
             "a turn judged by two annotators" if doubly_judged else "needs a turn judged by two annotators",
             reverse("qa:project_agreement", args=[project.slug]), "Open agreement"),
    ]  # fmt: skip
