"""espeak-ng fixtures with one prosody cue pushed at a time, for tests and the suggestions benchmark."""

from __future__ import annotations

import numpy as np

from annotation.pipeline.audio import SAMPLE_RATE
from annotation.pipeline.prosody import call_prosody
from annotation.pipeline.suggest import (
    SEED_PHRASES,
    CueThresholds,
    TurnInput,
    baseline_deltas,
    prosody_cues,
    suggest_turns,
)
from annotation.pipeline.synth import Utterance, render_call
from annotation.pipeline.types import TurnDraft, Word

NEUTRAL_TEXTS = [
    "I would like to know when the engineer is going to arrive at my house",
    "My account number is on the letter you sent me last week",
    "The router has a green light and a blue light on the front",
    "I moved to the new address at the beginning of the month",
    "Could you tell me which plan I am on at the moment",
    "The bill came by email on Tuesday afternoon",
]
PUSHED_TEXT = "I have been waiting for the technician since early this morning"

# cue -> how the pushed turn differs from the speaker's neutral turns
PUSHES: dict[str, dict] = {
    "pitch_rise": {"pitch": 90},
    "fast": {"rate": 270},
    "long_pauses": {"word_gap": 110},
    "flat": {"pitch_range": "x-low"},
    "loud": {"amplitude": 200},
}
VOICES = [
    {"voice": "en-us+m3", "pitch": 40},
    {"voice": "en-gb+f3", "pitch": 60},
    {"voice": "en-us+m7", "pitch": 45},
    {"voice": "en-gb+f4", "pitch": 55},
]


def speaker_script(voice: dict, cue: str | None, amplitude: int = 90) -> list[tuple[Utterance, str | None]]:
    """Six neutral turns then the pushed (or, with cue None, one more neutral control) turn."""
    base = {"voice": voice["voice"], "pitch": voice["pitch"], "rate": 165, "amplitude": amplitude}
    turns = [(Utterance("s", text, **base), None) for text in NEUTRAL_TEXTS]
    pushed = {**base, **(PUSHES[cue] if cue else {})}
    turns.append((Utterance("s", PUSHED_TEXT, **pushed), cue))
    return turns


def measure_turns(script: list[tuple[Utterance, str | None]], transcriber) -> tuple[list, dict]:
    """Render and transcribe (real word timings) each turn, then measure prosody.

    Returns (turns with prosody, the speaker's baseline)."""
    audio, spans = render_call([u for u, _ in script])
    mono = audio[0]
    turns = []
    for span in spans:
        clip = mono[int(span.start * SAMPLE_RATE) : int(span.end * SAMPLE_RATE)]
        segments, _ = transcriber.transcribe(np.asarray(clip), regions=[(0.0, span.end - span.start)])
        words = [
            Word(w.text, span.start + w.start, span.start + w.end, w.probability, "S")
            for s in segments
            for w in s.words
        ]
        turns.append(TurnDraft("S", span.start, span.end, words or [Word("x", span.start, span.end, 1.0, "S")]))
    baselines = call_prosody(turns, lambda _turn: mono)
    return turns, baselines["S"]


def measure_inputs(script: list[tuple[Utterance, str | None]], transcriber) -> list[TurnInput]:
    """Render, transcribe (real word timings) and measure each turn of a script: the inputs of
    ``suggest_turns``, each turn's prosody with its ``baseline_delta`` against the speaker."""
    turns, baseline = measure_turns(script, transcriber)
    return [
        TurnInput(
            t.text, "en", {**t.prosody, "baseline_delta": baseline_deltas(t.prosody, baseline)}, "S", t.start, t.end
        )
        for t in turns
    ]


def measure_script(
    script: list[tuple[Utterance, str | None]], transcriber, thresholds=None
) -> list[tuple[str | None, dict]]:
    """Render, transcribe (real word timings), measure prosody and cues for each turn.

    Returns (pushed cue or None, fired cues) per turn.
    """
    inputs = measure_inputs(script, transcriber)
    return [
        (cue, prosody_cues(turn.prosody, thresholds or CueThresholds()))
        for turn, (_, cue) in zip(inputs, script, strict=True)
    ]


def suggest_script(script: list[tuple[Utterance, str | None]], transcriber, labels: list[str]) -> list:
    """The rule suggestions (``suggest_turns``) for each turn of a rendered script."""
    inputs = measure_inputs(script, transcriber)
    return suggest_turns(inputs, labels, {k: v for k, v in SEED_PHRASES.items() if k in labels})
