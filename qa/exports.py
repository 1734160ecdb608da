"""Dataset export writers. JSONL (one record per turn) is the reference format."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

from annotation.models import Project, Turn

FORMATS = ("jsonl",)


def turn_records(project: Project) -> Iterator[dict]:
    """One record per turn of every ready call, streamed in call/turn order."""
    turns = (
        Turn.objects.filter(call__project=project, call__status="ready")
        .select_related("call", "speaker")
        .prefetch_related("annotations__assignment", "suggestions")
        .order_by("call_id", "order")
    )
    for turn in turns.iterator(chunk_size=500):
        annotations = [a for a in turn.annotations.all() if not a.skipped]
        yield {
            "call": turn.call_id,
            "call_name": turn.call.original_name,
            "turn": turn.order,
            "start": turn.start,
            "end": turn.end,
            "speaker": turn.speaker.label,
            "speaker_role": turn.speaker.role,
            "language": turn.language,
            "code_switch": turn.code_switch,
            "text": turn.text,
            "words": turn.words,
            "prosody": {k: v for k, v in turn.prosody.items() if k != "contour"},
            "suggestions": [
                {"labels": s.labels, "valence": s.valence, "arousal": s.arousal, "model_version": s.model_version}
                for s in turn.suggestions.all()
            ],
            "annotations": [
                {
                    "annotator": a.assignment.annotator_id,
                    "labels": a.labels,
                    "valence": a.valence,
                    "arousal": a.arousal,
                    "shifts": a.shifts,
                    "taxonomy_version": a.taxonomy_id,
                }
                for a in annotations
            ],
        }


def write_jsonl(project: Project, out_dir: Path) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "turns.jsonl"
    tmp = path.with_suffix(".partial")
    digest = hashlib.sha256()
    count = 0
    with tmp.open("w", encoding="utf-8") as fh:
        for record in turn_records(project):
            line = json.dumps(record, ensure_ascii=False) + "\n"
            fh.write(line)
            digest.update(line.encode("utf-8"))
            count += 1
    tmp.replace(path)
    manifest = {
        "project": project.slug,
        "taxonomy": str(project.taxonomy),
        "files": {path.name: digest.hexdigest()},
        "turns": count,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest
