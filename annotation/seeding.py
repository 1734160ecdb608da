"""Seeding a call's turns from an imported file (Label Studio JSON, TextGrid, RTTM).

The parsing and validation live in ``annotation.turn_files``; this is the write. It replaces the
call's machine turns only while no one has annotated them, and does it in one transaction, so
a rejected or failed import leaves the call exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from annotera.audit import audit_record

from .jobs import pipeline_start
from .models import Call, Speaker, Turn, TurnAnnotation
from .services import TURNS_IMPORTED, turns_replace
from .storage import pcm_path
from .turn_files import parse_turns


class SeedRefused(ValueError):
    pass


@dataclass(frozen=True)
class SeedResult:
    turns: int
    speakers: int
    created_speakers: int
    rerun_from: str = ""  # the machine-pass stage re-queued for the new turns, if any


def call_turns_seed(*, call: Call, fmt: str, data: bytes, rerun: bool = True, actor=None) -> SeedResult:
    """Replace the call's turns with the file's. With ``rerun`` (and the call's decoded audio at
    hand) prosody and suggestions are recomputed for the new turns after commit."""
    with transaction.atomic():
        call = Call.objects.select_for_update().get(pk=call.pk)
        if TurnAnnotation.objects.filter(turn__call=call).exists():
            raise SeedRefused("this call already has annotations; importing turns would discard them")
        if call.status in (Call.Status.QUEUED, Call.Status.PROCESSING):
            raise SeedRefused("the machine pass is running on this call and would replace the imported turns; "
                              "import them when it has finished")  # fmt: skip
        existing = {s.label: s for s in call.speakers.all()}
        seeds = parse_turns(fmt, data, duration=call.duration, known_speakers=list(existing) or None)
        speakers = dict(existing)
        created = 0
        for seed in seeds:
            if seed.speaker not in speakers:
                speakers[seed.speaker] = Speaker.objects.create(call=call, label=seed.speaker)
                created += 1
        turns_replace(
            call=call,
            turns=(
                Turn(
                    speaker=speakers[seed.speaker],
                    start=round(seed.start, 3),
                    end=round(seed.end, 3),
                    text=seed.text,
                    language=call.effective_language,
                )
                for seed in seeds
            ),
        )
        # People's turns: a later re-run of the machine pass must not replace them (call_human_work).
        audit_record(actor=actor, action=TURNS_IMPORTED, obj=call, project=call.project,
                     after={"format": fmt, "turns": len(seeds)})  # fmt: skip
        rerun_from = ""
        if rerun and pcm_path(call).exists():
            pipeline_start(call=call, from_stage="prosody", keep_ready=True)  # sent after commit
            rerun_from = "prosody"
    return SeedResult(
        turns=len(seeds), speakers=len({s.speaker for s in seeds}), created_speakers=created, rerun_from=rerun_from
    )
