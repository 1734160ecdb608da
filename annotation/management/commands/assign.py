from django.core.management.base import BaseCommand, CommandError

from annotation.assignment import assignments_run
from annotation.models import Project


class Command(BaseCommand):
    help = "Run the assignment engine on a project's ready calls that lack annotators."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)

    def handle(self, *args, project: str, **options):
        try:
            target = Project.objects.get(slug=project)
        except Project.DoesNotExist as exc:
            raise CommandError(f"No project with slug '{project}'.") from exc
        run = assignments_run(project=target)
        self.stdout.write(f"created {run.created} assignment(s)")
        for gap in run.gaps:
            self.stdout.write(
                f"call {gap.call_id} ({gap.language}, {gap.locale or 'no locale'}): {gap.missing} short — {gap.reason}"
            )
