"""Generated calls for the export tests: Call/Speaker/Turn/Suggestion/TurnAnnotation rows built
directly, and each call's decoded PCM written where the decode stage would put it (a distinct
tone per turn, so a clip can be checked against the turn it came from)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

LABELS = ["frustration", "anger", "anxiety", "confusion", "satisfaction", "gratitude", "neutral"]
RATE = 16_000


@dataclass
class Built:
    calls: list = field(default_factory=list)
    annotators: list = field(default_factory=list)
    turns: list = field(default_factory=list)


def turn_frequency(call_index: int, order: int) -> float:
    return 200.0 + 40.0 * order + 7.0 * call_index


def write_pcm(call, spans: list[tuple[float, float, int | None, float]], channels: int, duration: float) -> None:
    """Silence with a tone over each (start, end, channel, hz) span; channel None = every channel."""
    from annotation.storage import pcm_path

    frames = int(duration * RATE)
    data = np.zeros((frames, channels), dtype="<f4")
    for start, end, channel, hz in spans:
        a, b = int(start * RATE), int(end * RATE)
        t = np.arange(b - a) / RATE
        tone = (0.5 * np.sin(2 * np.pi * hz * t)).astype("<f4")
        if channel is None:
            data[a:b, :] = tone[:, None]
        else:
            data[a:b, channel] = tone
    path = pcm_path(call)
    path.parent.mkdir(parents=True, exist_ok=True)
    data.tofile(path)


def build_calls(
    project,
    make_user,
    *,
    calls: int = 3,
    turns: int = 4,
    channels: int = 1,
    annotators: int = 3,
    audio: bool = True,
    language: str = "en",
    locales: tuple[str, ...] = ("en-IN", "en-GB"),
    agent_names: list[str] | None = None,
    seed: int = 0,
) -> Built:
    from annotation.models import AnnotatorProfile, Assignment, Call, Speaker, Suggestion, Turn, TurnAnnotation

    rng = np.random.default_rng(seed)
    built = Built()
    existing = AnnotatorProfile.objects.count()
    for k in range(annotators):
        user = make_user(f"annot{existing + k}", "annotator")
        AnnotatorProfile.objects.create(user=user, locales=["en-IN"] if k % 2 == 0 else ["en-GB", "hi-IN"])
        built.annotators.append(user)
    base_id = Call.objects.count()
    for c in range(calls):
        duration = 1.0 + turns * 2.0
        call = Call.objects.create(
            project=project,
            audio=f"calls/{project.pk}/gen{base_id + c}.wav",
            original_name=f"call-{base_id + c}.wav",
            sha256=f"{project.pk:08d}{base_id + c:056d}",
            duration=duration,
            sample_rate=RATE,
            channels=channels,
            language=language,
            locale=locales[c % len(locales)],
            status=Call.Status.READY,
        )
        Call.objects.filter(pk=call.pk).update(created_at=dt.datetime(2026, 1, 1 + c, tzinfo=dt.UTC))
        call.refresh_from_db()
        agent = Speaker.objects.create(
            call=call,
            label="SPEAKER_00",
            role="agent",
            channel=0 if channels == 2 else None,
            name=(agent_names[c] if agent_names else ""),
        )
        customer = Speaker.objects.create(
            call=call, label="SPEAKER_01", role="customer", channel=1 if channels == 2 else None
        )
        assignments = [Assignment.objects.create(call=call, annotator=u, status="submitted") for u in built.annotators]
        spans = []
        for t in range(turns):
            start, end = 0.5 + 2.0 * t, 0.5 + 2.0 * t + 1.5
            speaker = agent if t % 2 == 0 else customer
            hz = turn_frequency(c, t)
            spans.append((start, end, speaker.channel, hz))
            words = [
                {"w": "hello", "s": start, "e": start + 0.5, "p": 0.9},
                {"w": f"turn{t}", "s": start + 0.6, "e": end, "p": 0.8},
            ]
            turn = Turn.objects.create(
                call=call,
                speaker=speaker,
                order=t,
                start=start,
                end=end,
                text=f'hello "turn{t}" & <call {c}>',
                words=words,
                language=language,
                prosody={"pitch_mean": 180.0 + t, "energy": 0.1, "contour": [1, 2, 3]},
            )
            built.turns.append(turn)
            Suggestion.objects.create(
                turn=turn,
                labels=[{"label": "anger", "intensity": 3, "confidence": 0.7}],
                valence=-1.0,
                arousal=4.0,
                model_version="rules-v1",
            )
            truth = LABELS[(c + t) % len(LABELS)]
            for a, assignment in enumerate(assignments):
                chosen = truth if (a < 2 or rng.random() < 0.5) else LABELS[(c + t + 1) % len(LABELS)]
                labels = [{"label": chosen, "intensity": 1 + (t + a) % 5}]
                if a == 0 and t % 3 == 0:
                    labels.append({"label": "confusion", "intensity": None})
                # The second turn's emotion shifts to the chosen one: from an emotion tagged there too.
                before = "neutral" if chosen != "neutral" else "confusion"
                if t == 1:
                    labels.append({"label": before, "intensity": None})
                TurnAnnotation.objects.create(
                    assignment=assignment,
                    turn=turn,
                    taxonomy=project.taxonomy,
                    labels=labels,
                    valence=float(-1 + a),
                    arousal=float(2 + a),
                    shifts=[{"at": start + 0.7, "from": before, "to": chosen}] if t == 1 else [],
                )
        if audio:
            write_pcm(call, spans, channels, duration)
        built.calls.append(call)
    return built
