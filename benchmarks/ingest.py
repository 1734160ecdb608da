#!/usr/bin/env python
"""Machine-pass benchmark: speed, memory and quality, next to a plain faster-whisper yardstick.

    .venv/bin/python benchmarks/ingest.py                 # everything (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/ingest.py --quick         # quality + one 10-minute run, no 60-minute call

Every workload runs the real pipeline (``run_pipeline_inline``: the same stages the Celery worker
runs, with their database writes) in a fresh subprocess on a throw-away SQLite database, so its
peak RSS is its own. Printed: per-stage seconds, x realtime, peak RSS; the yardstick is a plain
``faster_whisper.WhisperModel(tiny.en, int8).transcribe`` of the same file in the same run.

Workloads:
- pyannote's real ``sample.wav`` call: WER against ``sample.stm`` and DER against ``sample.rttm``
  (collar 0.25 s either side, pyannote.metrics);
- the same call as recorders hand it over (``--skip-conditions`` to skip): 40 dB too low, as
  stereo with one mix on both channels (at the same level, or one side 12 dB down), as stereo
  with the call in one channel only, at 8 kHz;
  the yardstick is the call as recorded;
- a synthetic dual-channel call (espeak-ng, one voice per channel): DER against the known times;
- a dual-channel suite (``--dual-calls``): code-switched dialogues with each party leaking into
  the other's channel at -20 dB, 30 ms late: DER against each channel's truth, and how many turns
  are made of cross-talk alone (the goal: none);
- a 10-minute mono call (sample.wav's real speech, tiled) with tiny.en and with multilingual base;
- a 60-minute mono call for peak memory;
- a generated code-switched suite (``annotation.pipeline.codeswitch_fixtures``: en/es/de/fr/hi/it
  sentences, switching between speakers and inside one speaker's speech), held out from the
  tests' fixture (other seeds): per-utterance language accuracy, open-set and with the suite's
  languages declared (``LANGUAGE_CANDIDATES``), and speech coverage.

Coverage (speech seconds the VAD found that lie inside turns) is printed for every workload.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# --- workloads (made once per run, in a temp folder) ----------------------------------------
def sample_dir() -> Path:
    import pyannote.audio

    return Path(pyannote.audio.__file__).parent / "sample"


def tiled_ders(rttm: list[tuple[str, float, float]], result: dict, path: Path) -> tuple[str, str, str]:
    """(whole call, "", quarters) DER of a tiled ``sample.wav`` against its tiled truth: an error
    that grows with time into the call (a drifting clock) shows as quarters that get worse."""
    import soundfile as sf

    from benchmarks.common import clip_spans, quarters

    period = sf.info(str(sample_dir() / "sample.wav")).duration
    seconds = sf.info(str(path)).duration
    truth = [
        (who, a + k * period, min(b + k * period, seconds))
        for k in range(int(seconds // period) + 1)
        for who, a, b in rttm
        if a + k * period < seconds
    ]
    scores = [der(clip_spans(truth, a, b), clip_spans(result["spans"], a, b))["der"] for a, b in quarters(seconds)]
    found = len({who for who, _, _ in result["spans"]})
    return (
        f"{der(truth, result['spans'])['der']:.1%}",
        "",
        f"quarters {' / '.join(f'{q:.1%}' for q in scores)}; {found} speakers found (truth 2)",
    )


def tiled_sample(minutes: float, folder: Path) -> Path:
    import numpy as np
    import soundfile as sf

    audio, rate = sf.read(sample_dir() / "sample.wav", dtype="float32")
    repeats = int(np.ceil(minutes * 60 * rate / audio.shape[0]))
    path = folder / f"sample-x{repeats}.wav"
    if not path.exists():
        sf.write(path, np.tile(audio, repeats)[: int(minutes * 60 * rate)], rate)
    return path


def synthetic_dual(folder: Path) -> tuple[Path, list]:
    from annotation.pipeline.synth import demo_support_call, render_call, write_wav

    samples, spans = render_call(demo_support_call(), {"agent": 0, "customer": 1})
    return write_wav(folder / "dual.wav", samples), [(s.speaker, s.start, s.end) for s in spans]


def dual_channel_suite(folder: Path, calls: int, leak: float = 0.1, first_seed: int = 2000) -> list[tuple[Path, list]]:
    """Dual-channel calls (agent left, customer right), each channel also carrying the other party
    at ``leak`` amplitude (-20 dB by default) 30 ms late, as echo and cross-talk do on real
    stereo recordings; (path, truth spans). The scripts are the code-switched ones, so the voices,
    languages, pauses and switches vary from call to call."""
    import numpy as np

    from annotation.pipeline.codeswitch_fixtures import code_switched_script, render_code_switched, suite_voices
    from annotation.pipeline.synth import write_wav

    suite = []
    delay = int(0.03 * 16000)
    for seed in range(first_seed, first_seed + calls):
        samples, truth = render_code_switched(
            code_switched_script(seed, turns=6), {"agent": 0, "customer": 1}, voices=suite_voices(seed)
        )
        clean = samples.copy()
        for channel in (0, 1):
            samples[channel, delay:] += leak * clean[1 - channel, :-delay]
        path = write_wav(folder / f"dual-{seed}.wav", np.clip(samples, -1, 1))
        suite.append((path, [(u.speaker, u.start, u.end) for u in truth]))
    return suite


def recording_conditions(sample: Path, folder: Path) -> list[tuple[str, Path]]:
    """The same real call as recorders and phone systems hand it over: (label, path)."""
    import numpy as np  # lazy, like the other workloads: the report itself needs none of it
    import soundfile as sf
    from scipy.signal import resample_poly

    audio, rate = sf.read(sample, dtype="float32")
    variants = {
        "40 dB too low (float WAV)": (audio * np.float32(0.01), rate),
        "as stereo, one mix on both channels (right -3 dB, inverted)": (np.stack([audio, -0.7 * audio]).T, rate),
        "as stereo, one mix, the right channel 12 dB down": (np.stack([audio, 0.25 * audio]).T, rate),
        "as stereo, mono call in the left channel only": (np.stack([audio, np.zeros_like(audio)]).T, rate),
        "at 8 kHz (telephone band)": (resample_poly(audio, 1, 2).astype(np.float32), rate // 2),
    }
    out = []
    for index, (label, (samples, sr)) in enumerate(variants.items()):
        path = folder / f"condition-{index}.wav"
        sf.write(path, samples, sr, subtype="FLOAT")
        out.append((label, path))
    return out


def warm_up_call(path: Path) -> Path:
    """The first 8 s of sample.wav with a Spanish sentence after it (so the LID path loads too)."""
    import numpy as np
    import soundfile as sf

    from annotation.pipeline.codeswitch_fixtures import SENTENCES, utterance
    from annotation.pipeline.synth import speak

    audio, _ = sf.read(sample_dir() / "sample.wav", dtype="float32")
    spanish = speak(utterance("customer", "es", SENTENCES["es"][0], 0.0))
    sf.write(path, np.concatenate([audio[: 8 * 16000], np.zeros(8000, dtype=np.float32), spanish]), 16000)
    return path


def code_switched_suite(
    folder: Path, calls: int, first_seed: int = 1000, sentences: dict[str, list[str]] | None = None
) -> list[tuple[Path, list]]:
    """Held-out code-switched calls (the tests use another script); (path, truth utterances).
    ``sentences``: another bank than the tests' (``codeswitch_bank.FRESH_SENTENCES``)."""
    from annotation.pipeline.codeswitch_fixtures import code_switched_script, render_code_switched, suite_voices
    from annotation.pipeline.synth import write_wav

    suite = []
    for seed in range(first_seed, first_seed + calls):
        samples, truth = render_code_switched(
            code_switched_script(seed, sentences=sentences), voices=suite_voices(seed)
        )
        suite.append((write_wav(folder / f"codeswitch-{seed}.wav", samples), truth))
    return suite


