#!/usr/bin/env python
"""Export benchmark: JSONL plus per-turn WAV clips (Hugging Face audiofolder) of annotated calls.

    .venv/bin/python benchmarks/export.py [--hours 2] [--call-minutes 10] [--runs 3] [--workdir DIR]
    .venv/bin/python benchmarks/export.py --hours 100      # the goal's workload (needs ~40 GB of disk)

Generated data, written to a throw-away SQLite database and media folder: two-speaker calls of
``--call-minutes`` each, a turn every ~6 s (3-9 s of speech), ~15 words per turn, a suggestion,
three annotators per turn with labels, valence, arousal; each call's decoded PCM (16 kHz float32,
the decode stage's format) is generated noise shaped per turn. The figure is ``export_write``
with formats jsonl + audiofolder (records with consensus, JSONL, one 16-bit WAV per turn cut
through a memory map, metadata.jsonl, sha256 of every file, the data card without the agreement
bootstrap), run in a fresh process each time; realtime factor = audio hours / export time.

Yardstick, same run, same files: read every call's PCM and write it back as 16-bit WAV, one
file per call: the bare I/O and conversion any clip export must do. Peak RSS (VmHWM of the
exporting process) is measured for the whole workload and for a quarter of it (a calls filter):
streaming means the two stay about equal. The page cache is warm for both export and yardstick.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RATE = 16_000
WORDS = "yes no charge refund account billing please thank you sorry wait card number again today".split()


def django_setup(workdir: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir}/export.sqlite3"
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")
    import django

    django.setup()


def generate(workdir: Path, hours: float, call_minutes: float) -> dict:
    import random

    import numpy as np
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from annotation.models import Assignment, Call, Speaker, Suggestion, Turn, TurnAnnotation
    from annotation.storage import pcm_path
    from benchmarks.common import bench_project
    from benchmarks.synthetic import noisy_annotations
    from taxonomy.services import taxonomy_get_or_create_default

    taxonomy = taxonomy_get_or_create_default()
    keys = list(taxonomy.labels.values_list("key", flat=True))
    project, users = bench_project(taxonomy)
    rng = random.Random(0)
    nrng = np.random.default_rng(0)
    seconds = call_minutes * 60
    n_calls = max(1, round(hours * 3600 / seconds))
    total_turns = 0
    for c in range(n_calls):
        call = Call.objects.create(
            project=project,
            audio=f"calls/{c}.wav",
            original_name=f"call{c}.wav",
            sha256=f"{c:064d}",
            duration=seconds,
            sample_rate=RATE,
            channels=1,
            language="en",
            locale=rng.choice(["en-IN", "en-GB", "en-US"]),
            status="ready",
        )
        agent = Speaker.objects.create(call=call, label="SPEAKER_00", role="agent")
        customer = Speaker.objects.create(call=call, label="SPEAKER_01", role="customer")
        assignments = Assignment.objects.bulk_create(
            [Assignment(call=call, annotator=u, status="submitted") for u in users]
        )
        samples = (nrng.standard_normal(int(seconds * RATE)) * 0.01).astype("<f4")
        turns, t = [], 0.3
        while t < seconds - 1:
            length = min(rng.uniform(3, 9), seconds - t)
            n = 15
            words = [
                {
                    "w": rng.choice(WORDS),
                    "s": round(t + i * length / n, 3),
                    "e": round(t + (i + 1) * length / n, 3),
                    "p": 0.9,
                }
                for i in range(n)
            ]
            turns.append(
                Turn(
                    call=call,
                    speaker=agent if len(turns) % 2 == 0 else customer,
                    order=len(turns),
                    start=round(t, 3),
                    end=round(t + length, 3),
                    text=" ".join(w["w"] for w in words),
                    words=words,
                    language="en",
                    prosody={
                        "f0_median_st": 12.0,
                        "speech_rate": 4.1,
                        "loudness_mean_db": -23.0,
                        "contour": [0.0] * 50,
                    },
                )
            )
            a, b = int(t * RATE), int((t + length) * RATE)
            samples[a:b] += (0.3 * np.sin(np.arange(b - a) * (2 * np.pi * (150 + len(turns) % 40 * 5) / RATE))).astype(
                "<f4"
            )
            t += length + rng.uniform(0.2, 1.0)
        turns = Turn.objects.bulk_create(turns)
        path = pcm_path(call)
        path.parent.mkdir(parents=True, exist_ok=True)
        samples.tofile(path)
        Suggestion.objects.bulk_create(
            [
                Suggestion(turn=turn, labels=[{"label": rng.choice(keys), "intensity": 3, "confidence": 0.6}],
                           valence=-1, arousal=3, model_version="rules-v1")
                for turn in turns
            ]
        )  # fmt: skip
        annotations = []
        for turn in turns:
            annotations.extend(noisy_annotations(rng, keys, turn, assignments, taxonomy, noise=0.2, intensity=(1, 5)))
        TurnAnnotation.objects.bulk_create(annotations, batch_size=5000)
        total_turns += len(turns)
    call_ids = list(Call.objects.order_by("pk").values_list("pk", flat=True))
    return {"calls": n_calls, "turns": total_turns, "seconds": n_calls * seconds, "call_ids": call_ids}


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_export(workdir: Path, out: Path, calls: str) -> None:
    django_setup(workdir)
    from annotation.models import Project
    from qa.exports import ExportFilters
    from qa.exports.build import export_write

    project = Project.objects.get(slug="bench")
    filters = ExportFilters.from_mapping({"calls": calls})
    out.mkdir(parents=True)
    started = time.perf_counter()
    manifest = export_write(
        project=project, formats=["jsonl", "audiofolder"], out_dir=out, filters=filters, agreement_bootstrap=-1
    )
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_rss_mb(),
                "turns": manifest["counts"]["turns"],
                "files": manifest["file_count"],
                "bytes": manifest["bytes"],
                "audio_seconds": manifest["counts"]["seconds"],
            }
        )
    )


def child_yardstick(workdir: Path, out: Path) -> None:
    django_setup(workdir)  # same process start-up cost as the export child
    import numpy as np

    from qa.exports.audiofolder import to_pcm16, wav_header

    out.mkdir(parents=True)
    started = time.perf_counter()
    for path in sorted((workdir / "media" / "derived").glob("*/pcm16k.f32")):
        samples = np.memmap(path, dtype="<f4", mode="r")
        with (out / f"{path.parent.name}.wav").open("wb") as fh:
            fh.write(wav_header(len(samples), RATE))
            for k in range(0, len(samples), RATE * 60):
                fh.write(to_pcm16(np.asarray(samples[k : k + RATE * 60])))
    print(json.dumps({"seconds": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}))


def run_child(*args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=str(ROOT)
    )
    if result.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--call-minutes", type=float, default=10.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None, help="Where to put the data (default: a temp dir).")
    parser.add_argument("--child", choices=["export", "yardstick"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--calls", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "export":
        return child_export(args.workdir, args.out, args.calls)
    if args.child == "yardstick":
        return child_yardstick(args.workdir, args.out)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="export-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    django_setup(workdir)
    data = generate(workdir, args.hours, args.call_minutes)
    generated = time.perf_counter() - started
    quarter = ",".join(map(str, data["call_ids"][: max(1, len(data["call_ids"]) // 4)]))
    exports, yards, small = [], [], []
    try:
        for k in range(args.runs):
            out = workdir / f"out-{k}"
            exports.append(run_child("--child", "export", "--workdir", str(workdir), "--out", str(out)))
            shutil.rmtree(out)
            out = workdir / f"yard-{k}"
            yards.append(run_child("--child", "yardstick", "--workdir", str(workdir), "--out", str(out)))
            shutil.rmtree(out)
        out = workdir / "out-quarter"
        small.append(run_child("--child", "export", "--workdir", str(workdir), "--out", str(out), "--calls", quarter))
        shutil.rmtree(out)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    median = statistics.median
    hours = data["seconds"] / 3600
    export_s = median(e["seconds"] for e in exports)
    yard_s = median(y["seconds"] for y in yards)
    e0 = exports[0]
    print(
        f"# Export benchmark ({os.cpu_count()} CPUs; {data['calls']} calls, {data['turns']} turns, "
        f"{hours:.1f} h of audio, 3 annotators per turn; generated in {generated:.0f} s; medians of {args.runs} runs)\n"
    )
    print(f"| {'figure':<62} | {'value':>12} | note")
    print(f"|{'-' * 64}|{'-' * 14}|------")
    rows = [
        (f"export jsonl + audiofolder, {hours:.1f} h, {data['turns']} turns", f"{export_s:.1f} s",
         f"{e0['files']} files, {e0['bytes'] / 1e9:.2f} GB"),
        ("realtime factor (audio seconds / export seconds)", f"{data['seconds'] / export_s:.0f}x", "goal >= 500x"),
        ("yardstick: read each call's PCM, write it as one 16-bit WAV", f"{yard_s:.1f} s",
         f"{data['seconds'] / yard_s:.0f}x realtime; export / yardstick = {export_s / yard_s:.2f}"),
        ("export throughput", f"{data['turns'] / export_s:.0f} turns/s", ""),
        (f"peak RSS, whole workload ({data['turns']} turns)", f"{median(e['peak_rss_mb'] for e in exports):.0f} MB",
         "VmHWM of the exporting process"),
        (f"peak RSS, a quarter of it ({small[0]['turns']} turns)", f"{small[0]['peak_rss_mb']:.0f} MB",
         f"yardstick process: {median(y['peak_rss_mb'] for y in yards):.0f} MB"),
    ]  # fmt: skip
    for figure, value, note in rows:
        print(f"| {figure:<62} | {value:>12} | {note}")


if __name__ == "__main__":
    main()
