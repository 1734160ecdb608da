"""manage.py create_project --name NAME --slug SLUG (--taxonomy SLUG_OR_ID | --taxonomy-json FILE) [...]"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from annotation.models import Project
from annotation.project_setup import project_setup
from annotera.jsonlimits import loads_bounded


class Command(BaseCommand):
    help = "Create a project with its taxonomy and matching rules (the same checks as the browser and the API)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True)
        parser.add_argument("--description", default="")
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--taxonomy", help="a published taxonomy's slug (newest published version) or id")
        source.add_argument("--taxonomy-json", type=Path, help="a taxonomy JSON file to import, publish and pin")
        parser.add_argument("--annotators-per-call", type=int, default=3, dest="overlap_k")
        parser.add_argument("--blind-share", type=float, default=0.1)
        parser.add_argument("--proficiency", choices=Project.Proficiency.values, default="fluent")
        parser.add_argument("--locale-rule", choices=Project.LocaleMatch.values, default="preferred")
        parser.add_argument("--channel-layout", choices=Project.ChannelLayout.values, default="agent,customer")
        parser.add_argument(
            "--languages", default="", help="languages the calls are in, e.g. 'en,es,hi' (default: any)"
        )
        parser.add_argument("--manager", help="user name of the project's first manager")

    def handle(self, *args, **o):
        document = None
        if o["taxonomy_json"] is not None:
            try:
                document = loads_bounded(o["taxonomy_json"].read_text(encoding="utf-8-sig"))
            except OSError as exc:
                raise CommandError(f"Cannot read {o['taxonomy_json']}: {exc.strerror}.") from None
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CommandError(f"{o['taxonomy_json']} is not valid JSON: {exc}.") from None
            except ValueError as exc:  # too deep, or text no column can hold
                raise CommandError(f"{o['taxonomy_json']} cannot be used: {exc}") from None
        manager = None
        if o["manager"]:
            manager = get_user_model().objects.filter(username=o["manager"]).first()
            if manager is None:
                raise CommandError(f"No user '{o['manager']}'.")
        try:
            project = project_setup(
                name=o["name"],
                slug=o["slug"],
                description=o["description"],
                taxonomy=o["taxonomy"],
                taxonomy_json=document,
                overlap_k=o["overlap_k"],
                blind_share=o["blind_share"],
                required_proficiency=o["proficiency"],
                locale_match=o["locale_rule"],
                channel_layout=o["channel_layout"],
                spoken_languages=o["languages"],
                created_by=manager,
            )
        except ValidationError as exc:
            lines = (
                [f"{field}: {m}" for field, msgs in exc.message_dict.items() for m in msgs]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            raise CommandError("Nothing was created:\n  " + "\n  ".join(lines)) from None
        self.stdout.write(json.dumps({"project": project.slug, "id": project.pk, "taxonomy": str(project.taxonomy)}))
