"""Shared bits of the management commands."""

from django.core.management.base import BaseCommand, CommandError

from .models import Project


def project_from_slug(slug: str) -> Project:
    try:
        return Project.objects.get(slug=slug)
    except Project.DoesNotExist as exc:
        raise CommandError(f"No project with slug '{slug}'.") from exc


class ProjectCommand(BaseCommand):
    """A command about one project, named by ``--project SLUG``: subclasses add their own
    arguments after ``super().add_arguments(parser)`` and do the work in ``handle_project``."""

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)

    def handle(self, *args, project: str, **options):
        return self.handle_project(project_from_slug(project), **options)

    def handle_project(self, project: Project, **options):
        raise NotImplementedError