def utterance_language_accuracy(truth: list, turn_languages: list, misses: dict | None = None) -> tuple[int, int]:
    """Utterances whose language is that of the turn holding most of them: (right, total).
    ``misses`` (optional) counts the wrong ones per true language."""
    right = 0
    for utterance in truth:
        overlaps = [(min(e, utterance.end) - max(s, utterance.start), lang) for s, e, lang in turn_languages]
        best = max(overlaps, default=(0.0, ""))
        ok = best[0] > 0 and best[1] == utterance.language
        right += ok
        if not ok and misses is not None:
            misses[utterance.language] = misses.get(utterance.language, 0) + 1
    return right, len(truth)


# --- metrics --------------------------------------------------------------------------------
def normalise(text: str) -> list[str]:
    text = text.lower().replace("$20", "twenty dollars")
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def wer(reference: list[str], hypothesis: list[str]) -> float:
    previous = list(range(len(hypothesis) + 1))
    for i, ref_word in enumerate(reference, 1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp_word in enumerate(hypothesis, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
        previous = current
    return previous[-1] / max(1, len(reference))


def der(reference: list[tuple[str, float, float]], hypothesis: list[tuple[str, float, float]]) -> dict[str, float]:
    """DER and its parts, as fractions of reference speech (collar 0.25 s either side)."""
    import warnings

    from pyannote.core import Annotation, Segment
    from pyannote.metrics.diarization import DiarizationErrorRate

    ref, hyp = Annotation(), Annotation()
    for speaker, start, end in reference:
        ref[Segment(start, end)] = speaker
    for speaker, start, end in hypothesis:
        hyp[Segment(start, end)] = speaker
    metric = DiarizationErrorRate(collar=0.5)  # pyannote's collar is the total width
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = metric.compute_components(ref, hyp)
    total = parts["total"] or 1.0
    return {
        "der": metric.compute_metric(parts),
        "confusion": parts["confusion"] / total,
        "missed": parts["missed detection"] / total,
        "false_alarm": parts["false alarm"] / total,
    }


def der_text(parts: dict[str, float]) -> str:
    return f"{parts['der']:.1%}"


def der_note(parts: dict[str, float]) -> str:
    return f"confusion {parts['confusion']:.1%}, missed {parts['missed']:.1%}, false alarm {parts['false_alarm']:.1%}"


# --- one workload in a subprocess -------------------------------------------------------------
def child(spec: dict) -> dict:
    """Runs inside the subprocess: a fresh DB, one call (or several: ``audios``) through the real
    pipeline, the models loaded once."""
    os.environ.update(
        {
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{spec['tmp']}/bench.sqlite3",
            "MEDIA_ROOT": f"{spec['tmp']}/media",
            "WHISPER_MODEL": spec.get("model", "tiny.en"),
            "CELERY_TASK_ALWAYS_EAGER": "1",
            "HF_HUB_OFFLINE": "1",
            "DJANGO_SETTINGS_MODULE": "annotera.settings",
            "LANGUAGE_CANDIDATES": ",".join(spec.get("candidates", [])),
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from annotation.jobs import run_pipeline_inline
    from annotation.selectors import call_speaker_spans
    from annotation.services import call_upload, project_create
    from taxonomy.services import taxonomy_get_or_create_default

    project = project_create(name="bench", slug="bench", taxonomy=taxonomy_get_or_create_default())
    # A worker keeps its models loaded from call to call, and the yardstick's timing starts after
    # its model is loaded: so every model is loaded (on a short warm-up call) before timing.
    warm_up = Path(spec["tmp"]) / "warm-up.wav"
    warm_up_call(warm_up)
    with open(warm_up, "rb") as fh:
        run_pipeline_inline(
            call=call_upload(project=project, fileobj=fh, filename="warm-up.wav", start_pipeline=False).call
        )
    results = []
    for audio in spec.get("audios") or [spec["audio"]]:
        with open(audio, "rb") as fh:
            call = call_upload(project=project, fileobj=fh, filename=Path(audio).name, start_pipeline=False).call
        started = time.perf_counter()
        call = run_pipeline_inline(call=call)
        total = time.perf_counter() - started
        stages = {job.stage: job.seconds for job in call.jobs.all()}
        turns = list(call.turns.select_related("speaker").order_by("order"))
        results.append(
            {
                "status": call.status,
                "error": call.error,
                "duration": call.duration,
                "total": total,
                "stages": stages,
                "text": " ".join(t.text for t in turns),
                "spans": call_speaker_spans(call),
                "speakers": call.speakers.count(),
                "channels": call.channels,
                "turns": len(turns),
                "turn_languages": [(t.start, t.end, t.language) for t in turns],
                "turn_spans": [(t.speaker.label, t.start, t.end) for t in turns],
                "untranscribed": sum(t.untranscribed for t in turns),
                "coverage": call.coverage,
                "language": call.language,
            }
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for result in results:
        result["peak_rss_mb"] = peak
    return results[0] if "audio" in spec else {"calls": results, "peak_rss_mb": peak}


def yardstick_child(spec: dict) -> dict:
    """Plain faster-whisper on the same file: tiny.en int8, default options, no VAD."""
    from faster_whisper import WhisperModel

    model = WhisperModel(str(ROOT / "var" / "models" / "tiny.en"), device="cpu", compute_type="int8")
    started = time.perf_counter()
    segments, info = model.transcribe(spec["audio"], language="en")
    text = " ".join(s.text for s in segments)
    return {"total": time.perf_counter() - started, "duration": info.duration, "text": text}


def run_child(kind: str, **spec) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        spec["tmp"] = tmp
        out = subprocess.run(
            [sys.executable, __file__, "--child", kind, json.dumps(spec)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} workload failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- report ---------------------------------------------------------------------------------
def median_run(runs: int, kind: str, **spec) -> tuple[dict, list[dict]]:
    results = [run_child(kind, **spec) for _ in range(runs)]
    results.sort(key=lambda r: r["total"])
    return results[len(results) // 2], results


def row(label: str, value: str, yardstick: str = "", note: str = "") -> None:
    print(f"| {label:<46} | {value:>18} | {yardstick:>18} | {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per speed workload (median reported)")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--long-minutes", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="one run each, skip the long call")
    parser.add_argument("--suite-calls", type=int, default=8, help="code-switched calls (0: skip the suite)")
    parser.add_argument(
        "--suite-first-seed",
        type=int,
        default=1000,
        help="first seed of the code-switched suite (fresh draws: 1064 on)",
    )
    parser.add_argument(
        "--suite-sentences",
        choices=["tests", "fresh"],
        default="tests",
        help="the suite's sentence bank: the tests' own, or benchmarks/codeswitch_bank.py's (report on seeds from 1600: earlier draws were tuned on)",
    )
    parser.add_argument("--dual-calls", type=int, default=8, help="dual-channel calls with cross-talk (0: skip)")
    parser.add_argument("--skip-long", action="store_true", help="skip the 10-minute calls too (quality only)")
    parser.add_argument("--skip-conditions", action="store_true", help="skip sample.wav in other recording conditions")
    parser.add_argument("--child")
    parser.add_argument("spec", nargs="?")
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.spec)
        print(json.dumps(child(spec) if args.child == "pipeline" else yardstick_child(spec)))
        return
    runs = 1 if args.quick else args.runs
    from annotation.pipeline.model_store import prepare_all

    prepare_all(ROOT / "var" / "models")
    folder = Path(tempfile.mkdtemp(prefix="annotera-bench-"))
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# Machine-pass benchmark ({os.cpu_count()} CPUs, load average {load}; medians of {runs} run(s))\n")
    print(f"| {'workload / figure':<46} | {'Annotera':>18} | {'yardstick':>18} | note")
    print(f"|{'-' * 48}|{'-' * 20}|{'-' * 20}|------")

    sample = sample_dir() / "sample.wav"
    result, _ = median_run(runs, "pipeline", audio=str(sample))
    reference = " ".join(
        line.split(maxsplit=5)[5] for line in (sample_dir() / "sample.stm").read_text().splitlines() if line.strip()
    )
    plain = run_child("yardstick", audio=str(sample))
    rttm = [
        (p[7], float(p[3]), float(p[3]) + float(p[4]))
        for p in map(str.split, (sample_dir() / "sample.rttm").read_text().splitlines())
    ]
    row(
        "sample.wav (30 s real call): WER tiny.en",
        f"{wer(normalise(reference), normalise(result['text'])):.1%}",
        f"{wer(normalise(reference), normalise(plain['text'])):.1%}",
        "goal <= 15%; yardstick: plain faster-whisper",
    )
    row("sample.wav: speech coverage", f"{result['coverage']:.3f}", "", "goal >= 0.99")
    parts = der(rttm, result["spans"])
    row(
        "sample.wav: DER, offline mono diarization",
        der_text(parts),
        "",
        f"goal <= 20%; {result['speakers']} speakers found (truth 2); {der_note(parts)}",
    )
    if not args.skip_conditions:
        clean = (wer(normalise(reference), normalise(result["text"])), der(rttm, result["spans"])["der"])
        conditions = recording_conditions(sample, folder)
        out = run_child("pipeline", audios=[str(p) for _, p in conditions])
        for (label, _), call in zip(conditions, out["calls"], strict=True):
            row(
                f"sample.wav {label}",
                f"WER {wer(normalise(reference), normalise(call['text'])):.1%}, DER {der(rttm, call['spans'])['der']:.1%}",
                f"WER {clean[0]:.1%}, DER {clean[1]:.1%}",
                f"yardstick: the same call as recorded; {call['channels']} channel(s) processed, {call['speakers']}"
                f" speakers, {call['turns']} turns (as recorded: {result['turns']}), coverage {call['coverage']:.3f}",
            )
    dual, truth = synthetic_dual(folder)
    dual_result = run_child("pipeline", audio=str(dual))
    parts = der(truth, dual_result["spans"])
    row(
        "synthetic dual-channel call: DER",
        der_text(parts),
        "",
        f"goal ~0; {der_note(parts)} (reference spans include pauses inside utterances)",
    )
    row("synthetic dual-channel call: speech coverage", f"{dual_result['coverage']:.3f}", "", "goal >= 0.99")
    if args.dual_calls:
        suite = dual_channel_suite(folder, args.dual_calls)
        out = run_child("pipeline", audios=[str(p) for p, _ in suite])
        ders = sorted(  # of the turns' boundaries (what the annotator sees and the exports carry)
            der(truth, call["turn_spans"])["der"] for (_, truth), call in zip(suite, out["calls"], strict=True)
        )
        word_ders = sorted(
            der(truth, call["spans"])["der"] for (_, truth), call in zip(suite, out["calls"], strict=True)
        )
        roles = {"CH0": "agent", "CH1": "customer"}  # the suite's channel layout
        leaked = sum(  # turns with no speech of their own channel's speaker: cross-talk made into a turn
            not any(min(e, te) > max(s, ts) for who, ts, te in truth if who == roles.get(label))
            for (_, truth), call in zip(suite, out["calls"], strict=True)
            for label, s, e in call["turn_spans"]
        )
        row(
            f"dual-channel suite ({len(suite)} calls, -20 dB cross-talk): turn DER",
            f"median {ders[len(ders) // 2]:.1%}",
            f"max {ders[-1]:.1%}",
            f"goal within 2% of the channel truth; {leaked} turns made of cross-talk alone; of the words' times:"
            f" median {word_ders[len(word_ders) // 2]:.1%}, max {word_ders[-1]:.1%}",
        )

    if args.suite_calls:
        from annotation.pipeline.codeswitch_fixtures import LANGUAGES
        from benchmarks.codeswitch_bank import FRESH_SENTENCES

        bank = FRESH_SENTENCES if args.suite_sentences == "fresh" else None
        suite = code_switched_suite(folder, args.suite_calls, first_seed=args.suite_first_seed, sentences=bank)
        for label, candidates in (("open set", []), ("languages declared", list(LANGUAGES))):
            out = run_child("pipeline", audios=[str(p) for p, _ in suite], candidates=candidates)
            right = total = 0
            misses: dict[str, int] = {}
            for (_, truth), call in zip(suite, out["calls"], strict=True):
                r, t = utterance_language_accuracy(truth, call["turn_languages"], misses)
                right, total = right + r, total + t
            coverages = [c["coverage"] for c in out["calls"]]
            row(
                f"code-switched suite ({len(suite)} calls), {label}: language",
                f"{right / total:.1%} of {total}",
                "",
                f"goal >= 95% of utterances; wrong by true language: {misses or 'none'}",
            )
            row(
                f"code-switched suite, {label}: coverage",
                f"min {min(coverages):.3f}",
                "",
                f"goal >= 0.99 on every call; {sum(c['untranscribed'] for c in out['calls'])} untranscribed turns",
            )

    if args.skip_long:
        return
    long_call = tiled_sample(args.minutes, folder)
    from annotation.pipeline.asr import supported_compute_type

    # The compute type the children's pipeline actually runs (its device and wish, as settings read them).
    device = os.environ.get("WHISPER_DEVICE", "cpu")
    compute_type = supported_compute_type(device, os.environ.get("WHISPER_COMPUTE_TYPE", "int16"))
    for model, goal in (("tiny.en", 10), ("base", 4)):
        result, _ = median_run(runs if model == "tiny.en" else 1, "pipeline", audio=str(long_call), model=model)
        duration = result["duration"]
        plain = run_child("yardstick", audio=str(long_call)) if model == "tiny.en" else None
        label = f"{args.minutes:g}-min mono call, {model} {compute_type}{'' if device == 'cpu' else ' on ' + device}: end-to-end"
        ratio = f"; {plain['total'] / result['total']:.2f}x the yardstick's speed (goal >= 0.75)" if plain else ""
        row(
            label,
            f"{duration / result['total']:.1f}x realtime",
            f"{duration / plain['total']:.1f}x realtime" if plain else "",
            f"goal >= {goal}x{ratio}; {result['turns']} turns; coverage {result['coverage']:.3f}",
        )
        if model == "tiny.en":
            row("  DER against sample.rttm tiled, by quarter of the call", *tiled_ders(rttm, result, long_call))
        for stage, seconds in result["stages"].items():
            row(
                f"  stage {stage}",
                f"{seconds:.1f} s ({duration / max(seconds, 1e-9):.0f}x)",
                "",
                "goal >= 100x" if stage == "prosody" else "",
            )
        row("  peak RSS", f"{result['peak_rss_mb']:.0f} MB", "", "")

    if not args.quick:
        hour = tiled_sample(args.long_minutes, folder)
        result = run_child("pipeline", audio=str(hour))
        row(
            f"{args.long_minutes:g}-min mono call, tiny.en: peak RSS",
            f"{result['peak_rss_mb']:.0f} MB",
            "",
            f"goal < 3072 MB; {result['duration'] / result['total']:.1f}x realtime",
        )


if __name__ == "__main__":
    main()
