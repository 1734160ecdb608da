from annotation.assignment import assignments_run
from annotation.cli import ProjectCommand


class Command(ProjectCommand):
    help = "Run the assignment engine on a project's ready calls that lack annotators."

    def handle_project(self, target, **options):
        run = assignments_run(project=target)
        self.stdout.write(f"created {run.created} assignment(s)")
        for gap in run.gaps:
            self.stdout.write(
                f"call {gap.call_id} ({gap.language}, {gap.locale or 'no locale'}): {gap.missing} short — {gap.reason}"
            )
