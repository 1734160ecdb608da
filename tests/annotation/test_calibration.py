"""Suggestion confidence against people: ECE and Platt arithmetic, the rules' recalibration (kept
only when it lowers the held-out error), the learned model's calibration, and the QA page."""

from __future__ import annotations

import random

import numpy as np
import pytest
from django.urls import reverse

from annotation.calibration import (
    Judged,
    active_calibration,
    calibrate_results,
    judged_suggestions,
    split_calls,
    suggestion_calibration_fit,
)
from annotation.models import Suggestion, SuggestionCalibration
from annotation.pipeline.calibration import (
    apply_platt,
    expected_calibration_error,
    fit_platt,
    reliability_bins,
)
from annotation.pipeline.learn import Example, train
from annotation.pipeline.suggest import RULES_VERSION, LabelSuggestion, TurnSuggestion
from tests.qa.builders import annotated_call


def test_ece_of_a_perfectly_calibrated_and_of_an_overconfident_suggester():
    # 10 suggestions at 0.8 of which 8 confirmed, 10 at 0.3 of which 3: calibrated.
    confidences = [0.8] * 10 + [0.3] * 10
    outcomes = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 7
    assert expected_calibration_error(confidences, outcomes) == pytest.approx(0.0, abs=1e-9)
    # Always 0.95, confirmed half the time: ECE 0.45.
    assert expected_calibration_error([0.95] * 10, [True, False] * 5) == pytest.approx(0.45)
    bins = reliability_bins([0.95] * 10, [True, False] * 5)
    assert [b.count for b in bins] == [0] * 9 + [10]
    assert bins[-1].agreement == 0.5


def test_platt_scaling_recovers_a_known_miscalibration_and_lowers_the_held_out_error():
    rng = np.random.default_rng(3)
    confidences = rng.uniform(0.05, 0.95, 4000)
    logit = np.log(confidences / (1 - confidences))
    truth = 1 / (1 + np.exp(-(0.5 * logit - 1.0)))  # the suggester is overconfident
    outcomes = rng.uniform(size=4000) < truth
    a, b = fit_platt(confidences[:3000], outcomes[:3000])
    assert a == pytest.approx(0.5, abs=0.1) and b == pytest.approx(-1.0, abs=0.15)
    before = expected_calibration_error(confidences[3000:], outcomes[3000:])
    after = expected_calibration_error(apply_platt(confidences[3000:], (a, b)), outcomes[3000:])
    assert after < before / 3


def test_the_learned_model_is_calibrated_on_held_out_calls():
    """Balanced class weights inflate a rare label's probability; Platt on other calls fixes it."""
    rng = random.Random(5)
    examples = []
    for i in range(240):
        rare = rng.random() < 0.15
        z = {"loudness_peak_db": rng.gauss(2.0 if rare else 0.0, 1.0), "speech_rate": rng.gauss(0, 1)}
        examples.append(Example(group=f"call{i // 8}", text="", prosody_z=z, labels={"anger"} if rare else set()))
    features = np.zeros((len(examples), 14 + 384), dtype=np.float32)
    from annotation.pipeline.prosody import Z_FEATURES

    for row, example in enumerate(examples):
        for column, feature in enumerate(Z_FEATURES):
            features[row, column] = example.prosody_z.get(feature, 0.0) / 5
    train_rows, test_rows = list(range(160)), list(range(160, 240))
    model = train([examples[i] for i in train_rows], ["anger"], features[train_rows])
    assert "anger" in (model.calibration or {})
    outcomes = ["anger" in examples[i].labels for i in test_rows]
    raw = model.raw_probabilities(features[test_rows])["anger"]
    calibrated = model.probabilities(features[test_rows])["anger"]
    assert expected_calibration_error(calibrated, outcomes) < expected_calibration_error(raw, outcomes)
    assert type(model).from_json(model.to_json()).calibration == model.calibration


def _calls_with_suggestions(
    project, make_user, confirmed_share_by_call: list[float], users=None, rules: str = RULES_VERSION
):
    """One call per entry: 10 turns, each suggested 'anger' at 0.9 by the rules (``rules``: their
    version); two annotators agree on 'anger' on the given share of the turns and on 'neutral' on the rest."""
    users = dict(users or {})
    for index, share in enumerate(confirmed_share_by_call):
        confirmed = round(10 * share)
        rows = [["anger"] if i < confirmed else ["neutral"] for i in range(10)]
        call, turns, made = annotated_call(
            project, make_user, {"ann_a": rows, "ann_b": rows}, name=f"{rules}-c{index}.wav", users=users
        )
        users.update(made)
        for turn in turns:
            Suggestion.objects.create(
                turn=turn, labels=[{"label": "anger", "intensity": 4, "confidence": 0.9}], model_version=f"{rules}+x"
            )
    return users


