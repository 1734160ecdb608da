"""Shared bits of the management commands."""

from django.core.management.base import CommandError


def project_from_slug(slug: str):
    from annotation.models import Project

    try:
        return Project.objects.get(slug=slug)
    except Project.DoesNotExist as exc:
        raise CommandError(f"No project with slug '{slug}'.") from exc
