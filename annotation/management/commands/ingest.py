"""manage.py ingest FILE... --project SLUG [--sync] [--locale TAG]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotation.cli import project_from_slug
from annotation.jobs import run_pipeline_inline
from annotation.models import Call, Project
from annotation.services import call_upload


class Command(BaseCommand):
    help = "Upload call audio into a project and run (or queue) the machine pass. Prints one JSON line per file."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--project", required=True, help="project slug")
        parser.add_argument("--sync", action="store_true", help="run the machine pass here instead of on a worker")
        parser.add_argument("--locale", default="", help="caller locale (BCP 47), e.g. en-IN")

    def handle(self, *args, files: list[Path], project: str, sync: bool, locale: str, **options):
        target = project_from_slug(project)
        problems = 0
        for path in files:
            line = self._ingest_one(target, path, sync=sync, locale=locale)
            problems += line["status"] in ("failed", "rejected")
            self.stdout.write(json.dumps(line))
        if problems:
            raise CommandError(f"{problems} of {len(files)} file(s) were rejected or failed.")

    def _ingest_one(self, project: Project, path: Path, *, sync: bool, locale: str) -> dict:
        line = {
            "file": str(path),
            "call": None,
            "status": "rejected",
            "turns": 0,
            "speakers": 0,
            "language": "",
            "error": "",
        }
        if not path.is_file():
            line["error"] = f"{path}: no such file."
            return line
        try:
            with path.open("rb") as fh:
                outcome = call_upload(
                    project=project, fileobj=fh, filename=path.name, locale=locale, start_pipeline=not sync
                )
        except ValidationError as exc:
            line["error"] = " ".join(exc.messages)
            return line
        call = outcome.call
        if sync and (outcome.created or call.status == Call.Status.FAILED):
            call = run_pipeline_inline(call=call)
        line.update(
            call=call.pk,
            status=call.status,
            turns=call.turns.count(),
            speakers=call.speakers.count(),
            language=call.effective_language,
            error=call.error,
            duplicate=not outcome.created,
        )
        return line
