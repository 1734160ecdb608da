#!/usr/bin/env python
"""Agreement-with-the-machine by suggestion mode (qa/anchoring_modes.py), computed live per request.

    .venv/bin/python benchmarks/anchoring_modes.py [--turns 20000] [--runs 3]

Generated project in a throw-away SQLite database: calls of 100 turns, 3 annotators per call (one
blind), one machine suggestion per turn, the project's suggestion settings switched halfway so two
modes have data. Figure: ``anchoring_by_mode`` (500 bootstrap resamples per alpha) and the page
(GET, logged in). Yardstick, same run: only reading the same judgements (turn, assignment,
labels) from the database, which any such figure must do.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup(turns: int):
    from benchmarks.common import bench_project, django_setup

    django_setup("anchoring")
    from annotation.models import Assignment, Call, Speaker, Suggestion, Turn, TurnAnnotation
    from annotation.suggestion_modes import project_suggestion_settings_update
    from benchmarks.synthetic import noisy_annotations
    from taxonomy.services import taxonomy_get_or_create_default

    taxonomy = taxonomy_get_or_create_default()
    keys = list(taxonomy.labels.values_list("key", flat=True))
    project, users = bench_project(taxonomy)
    rng = random.Random(0)
    per_call = 100
    n_calls = max(2, turns // per_call)
    for half in range(2):
        if half == 1:
            project_suggestion_settings_update(
                project=project, actor=None, reveal_suggestions_after_play=True, hide_suggestion_confidence=True
            )
        calls = Call.objects.bulk_create(
            [Call(project=project, audio=f"{half}-{c}.wav", original_name=f"{c}.wav", sha256=f"{half}{c:063d}",
                  status="ready") for c in range(n_calls // 2)]
        )  # fmt: skip
        speakers = Speaker.objects.bulk_create([Speaker(call=c, label="CH0", role="customer") for c in calls])
        assignments = Assignment.objects.bulk_create(
            [Assignment(call=c, annotator=u, blind=i == 2) for c in calls for i, u in enumerate(users)]
        )
        by_call: dict[int, list] = {}
        for a in assignments:
            by_call.setdefault(a.call_id, []).append(a)
        batch, suggestions = [], []
        for call, speaker in zip(calls, speakers, strict=True):
            rows = Turn.objects.bulk_create(
                [Turn(call=call, speaker=speaker, order=i, start=i, end=i + 1) for i in range(per_call)]
            )
            for turn in rows:
                made = noisy_annotations(rng, keys, turn, by_call[call.pk], taxonomy, noise=0.3, intensity=(2, 4))
                batch.extend(made)
                machine = made[0].labels[0]["label"] if rng.random() < 0.6 else rng.choice(keys)
                suggestions.append(
                    Suggestion(turn=turn, labels=[{"label": machine, "intensity": 3, "confidence": 0.7}],
                               model_version="bench")
                )  # fmt: skip
        TurnAnnotation.objects.bulk_create(batch, batch_size=5000)
        Suggestion.objects.bulk_create(suggestions, batch_size=5000)
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    project = setup(args.turns)
    print(
        f"# Anchoring-modes benchmark ({os.cpu_count()} CPUs; data generated in {time.perf_counter() - started:.0f} s)\n"
    )
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from annotation.models import TurnAnnotation
    from qa.anchoring_modes import anchoring_by_mode

    figure, result = [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        result = anchoring_by_mode(project)
        figure.append(time.perf_counter() - started)
    yard = []
    for _ in range(args.runs):
        started = time.perf_counter()
        rows = TurnAnnotation.objects.filter(assignment__call__project=project).values_list(
            "turn_id", "assignment_id", "labels"
        )
        n = sum(1 for _ in rows.iterator(chunk_size=5000))
        yard.append(time.perf_counter() - started)
    admin = get_user_model().objects.create_superuser("bench-admin", password="x")
    client = Client()
    client.force_login(admin)
    url = reverse("qa:project_anchoring_modes", args=[project.slug])
    page = []
    for _ in range(args.runs):
        started = time.perf_counter()
        response = client.get(url)
        page.append(time.perf_counter() - started)
        assert response.status_code == 200
    median = statistics.median
    print(f"| {'figure':<52} | {'value':>10} | note")
    print(f"|{'-' * 54}|{'-' * 12}|------")
    print(f"| {f'anchoring_by_mode, {n} judgements':<52} | {median(figure):>8.2f} s | median of {args.runs}")
    print(
        f"| {'yardstick: reading the same judgements only':<52} | {median(yard):>8.2f} s | "
        f"ratio {median(figure) / median(yard):.1f}x"
    )
    print(f"| {'page (GET, computed live)':<52} | {median(page):>8.2f} s |")
    for row in result["modes"]:
        if row.suggested.judgements:
            print(
                f"| {row.title[:52]:<52} | {row.gap if row.gap is not None else float('nan'):>10.3f} | gap; suggested "
                f"{row.suggested.top_label_share:.3f} (n={row.suggested.judgements}), blind "
                f"{row.blind.top_label_share:.3f} (n={row.blind.judgements})"
            )


if __name__ == "__main__":
    main()
