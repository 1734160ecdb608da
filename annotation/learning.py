"""Services for learned suggestions: build examples from annotations, train, compare with the
rule prior on held-out calls, activate the winner, re-suggest calls nobody has annotated yet."""

from __future__ import annotations

from collections import defaultdict
from functools import partial

from django.conf import settings
from django.db import transaction

from .calibration import suggestion_calibration_fit
from .jobs import pipeline_start
from .models import Call, Project, Suggestion, SuggestionModel, TurnAnnotation
from .pipeline.learn import Example, TrainedModel, featurize, presence_alpha, split_by_group, train
from .taxonomy_versions import labels_in_version, labels_removed_by_change, version_mappings


def project_examples(project: Project) -> list[Example]:
    """One example per annotated turn: the majority of its annotators' labels (ties keep the label),
    read in the project's current taxonomy version (a model answers in the keys it learned)."""
    votes: dict[int, list[set[str]]] = defaultdict(list)
    turns = {}
    mappings = version_mappings(project, project.taxonomy)
    for annotation in (
        TurnAnnotation.objects.judgements()
        .filter(assignment__call__project=project, taxonomy_id__in=list(mappings))
        .select_related("turn")
        .only("labels", "no_emotion", "taxonomy_id", "turn__id", "turn__call_id", "turn__text", "turn__prosody")
    ):
        mapping = mappings[annotation.taxonomy_id]
        if labels_removed_by_change(annotation.labels, mapping, annotation.no_emotion):
            continue  # no judgement in this version
        votes[annotation.turn_id].append({item["label"] for item in labels_in_version(annotation.labels, mapping)})
        turns[annotation.turn_id] = annotation.turn
    examples = []
    for turn_id, sets in votes.items():
        counts: dict[str, int] = defaultdict(int)
        for chosen in sets:
            for label in chosen:
                counts[label] += 1
        consensus = {label for label, n in counts.items() if 2 * n >= len(sets)}
        turn = turns[turn_id]
        examples.append(Example(str(turn.call_id), turn.text, turn.prosody.get("z", {}), consensus, turn_id))
    return examples


def rules_predictions(turn_ids: list[int]) -> dict[int, set[str]]:
    out = {}
    for suggestion in Suggestion.objects.filter(turn_id__in=turn_ids).exclude(model_version__startswith="learned-"):
        out[suggestion.turn_id] = {item["label"] for item in suggestion.labels}
    return out


def suggestion_model_train(*, project: Project) -> SuggestionModel | None:
    """Recalibrate the rules' confidence, then train and score a new model version; activate each
    only if it does better on held-out calls (lower calibration error; higher alpha than the rules)."""
    calibration = suggestion_calibration_fit(project=project)
    if calibration is not None and calibration.active:
        transaction.on_commit(lambda: resuggest_unannotated(project=project))
    examples = project_examples(project)
    if len(examples) < settings.SUGGEST_TRAIN_MIN_TURNS:
        return None
    train_set, test_set = split_by_group(examples)
    if not train_set or not test_set:
        return None
    labels = list(project.taxonomy.labels.values_list("key", flat=True))
    model = train(train_set, labels)
    test_features = featurize([e.text for e in test_set], [e.prosody_z for e in test_set])
    truth = [e.labels for e in test_set]
    learned_alpha = presence_alpha(truth, model.predict(test_features), labels)
    # The rule prior on the same held-out turns (its stored suggestions for those turns).
    rules = rules_predictions([e.turn_id for e in test_set])
    rules_alpha = presence_alpha(truth, [rules.get(e.turn_id, set()) for e in test_set], labels)
    beats = learned_alpha is not None and (rules_alpha is None or learned_alpha > rules_alpha)
    with transaction.atomic():
        last = SuggestionModel.objects.filter(project=project).order_by("-version").first()
        record = SuggestionModel.objects.create(
            project=project,
            version=(last.version + 1) if last else 1,
            trained_on=len(train_set),
            held_out=len(test_set),
            learned_alpha=learned_alpha,
            rules_alpha=rules_alpha,
            active=beats,
            weights=model.to_json(),
        )
        if beats:
            SuggestionModel.objects.filter(project=project).exclude(pk=record.pk).update(active=False)
            transaction.on_commit(partial(resuggest_unannotated, project=project))
    return record


def active_model(project: Project) -> tuple[SuggestionModel, TrainedModel] | None:
    record = SuggestionModel.objects.filter(project=project, active=True).order_by("-version").first()
    return (record, TrainedModel.from_json(record.weights)) if record else None


def resuggest_unannotated(*, project: Project) -> int:
    """Re-run the suggestion stage for ready calls that nobody has annotated yet."""
    calls = Call.objects.filter(project=project, status=Call.Status.READY).exclude(
        assignments__turn_annotations__isnull=False
    )
    count = 0
    for call in calls.distinct():
        pipeline_start(call=call, from_stage="suggest", keep_ready=True)
        count += 1
    return count


def training_due(project: Project) -> bool:
    annotated = (
        TurnAnnotation.objects.judgements().filter(assignment__call__project=project).values("turn").distinct().count()
    )
    last = SuggestionModel.objects.filter(project=project).order_by("-version").first()
    if last is None:
        return annotated >= settings.SUGGEST_TRAIN_MIN_TURNS
    return annotated >= last.trained_on + last.held_out + settings.SUGGEST_RETRAIN_EVERY
