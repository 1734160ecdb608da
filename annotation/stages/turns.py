"""Turns: speaker- and language-homogeneous, holding every second of speech (coverage)."""

from __future__ import annotations

import logging

from django.conf import settings

from ..coverage import channel_of, speech_coverage
from ..models import Call, ProcessingJob, Speaker, Turn
from ..pipeline.language import LanguageRegion, span_language
from ..pipeline.speech import close_coverage_gaps, stretches_within, within_recording
from ..pipeline.turns import build_turns, guess_roles
from ..pipeline.types import SpeechPiece, TurnDraft, Word
from ..services import turns_replace
from .base import CommitFn, ProgressFn, previous_result

logger = logging.getLogger(__name__)


def turn_channel(turn: TurnDraft, channels: int) -> int | None:
    return channel_of(turn.speaker) if channels > 1 else None


def call_coverage(speech: list[list[list[float]]], turns: list[TurnDraft], channels: int) -> float:
    """Speech seconds inside turns / speech seconds, each channel against its own turns."""
    return speech_coverage(speech, [(t.start, t.end, t.speaker) for t in turns], channels)


def stage_turns(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    channels = call.channels or 1
    diarized = previous_result(call, "diarize")
    transcribed = previous_result(call, "transcribe")
    words = [Word.from_dict(w, speaker=w["spk"]) for w in diarized["words"]]
    pieces = [SpeechPiece.from_dict(p, speaker=p["spk"]) for p in diarized.get("pieces", [])]
    duration = call.duration or float("inf")
    speech = [stretches_within([(float(s), float(e)) for s, e in c], duration) for c in transcribed.get("speech", [])]
    words, pieces = within_recording(words, duration), within_recording(pieces, duration)
    turns = build_turns(words, pieces=pieces, pause_split=settings.TURN_PAUSE_SPLIT_SECONDS)
    for channel, stretches in enumerate(speech):
        mine = [t for t in turns if channels == 1 or turn_channel(t, channels) == channel]
        close_coverage_gaps(mine, stretches)
    turns.sort(key=lambda t: (t.start, t.end))
    regions: dict[int | None, list[LanguageRegion]] = {}
    for data in transcribed.get("regions", []):
        regions.setdefault(data.get("channel") if channels > 1 else None, []).append(LanguageRegion.from_dict(data))
    call_language = transcribed.get("language") or (turns[0].language if turns else "")
    for turn in turns:
        language, confidence = span_language(regions.get(turn_channel(turn, channels), []), turn.start, turn.end)
        turn.language = turn.language or language or call_language
        turn.language_confidence = confidence if language == turn.language else None
        turn.code_switch = bool(turn.language and call_language and turn.language != call_language)
    coverage = call_coverage(speech, turns, channels)
    if coverage < settings.SPEECH_COVERAGE_MIN:
        logger.error(
            "call %s: only %.1f%% of the speech is inside a turn (minimum %.0f%%); speech is being lost",
            call.pk,
            100 * coverage,
            100 * settings.SPEECH_COVERAGE_MIN,
        )
    channel_roles = {}
    if channels > 1 and call.channel_roles:
        channel_roles = {f"CH{i}": role for i, role in enumerate(call.channel_roles)}
    roles = guess_roles(turns, channel_roles)
    progress(90, "turns built")

    def commit() -> dict:
        call.clear_machine_output()
        speakers = {}
        for label, role in roles.items():
            channel = channel_of(label) if label.startswith("CH") else None
            speakers[label] = Speaker.objects.create(call=call, label=label, role=role, channel=channel)
        turns_replace(
            call=call,
            turns=(
                Turn(
                    speaker=speakers[t.speaker],
                    start=round(t.start, 3),
                    end=round(t.end, 3),
                    text=t.text,
                    words=[w.to_dict() for w in t.words],
                    language=t.language,
                    language_confidence=t.language_confidence,
                    code_switch=t.code_switch,
                    untranscribed=t.untranscribed,
                )
                for t in turns
            ),
        )
        Call.objects.filter(pk=call.pk).update(language=call_language, coverage=coverage)
        return {
            "turns": len(turns),
            "speakers": len(speakers),
            "language": call_language,
            "coverage": coverage,
            "untranscribed_turns": sum(t.untranscribed for t in turns),
            "code_switch_turns": sum(t.code_switch for t in turns),
            "switches_inside_turns": sum(len(t.language_switches) for t in turns),
            "model_version": "",
        }

    return commit
