"""Figures that said more than the judgements do, on inputs nobody tuned for.

Regression tests: the export's ``min_alpha`` read a per-call alpha pooled over every label of the
taxonomy, so labels nobody chose added unanimous absence (two annotators choosing "anger" on
every turn scored 1.0 where the agreement page says undefined, and a call the page puts at 0.125
passed a 0.4 threshold); a consensus intensity halfway between two steps went to the even step
(2 and 3 gave 2, 3 and 4 gave 4); the whole-call page ticked, as agreed, turns whose annotators
chose the same label at intensities 1 and 5 (pre-filled with 3, which nobody said).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import TurnAnnotation
from qa.agreement import project_report
from qa.consensus import Judgement, turn_consensus
from qa.exports import ExportFilters
from qa.exports.records import call_alpha_results, call_alphas, selected_turns
from qa.models import Adjudication

from .builders import annotated_call
from .test_review_tools import form_defaults

pytestmark = pytest.mark.django_db


def _no_emotion_where_empty(call) -> None:
    TurnAnnotation.objects.filter(turn__call=call, labels=[]).update(no_emotion=True)


def test_min_alpha_reads_the_label_alpha_the_agreement_page_shows(project, make_user):
    # One call, two annotators, only "anger" ever chosen, disagreed on two of four turns.
    call, _, _ = annotated_call(
        project, make_user, {"ann": [["anger"], ["anger"], ["anger"], []], "bob": [["anger"], [], [], []]}
    )
    _no_emotion_where_empty(call)
    shown = project_report(project, bootstrap=0)["label_presence"]["alpha"]
    assert shown == pytest.approx(0.125)
    assert call_alphas(project)[call.pk] == pytest.approx(shown, abs=1e-4)  # was 0.475
    assert not selected_turns(project, ExportFilters(min_alpha=0.4)).exists()  # it was exported as above 0.4


def test_the_same_label_everywhere_is_undefined_for_min_alpha_as_on_the_page(project, make_user):
    call, _, _ = annotated_call(project, make_user, {"ann": [["anger"], ["anger"]], "bob": [["anger"], ["anger"]]})
    assert project_report(project, bootstrap=0)["label_presence"]["alpha"] is None
    assert call_alphas(project)[call.pk] is None  # was 1.0


def test_everyone_no_emotion_is_still_counted_as_no_variation_not_as_one_annotator(project, make_user):
    call, _, _ = annotated_call(project, make_user, {"ann": [[], []], "bob": [[], []]})
    _no_emotion_where_empty(call)
    result = call_alpha_results(project)[call.pk]
    assert result.alpha is None and result.units > 0


@pytest.mark.parametrize(("given", "median"), [((2, 3), 3), ((3, 4), 4), ((1, 2), 2), ((4, 5), 5), ((1, 3), 2)])
def test_a_consensus_intensity_halfway_between_steps_rounds_up_whatever_its_parity(given, median):
    consensus = turn_consensus([Judgement(k, [{"label": "anger", "intensity": v}]) for k, v in enumerate(given)])
    assert consensus.labels == [{"label": "anger", "intensity": median}]


def test_the_whole_call_page_does_not_tick_turns_whose_intensities_or_valence_differ(
    client, reviewer, project, make_user
):
    call, turns, users = annotated_call(
        project, make_user, {"a1": [["anger"], ["anger"], ["anger"]], "a2": [["anger"], ["anger"], ["anger"]]}
    )
    mine = TurnAnnotation.objects.filter(assignment__annotator=users["a1"])
    theirs = TurnAnnotation.objects.filter(assignment__annotator=users["a2"])
    mine.filter(turn=turns[0]).update(labels=[{"label": "anger", "intensity": 1}])
    theirs.filter(turn=turns[0]).update(labels=[{"label": "anger", "intensity": 5}])
    mine.filter(turn=turns[1]).update(valence=-3.0)
    theirs.filter(turn=turns[1]).update(valence=3.0)
    client.force_login(reviewer)
    page = reverse("qa:call_adjudicate", args=[call.pk])
    defaults = form_defaults(client.get(page).content.decode())
    assert f"include_{turns[0].pk}" not in defaults  # 1 vs 5 came ticked, pre-filled with 3
    assert f"include_{turns[1].pk}" not in defaults  # -3 vs +3 came ticked, pre-filled with 0
    assert f"include_{turns[2].pk}" in defaults  # truly agreed: ticked as before
    client.post(page, defaults)
    assert list(Adjudication.objects.values_list("turn_id", flat=True)) == [turns[2].pk]


def _run_on_commit(capture, callbacks) -> None:
    with capture(execute=False):  # the recompute it queues is not run here
        for callback in callbacks:
            callback()


@pytest.mark.parametrize("change", ["speaker_role", "locale"])
def test_a_corrected_speaker_role_or_call_locale_marks_the_filtered_report_stale(
    project, make_user, change, django_capture_on_commit_callbacks
):
    from annotation.services import call_update_metadata, speaker_update
    from qa.judgements import ReportFilters
    from qa.services import agreement_report_compute_inline

    call, _, _ = annotated_call(project, make_user, {"a1": [["anger"], []], "a2": [["anger"], ["anger"]]})
    call_update_metadata(call=call, locale="en-GB")
    filters = ReportFilters(speaker_role="customer") if change == "speaker_role" else ReportFilters(locale="en-gb")
    report = agreement_report_compute_inline(project=project, filters=filters)
    assert not report.stale and report.report["turns"] == 2
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        if change == "speaker_role":
            speaker_update(speaker=call.speakers.get(), role="agent")
        else:
            call_update_metadata(call=call, locale="fr-FR")
    _run_on_commit(django_capture_on_commit_callbacks, callbacks)
    report.refresh_from_db()
    assert report.stale  # it was shown as current, counting two turns the filter no longer selects


def _graded_call(project, make_user):
    """Four turns, two annotators, the same label sets everywhere: turn 0 intensities 1 and 5,
    turn 1 valences -3 and +3, turn 2 intensities 2 and 3 (a step apart), turn 3 identical."""
    call, turns, _ = annotated_call(
        project, make_user, {"ann": [["anger"]] * 4, "bob": [["anger"]] * 4}, submitted="all"
    )
    rows = {(r.turn_id, r.assignment.annotator.username): r for r in TurnAnnotation.objects.filter(turn__call=call)}
    for turn, ann, bob in ((turns[0], 1, 5), (turns[2], 2, 3)):
        TurnAnnotation.objects.filter(pk=rows[turn.pk, "ann"].pk).update(labels=[{"label": "anger", "intensity": ann}])
        TurnAnnotation.objects.filter(pk=rows[turn.pk, "bob"].pk).update(labels=[{"label": "anger", "intensity": bob}])
    TurnAnnotation.objects.filter(pk=rows[turns[1].pk, "ann"].pk).update(valence=-3)
    TurnAnnotation.objects.filter(pk=rows[turns[1].pk, "bob"].pk).update(valence=3)
    return call, turns


def test_the_same_labels_far_apart_in_intensity_or_valence_go_to_a_reviewer(client, reviewer, project, make_user):
    """The queue ranked by label sets alone: the same label at intensities 1 and 5, or valences
    -3 and +3, never reached a reviewer. A step apart still does not (that is ordinary spread)."""
    from qa.selectors import disagreement_queue

    call, turns = _graded_call(project, make_user)
    queue = disagreement_queue(project)
    assert [(item.turn.pk, item.score, item.differs) for item in queue] == [
        (turns[0].pk, 1.0, "intensity"), (turns[1].pk, 1.0, "valence")
    ]  # fmt: skip
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_disagreements", args=[project.slug])).content.decode()
    assert "(intensity differs)" in page and "(valence differs)" in page
    whole = client.get(reverse("qa:call_adjudicate", args=[call.pk])).content.decode()
    assert "same labels, intensity differs" in whole and "same labels, valence differs" in whole
    assert "same labels, values differ a little" in whole  # turn 2: unticked, and not called a disagreement


def test_large_projects_route_graded_disagreements_from_the_cached_list_too(project, make_user, monkeypatch):
    from qa import selectors
    from qa.judgements import ReportFilters
    from qa.services import agreement_report_compute_inline

    _, turns = _graded_call(project, make_user)
    report = agreement_report_compute_inline(project=project, filters=ReportFilters()).report
    assert report["most_disagreed"] == [[turns[0].pk, 1.0], [turns[1].pk, 1.0]]
    monkeypatch.setattr(selectors, "CANDIDATE_LIMIT", 1)
    assert [item.turn.pk for item in selectors.disagreement_queue(project)] == [turns[0].pk, turns[1].pk]


def test_the_turn_page_shows_how_far_apart_the_values_are(client, reviewer, project, make_user):
    _, turns = _graded_call(project, make_user)
    client.force_login(reviewer)
    page = client.get(reverse("qa:turn_adjudicate", args=[turns[0].pk])).content.decode()
    assert "disagreement 0.00 · intensity 4 apart" in page
    page = client.get(reverse("qa:turn_adjudicate", args=[turns[1].pk])).content.decode()
    assert "valence 6 apart" in page


def test_an_adjudication_with_nothing_chosen_is_refused_unless_it_says_no_emotion(client, reviewer, project, make_user):
    """A reviewer who cleared the form and saved made an empty decision the consensus of record
    (exported as "no emotion", the turn gone from the queue). No emotion is now said, not implied."""
    call, turns, _ = annotated_call(project, make_user, {"ann": [["anger"], []], "bob": [["joy"], []]})
    client.force_login(reviewer)
    page = reverse("qa:turn_adjudicate", args=[turns[0].pk])
    assert 'name="no_emotion" value="1">' in client.get(page).content.decode()  # not ticked: they chose labels
    answer = client.post(page, {"based_on": ""}, follow=True).content.decode()
    assert "Not saved: choose the turn&#x27;s labels, or tick &quot;No emotion on this turn&quot;" in answer
    both = client.post(page, {"based_on": "", "label": ["anger"], "no_emotion": "1"}, follow=True).content.decode()
    assert "exclude each other" in both and not Adjudication.objects.exists()
    client.post(page, {"based_on": "", "no_emotion": "1"})
    assert Adjudication.objects.get().labels == []
    # Every annotator said no emotion: the form says so already, and the whole-call page too.
    _no_emotion_where_empty(call)
    assert (
        'name="no_emotion" value="1" checked>'
        in client.get(reverse("qa:turn_adjudicate", args=[turns[1].pk])).content.decode()
    )
    whole = reverse("qa:call_adjudicate", args=[call.pk])
    assert f'name="no_emotion_{turns[1].pk}" value="1" checked>' in client.get(whole).content.decode()
    refused = client.post(whole, {f"include_{turns[1].pk}": "1"}, follow=True).content.decode()
    assert "Not saved: Turn 2: choose the turn" in refused and Adjudication.objects.count() == 1
    client.post(whole, {f"include_{turns[1].pk}": "1", f"no_emotion_{turns[1].pk}": "1"})
    assert Adjudication.objects.get(turn=turns[1]).labels == []


def test_drafts_are_marked_counted_and_can_be_left_out_of_a_dataset(project, make_user, tmp_path):
    """An annotator's labels on a call still in progress went into the dataset, the consensus and
    the agreement filter like submitted work, with nothing to tell them apart."""
    from annotation.models import Assignment
    from qa.exports.build import export_write
    from qa.exports.records import filter_effects, iter_records

    call, turns, users = annotated_call(project, make_user, {"ann": [["anger"], ["joy"]], "bob": [["joy"], ["joy"]]})
    Assignment.objects.filter(call=call, annotator=users["ann"]).update(status="submitted")  # bob: in progress
    everything = list(iter_records(project, ExportFilters()))
    assert [[a["submitted"] for a in r["annotations"]] for r in everything] == [[True, False], [True, False]]
    assert [c["label"] for c in everything[1]["consensus"]] == ["joy"]
    out = tmp_path / "all"
    out.mkdir()
    export_write(project=project, formats=["jsonl"], out_dir=out, agreement_bootstrap=0)
    card = (out / "datacard.md").read_text()
    assert "2 annotations of these are from calls their annotators have not submitted yet" in card
    assert "not of this dataset's filtered subset" in card  # the agreement figures say whose they are
    submitted = list(iter_records(project, ExportFilters(submitted_only=True)))
    assert [[a["annotator"] for a in r["annotations"]] for r in submitted] == [[f"annotator-{users['ann'].pk}"]] * 2
    assert [c["label"] for c in submitted[0]["consensus"]] == ["anger"]  # the draft's joy no longer votes
    effects = filter_effects(project, ExportFilters(submitted_only=True))
    assert effects[-1]["sentence"] == (
        "submitted_only: left out 2 annotations of 1 call whose annotators have not submitted them yet "
        "(drafts they may still change)."
    )


def test_an_annotator_is_told_the_qa_pages_are_not_theirs_in_a_page_of_the_site(client, make_user):
    """The QA dashboard listed, for an annotator, links that each answered a bare "403 Forbidden"."""
    annotator = make_user("ann", "annotator")
    client.force_login(annotator)
    page = client.get(reverse("qa:dashboard"))
    text = page.content.decode()
    assert page.status_code == 403 and "Agreement report" not in text
    assert "You can't open this page" in text and "are for reviewers and project managers" in text
    assert reverse("annotation:queue") in text and 'class="topbar"' in text  # the site's own page, a way on


def test_a_refused_adjudication_comes_back_as_the_reviewer_filled_it(client, reviewer, project, make_user):
    """After "Not saved", the form came back with the pre-filled consensus, not the reviewer's own
    choices: a label they had unticked was ticked again, their note and valence gone."""
    _, turns, _ = annotated_call(project, make_user, {"ann": [["anger"]], "bob": [["anger"]]})
    client.force_login(reviewer)
    page = reverse("qa:turn_adjudicate", args=[turns[0].pk])
    assert 'name="label" value="anger" checked' in client.get(page).content.decode()
    posted = {"based_on": "", "label": ["gratitude"], "intensity_gratitude": "4", "no_emotion": "1", "note": "my reading",
              "valence": "2", "shift_at_0": "0.5", "shift_from_0": "gratitude", "shift_to_0": "anger"}  # fmt: skip
    again = client.post(page, posted).content.decode()
    assert "Not saved" in again and "exclude each other" in again
    assert 'name="label" value="anger" checked' not in again and 'name="label" value="gratitude" checked' in again
    assert 'value="4" selected' in again and 'value="my reading"' in again and 'name="valence"' in again
    assert 'name="no_emotion" value="1" checked' in again and 'name="shift_at_0" type="number"' in again
    assert not Adjudication.objects.exists()
