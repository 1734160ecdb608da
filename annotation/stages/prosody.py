"""Per-turn prosody against each speaker's own baseline."""

from __future__ import annotations

from ..models import ProcessingJob, Speaker, Turn
from ..pipeline.prosody import call_prosody
from ..pipeline.types import TurnDraft, Word
from .base import CommitFn, ProgressFn, call_samples


def stage_prosody(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    samples = call_samples(call)
    rows = list(Turn.objects.filter(call=call).select_related("speaker").order_by("order"))
    drafts = [
        TurnDraft(
            speaker=row.speaker.label,
            start=row.start,
            end=row.end,
            words=[Word.from_dict(w) for w in row.words],
        )
        for row in rows
    ]
    channel_of = {row.speaker.label: row.speaker.channel or 0 for row in rows}
    baselines = call_prosody(
        drafts, lambda t: samples[channel_of[t.speaker]], progress=lambda p: progress(p, "prosody")
    )

    def commit() -> dict:
        for row, draft in zip(rows, drafts, strict=True):
            row.prosody = draft.prosody
        Turn.objects.bulk_update(rows, ["prosody"], batch_size=500)
        for speaker in Speaker.objects.filter(call=call):
            speaker.baseline = baselines.get(speaker.label, {})
            speaker.save(update_fields=["baseline"])
        return {"turns": len(rows), "model_version": "praat-parselmouth"}

    return commit
