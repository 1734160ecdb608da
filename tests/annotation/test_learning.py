"""Learning from the annotators: the learned model serves suggestions only when it wins on held-out calls."""

from __future__ import annotations

import random

import pytest

from annotation.learning import active_model, suggestion_model_train, training_due
from annotation.models import Assignment, Speaker, Suggestion, Turn, TurnAnnotation

BILLING = [
    "I was charged twice on my invoice",
    "the invoice shows a fee I do not know",
    "why is my bill higher this month",
]
OTHER = [
    "my router light is blinking",
    "the engineer did not arrive",
    "I want to change my address",
    "the app will not open",
]


def annotated_project(project, make_user, *, rules_agree: bool, calls: int = 10, turns_per_call: int = 6):
    """Humans tag every billing question 'confusion' and everything else 'neutral'. The stored rule
    suggestions either say exactly that (rules_agree) or always 'neutral'."""
    rng = random.Random(1)
    annotator = make_user("ann", "annotator")
    for c in range(calls):
        call = project.calls.create(original_name=f"{c}.wav", sha256=f"{c:064d}", audio=f"{c}.wav", status="ready")
        speaker = Speaker.objects.create(call=call, label="CH1", role="customer")
        assignment = Assignment.objects.create(call=call, annotator=annotator)
        for t in range(turns_per_call):
            billing = t % 3 == 0  # every call has billing questions, so every held-out split does
            text = rng.choice(BILLING if billing else OTHER)
            turn = Turn.objects.create(
                call=call, speaker=speaker, order=t, start=t, end=t + 1, text=text, prosody={"z": {"speech_rate": 0.0}}
            )
            human = "confusion" if billing else "neutral"
            TurnAnnotation.objects.create(
                assignment=assignment, turn=turn, taxonomy=project.taxonomy, labels=[{"label": human, "intensity": 3}]
            )
            rule = human if rules_agree else "neutral"
            Suggestion.objects.create(
                turn=turn, labels=[{"label": rule, "intensity": 3, "confidence": 0.5}], model_version="rules-1+t"
            )


def test_learned_model_is_activated_only_when_it_beats_the_rules(
    project, make_user, settings, django_capture_on_commit_callbacks
):
    settings.SUGGEST_TRAIN_MIN_TURNS = 40
    annotated_project(project, make_user, rules_agree=False)
    assert training_due(project)
    with django_capture_on_commit_callbacks(execute=False):
        record = suggestion_model_train(project=project)
    assert record.active and record.learned_alpha > (record.rules_alpha or 0), (
        record.learned_alpha,
        record.rules_alpha,
        record.trained_on,
        record.held_out,
        record.weights["labels"],
    )
    assert record.held_out > 0 and record.trained_on + record.held_out == 60
    served = active_model(project)
    assert served is not None and served[0] == record and record.model_version == f"learned-{project.slug}-v1"
    assert not training_due(project)

    # The suggestion stage now serves the learned model, with its provenance in the rationale.
    from annotation.jobs import job_run, pipeline_start

    call = Turn.objects.filter(text__in=BILLING).first().call
    job = pipeline_start(call=call, from_stage="suggest", send=False)
    job_run(job.pk, str(job.lease), chain=False)
    suggestions = Suggestion.objects.filter(turn__call=call)
    assert {s.model_version for s in suggestions} == {"learned-test-v1"}
    billing = suggestions.filter(turn__text__in=BILLING)
    assert billing.exists() and all("confusion" in {item["label"] for item in s.labels} for s in billing)
    assert all(s.rationale.startswith("learned model v1") for s in suggestions)


def test_rules_stay_when_the_model_does_not_win(project, make_user, settings):
    settings.SUGGEST_TRAIN_MIN_TURNS = 40
    annotated_project(project, make_user, rules_agree=True)
    record = suggestion_model_train(project=project)
    assert record.rules_alpha == pytest.approx(1.0)
    assert not record.active and active_model(project) is None


def test_too_few_annotations_trains_nothing(project, make_user, settings):
    settings.SUGGEST_TRAIN_MIN_TURNS = 100
    annotated_project(project, make_user, rules_agree=False, calls=2)
    assert suggestion_model_train(project=project) is None and not training_due(project)


def test_acceptance_rates_come_from_stored_actions(project, make_user):
    from annotation.selectors import suggestion_acceptance_rates

    annotated_project(project, make_user, rules_agree=False, calls=1, turns_per_call=4)
    annotations = list(TurnAnnotation.objects.all())
    for annotation, actions in zip(
        annotations,
        [{"anger": "accepted"}, {"anger": "rejected"}, {"anger": "accepted", "neutral": "edited"}, {}],
        strict=True,
    ):
        annotation.suggestion_actions = actions
        annotation.save()
    rates = suggestion_acceptance_rates(project)
    assert rates["anger"] == {"n": 3, "accepted": 2 / 3, "edited": 0.0, "rejected": 1 / 3}
    assert rates["neutral"]["edited"] == 1.0


def test_resuggesting_keeps_calls_ready_for_their_annotators(project, make_user, django_capture_on_commit_callbacks):
    from annotation.learning import resuggest_unannotated
    from annotation.models import Call, ProcessingJob

    call = project.calls.create(original_name="r.wav", sha256="8" * 64, audio="r.wav", status="ready")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert resuggest_unannotated(project=project) == 1
    call.refresh_from_db()
    assert call.status == Call.Status.READY
    assert ProcessingJob.objects.get(call=call).stage == "suggest" and len(callbacks) == 1
