import json

from django.core.management.base import BaseCommand

from annotera.cli import project_from_slug
from qa.agreement import label_presence_report


class Command(BaseCommand):
    help = "Print a project's inter-annotator agreement report."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, project: str, json: bool, **options):
        target = project_from_slug(project)
        report = label_presence_report(target)
        if json:
            self.stdout.write(_dumps(report))
            return
        presence = report["label_presence"]
        self.stdout.write(
            f"{target.name}: {report['units']} turns with 2+ annotations ({report['excluded_units']} excluded), "
            f"{report['annotators']} annotators"
        )
        self.stdout.write(f"label presence alpha: {_fmt(presence['alpha'])}")
        for key, value in presence["per_label"].items():
            self.stdout.write(f"  {key:<16} {_fmt(value)}")


def _dumps(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=True)


def _fmt(value) -> str:
    return "undefined" if value is None else f"{value:.3f}"
