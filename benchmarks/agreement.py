#!/usr/bin/env python
"""Agreement benchmark: a full report on 100,000 turns x 3 annotators x 20 labels.

    .venv/bin/python benchmarks/agreement.py [--turns 100000] [--runs 3] [--bootstrap 1000]

Generated annotations (each annotator agrees with a hidden truth most of the time) are written
to a throw-away SQLite database; the figure is ``project_report`` (every judgement kind, with
bootstrap intervals) read back from it. Yardstick, same run: the ``krippendorff`` package alone
on the label-presence reliability matrix (3 x 2,000,000), the core computation any tool must do.
Also timed: the reviewer page (GET, logged in, as the browser asks for it) once the report is
computed and cached in an AgreementReport row, and the disagreement queue page; goal < 500 ms.

Bootstrap: 1,000 resamples of *turns* per figure (all of a turn's units drawn together, see
qa/clusters.py), vectorised over distinct per-turn coincidence tallies; figures whose distinct
tallies x resamples exceed 4 M cells use fewer resamples (not below 200), and the MASI set figure
does the same (about 280 resamples here). Each figure reports how many resamples were usable.
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


def setup(turns: int, labels: int):
    from benchmarks.common import bench_project, django_setup

    django_setup("agreement")
    from annotation.models import Assignment, Call, Speaker, Turn, TurnAnnotation
    from benchmarks.synthetic import noisy_annotations
    from taxonomy.services import taxonomy_import

    keys = [f"label{i:02d}" for i in range(labels)]
    taxonomy = taxonomy_import(
        data={
            "slug": "bench",
            "name": "bench",
            "labels": [{"key": k, "name": k, "definition": k} for k in keys],
            "dimensions": [
                {"key": "intensity", "kind": "ordinal", "scope": "label", "minimum": 1, "maximum": 5},
                {"key": "valence", "kind": "interval", "minimum": -3, "maximum": 3},
                {"key": "arousal", "kind": "interval", "minimum": 1, "maximum": 5},
            ],
        },
        publish=True,
    )
    project, users = bench_project(taxonomy)
    rng = random.Random(0)
    per_call = 100
    calls = Call.objects.bulk_create(
        [Call(project=project, audio=f"{c}.wav", original_name=f"{c}.wav", sha256=f"{c:064d}", status="ready")
         for c in range(turns // per_call)]
    )  # fmt: skip
    speakers = Speaker.objects.bulk_create([Speaker(call=c, label="CH0", role="customer") for c in calls])
    assignments = Assignment.objects.bulk_create([Assignment(call=c, annotator=u) for c in calls for u in users])
    by_call = {}
    for a in assignments:
        by_call.setdefault(a.call_id, []).append(a)
    batch = []
    for call, speaker in zip(calls, speakers, strict=True):
        rows = Turn.objects.bulk_create(
            [Turn(call=call, speaker=speaker, order=i, start=i, end=i + 1) for i in range(per_call)]
        )
        for turn in rows:
            batch.extend(noisy_annotations(rng, keys, turn, by_call[call.pk], taxonomy, noise=0.15, intensity=(2, 4)))
        if len(batch) > 30_000:
            TurnAnnotation.objects.bulk_create(batch, batch_size=5000)
            batch = []
    TurnAnnotation.objects.bulk_create(batch, batch_size=5000)
    return project


def django_now():
    from django.utils import timezone

    return timezone.now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=100_000)
    parser.add_argument("--labels", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    started = time.perf_counter()
    project = setup(args.turns, args.labels)
    print(f"# Agreement benchmark ({os.cpu_count()} CPUs; data generated in {time.perf_counter() - started:.0f} s)\n")
    import krippendorff
    import numpy as np

    from qa.agreement import project_report

    report_times, report = [], None
    for _ in range(args.runs):
        started = time.perf_counter()
        report = project_report(project, bootstrap=args.bootstrap)
        report_times.append(time.perf_counter() - started)
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from qa.agreement import ReportFilters
    from qa.models import AgreementReport
    from qa.services import filters_key

    AgreementReport.objects.update_or_create(
        project=project,
        key=filters_key(ReportFilters()),
        defaults={"report": report, "stale": False, "computed_at": django_now(), "filters": {}},
    )
    admin = get_user_model().objects.create_superuser("bench-admin", password="x")
    client = Client()
    client.force_login(admin)
    url = reverse("qa:project_agreement", args=[project.slug])
    page_times, queue_times = [], []
    for _ in range(max(5, args.runs)):
        started = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - started)
        assert response.status_code == 200 and b"Computed " in response.content, response.status_code
    queue_url = reverse("qa:project_disagreements", args=[project.slug])
    for _ in range(max(5, args.runs)):
        started = time.perf_counter()
        queue = client.get(queue_url)
        queue_times.append(time.perf_counter() - started)
        assert queue.status_code == 200 and b"Adjudicate" in queue.content, queue.status_code
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 2, size=(3, args.turns * args.labels)).astype(float)
    yard = []
    for _ in range(args.runs):
        started = time.perf_counter()
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        yard.append(time.perf_counter() - started)
    median = statistics.median
    print(f"| {'figure':<58} | {'value':>10} | note")
    print(f"|{'-' * 60}|{'-' * 12}|------")
    workload = f"full report, {args.turns} turns x 3 x {args.labels} labels"
    print(
        f"| {workload:<58} | {median(report_times):>8.2f} s | goal < 5 s; {args.bootstrap} bootstrap resamples per figure (MASI: {report['label_sets_masi'].get('resamples')})"
    )
    print(
        f"| {'yardstick: krippendorff.alpha on the presence matrix only':<58} | {median(yard):>8.2f} s | ratio {median(report_times) / median(yard):.1f}x"
    )
    print(
        f"| {'label presence alpha [95% CI], labels in use':<58} | {report['label_presence']['alpha']:>10.3f} | [{report['label_presence']['low']:.3f}, {report['label_presence']['high']:.3f}], {report['label_presence']['usable_resamples']} of {report['label_presence']['resamples']} turn resamples usable"
    )
    print(
        f"| {'intensity alpha [95% CI]':<58} | {report['intensity']['alpha']:>10.3f} | [{report['intensity']['low']:.3f}, {report['intensity']['high']:.3f}], {report['intensity']['usable_resamples']} of {report['intensity']['resamples']} turn resamples usable"
    )
    print(f"| {'label sets (MASI) alpha':<58} | {report['label_sets_masi']['alpha']:>10.3f} |")
    print(
        f"| {'reviewer page, cached report (GET, median of ' + str(len(page_times)) + ')':<58} | {median(page_times) * 1000:>7.0f} ms | goal < 500 ms; {len(response.content) // 1024} KiB HTML"
    )
    print(
        f"| {'disagreement queue page (GET, median of ' + str(len(queue_times)) + ')':<58} | {median(queue_times) * 1000:>7.0f} ms | goal < 500 ms; 50 most disagreed turns"
    )


if __name__ == "__main__":
    main()
