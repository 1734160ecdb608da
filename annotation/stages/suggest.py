"""Emotion suggestions per turn: the rule prior (calibrated per project when that helps), or the project's
learned model."""

from __future__ import annotations

from taxonomy.models import Taxonomy
from taxonomy.selectors import taxonomy_scales

from ..calibration import active_calibration, calibrate_results
from ..learning import active_model
from ..models import ProcessingJob, Project, Suggestion, Turn
from ..pipeline.learn import featurize
from ..pipeline.suggest import (
    DEFAULT_CUE_LABELS,
    DEFAULT_VALENCE_LABELS,
    MAX_LABELS,
    SEED_PHRASES,
    LabelSuggestion,
    SuggestConfig,
    TurnInput,
    baseline_deltas,
    suggest_turns,
)
from ..taxonomy_versions import suggestion_in_version, version_mappings
from .base import CommitFn, ProgressFn


def suggestion_config(taxonomy):
    evidence = taxonomy.evidence_map or {}
    return SuggestConfig(
        cue_labels=evidence.get("cues") or dict(DEFAULT_CUE_LABELS),
        valence_labels=evidence.get("valence") or dict(DEFAULT_VALENCE_LABELS),
    )


def stage_suggest(job: ProcessingJob, progress: ProgressFn) -> CommitFn:
    call = job.call
    taxonomy = call.project.taxonomy
    labels = list(taxonomy.labels.all())
    rows = list(Turn.objects.filter(call=call).select_related("speaker").order_by("order"))
    inputs = [
        TurnInput(
            text=row.text,
            language=row.language,
            prosody={**row.prosody, "baseline_delta": baseline_deltas(row.prosody, row.speaker.baseline)},
            speaker=row.speaker.label,
            start=row.start,
            end=row.end,
        )
        for row in rows
    ]
    config = suggestion_config(taxonomy)
    scales = taxonomy_scales(taxonomy)
    results = suggest_turns(
        inputs,
        [label.key for label in labels],
        {label.key: SEED_PHRASES.get(label.key, []) + list(label.examples) for label in labels},
        config,
        intensity_range=tuple(int(x) for x in scales.intensity),
        valence_range=scales.valence,
        arousal_range=scales.arousal,
    )
    model_version = config.version
    learned = active_model(call.project)
    calibration = active_calibration(call.project)
    if learned is not None:
        record, model = learned
        apply_learned_model(record, model, rows, results)
        model_version = record.model_version
    elif calibration is not None:
        calibrate_results(calibration, results, MAX_LABELS)
        model_version = f"{model_version}+cal{calibration.version}"
    progress(90, "suggestions ready")

    def commit() -> dict:
        # The project may have moved to another taxonomy version while this ran: under the
        # project's lock (a move holds it while it rewrites the suggestions), write in its keys.
        now = Project.objects.select_for_update().filter(pk=call.project_id).values_list("taxonomy_id", flat=True)
        written = written_in_current_version(call.project, taxonomy.pk, now.first(), results)
        Suggestion.objects.filter(turn__call=call).delete()
        Suggestion.objects.bulk_create(
            [
                Suggestion(
                    turn=row,
                    labels=labels,
                    valence=result.valence,
                    arousal=result.arousal,
                    shifts=shifts,
                    rationale=result.rationale,
                    evidence=result.evidence,
                    model_version=model_version,
                )
                for row, result, (labels, shifts) in zip(rows, results, written, strict=True)
            ],
            batch_size=500,
        )
        return {"turns": len(rows), "model_version": model_version}

    return commit


def written_in_current_version(project, computed_in: int, current: int | None, results: list) -> list[tuple]:
    """Each result's (labels, shifts) in the keys of the project's current taxonomy version
    (``current``), computed in version ``computed_in``: as they are when the project has not moved;
    through the recorded mapping when it has; none at all when no recorded route leads there."""
    kept = [(result.labels_json(), result.shifts) for result in results]
    if current is None or current == computed_in:
        return kept
    mapping = version_mappings(project, Taxonomy.objects.get(pk=current)).get(computed_in)
    if mapping is None:  # no recorded route: no label of the old version is one of the new
        return [([], []) for _ in kept]
    return [suggestion_in_version(labels, shifts, mapping) for labels, shifts in kept]


def apply_learned_model(record, model, rows: list[Turn], results: list) -> None:
    """Replace the rule prior's labels with the project model's, keeping the prosody rationale."""
    if not rows:
        return
    probabilities = model.probabilities(featurize([r.text for r in rows], [r.prosody.get("z", {}) for r in rows]))
    for index, result in enumerate(results):
        rule_intensity = {item.label: item.intensity for item in result.labels}
        chosen = sorted(
            ((label, float(p[index])) for label, p in probabilities.items() if p[index] >= model.threshold),
            key=lambda item: -item[1],
        )[:MAX_LABELS]
        result.labels = [LabelSuggestion(label, rule_intensity.get(label, 3), round(p, 2)) for label, p in chosen]
        odds = ", ".join(f"p({label})={p:.2f}" for label, p in chosen) or "no label above threshold"
        result.rationale = (
            f"learned model v{record.version} (held-out alpha {record.learned_alpha:.2f} vs rules "
            f"{(record.rules_alpha or 0):.2f}): {odds} | rule evidence: {result.rationale}"
        )
