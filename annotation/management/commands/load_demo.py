"""Create the demo project: default taxonomy, one user per role, pyannote's sample call and a
synthetic dual-channel support call. Idempotent: re-running changes nothing that exists."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from annotation.models import AnnotatorProfile, Project, ProjectMembership
from annotation.pipeline.synth import demo_support_call, render_call, write_wav
from annotation.services import call_upload, project_add_member, project_create
from annotera import roles
from taxonomy.services import taxonomy_get_or_create_default

DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "annotera-demo")
DEMO_USERS = (
    ("admin", roles.ADMIN, None),
    ("pm", roles.PROJECT_MANAGER, ProjectMembership.Role.MANAGER),
    ("reviewer", roles.QA_REVIEWER, ProjectMembership.Role.REVIEWER),
    ("annotator", roles.ANNOTATOR, ProjectMembership.Role.ANNOTATOR),
)


def sample_call_path() -> Path:
    # Found without importing pyannote.audio (which loads torch): only its folder is needed.
    return Path(importlib.util.find_spec("pyannote.audio").origin).parent / "sample" / "sample.wav"


def synthetic_call_path() -> Path:
    path = Path(settings.VAR_DIR) / "demo" / "northwind-support-dual.wav"
    if not path.exists():
        samples, _ = render_call(demo_support_call(), {"agent": 0, "customer": 1})
        write_wav(path, samples)
    return path


class Command(BaseCommand):
    help = "Load the demo project and one demo user per role."

    def add_arguments(self, parser):
        parser.add_argument("--no-calls", action="store_true", help="skip uploading the demo calls")

    def handle(self, *args, no_calls: bool = False, **options):
        roles.ensure_role_groups()
        User = get_user_model()
        users = {}
        for username, role, _ in DEMO_USERS:
            user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            if created:
                user.set_password(DEMO_PASSWORD)
                user.is_staff = role == roles.ADMIN
                user.is_superuser = role == roles.ADMIN
                user.save()
            user.groups.add(Group.objects.get(name=role))
            users[username] = user
        AnnotatorProfile.objects.get_or_create(
            user=users["annotator"],
            defaults={
                "languages": [{"code": "en", "proficiency": "native"}],
                "locales": ["en-US", "en-GB"],
                "cultural_background": "US English, customer-service background",
            },
        )
        taxonomy = taxonomy_get_or_create_default()
        project = Project.objects.filter(slug="demo").first() or project_create(
            name="Demo: support calls",
            slug="demo",
            taxonomy=taxonomy,
            overlap_k=1,
            description="pyannote's sample call and a synthetic dual-channel support call.",
        )
        for username, _, membership in DEMO_USERS:
            if membership:
                project_add_member(project=project, user=users[username], role=membership)
        if not no_calls:
            for path, locale in ((sample_call_path(), "en-US"), (synthetic_call_path(), "en-GB")):
                with path.open("rb") as fh:
                    outcome = call_upload(project=project, fileobj=fh, filename=path.name, locale=locale)
                state = "queued for the machine pass" if outcome.created else f"already loaded ({outcome.call.status})"
                self.stdout.write(f"demo call {path.name}: {state}")
        self.stdout.write(self.style.SUCCESS("Demo project 'demo' is ready."))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, _ in DEMO_USERS:
            self.stdout.write(f"  {username:<10} {roles.ROLE_NAMES[role]}")
        self.stdout.write("Once the demo calls are ready, `make demo-annotations` adds simulated annotators for QA.")
