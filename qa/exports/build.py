"""Write a dataset: records through the chosen writers, then the data card and the manifest."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from django.utils import timezone

from annotation.corrections import call_unassigned_words
from annotation.models import Call, Project
from annotera.background import ProgressFn

from . import WRITERS
from .base import AUDIO_DIR, ExportContext, LabelScale
from .datacard import DatasetStats, agreement_headlines, build_datacard, datacard_markdown
from .records import ExportError, ExportFilters, filter_effects, iter_records, selected_turns
from .splits import SPLITS, project_splits

SCHEMA_VERSION = 1


def validate_formats(formats: Sequence[str]) -> list[str]:
    chosen = [f.strip().lower() for f in formats if f and f.strip()]
    if not chosen:
        raise ExportError("choose at least one format.", field="formats")
    unknown = [f for f in chosen if f not in WRITERS]
    if unknown:
        raise ExportError(f"unknown format {', '.join(unknown)}; available: {', '.join(WRITERS)}.", field="formats")
    return list(dict.fromkeys(chosen))


def label_scale(taxonomy) -> LabelScale:
    scale = LabelScale(keys=list(taxonomy.labels.order_by("order", "key").values_list("key", flat=True)))
    for dim in taxonomy.dimensions.all():
        if dim.key in ("intensity", "valence", "arousal"):
            setattr(scale, dim.key, (float(dim.minimum), float(dim.maximum)))
    return scale


def export_write(
    *,
    project: Project,
    formats: Sequence[str],
    out_dir: Path,
    filters: ExportFilters = ExportFilters(),
    split_ratios: Sequence[float] | None = None,
    split_seed: int = 0,
    snapshot_id: int | None = None,
    agreement_bootstrap: int = 200,
    progress: ProgressFn | None = None,
    created_at: dt.datetime | None = None,
) -> dict:
    """Write every chosen format under ``out_dir`` and return the manifest (also written there).

    ``created_at`` (the snapshot's creation time) is the date the files carry; with the same
    snapshot, two builds write the same bytes, the manifest's ``built_at`` aside."""
    formats = validate_formats(formats)
    taxonomy = project.taxonomy
    turns = selected_turns(project, filters)
    total = turns.count()
    filtered_out = filter_effects(project, filters)  # before the build: the same rows the records read
    splits: dict[int, str] = {}
    if split_ratios:
        call_ids = list(turns.order_by().values_list("call_id", flat=True).distinct())
        splits = project_splits(call_ids, split_ratios, split_seed)
    ctx = ExportContext(root=out_dir, scale=label_scale(taxonomy), created_at=created_at or timezone.now())
    writers = [WRITERS[f](ctx) for f in formats]
    stats = DatasetStats()
    last = 0.0
    for n, record in enumerate(iter_records(project, filters, splits=splits, calls=ctx.calls), start=1):
        for writer in writers:
            writer.write(record)
        stats.add(record)
        if progress and (n == total or time.monotonic() - last > 0.5):
            last = time.monotonic()
            progress(90.0 * n / max(1, total), f"{n} of {total} turn{'' if total == 1 else 's'}")
    for writer in writers:
        writer.close()
    stats.unassigned_words = write_unassigned_words(ctx, sorted(stats.calls))
    if progress:
        progress(92.0, "data card")
    taxonomy_info = {"id": taxonomy.pk, "slug": taxonomy.slug, "version": taxonomy.version, "labels": ctx.scale.keys}
    agreement = agreement_headlines(project, filters.languages, agreement_bootstrap) if agreement_bootstrap >= 0 else {}
    card = build_datacard(
        project=project,
        snapshot_id=snapshot_id,
        stats=stats,
        filters=filters.as_dict(),
        filtered_out=filtered_out,
        formats=formats,
        taxonomy=taxonomy_info,
        agreement=agreement,
        audio=audio_note(formats),
    )
    ctx.write_text("datacard.json", json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    ctx.write_text("datacard.md", datacard_markdown(card))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "snapshot": snapshot_id,
        "project": project.slug,
        "taxonomy": taxonomy_info,
        "formats": formats,
        "filters": filters.as_dict(),
        "filtered_out": filtered_out,
        "split": {"ratios": dict(zip(SPLITS, split_ratios, strict=True)), "seed": split_seed} if split_ratios else None,
        "counts": stats.counts(),
        "created_at": ctx.created_at.isoformat(),
        "built_at": timezone.now().isoformat(),
        "audio": audio_note(formats),
        "file_count": ctx.files.count,
        "bytes": ctx.files.bytes,
    }
    write_manifest(out_dir / "manifest.json", manifest, ctx.files.lines())
    ctx.files.close()
    if progress:
        progress(100.0, "done")
    return manifest


UNASSIGNED_FILE = "unassigned_words.jsonl"


def write_unassigned_words(ctx: ExportContext, call_ids: list[int]) -> int:
    """Words of the exported calls that no turn holds (a boundary correction left them in a gap):
    one line per such call in ``unassigned_words.jsonl``, so no transcribed speech leaves the
    dataset unsaid. Returns how many words (the file is written only when there are some)."""
    lines, count = [], 0
    for call in Call.objects.filter(pk__in=call_ids).exclude(words=[]).order_by("pk").only("pk", "words"):
        words = call_unassigned_words(call)
        if words:
            count += len(words)
            items = [{"speaker": w.get("spk", ""), "start": w["s"], "end": w["e"], "text": w["w"],
                      **({"language": w["l"]} if w.get("l") else {}),
                      **({"joined": True} if w.get("j") else {})} for w in words]  # fmt: skip
            lines.append(json.dumps({"call": call.pk, "words": items}, ensure_ascii=False) + "\n")
    if lines:
        ctx.write_text(UNASSIGNED_FILE, "".join(lines))
    return count


REFERENCING = ("eaf", "emotionml", "labelstudio")  # formats whose files point at the call audio


def audio_note(formats: Sequence[str]) -> dict:
    """Where the audio the formats point at is: shipped under audio/, or where to fetch it."""
    referencing = [f for f in formats if f in REFERENCING]
    if "audio" in formats:
        return {
            "shipped": True,
            "path": f"{AUDIO_DIR}/callNNNNNN.wav",
            "note": f"Each call's audio is in {AUDIO_DIR}/callNNNNNN.wav (16-bit WAV of the decoded call); "
            f"{', '.join(referencing) or 'no format'} refer to it as ../{AUDIO_DIR}/callNNNNNN.wav.",
        }
    return {
        "shipped": False,
        "referenced_by": referencing,
        "expected_path": f"{AUDIO_DIR}/callNNNNNN.wav",
        "source": "/calls/{call}/audio",
        "note": (
            "This dataset holds no call audio. "
            + (f"{', '.join(referencing)} refer to ../{AUDIO_DIR}/callNNNNNN.wav; " if referencing else "")
            + f"fetch call NNNNNN's audio from Annotera at /calls/NNNNNN/audio (the file as uploaded) and save it, "
            f"as WAV, as {AUDIO_DIR}/callNNNNNN.wav, or build the snapshot with the 'audio' format to include it."
        ),
    }


def write_manifest(path: Path, summary: dict, file_lines: Iterator[str]) -> None:
    """manifest.json: the summary, then "files": one {path, sha256, bytes} per file in the order
    written, streamed from the file log (never all in memory)."""
    head = json.dumps(summary, indent=2, ensure_ascii=False)
    with path.open("w", encoding="utf-8") as fh:
        fh.write(head[: head.rindex("}")].rstrip() + ',\n  "files": [')
        for k, line in enumerate(file_lines):
            fh.write(("\n    " if k == 0 else ",\n    ") + line)
        fh.write("\n  ]\n}\n")


def read_manifest(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
