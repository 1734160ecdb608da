#!/usr/bin/env python
"""Assignment benchmark: 10,000 ready calls to 200 annotators (k = 3), on a real database.

    .venv/bin/python benchmarks/assignment.py [--calls 10000] [--annotators 200] [--runs 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python benchmarks/assignment.py

Figures: the whole ``assignments_run`` service (read calls and profiles, plan, bulk-create the
assignments) and the planning alone, next to a yardstick from the same run: bulk-inserting the
same number of assignment rows with no planning at all (the database floor). Medians of runs;
each run starts from a database with no assignments.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LANGUAGES = ["en", "es", "hi", "tl", "fr", "pt", "ar", "de"]
LOCALES = {
    "en": ["en-US", "en-GB", "en-IN"],
    "es": ["es-MX", "es-ES"],
    "hi": ["hi-IN"],
    "tl": ["fil-PH"],
    "fr": ["fr-FR", "fr-CA"],
    "pt": ["pt-BR"],
    "ar": ["ar-EG"],
    "de": ["de-DE"],
}


def setup_django() -> None:
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/assign.sqlite3"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def populate(n_calls: int, n_annotators: int):
    from django.contrib.auth import get_user_model

    from annotation.models import AnnotatorProfile, Call, Project
    from annotation.services import project_create
    from taxonomy.services import taxonomy_get_or_create_default

    rng = random.Random(7)
    project = Project.objects.filter(slug="bench").first() or project_create(
        name="bench", slug="bench", taxonomy=taxonomy_get_or_create_default(), overlap_k=3, blind_share=0.1
    )
    User = get_user_model()
    if not AnnotatorProfile.objects.exists():
        users = User.objects.bulk_create([User(username=f"annotator{i:03d}") for i in range(n_annotators)])
        profiles = []
        for user in users:
            langs = rng.sample(LANGUAGES, k=rng.choice([1, 2, 2, 3]))
            profiles.append(
                AnnotatorProfile(
                    user=user,
                    languages=[{"code": c, "proficiency": rng.choice(["native", "fluent", "working"])} for c in langs],
                    locales=[rng.choice(LOCALES[c]) for c in langs],
                    daily_capacity=10_000,
                )
            )
        AnnotatorProfile.objects.bulk_create(profiles)
    if not Call.objects.filter(project=project).exists():
        calls = []
        for i in range(n_calls):
            language = rng.choices(LANGUAGES, weights=[40, 20, 10, 8, 8, 6, 4, 4])[0]
            calls.append(
                Call(
                    project=project,
                    audio=f"calls/bench/{i}.wav",
                    original_name=f"{i}.wav",
                    sha256=f"{i:064d}",
                    status="ready",
                    language=language,
                    locale=rng.choice(LOCALES[language]),
                )
            )
        Call.objects.bulk_create(calls, batch_size=2000)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--annotators", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.db import connection, transaction

    from annotation.assignment import _call_needs, annotator_pool, assignments_run, project_rule
    from annotation.matching import plan_assignments
    from annotation.models import Assignment

    project = populate(args.calls, args.annotators)
    service, planning, floor, created, gaps = [], [], [], 0, 0
    for _ in range(args.runs):
        Assignment.objects.all().delete()
        needs, pool = _call_needs(project, project.calls.all()), annotator_pool()
        started = time.perf_counter()
        plan_assignments(needs, pool, project_rule(project))
        planning.append(time.perf_counter() - started)

        started = time.perf_counter()
        run = assignments_run(project=project)
        service.append(time.perf_counter() - started)
        created, gaps = run.created, sum(g.missing for g in run.gaps)

        rows = list(Assignment.objects.values_list("call_id", "annotator_id", "blind", "explanation"))
        Assignment.objects.all().delete()
        started = time.perf_counter()
        with transaction.atomic():
            Assignment.objects.bulk_create(
                [Assignment(call_id=c, annotator_id=a, blind=b, explanation=e) for c, a, b, e in rows], batch_size=1000
            )
        floor.append(time.perf_counter() - started)

    median = statistics.median
    print(f"# Assignment benchmark ({connection.vendor}, {os.cpu_count()} CPUs, medians of {args.runs} runs)\n")
    print(f"| {'figure':<52} | {'value':>12} | note")
    print(f"|{'-' * 54}|{'-' * 14}|------")
    print(
        f"| {f'assignments_run: {args.calls} calls x {args.annotators} annotators, k=3':<52} | {median(service):>10.2f} s | goal < 10 s"
    )
    print(f"| {'  of which planning (matching engine, in memory)':<52} | {median(planning):>10.2f} s |")
    print(
        f"| {'yardstick: bulk insert of the same rows, no planning':<52} | {median(floor):>10.2f} s | ratio {median(service) / median(floor):.1f}x"
    )
    print(
        f"| {'assignments created / slots left unfilled':<52} | {created:>6} / {gaps:<4} | gaps are explained per call"
    )


if __name__ == "__main__":
    main()
