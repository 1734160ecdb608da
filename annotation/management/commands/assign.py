from django.core.management.base import BaseCommand

from annotation.assignment import assignments_run
from annotation.cli import project_from_slug


class Command(BaseCommand):
    help = "Run the assignment engine on a project's ready calls that lack annotators."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)

    def handle(self, *args, project: str, **options):
        target = project_from_slug(project)
        run = assignments_run(project=target)
        self.stdout.write(f"created {run.created} assignment(s)")
        for gap in run.gaps:
            self.stdout.write(
                f"call {gap.call_id} ({gap.language}, {gap.locale or 'no locale'}): {gap.missing} short — {gap.reason}"
            )
