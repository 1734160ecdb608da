"""Shared bits of the management commands."""

from django.core.management.base import CommandError

from .models import Project


def project_from_slug(slug: str) -> Project:
    try:
        return Project.objects.get(slug=slug)
    except Project.DoesNotExist as exc:
        raise CommandError(f"No project with slug '{slug}'.") from exc