@pytest.mark.django_db
def test_overconfident_rules_are_recalibrated_and_the_map_is_applied(project, make_user, settings):
    settings.SUGGEST_CALIBRATION_MIN = 20
    _calls_with_suggestions(project, make_user, [0.2, 0.3, 0.2, 0.3, 0.2, 0.3])
    judged = judged_suggestions(project)
    assert len(judged) == 60 and sum(j.confirmed for j in judged) == 15
    record = suggestion_calibration_fit(project=project)
    assert record.active and record.ece_after < record.ece_before
    assert record.ece_before == pytest.approx(0.9 - 0.25, abs=0.06)
    assert active_calibration(project) == record

    result = TurnSuggestion(
        labels=[LabelSuggestion("anger", 4, 0.9), LabelSuggestion("anxiety", 2, 0.4)],
        valence=-1,
        arousal=3,
        rationale="anger: loud",
        evidence={},
    )
    calibrate_results(record, [result], max_labels=3)
    anger = next(item for item in result.labels if item.label == "anger")
    assert anger.confidence < 0.5  # 0.9 was confirmed a quarter of the time
    assert result.evidence["raw_confidence"] == {"anger": 0.9, "anxiety": 0.4}
    assert "calibrated on this project's annotators" in result.rationale
    confidences = [item.confidence for item in result.labels]
    assert confidences == sorted(confidences, reverse=True)


@pytest.mark.django_db
def test_a_calibration_is_fitted_on_and_applied_to_the_rules_as_they_are_now_only(project, make_user, settings):
    """A map fitted on an older version's confidences (0.9 then meant 'right a quarter of the time')
    was applied to the new rules' 0.9, and the old rules' suggestions were fitted on with the new."""
    settings.SUGGEST_CALIBRATION_MIN = 20
    users = _calls_with_suggestions(project, make_user, [0.2, 0.3, 0.2, 0.3, 0.2, 0.3], rules="rules-older")
    assert suggestion_calibration_fit(project=project) is None  # nothing of these rules to fit on
    record = SuggestionCalibration.objects.create(
        project=project, version=1, params={"pooled": [0.5, -1.0], "labels": {}}, fitted_on=40, held_out=20,
        ece_before=0.6, ece_after=0.1, active=True,
    )  # fmt: skip
    assert active_calibration(project) is None  # fitted before versions were recorded: not these rules
    record.params = {**record.params, "rules_version": "rules-older"}
    record.save()
    assert active_calibration(project) is None
    _calls_with_suggestions(project, make_user, [0.2, 0.3, 0.2, 0.3, 0.2, 0.3], users=users)
    fitted = suggestion_calibration_fit(project=project)
    assert fitted.active and fitted.params["rules_version"] == RULES_VERSION
    assert fitted.fitted_on + fitted.held_out == 60  # the current rules' 60 suggested labels, not 120
    assert active_calibration(project) == fitted


@pytest.mark.django_db
def test_a_recalibration_that_does_not_help_on_held_out_calls_is_kept_inactive(project, make_user, settings):
    settings.SUGGEST_CALIBRATION_MIN = 20
    call_ids = list(range(1, 8))
    dummies = [Judged(c, c, "anger", 0.9, 0.9, True, False, False) for c in call_ids]
    _, held_out = split_calls(dummies)
    held = {d.call_id for d in held_out}
    # Fitting calls: overconfident; held-out calls: 0.9 is right. The fitted map makes them worse.
    shares = [0.9 if position + 1 in held else 0.2 for position in range(len(call_ids))]
    _calls_with_suggestions(project, make_user, shares)
    ids = sorted({j.call_id for j in judged_suggestions(project)})
    assert len(ids) == len(call_ids)
    # Map the dummy ids (1..7, by position) to the real call ids for the same split.
    real_held = {j.call_id for j in split_calls(judged_suggestions(project))[1]}
    assert {ids.index(c) + 1 for c in real_held} == held
    record = suggestion_calibration_fit(project=project)
    assert record is not None and not record.active
    assert record.ece_after >= record.ece_before
    assert active_calibration(project) is None
    assert SuggestionCalibration.objects.filter(project=project).count() == 1


@pytest.mark.django_db
def test_blank_rows_do_not_judge_and_blind_annotators_decide_where_there_are_any(project, make_user):
    rows_a = [["anger"], ["anger"], []]  # the last row has no label decision
    rows_b = [["neutral"], ["anger"], []]
    call, turns, _ = annotated_call(project, make_user, {"a": rows_a, "b": rows_b}, blind=("b",))
    for turn in turns:
        Suggestion.objects.create(
            turn=turn, labels=[{"label": "anger", "intensity": 3, "confidence": 0.8}], model_version="rules-2+x"
        )
    judged = {j.turn_id: j for j in judged_suggestions(project)}
    assert set(judged) == {turns[0].pk, turns[1].pk}  # no judgement on the blank turn
    assert judged[turns[0].pk].blind_consensus and not judged[turns[0].pk].confirmed  # blind b said neutral
    assert judged[turns[1].pk].confirmed


@pytest.mark.django_db
def test_calibration_page_shows_the_reliability_diagram_to_reviewers_only(client, project, make_user, settings):
    _calls_with_suggestions(project, make_user, [0.2, 0.4])
    reviewer = make_user("rev", "qa_reviewer")
    from annotation.services import project_add_member

    project_add_member(project=project, user=reviewer, role="reviewer")
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_calibration", args=[project.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Expected calibration error" in text and "<svg" in text and "reliability diagram for anger" in text
    assert "20 suggested labels on 20 annotated turns" in text
    annotator = make_user("ann_x", "annotator")
    client.force_login(annotator)
    assert client.get(reverse("qa:project_calibration", args=[project.slug])).status_code in (403, 404)
