#!/usr/bin/env python
"""Bulk upload benchmark: N short WAV files plus a metadata CSV, checked in full, then stored.

    .venv/bin/python benchmarks/bulk_upload.py [--files 40] [--seconds 2] [--runs 3]

Figures: ``calls_bulk_upload`` (parse the CSV, check every row and every file's container, then
store each call; the machine pass is not started) per file, next to a yardstick from the same
run: the same files stored one by one with ``call_upload`` and no metadata (what the single-file
upload does). The ratio is the price of "every error listed before anything is stored". Also
the CSV parse alone for 10,000 rows. Medians of runs; each run starts from an empty project.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django() -> None:
    if "DATABASE_URL" not in os.environ:
        os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bulk.sqlite3"
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def wav(i: int, seconds: float) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.2 * np.sin(2 * np.pi * (200 + i) * t)).astype(np.float32), 16000, format="WAV")
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup_django()
    from django.core.files.uploadedfile import SimpleUploadedFile

    from annotation.bulk_upload import calls_bulk_upload, metadata_parse
    from annotation.models import Call
    from annotation.services import call_delete, call_upload, project_create
    from taxonomy.services import taxonomy_get_or_create_default

    project = project_create(name="Bench", slug="bench", taxonomy=taxonomy_get_or_create_default())
    blobs = [(f"call-{i:04d}.wav", wav(i, args.seconds)) for i in range(args.files)]
    csv = "file,locale,agent_id,customer_id,campaign\n" + "".join(
        f"{name},en-GB,AG-{i},CU-{i},bench\n" for i, (name, _) in enumerate(blobs)
    )

    def clear() -> None:
        for call in Call.objects.filter(project=project):
            call_delete(call=call)

    bulk, single = [], []
    for _ in range(args.runs):
        clear()
        files = [SimpleUploadedFile(name, data) for name, data in blobs]
        start = time.perf_counter()
        result = calls_bulk_upload(project=project, files=files, metadata=csv.encode(), metadata_name="m.csv",
                                   start_pipeline=False)  # fmt: skip
        bulk.append(time.perf_counter() - start)
        assert result.created == args.files
        clear()
        files = [SimpleUploadedFile(name, data) for name, data in blobs]
        start = time.perf_counter()
        for upload in files:
            call_upload(project=project, fileobj=upload, filename=upload.name, start_pipeline=False)
        single.append(time.perf_counter() - start)
    rows = "file,locale,agent_id,customer_id,campaign\n" + "".join(
        f"c{i}.wav,en-IN,A{i},C{i},x\n" for i in range(10000)
    )
    parse = []
    for _ in range(args.runs):
        start = time.perf_counter()
        metadata_parse(data=rows.encode(), filename="m.csv")
        parse.append(time.perf_counter() - start)
    b, s = statistics.median(bulk), statistics.median(single)
    print(f"{'workload':<52} {'figure':>14} {'vs yardstick':>13}")
    print(f"{f'bulk upload, {args.files} x {args.seconds:g} s WAV + CSV (checked, stored)':<52} "
          f"{1000 * b / args.files:>10.1f} ms/file {b / s:>12.2f}x")  # fmt: skip
    print(f"{'yardstick: call_upload one by one, no metadata':<52} {1000 * s / args.files:>10.1f} ms/file {1:>12.2f}x")
    print(f"{'metadata_parse, 10,000 CSV rows':<52} {1000 * statistics.median(parse):>13.1f} ms")


if __name__ == "__main__":
    main()
