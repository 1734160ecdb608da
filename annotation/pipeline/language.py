"""Language per turn with a multilingual Whisper model; the call's language is the majority."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np

from .audio import SAMPLE_RATE
from .types import TurnDraft

MIN_DETECT_SECONDS = 1.0  # shorter turns inherit the call's language
DETECT_SECONDS = 10.0  # a turn's language is judged on its first 10 s


def detect_turn_languages(
    turns: list[TurnDraft],
    audio_for: Callable[[TurnDraft], np.ndarray],
    detect: Callable[[np.ndarray], tuple[str, float, list[tuple[str, float]]]],
    *,
    min_confidence: float = 0.5,
    progress: Callable[[float], None] | None = None,
) -> str:
    """Set ``language``, ``language_confidence`` and ``code_switch`` on every turn in place.

    Returns the call's language: the majority over turns weighted by duration. A turn whose
    detection is unsure (below ``min_confidence``) or too short to judge takes the call's
    language and is never flagged as a switch.
    """
    weights: Counter[str] = Counter()
    for index, turn in enumerate(turns):
        if turn.end - turn.start >= MIN_DETECT_SECONDS:
            code, confidence, _ = detect(audio_for(turn)[: int(DETECT_SECONDS * SAMPLE_RATE)])
            turn.language, turn.language_confidence = code, round(float(confidence), 3)
            if confidence >= min_confidence:
                weights[code] += turn.end - turn.start
        if progress:
            progress(100.0 * (index + 1) / len(turns))
    call_language = weights.most_common(1)[0][0] if weights else (turns[0].language if turns else "")
    for turn in turns:
        sure = turn.language_confidence is not None and turn.language_confidence >= min_confidence
        if not turn.language or not sure:
            turn.language = call_language
            turn.code_switch = False
        else:
            turn.code_switch = turn.language != call_language
    return call_language


def clip(samples: np.ndarray, start: float, end: float) -> np.ndarray:
    return np.asarray(samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)], dtype=np.float32)
