"""Code the benchmark scripts share: Django on a throw-away database, a project to fill, spans
cut into quarters of a call."""

from __future__ import annotations

import os
import tempfile


def django_setup(name: str) -> None:
    """Start Django (DEBUG unless told otherwise) on a throw-away SQLite database
    ``<tmp>/<name>.sqlite3`` unless ``DATABASE_URL`` is set, and migrate it."""
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite3")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def bench_project(taxonomy, annotators: int = 3):
    """The project "bench" on ``taxonomy`` and ``annotators`` plain users a0, a1, ... (not yet
    assigned anything). Returns (project, users)."""
    from django.contrib.auth import get_user_model

    from annotation.services import project_create

    project = project_create(name="bench", slug="bench", taxonomy=taxonomy)
    model = get_user_model()
    users = model.objects.bulk_create([model(username=f"a{i}") for i in range(annotators)])
    return project, users


def clip_spans(spans: list[tuple[str, float, float]], start: float, end: float) -> list[tuple[str, float, float]]:
    """(speaker, start, end) spans cut to the stretch [start, end)."""
    return [(who, max(a, start), min(b, end)) for who, a, b in spans if b > start and a < end]


def quarters(seconds: float) -> list[tuple[float, float]]:
    """The four quarters of a call: an error that grows with time into the call shows as a rise."""
    return [(seconds * q / 4, seconds * (q + 1) / 4) for q in range(4)]
