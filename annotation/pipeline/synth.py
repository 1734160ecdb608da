"""Synthetic calls with known speakers, times and prosody, made with espeak-ng.

Used by the demo project, the tests and the benchmarks: each utterance's voice, pitch, rate,
amplitude and word gap are chosen, so the ground truth (who spoke when, which cue was pushed)
is known exactly.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import soundfile as sf
import soxr

from .audio import SAMPLE_RATE


@dataclass(frozen=True)
class Utterance:
    speaker: str  # e.g. "agent" / "customer"
    text: str
    voice: str = "en-us"
    pitch: int = 50  # espeak-ng -p, 0..99
    rate: int = 165  # espeak-ng -s, words per minute
    amplitude: int = 100  # espeak-ng -a, 0..200
    word_gap: int = 0  # espeak-ng -g, in 10 ms units
    pause_before: float = 0.6  # seconds of silence before this utterance
    pitch_range: str = ""  # SSML prosody range (e.g. "x-low" for a monotone); empty: espeak's default


@dataclass(frozen=True)
class SpokenSpan:
    speaker: str
    start: float
    end: float
    text: str


def require_espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    return exe


def speak(utterance: Utterance) -> np.ndarray:
    """One utterance as mono float32 at 16 kHz, leading/trailing silence trimmed."""
    text, ssml = utterance.text, []
    if utterance.pitch_range:
        text = f'<speak><prosody range="{utterance.pitch_range}">{escape(utterance.text)}</prosody></speak>'
        ssml = ["-m"]
    out = subprocess.run(
        [
            require_espeak(),
            "--stdout",
            *ssml,
            "-v",
            utterance.voice,
            "-p",
            str(utterance.pitch),
            "-s",
            str(utterance.rate),
            "-a",
            str(utterance.amplitude),
            "-g",
            str(utterance.word_gap),
            text,
        ],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    data, rate = sf.read(io.BytesIO(out), dtype="float32")
    if data.ndim > 1:
        data = data.mean(axis=1)
    data = soxr.resample(data, rate, SAMPLE_RATE).astype(np.float32)
    voiced = np.flatnonzero(np.abs(data) > 1e-3)
    return data[voiced[0] : voiced[-1] + 1] if voiced.size else data


def render_call(
    utterances: list[Utterance], channels_by_speaker: dict[str, int] | None = None, tail: float = 0.5
) -> tuple[np.ndarray, list[SpokenSpan]]:
    """Lay utterances end to end (each after its ``pause_before``).

    With ``channels_by_speaker`` the result is (channels, frames), each speaker on its channel;
    without it, a mono (1, frames) mix. Returns the samples and the true spans.
    """
    clips = [speak(u) for u in utterances]
    spans: list[SpokenSpan] = []
    cursor = 0.0
    for utterance, clip in zip(utterances, clips, strict=True):
        cursor += utterance.pause_before
        spans.append(
            SpokenSpan(
                utterance.speaker, round(cursor, 3), round(cursor + clip.shape[0] / SAMPLE_RATE, 3), utterance.text
            )
        )
        cursor += clip.shape[0] / SAMPLE_RATE
    frames = int((cursor + tail) * SAMPLE_RATE)
    n_channels = (max(channels_by_speaker.values()) + 1) if channels_by_speaker else 1
    mix = np.zeros((n_channels, frames), dtype=np.float32)
    for span, clip in zip(spans, clips, strict=True):
        channel = channels_by_speaker[span.speaker] if channels_by_speaker else 0
        first = int(span.start * SAMPLE_RATE)
        mix[channel, first : first + clip.shape[0]] += clip
    # A little noise floor, as on a real line (and so no channel is digitally silent).
    rng = np.random.default_rng(0)
    mix += rng.normal(0, 2e-4, mix.shape).astype(np.float32)
    return np.clip(mix, -1, 1), spans


def write_wav(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples.T, SAMPLE_RATE, subtype="PCM_16")
    return path


AGENT_VOICE = {"voice": "en-us+m3", "pitch": 40}
CUSTOMER_VOICE = {"voice": "en-gb+f3", "pitch": 65}


def demo_support_call() -> list[Utterance]:
    """A short, escalating support call: agent on one voice, customer on another."""
    a, c = AGENT_VOICE, CUSTOMER_VOICE
    return [
        Utterance("agent", "Thank you for calling Northwind support, my name is Sam. How can I help you today?", **a),
        Utterance("customer", "Hi. My internet has been down since yesterday morning.", **c),
        Utterance("agent", "I'm sorry to hear that. Can I have your account number, please?", **a),
        Utterance("customer", "Um... I think it is... four five one two, eight eight.", word_gap=30, **c),
        Utterance("agent", "Thank you. I can see an outage in your area.", **a),
        Utterance(
            "customer",
            "This is ridiculous! This is the third time this month!",
            rate=230,
            amplitude=170,
            voice=c["voice"],
            pitch=85,
        ),
        Utterance("agent", "I completely understand. I have added a credit of twenty dollars to your account.", **a),
        Utterance("customer", "Oh, okay. That's a relief, thank you so much.", **c),
    ]
