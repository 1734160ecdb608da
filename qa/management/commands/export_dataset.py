import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from annotera.cli import project_from_slug
from qa.exports import FORMATS, write_jsonl


class Command(BaseCommand):
    help = "Export a project's turns and annotations as a dataset."

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True)
        parser.add_argument("--format", required=True, dest="fmt")
        parser.add_argument("--out", required=True, type=Path)

    def handle(self, *args, project: str, fmt: str, out: Path, **options):
        target = project_from_slug(project)
        if fmt not in FORMATS:
            raise CommandError(f"Unknown or not yet available format '{fmt}'. Available: {', '.join(FORMATS)}.")
        manifest = write_jsonl(target, out)
        self.stdout.write(json.dumps(manifest))
