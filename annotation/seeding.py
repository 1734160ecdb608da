"""Seeding a call's turns from an imported file (Label Studio JSON, TextGrid, RTTM).

The parsing and validation live in ``annotation.turn_files``; this is the write. It replaces the
call's machine turns only while no one has annotated them, and does it in one transaction, so
a rejected or failed import leaves the call exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from annotera.audit import audit_record

from .jobs import pipeline_start
from .labelstudio_reader import read_labelstudio_task
from .models import Call, Speaker, Turn, TurnAnnotation
from .services import TURNS_IMPORTED, turns_replace, upload_display_name
from .storage import pcm_path
from .textgrid_reader import read_textgrid, textgrid_left_out
from .turn_files import decode_text, parse_turns, rttm_left_out

# Shown after the counts of what a file held besides its turns.
NOT_IMPORTED_WHY = "turn import brings in turns and text only"


class SeedRefused(ValueError):
    pass


@dataclass(frozen=True)
class SeedResult:
    turns: int
    speakers: int
    created_speakers: int
    rerun_from: str = ""  # the machine-pass stage re-queued for the new turns, if any
    # What the file held that did not become turns, counted by the format's reader:
    # {"emotion labels": 24, "labelled intervals of tier 'A|consensus'": 4}.
    not_imported: dict[str, int] = field(default_factory=dict)

    @property
    def not_imported_message(self) -> str:
        """ "24 emotion labels and 6 sentiment choices in the file were not imported: turn
        import brings in turns and text only." ("" when the file held nothing else)."""
        if not self.not_imported:
            return ""
        parts = [f"{n} {what if n != 1 else _singular(what)}" for what, n in self.not_imported.items()]
        listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        verb = "was" if len(parts) == 1 and next(iter(self.not_imported.values())) == 1 else "were"
        return f"{listed} in the file {verb} not imported: {NOT_IMPORTED_WHY}."


PLURALS = {"labels", "choices", "texts", "numbers", "ratings", "results", "intervals", "points", "lines"}


def _singular(what: str) -> str:
    """ "emotion labels" -> "emotion label", "labelled intervals of tier 'A'" -> "labelled interval of tier 'A'"."""
    words = what.split(" ")
    k = next((i for i, w in enumerate(words) if w in PLURALS), None)
    if k is not None:
        words[k] = words[k].removesuffix("s")
    return " ".join(words)


def import_file_name(upload) -> str:
    """The uploaded turn file's name as refusals and confirmations quote it (last path
    component, no control characters), or "the file" when it has none."""
    shown = upload_display_name(getattr(upload, "name", "") or "")
    return f"'{shown}'" if shown else "the file"


def file_left_out(fmt: str, data: bytes) -> dict[str, int]:
    """What a turn file that ``parse_turns`` accepted holds besides the turns it imports, as its
    reader counts it (Label Studio: other controls and other annotations or predictions;
    TextGrid: tiers that are not turns or transcripts; RTTM: records other than SPEAKER)."""
    if fmt == "labelstudio":
        return read_labelstudio_task(decode_text(data)).left_out
    if fmt == "textgrid":
        return textgrid_left_out(read_textgrid(decode_text(data)))
    if fmt == "rttm":
        return rttm_left_out(decode_text(data))
    return {}


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
        left_out = file_left_out(fmt, data)
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
                     after={"format": fmt, "turns": len(seeds), "not_imported": left_out})  # fmt: skip
        rerun_from = ""
        if rerun and pcm_path(call).exists():
            pipeline_start(call=call, from_stage="prosody", keep_ready=True)  # sent after commit
            rerun_from = "prosody"
    return SeedResult(
        turns=len(seeds),
        speakers=len({s.speaker for s in seeds}),
        created_speakers=created,
        rerun_from=rerun_from,
        not_imported=left_out,
    )
