"""What the export filters keep, and what a snapshot says about what they left out: a zero
``min_alpha`` is a filter like any other, calls whose alpha is undefined are counted and named
apart from calls below the threshold, and a named call that is not ready refuses the request."""

from __future__ import annotations

import html
import json

import pytest
from django.urls import reverse

from annotation.models import Call, TurnAnnotation
from qa.exports import ExportError, ExportFilters
from qa.exports.records import call_alphas
from qa.exports.snapshot import snapshot_build, snapshot_create, snapshot_dir
from qa.models import ExportSnapshot

from .builders import annotated_call

pytestmark = pytest.mark.django_db


def _no_emotion_where_empty(call) -> None:
    """A judgement with no label is an explicit "no emotion" (else it is no judgement at all)."""
    TurnAnnotation.objects.filter(turn__call=call, labels=[]).update(no_emotion=True)


@pytest.fixture
def calls(project, make_user):
    """Four ready calls: negative alpha, perfect agreement with variation (alpha 1), one annotator
    per turn (alpha undefined), everyone "no emotion" throughout (no variation: alpha undefined)."""
    negative, _, users = annotated_call(
        project, make_user, {"ann": [["anger"], []], "bob": [[], ["anger"]]}, name="negative.wav"
    )
    agreed, _, _ = annotated_call(
        project, make_user, {"ann": [["anger"], []], "bob": [["anger"], []]}, name="agreed.wav", users=users
    )
    single, _, _ = annotated_call(project, make_user, {"ann": [["anger"], ["anger"]]}, name="single.wav", users=users)
    calm, _, _ = annotated_call(project, make_user, {"ann": [[], []], "bob": [[], []]}, name="calm.wav", users=users)
    for call in (negative, agreed, calm):
        _no_emotion_where_empty(call)
    alphas = call_alphas(project)
    assert alphas[negative.pk] < 0 and alphas[agreed.pk] == pytest.approx(1.0)
    assert alphas[single.pk] is None and alphas[calm.pk] is None
    return {"negative": negative, "agreed": agreed, "single": single, "calm": calm}


def _built(project, filters: dict) -> ExportSnapshot:
    snapshot = snapshot_create(
        project=project, created_by=None, formats=["jsonl"], filters=ExportFilters.from_mapping(filters), send=False
    )
    built = snapshot_build(snapshot_id=snapshot.pk)
    assert built.status == ExportSnapshot.Status.READY, built.error
    return built


def test_a_zero_min_alpha_is_stored_on_the_snapshot_and_applied_by_its_build(project, calls):
    # 0.0 == False: the filter was taken for "not set", so the snapshot exported every call and
    # its manifest and data card said "Filters: none".
    snapshot = snapshot_create(
        project=project, created_by=None, formats=["jsonl"], filters=ExportFilters.from_mapping({"min_alpha": "0"}),
        send=False,
    )  # fmt: skip
    assert snapshot.filters == {"min_alpha": 0.0}
    built = snapshot_build(snapshot_id=snapshot.pk)
    assert built.status == ExportSnapshot.Status.READY, built.error
    assert built.manifest["filters"] == {"min_alpha": 0.0} and built.datacard["filters"] == {"min_alpha": 0.0}
    exported = {json.loads(line)["call"] for line in (snapshot_dir(built) / "jsonl/turns.jsonl").open()}
    assert exported == {calls["agreed"].pk}
    text = (snapshot_dir(built) / "datacard.md").read_text()
    assert "Filters: none" not in text and "min_alpha 0.0" in text


def test_the_data_card_says_how_many_calls_min_alpha_removed_and_names_undefined_alpha_apart(project, calls):
    built = _built(project, {"min_alpha": "0.5"})
    effects = {(e["filter"], e.get("reason", "")): e for e in built.manifest["filtered_out"]}
    assert built.datacard["filtered_out"] == built.manifest["filtered_out"]
    below = effects[("min_alpha", "alpha_below")]
    assert (below["calls"], below["turns"], below["call_ids"]) == (1, 2, [calls["negative"].pk])
    undefined = effects[("min_alpha", "alpha_undefined")]
    assert (undefined["calls"], undefined["turns"]) == (2, 4)
    assert undefined["call_ids"] == sorted([calls["single"].pk, calls["calm"].pk])
    assert undefined["why"] == {"one_annotator_per_turn": 1, "no_variation": 1}
    text = (snapshot_dir(built) / "datacard.md").read_text()
    assert "1 call whose label alpha is below 0.5 was left out (2 turns)" in text
    assert "2 calls whose label alpha is undefined were left out (4 turns)" in text
    assert "1 had fewer than two annotators on every turn" in text
    assert "1 had no variation to measure" in text
    assert f"(calls {', '.join(map(str, undefined['call_ids']))})" in text
    assert built.counts["calls"] == 1


def test_every_filter_says_what_it_removed_even_nothing(project, calls):
    Call.objects.filter(pk=calls["calm"].pk).update(status=Call.Status.FAILED)
    built = _built(project, {"languages": "", "min_alpha": "-1"})
    effects = built.manifest["filtered_out"]
    assert [(e["filter"], e.get("reason", ""), e["calls"]) for e in effects] == [
        ("ready_only", "", 1),
        ("min_alpha", "alpha_below", 0),
        ("min_alpha", "alpha_undefined", 1),  # the single-annotator call: no alpha, even at -1
    ]
    text = (snapshot_dir(built) / "datacard.md").read_text()
    assert "1 call of the project was not ready (queued, processing or failed) and is not in this dataset" in text
    assert "min_alpha -1.0: left out no call for a label alpha below -1.0." in text


def test_a_named_call_that_is_not_ready_refuses_the_snapshot_and_queues_nothing(project, calls):
    Call.objects.filter(pk=calls["single"].pk).update(status=Call.Status.PROCESSING)
    Call.objects.filter(pk=calls["calm"].pk).update(status=Call.Status.FAILED)
    wanted = f"{calls['agreed'].pk},{calls['single'].pk},{calls['calm'].pk}"
    with pytest.raises(ExportError) as refused:
        snapshot_create(
            project=project, created_by=None, formats=["jsonl"], filters=ExportFilters.from_mapping({"calls": wanted})
        )
    assert refused.value.field == "calls"
    message = refused.value.message
    assert f"call {calls['single'].pk} (single.wav) is processing" in message
    assert f"call {calls['calm'].pk} (calm.wav) failed" in message
    assert "Only ready calls can be exported" in message
    assert not ExportSnapshot.objects.exists()


def test_the_snapshot_page_says_what_the_filters_left_out(client, project, calls, pm):
    built = _built(project, {"min_alpha": "0"})
    client.force_login(pm)
    page = html.unescape(client.get(reverse("qa:snapshot_detail", args=[built.pk])).content.decode())
    assert "What the filters left out" in page
    for effect in built.manifest["filtered_out"]:
        assert effect["sentence"] in page
    # The filters as a person reads them, on the snapshot and on the list (not the stored dict).
    assert "filters: min_alpha 0.0" in page and "{'min_alpha'" not in page
    listing = html.unescape(client.get(reverse("qa:project_snapshots", args=[project.slug])).content.decode())
    assert "min_alpha 0.0" in listing and "{'min_alpha'" not in listing
