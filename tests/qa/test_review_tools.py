"""Review tools that finish the job: whole-call adjudication, gold that names what is missing,
the per-annotator page, filters offered as the project's values, skipping from the queue."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import Assignment, GoldCall, TurnAnnotation
from qa.models import Adjudication
from qa.services import adjudication_create

from .builders import annotated_call

TABLE = {
    "a1": [["anger"], ["anger"], ["neutral"]],
    "a2": [["anger"], ["neutral"], ["neutral"]],
}


@pytest.fixture
def annotated(project, make_user):
    return annotated_call(project, make_user, TABLE, cultures={"a1": "en-GB", "a2": "en-IN"})


def form_defaults(body: str) -> dict:
    """What a browser submits for the whole-call form untouched: checked boxes, selected
    options and filled number inputs."""
    import re

    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>', body):
        data.setdefault(name, []).append(value)
    for name, value in re.findall(r'<input name="((?:valence|arousal)_\d+)" type="number"[^>]* value="([^"]*)">', body):
        if value:
            data[name] = [value]
    for name, value in re.findall(r'<select name="(intensity_[^"]+)"[^>]*>.*?<option value="(\d+)" selected>', body):
        data[name] = [value]
    for name, value in re.findall(r'<input name="(note_\d+)"[^>]* value="([^"]*)">', body):
        data[name] = [value]
    for name, value in re.findall(r'<input type="hidden" name="(based_on_\d+)" value="([^"]*)">', body):
        data[name] = [value]
    return data


def test_gold_names_the_missing_turns_and_the_whole_call_page_fills_the_agreed_ones(client, pm, reviewer, annotated):
    call, turns, _ = annotated
    client.force_login(pm)
    page = client.post(reverse("qa:call_mark_gold", args=[call.pk]), follow=True)
    body = page.content.decode()
    assert page.redirect_chain[-1][0] == reverse("qa:call_adjudicate", args=[call.pk])
    assert "3 of 3 turns have no adjudication yet (turn 1, 2, 3)" in body
    assert all(f'href="#turn-{t.pk}"' in body for t in turns)
    # Turns 1 and 3 are agreed: ticked and pre-filled; turn 2 is disagreed: left for the reviewer.
    client.force_login(reviewer)
    body = client.get(reverse("qa:call_adjudicate", args=[call.pk])).content.decode()
    defaults = form_defaults(body)
    assert f"include_{turns[0].pk}" in defaults and f"include_{turns[1].pk}" not in defaults
    client.post(reverse("qa:call_adjudicate", args=[call.pk]), {k: v for k, v in defaults.items()})
    saved = {a.turn_id: [x["label"] for x in a.labels] for a in Adjudication.objects.all()}
    assert saved == {turns[0].pk: ["anger"], turns[2].pk: ["neutral"]}
    adjudication_create(turn=turns[1], reviewer=reviewer, labels=[{"label": "anger", "intensity": 2}])
    client.force_login(pm)
    client.post(reverse("qa:call_mark_gold", args=[call.pk]))
    assert GoldCall.objects.filter(call=call).exists()


def test_adjudications_keep_the_shifts_and_the_note(client, reviewer, project, make_user):
    """Both adjudication pages dropped every shift (the consensus of record lost the changes of
    emotion the annotators had marked), and re-saving a turn on the whole-call page wiped its note."""
    call, turns, _ = annotated_call(project, make_user, {"a1": [["anger", "neutral"]], "a2": [["anger", "neutral"]]})
    TurnAnnotation.objects.filter(turn=turns[0]).update(shifts=[{"at": 0.5, "from": "anger", "to": "neutral"}])
    client.force_login(reviewer)
    whole = reverse("qa:call_adjudicate", args=[call.pk])
    body = client.get(whole).content.decode()
    assert "0.50 s anger→neutral" in body  # shown, with where to edit it
    client.post(whole, form_defaults(body))
    assert Adjudication.objects.get().shifts == [{"at": 0.5, "from": "anger", "to": "neutral"}]

    page = reverse("qa:turn_adjudicate", args=[turns[0].pk])
    body = client.get(page).content.decode()
    # step "any": a grid of 0.01 from the turn's start (3.217 s) made the browser refuse 5.49 s
    assert 'name="shift_at_0" type="number" min="0.0" max="1.0" step="any" value="0.5"' in body
    assert 'name="shift_at_1" type="number" min="0.0" max="1.0" step="any" value=""' in body  # one to add
    decision = {"label": ["anger", "neutral"], "shift_at_0": "0.6", "shift_from_0": "anger", "shift_to_0": "neutral",
                "shift_at_1": "", "note": "heard it twice", "based_on": str(Adjudication.objects.get().pk)}  # fmt: skip
    client.post(page, decision)
    newest = Adjudication.objects.order_by("-created_at", "-pk").first()
    assert newest.shifts == [{"at": 0.6, "from": "anger", "to": "neutral"}] and newest.note == "heard it twice"
    assert 'value="heard it twice"' in client.get(page).content.decode()

    body = client.get(whole).content.decode()
    data = form_defaults(body) | {f"include_{turns[0].pk}": ["1"]}  # adjudicated turns come unticked
    assert data[f"note_{turns[0].pk}"] == ["heard it twice"]
    client.post(whole, data)
    newest = Adjudication.objects.order_by("-created_at", "-pk").first()
    assert newest.shifts == [{"at": 0.6, "from": "anger", "to": "neutral"}] and newest.note == "heard it twice"
    # Unticking an emotion takes its shifts with it, as in the workspace.
    data = form_defaults(client.get(whole).content.decode()) | {f"include_{turns[0].pk}": ["1"]}
    client.post(whole, {**data, f"label_{turns[0].pk}": ["anger"]})
    assert Adjudication.objects.order_by("-created_at", "-pk").first().shifts == []


def test_shifts_the_turn_no_longer_holds_neither_block_nor_ride_along(client, reviewer, project, make_user):
    """Review finding: a boundary correction moved the turn's end before a shift most annotators
    marked; the whole-call page sent that shift with the decision and the whole form was refused,
    with nothing on that page to fix it by."""
    call, turns, _ = annotated_call(project, make_user, {"a1": [["anger", "neutral"]], "a2": [["anger", "neutral"]]})
    TurnAnnotation.objects.filter(turn=turns[0]).update(shifts=[{"at": 0.8, "from": "anger", "to": "neutral"}])
    type(turns[0]).objects.filter(pk=turns[0].pk).update(end=0.6)  # the turn was shortened since
    client.force_login(reviewer)
    body = client.get(reverse("qa:turn_adjudicate", args=[turns[0].pk])).content.decode()
    assert 'name="shift_at_0" type="number" min="0.0" max="0.6" step="any" value=""' in body  # only the blank row
    assert "Not carried over" in body and "0.80 s anger→neutral" in body
    whole = reverse("qa:call_adjudicate", args=[call.pk])
    page = client.post(whole, form_defaults(client.get(whole).content.decode()), follow=True).content.decode()
    assert "1 turns adjudicated" in page
    assert Adjudication.objects.get().shifts == []


@pytest.mark.parametrize(
    ("at", "message"),
    [
        ("soon", "The time of shift 1 must be a number of seconds."),
        ("1.5", "shifts[0].at must be between 0"),
        ("0.5 no-to", "Shift 1 needs both emotions, from and to"),
    ],
)
def test_a_bad_shift_on_the_adjudication_page_saves_nothing(client, reviewer, annotated, at, message):
    _, turns, _ = annotated
    client.force_login(reviewer)
    page = client.post(
        reverse("qa:turn_adjudicate", args=[turns[0].pk]),
        {
            "label": ["anger"],
            "shift_at_0": at.split()[0],
            "shift_from_0": "anger",
            "shift_to_0": "" if at.endswith("no-to") else "neutral",
        },  # fmt: skip
        follow=True,
    )
    assert message in page.content.decode()
    assert not Adjudication.objects.exists()


def test_whole_call_adjudication_saves_nothing_when_one_turn_is_bad(client, reviewer, annotated):
    call, turns, _ = annotated
    client.force_login(reviewer)
    data = {f"include_{t.pk}": "1" for t in turns}
    data.update({f"label_{t.pk}": "anger" for t in turns})
    data[f"valence_{turns[1].pk}"] = "0.5"  # off the scale's steps
    page = client.post(reverse("qa:call_adjudicate", args=[call.pk]), data, follow=True)
    assert "Turn 2: valence must be on the scale" in page.content.decode()
    assert not Adjudication.objects.exists()


def test_adjudication_page_uses_the_scales_and_links_neighbours(client, reviewer, annotated):
    call, turns, _ = annotated
    client.force_login(reviewer)
    body = client.get(reverse("qa:turn_adjudicate", args=[turns[1].pk])).content.decode()
    assert 'name="valence" type="number" min="-3.0" max="3.0" step="1.0"' in body
    assert f'href="{reverse("qa:turn_adjudicate", args=[turns[0].pk])}" data-hotkey="p"' in body
    assert f'href="{reverse("qa:turn_adjudicate", args=[turns[2].pk])}" data-hotkey="n"' in body
    assert "turn 0" in body and "turn 2" in body  # the neighbours' text
    assert reverse("qa:call_adjudicate", args=[call.pk]) in body


def test_annotator_page_and_filter_selects(client, reviewer, annotated, project):
    _, _, users = annotated
    client.force_login(reviewer)
    page = client.get(reverse("qa:project_agreement", args=[project.slug])).content.decode()
    assert '<option value="en-gb">' in page and '<option value="en-in">' in page  # cultures in the project
    assert reverse("qa:annotator_detail", args=[project.slug, users["a1"].pk]) in page
    body = client.get(reverse("qa:annotator_detail", args=[project.slug, users["a1"].pk])).content.decode()
    assert "α vs leave-one-out consensus" in body and "Label usage against the pool" in body
    assert client.get(reverse("qa:annotator_detail", args=[project.slug, 999999])).status_code == 404
    bad = client.get(reverse("qa:project_agreement", args=[project.slug]), {"taxonomy_version": "7"}, follow=True)
    assert "never used taxonomy version 7" in bad.content.decode()


def test_skipping_a_call_from_the_queue_needs_a_reason(client, annotated):
    call, _, users = annotated
    assignment = Assignment.objects.get(call=call, annotator=users["a1"])
    client.force_login(users["a1"])
    url = reverse("annotation:assignment_skip", args=[assignment.pk])
    page = client.post(url, {"reason": " "}, follow=True)
    assert "Say why you skip the call" in page.content.decode()
    assignment.refresh_from_db()
    assert assignment.status != Assignment.Status.SKIPPED
    client.post(url, {"reason": "wrong language"})
    assignment.refresh_from_db()
    assert assignment.status == Assignment.Status.SKIPPED and assignment.skip_reason == "wrong language"
    assert not TurnAnnotation.objects.judgements().filter(assignment=assignment).exists()


def test_the_api_takes_no_emotion_and_turn_skips(client, annotated):
    call, turns, users = annotated
    assignment = Assignment.objects.get(call=call, annotator=users["a1"])
    client.force_login(users["a1"])
    row = TurnAnnotation.objects.get(assignment=assignment, turn=turns[0])
    url = reverse("api-turn-annotation", args=[assignment.pk, turns[0].pk])
    response = client.put(url, {"no_emotion": True}, content_type="application/json",
                          HTTP_IF_MATCH=f'"{row.version}"')  # fmt: skip
    assert response.status_code == 200 and response.json()["annotation"]["no_emotion"] is True
    response = client.put(url, {"skipped": True, "skip_reason": "crosstalk"}, content_type="application/json",
                          HTTP_IF_MATCH=f'"{row.version + 1}"')  # fmt: skip
    body = response.json()
    assert body["annotation"]["skipped"] is True and body["progress"]["skipped"] == 1


def test_api_refuses_a_taxonomy_version_the_project_never_had(client, reviewer, annotated, project):
    client.force_login(reviewer)
    response = client.get(reverse("api-project-agreement", args=[project.slug]), {"taxonomy_version": 7})
    assert response.status_code == 400 and "no version 7" in response.json()["detail"]


def _second_reviewer(project, make_user):
    from annotation.models import ProjectMembership
    from annotation.services import project_add_member

    other = make_user("rev2", "qa_reviewer")
    project_add_member(project=project, user=other, role=ProjectMembership.Role.REVIEWER)
    return other


def test_a_decision_recorded_while_the_turn_page_was_open_is_not_silently_replaced(
    client, reviewer, project, make_user, annotated
):
    """Reviewer A opens a turn, reviewer B adjudicates it, A submits: A's decision became the
    consensus of record and A was never told."""
    _, turns, _ = annotated
    other = _second_reviewer(project, make_user)
    page = reverse("qa:turn_adjudicate", args=[turns[1].pk])
    client.force_login(reviewer)
    assert 'name="based_on" value=""' in client.get(page).content.decode()  # built on no adjudication
    theirs = adjudication_create(turn=turns[1], reviewer=other, labels=[{"label": "neutral", "intensity": 2}])
    answer = client.post(page, {"label": ["anger"], "based_on": ""}, follow=True).content.decode()
    assert "Not saved: Turn 2 was adjudicated by rev2 at" in answer and "(neutral (2)); nothing was saved" in answer
    assert list(Adjudication.objects.all()) == [theirs]
    # The page drawn again is built on their decision: now A's decision is saved, knowingly.
    assert f'name="based_on" value="{theirs.pk}"' in answer
    client.post(page, {"label": ["anger"], "based_on": str(theirs.pk)})
    newest = Adjudication.objects.order_by("-created_at", "-pk").first()
    assert newest.reviewer == reviewer and newest.labels == [{"label": "anger", "intensity": None}]


def test_the_whole_call_form_saves_nothing_when_one_turn_was_adjudicated_meanwhile(
    client, reviewer, project, make_user, annotated
):
    call, turns, _ = annotated
    other = _second_reviewer(project, make_user)
    whole = reverse("qa:call_adjudicate", args=[call.pk])
    client.force_login(reviewer)
    # Turn 2 (no majority) is ticked with the reviewer's own label: a decision, not an empty one.
    decide = {f"include_{turns[1].pk}": ["1"], f"label_{turns[1].pk}": ["anger"]}
    data = form_defaults(client.get(whole).content.decode()) | decide
    theirs = adjudication_create(turn=turns[1], reviewer=other, labels=[{"label": "neutral", "intensity": 2}])
    answer = client.post(whole, data, follow=True).content.decode()
    assert "Not saved: Turn 2 was adjudicated by rev2 at" in answer and "(neutral (2))" in answer
    assert list(Adjudication.objects.all()) == [theirs]  # turns 1 and 3 were not saved either
    data = form_defaults(client.get(whole).content.decode()) | decide
    client.post(whole, data)
    assert Adjudication.objects.count() == 4


def turn_page_defaults(body: str) -> dict:
    """What a browser submits for the turn's adjudication form untouched."""
    import re

    form = body[body.index('<form method="post" class="adjudicate-form">') :]
    form = form[: form.index("</form>")]
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="checkbox" name="([^"]+)" value="([^"]+)" checked>', form):
        data.setdefault(name, []).append(value)
    for name, value in re.findall(r'<input (?:type="hidden" )?name="([^"]+)"[^>]* value="([^"]*)">', form):
        data[name] = [value]
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        data[name] = [chosen.group(1) if chosen else ""]
    return data


def test_the_turn_page_pre_fills_only_shifts_between_the_emotions_it_ticks(client, reviewer, project, make_user):
    """Review finding: the turn page pre-filled the shifts most annotators marked, whatever
    emotions they ran between, next to the labels most annotators chose; a shift from an emotion
    the vote left out was then refused ("not one of this turn's labels") when the reviewer saved
    the page untouched. Such a shift is listed as not carried over instead."""
    call, turns, _ = annotated_call(project, make_user, {"a1": [["anger", "neutral"]], "a2": [["anger", "confusion"]]})
    rows = TurnAnnotation.objects.filter(turn=turns[0]).order_by("assignment__annotator__username")
    rows.filter(assignment__annotator__username="a1").update(shifts=[{"at": 0.5, "from": "neutral", "to": "anger"}])
    rows.filter(assignment__annotator__username="a2").update(shifts=[{"at": 0.6, "from": "confusion", "to": "anger"}])
    client.force_login(reviewer)
    page = reverse("qa:turn_adjudicate", args=[turns[0].pk])
    body = client.get(page).content.decode()
    assert 'name="shift_at_0" type="number" min="0.0" max="1.0" step="any" value=""' in body  # only the blank row
    assert "Not carried over" in body and "0.50 s neutral→anger" in body
    answer = client.post(page, turn_page_defaults(body), follow=True).content.decode()
    assert "Not saved" not in answer, answer[answer.find("Not saved") :][:300]
    saved = Adjudication.objects.get()
    assert [item["label"] for item in saved.labels] == ["anger"] and saved.shifts == []


def test_the_whole_call_page_does_not_send_a_shift_from_an_emotion_to_itself(client, reviewer, project, make_user):
    """Review finding: a shift saved before such shifts were refused (anger→anger) rode along with
    the whole-call form's decision and the whole form was refused, with no shift to edit there."""
    call, turns, _ = annotated_call(project, make_user, {"a1": [["anger"]], "a2": [["anger"]]})
    TurnAnnotation.objects.filter(turn=turns[0]).update(shifts=[{"at": 0.5, "from": "anger", "to": "anger"}])
    client.force_login(reviewer)
    body = client.get(reverse("qa:turn_adjudicate", args=[turns[0].pk])).content.decode()
    assert 'name="shift_at_0" type="number" min="0.0" max="1.0" step="any" value=""' in body  # nor pre-filled
    assert "Not carried over" in body and "0.50 s anger→anger" in body
    whole = reverse("qa:call_adjudicate", args=[call.pk])
    page = client.post(whole, form_defaults(client.get(whole).content.decode()), follow=True).content.decode()
    assert "1 turns adjudicated" in page, page[page.find("Not saved") :][:300]
    assert Adjudication.objects.get().shifts == []
