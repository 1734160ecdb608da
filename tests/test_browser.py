"""The workspace in a real browser: Playwright's Python package driving Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from annotation.models import Assignment, CorrectionProposal, Suggestion, TurnAnnotation
from annotation.services import call_upload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
pytestmark = [
    pytest.mark.slow,
    # A stuck browser call can sit inside asyncio, which swallows a signal's exception: on a
    # timeout, dump every thread (the live server's too) and stop the run instead.
    pytest.mark.timeout(300, method="thread"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]


_PIPELINE_OUTPUT: dict = {}  # one real machine pass per session, copied into each test's database


def _capture(call) -> dict:
    from django.forms.models import model_to_dict

    from annotation.storage import derived_dir

    folder = derived_dir(call)
    return {
        "call": {k: v for k, v in model_to_dict(call).items() if k not in ("id", "project", "audio", "uploaded_by")},
        "audio": (call.audio.name, Path(call.audio.path).read_bytes()),
        "derived": {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()},
        "speakers": [model_to_dict(s, exclude=["id", "call"]) for s in call.speakers.all()],
        "turns": [
            {**model_to_dict(t, exclude=["id", "call", "speaker"]), "speaker": t.speaker.label}
            for t in call.turns.select_related("speaker")
        ],
        "suggestions": [
            {**model_to_dict(s, exclude=["id", "turn"]), "turn": s.turn.order}
            for s in Suggestion.objects.filter(turn__call=call).select_related("turn")
        ],
    }


def _replay(project, output: dict):
    from django.conf import settings

    from annotation.models import Call, Speaker, Turn
    from annotation.storage import derived_dir

    name, data = output["audio"]
    (Path(settings.MEDIA_ROOT) / name).parent.mkdir(parents=True, exist_ok=True)
    (Path(settings.MEDIA_ROOT) / name).write_bytes(data)
    call = Call.objects.create(project=project, audio=name, **output["call"])
    folder = derived_dir(call)
    folder.mkdir(parents=True, exist_ok=True)
    for file_name, data in output["derived"].items():
        (folder / file_name).write_bytes(data)
    speakers = {s["label"]: Speaker.objects.create(call=call, **s) for s in output["speakers"]}
    turns = {
        t["order"]: Turn.objects.create(call=call, **{**t, "speaker": speakers[t["speaker"]]}) for t in output["turns"]
    }
    for s in output["suggestions"]:
        Suggestion.objects.create(**{**s, "turn": turns[s["turn"]]})
    return call


@pytest.fixture
def ready_assignment(project, make_user, two_voice_call):
    from annotation.jobs import run_pipeline_inline

    if not _PIPELINE_OUTPUT:
        with two_voice_call[0].open("rb") as fh:
            call = call_upload(project=project, fileobj=fh, filename="dual.wav", start_pipeline=False).call
        call = run_pipeline_inline(call=call)
        assert call.status == "ready", call.error
        assert call.coverage >= 0.99  # no speech outside the turns the annotator sees
        _PIPELINE_OUTPUT.update(_capture(call))
    else:
        call = _replay(project, _PIPELINE_OUTPUT)
    user = make_user("ann", "annotator")
    return Assignment.objects.create(call=call, annotator=user), user


def browser_context(browser, **options):
    """A context whose test probes (wait_for_function, evaluate) may run string scripts, which the
    app's Content Security Policy forbids; the app itself is checked under the real policy in
    test_workspace_runs_under_the_content_security_policy."""
    return browser.new_context(bypass_csp=True, **options)


def login(page, live_server, username):
    """Sign in and wait until the page after the form has loaded: closing a tab while the sign-in's
    navigation is still in flight (the axe walk did, at once) can leave Playwright waiting forever
    on calls that have no timeout."""
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state()


def open_workspace(context, live_server, assignment, *, log_in=True):
    page = context.new_page()
    responses, errors = [], []
    page.on("response", lambda r: responses.append(r))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    if log_in:
        login(page, live_server, assignment.annotator.username)
    page.goto(f"{live_server.url}/assignments/{assignment.pk}/workspace/")
    page.wait_for_selector(".ws-turn", timeout=15000)
    assert not errors, errors
    return page, responses


def test_annotator_plays_tags_with_the_keyboard_and_finds_it_saved(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser_context(browser, viewport={"width": 1400, "height": 900})
    page, responses = open_workspace(context, live_server, assignment)
    assert page.locator(".ws-turn").count() == assignment.call.turns.count()
    page.keyboard.press("Space")
    page.wait_for_function("document.getElementById('ws-audio').currentTime > 0.3", timeout=15000)
    audio = [r for r in responses if "/audio" in r.url]
    assert audio and all(r.status in (200, 206) for r in audio)
    page.wait_for_selector(".ws-turn.current .ws-text span.playing")  # word timings arrived and follow playback
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")  # second turn
    assert "f Frustration" in page.locator("#ws-labels").inner_text()  # the palette shows each label's key
    page.keyboard.press("f")  # frustration
    page.keyboard.press("4")  # intensity 4
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workspace.png"), full_page=True)
    page.reload()
    page.wait_for_selector(".ws-turn[data-index='1'] .ws-chip:not(.ws-suggested)")
    # text_content, not inner_text: turn blocks use content-visibility:auto, and innerText of a
    # block the browser has not yet judged on screen is empty although its DOM is filled.
    assert "Frustration 4" in page.locator(".ws-turn[data-index='1'] .ws-tags").text_content()
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=1)
    assert stored.labels == [{"label": "frustration", "intensity": 4}] and stored.version == 1  # keystrokes debounced


def test_no_emotion_and_skip_are_saved_as_they_are_shown(browser, live_server, ready_assignment):
    """Both controls were drawn as done and reported "all changes saved" while the save left them
    out, so the server reset them: the turn came back untagged on reload."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    page.locator(".ws-turn[data-index='0']").get_by_role(
        "button", name="turn 1: decide: no emotion on this turn"
    ).click()
    page.once("dialog", lambda dialog: dialog.accept("cross-talk"))
    page.locator(".ws-turn[data-index='1']").get_by_role(
        "button", name="turn 2: skip this turn (it will not count)"
    ).click()
    page.wait_for_function(SAVED)
    first = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    second = TurnAnnotation.objects.get(assignment=assignment, turn__order=1)
    assert (first.no_emotion, first.labels, second.skipped, second.skip_reason) == (True, [], True, "cross-talk")
    page.reload()
    page.wait_for_selector(".ws-turn[data-index='0'] .ws-mini.on")
    assert "no emotion ✓" in page.locator(".ws-turn[data-index='0']").text_content()
    assert "skipped ✓" in page.locator(".ws-turn[data-index='1']").text_content()
    context.close()


def test_tagging_a_skipped_turn_takes_the_skip_back_so_the_tags_count(browser, live_server, ready_assignment):
    """Label keys on a skipped turn drew chips and said "all changes saved", and the server kept
    skipped: true with the labels, which every figure then left out."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    page.once("dialog", lambda dialog: dialog.accept("cross-talk"))
    page.locator(".ws-turn[data-index='0']").get_by_role(
        "button", name="turn 1: skip this turn (it will not count)"
    ).click()
    wait_status(page, SAVED)
    page.locator(".ws-turn[data-index='0']").focus()
    page.keyboard.press("c")  # confusion, on the skipped turn
    wait_status(page, SAVED)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert (stored.skipped, stored.skip_reason) == (False, "")
    assert [item["label"] for item in stored.labels] == ["confusion"]
    assert "skipped ✓" not in page.locator(".ws-turn[data-index='0']").text_content()
    page.keyboard.press("Control+z")  # the skip comes back, without the tag
    wait_status(page, SAVED)
    stored.refresh_from_db()
    assert (stored.skipped, stored.skip_reason, stored.labels) == (True, "cross-talk", [])
    # Skipping a tagged turn clears its tags, and the prompt says so first.
    page.keyboard.press("ArrowDown")
    page.keyboard.press("c")
    wait_status(page, SAVED)
    prompts = []
    page.once("dialog", lambda dialog: (prompts.append(dialog.message), dialog.accept("music")))
    page.locator(".ws-turn[data-index='1']").get_by_role(
        "button", name="turn 2: skip this turn (it will not count)"
    ).click()
    wait_status(page, SAVED)
    assert "Its tags are cleared" in prompts[0], prompts
    second = TurnAnnotation.objects.get(assignment=assignment, turn__order=1)
    assert (second.skipped, second.skip_reason, second.labels, second.shifts) == (True, "music", [], [])
    assert page.locator(".ws-turn[data-index='1'] .ws-chip:not(.ws-suggested)").count() == 0
    assert not page.errors, page.errors
    context.close()


def test_the_save_line_does_not_say_saved_before_the_server_answered(browser, live_server, ready_assignment):
    """For 400 ms after a key press the line kept "all changes saved" while the change had not
    even been sent."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    page.keyboard.press("c")
    wait_status(page, SAVED)
    held = []
    page.route(
        "**/api/assignments/**",
        lambda route: held.append(route) if route.request.method == "PUT" else route.continue_(),
    )
    page.keyboard.press("d")
    right_after = page.locator("#ws-save").text_content()
    assert right_after != "all changes saved" and "unsaved" in right_after, right_after
    for _ in range(100):  # the save is sent after the queue's short wait, and held here
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the save was never sent"
    assert page.locator("#ws-save").text_content().startswith("saving"), page.locator("#ws-save").text_content()
    held[0].continue_()
    page.unroute("**/api/assignments/**")
    wait_status(page, SAVED)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert [item["label"] for item in stored.labels] == ["confusion", "disengagement"]
    context.close()


def test_a_shift_at_a_turn_starting_between_centiseconds_is_saved(browser, live_server, ready_assignment):
    """Turn edges are stored to the millisecond; the shift's time was rounded to 10 ms after it was
    put inside the turn, so a turn from 0.003 s got a shift at 0.00, which the server refuses."""
    assignment, _ = ready_assignment
    turn = assignment.call.turns.get(order=0)
    whole = int(turn.start * 100) / 100
    turn.start = round(whole + 0.003, 3)
    turn.save()
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {max(0.0, turn.start - 0.5)}")
    page.keyboard.press("f")
    page.keyboard.press("g")
    page.keyboard.press("Shift+S")
    wait_status(page, SAVED)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn=turn)
    assert stored.shifts and stored.shifts[0]["at"] == round(whole + 0.01, 2)


def test_changes_made_while_signed_out_are_kept_and_saved_after_signing_in(browser, live_server, ready_assignment):
    """A 401 was taken for a refusal of the change: every queued change was dropped in turn."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    elsewhere = context.new_page()
    elsewhere.goto(f"{live_server.url}/")
    elsewhere.locator("form.logout button").click()
    elsewhere.wait_for_load_state()
    page.keyboard.press("f")
    wait_status(page, "document.getElementById('ws-save').textContent.startsWith('signed out')")
    assert page.evaluate(f"localStorage.getItem('annotera-unsaved-{assignment.pk}')")
    assert not TurnAnnotation.objects.filter(assignment=assignment).exists()
    login(elsewhere, live_server, assignment.annotator.username)
    page.wait_for_function(SAVED, timeout=20000)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert [item["label"] for item in stored.labels] == ["frustration"]
    context.close()


def test_conflicting_edit_from_a_second_tab_is_merged_not_lost(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    first.keyboard.press("f")
    first.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    second.keyboard.press("c")  # confusion, on a stale version of the same turn
    second.wait_for_selector("#ws-conflict[open]")
    second.click("#ws-conflict-apply")  # labels default to "combine"
    second.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert {item["label"] for item in stored.labels} == {"frustration", "confusion"} and stored.version == 2


def test_undo_after_a_merged_conflict_does_not_overwrite_the_other_tabs_change(browser, live_server, ready_assignment):
    """Ctrl+Z put back the turn as it was before this tab's edit, a state older than the change
    merged in from the other tab, and saved it over that change with the current version."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    first.keyboard.press("f")
    wait_status(first, SAVED)
    second.keyboard.press("c")
    second.wait_for_selector("#ws-conflict[open]")
    second.click("#ws-conflict-apply")
    wait_status(second, SAVED)
    second.keyboard.press("Control+z")
    wait_status(second, "document.getElementById('ws-save').textContent === 'nothing to undo'")
    second.wait_for_timeout(600)  # a save would have been sent by now
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert {item["label"] for item in stored.labels} == {"frustration", "confusion"} and stored.version == 2
    context.close()


def test_blind_annotator_gets_no_suggestions_in_dom_or_network(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    assignment.blind = True
    assignment.save()
    context = browser_context(browser)
    page, responses = open_workspace(context, live_server, assignment)
    assert page.locator(".ws-suggested").count() == 0 and page.locator(".ws-why").count() == 0
    payloads = [r.text() for r in responses if "/workspace/" in r.url and r.url.startswith(live_server.url + "/api/")]
    assert payloads and all('"suggestions"' not in body and '"rules-' not in body for body in payloads)


def test_valence_arousal_and_shift_markers_are_saved(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.keyboard.press("f")
    page.keyboard.press("g")  # gratitude: two emotions, so a shift can go from one to the other
    page.keyboard.press("Shift+S")  # shift marker (plain "s" is the satisfaction label)
    turn0 = page.locator(".ws-turn[data-index='0']")
    turn0.locator("select[name=valence]").select_option("-1")
    turn0.locator("select[name=arousal]").select_option("4")
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert (stored.valence, stored.arousal) == (-1.0, 4.0)
    assert [(s["from"], s["to"]) for s in stored.shifts] == [("frustration", "gratitude")]
    assert stored.turn.start <= stored.shifts[0]["at"] <= stored.turn.end

    # The marker can be dragged along the waveform (inside its turn), and Ctrl+Z puts it back.
    placed, turn = stored.shifts[0]["at"], stored.turn
    target = round(turn.start + 0.7 * (turn.end - turn.start), 2)
    box = page.locator("#ws-wave").bounding_box()
    view = page.evaluate("[window.annotera.state.view.start, window.annotera.state.view.end]")

    def px(t):
        return box["x"] + (t - view[0]) / (view[1] - view[0]) * box["width"]

    page.mouse.move(px(placed), box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(px(target), box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    assert abs(stored_shift(stored, lambda at: at != placed) - target) < 0.1, (stored.shifts, target)
    page.keyboard.press("Control+z")
    assert stored_shift(stored, lambda at: at == placed) == placed


# Every queued change has been answered (saved or refused): the queue is empty and nothing is in flight.
QUEUE_DONE = "window.annotera.state.ops.length === 0 && !window.annotera.state.saving"


def test_choosing_one_emotion_on_both_sides_of_a_shift_swaps_the_sides(browser, live_server, ready_assignment):
    """Both of the shift editor's selects offered every label of the turn, so "frustration →
    frustration" could be chosen: no shift at all, which the server refuses."""
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.keyboard.press("f")
    page.keyboard.press("g")
    page.keyboard.press("Shift+S")  # frustration -> gratitude
    wait_status(page, SAVED)
    page.get_by_label("shift 1 of turn 1: to emotion").select_option("frustration")
    wait_status(page, QUEUE_DONE)
    assert page.locator("#ws-save").text_content() == "all changes saved"
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert [(s["from"], s["to"]) for s in stored.shifts] == [("gratitude", "frustration")] and stored.version == 2


def test_a_merged_conflict_keeps_only_the_shifts_between_the_emotions_kept(browser, live_server, ready_assignment):
    """Labels "keep mine" with the shifts combined sent a shift between two emotions the merged
    turn no longer has: refused by the server, and the merge was lost."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    first.keyboard.press("f")
    first.keyboard.press("g")
    first.keyboard.press("Shift+S")
    wait_status(first, SAVED)
    second.keyboard.press("c")  # confusion, on a stale version of the same turn
    wait_status(second, "document.getElementById('ws-conflict').open")
    second.locator("#ws-conflict-fields select[name=labels]").select_option("mine")
    assert second.locator("#ws-conflict-fields select[name=shifts]").input_value() == "combine"
    second.click("#ws-conflict-apply")
    wait_status(second, QUEUE_DONE)
    assert second.locator("#ws-save").text_content() == "all changes saved"
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert ([item["label"] for item in stored.labels], stored.shifts, stored.version) == (["confusion"], [], 2)
    context.close()


def test_a_merged_conflict_that_keeps_a_skip_and_tags_keeps_the_tags(browser, live_server, ready_assignment):
    """Skipped kept from the other tab with my labels sent skipped: true with labels, which the
    server stored and never counted (now refuses): the tags win, as tagging a skipped turn un-skips it."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    first.once("dialog", lambda dialog: dialog.accept("cross-talk"))
    first.locator(".ws-turn[data-index='0']").get_by_role(
        "button", name="turn 1: skip this turn (it will not count)"
    ).click()
    wait_status(first, SAVED)
    second.keyboard.press("c")  # confusion, on a stale version of the same turn
    wait_status(second, "document.getElementById('ws-conflict').open")
    second.locator("#ws-conflict-fields select[name=skipped]").select_option("theirs")
    second.locator("#ws-conflict-fields select[name=labels]").select_option("mine")
    second.click("#ws-conflict-apply")
    wait_status(second, QUEUE_DONE)
    assert second.locator("#ws-save").text_content() == "all changes saved"
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert (stored.skipped, stored.skip_reason, [item["label"] for item in stored.labels]) == (False, "", ["confusion"])
    context.close()


def stored_shift(annotation, done, timeout=10.0):
    """The first shift's time once the server has saved one that ``done`` accepts."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        annotation.refresh_from_db()
        at = annotation.shifts[0]["at"]
        if done(at) or time.monotonic() > deadline:
            return at
        time.sleep(0.1)


SAVED = "document.getElementById('ws-save').textContent === 'all changes saved'"
PROPOSED = "document.getElementById('ws-save').textContent.startsWith('correction proposed')"


def wait_status(page, script: str) -> None:
    """Wait for the save line to say something; on timeout, fail with what it says instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_function(script, timeout=10000)
    except PlaywrightTimeout:
        raise AssertionError(
            f"save line says: {page.locator('#ws-save').text_content()!r}; errors {page.errors}"
        ) from None


def reviewer_accepts_all(call, make_user):
    from annotation.models import CorrectionProposal, ProjectMembership
    from annotation.proposals import proposal_accept

    reviewer = make_user(f"rev{CorrectionProposal.objects.count()}", "qa_reviewer")
    ProjectMembership.objects.create(project=call.project, user=reviewer, role="reviewer")
    for proposal in CorrectionProposal.objects.filter(call=call, status="proposed"):
        proposal_accept(proposal=proposal, user=reviewer)


def test_split_with_annotations_is_proposed_then_carries_labels_over(browser, live_server, ready_assignment, make_user):
    assignment, _ = ready_assignment
    call = assignment.call
    first_turn = call.turns.get(order=0)
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    before = page.locator(".ws-turn").count()
    page.keyboard.press("f")
    page.wait_for_function(SAVED)
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {(first_turn.start + first_turn.end) / 2}")
    page.keyboard.press("Shift+X")
    wait_status(page, PROPOSED)
    page.wait_for_selector(".ws-turn[data-index='0'] .ws-proposal.proposed")  # the proposer sees it at once
    assert page.locator(".ws-turn").count() == before and call.turns.count() == before  # nothing applied yet
    other = Assignment.objects.create(call=call, annotator=make_user("ann2", "annotator"))
    second_page, _ = open_workspace(browser_context(browser), live_server, other)
    assert second_page.locator(".ws-proposal").count() == 0  # invisible to another annotator
    reviewer_accepts_all(call, make_user)
    page.reload()
    page.wait_for_selector(".ws-turn[data-index='1'] .ws-recheck")
    assert page.locator(".ws-turn").count() == before + 1
    for index in (0, 1):  # labels copied to both halves, flagged for re-check
        assert "Frustration" in page.locator(f".ws-turn[data-index='{index}'] .ws-tags").text_content()
    assert not page.errors


def test_ctrl_z_withdraws_a_correction_proposal_and_ctrl_shift_z_proposes_it_again(
    browser, live_server, ready_assignment
):
    assignment, _ = ready_assignment
    call = assignment.call
    first_turn = call.turns.get(order=0)
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {(first_turn.start + first_turn.end) / 2}")
    page.keyboard.press("Shift+X")
    wait_status(page, PROPOSED)
    page.wait_for_selector(".ws-turn[data-index='0'] .ws-proposal.proposed")
    proposal = CorrectionProposal.objects.get(call=call)
    page.keyboard.press("Control+z")
    wait_status(page, "document.getElementById('ws-save').textContent === 'proposal withdrawn'")
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"
    page.wait_for_selector(".ws-turn[data-index='0'] .ws-proposal.proposed", state="detached")
    page.keyboard.press("Control+Shift+z")
    wait_status(page, PROPOSED)
    again = CorrectionProposal.objects.get(call=call, status="proposed")
    assert (again.action, again.params) == ("split", proposal.params) and again.pk != proposal.pk
    assert call.turns.count() == first_turn.call.turns.count()  # nothing applied: proposals only
    assert not page.errors


def test_boundary_shrink_then_grow_keeps_every_word(browser, live_server, ready_assignment, make_user):
    assignment, _ = ready_assignment
    call = assignment.call
    turn = call.turns.get(order=1)
    words, text = turn.words, turn.text
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.keyboard.press("ArrowDown")
    shrink_to = round((words[0]["e"] + words[1]["s"]) / 2, 2) if len(words) > 1 else turn.start + 0.2
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {shrink_to}")
    page.wait_for_function(f"Math.abs(document.getElementById('ws-audio').currentTime - {shrink_to}) < 0.01")
    page.keyboard.press("]")  # propose: the turn ends after its first word
    wait_status(page, PROPOSED)
    reviewer_accepts_all(call, make_user)
    turn.refresh_from_db()
    assert turn.text == words[0]["w"].strip()
    page.reload()
    page.wait_for_selector("#ws-gaps:not([hidden])")  # the words that left are shown, not lost
    page.keyboard.press("ArrowDown")
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {words[-1]['e'] + 0.05}")
    page.keyboard.press("]")
    wait_status(page, PROPOSED)
    reviewer_accepts_all(call, make_user)
    turn.refresh_from_db()
    assert turn.text == text  # every word came back with the boundary
    assert not page.errors


def test_speaker_correction_is_a_proposal(browser, live_server, ready_assignment):
    from annotation.models import CorrectionProposal

    assignment, _ = ready_assignment
    call = assignment.call
    turn = call.turns.get(order=1)
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    other = call.speakers.exclude(pk=turn.speaker_id).first()
    page.locator(".ws-turn[data-index='1'] select.ws-speaker").select_option(str(other.pk))
    wait_status(page, PROPOSED)
    proposal = CorrectionProposal.objects.get()
    assert (proposal.action, proposal.params, proposal.proposed_by) == ("speaker", {"speaker": other.pk},
                                                                        assignment.annotator)  # fmt: skip
    turn.refresh_from_db()
    assert turn.speaker_id != other.pk and not page.errors


def test_edits_made_offline_are_kept_and_saved_when_the_network_returns(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    context.set_offline(True)
    page.keyboard.press("c")  # confusion, while offline
    page.wait_for_function("document.getElementById('ws-save').textContent.startsWith('offline')")
    kept = page.evaluate(f"localStorage.getItem('annotera-unsaved-{assignment.pk}')")
    assert kept and "confusion" in kept
    assert not TurnAnnotation.objects.filter(assignment=assignment).exists()
    context.set_offline(False)
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'", timeout=15000)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert stored.labels == [{"label": "confusion", "intensity": 3}]
    assert page.evaluate(f"localStorage.getItem('annotera-unsaved-{assignment.pk}')") is None


def test_a_server_error_keeps_the_change_says_so_and_saves_it_when_the_server_recovers(
    browser, live_server, ready_assignment
):
    """A 500 or a proxy's 502 page (HTML, not JSON) made the save fail to parse, and the status said
    "offline" while the network was fine; a JSON 5xx was taken as a refusal and the change dropped."""
    assignment, _ = ready_assignment
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    failing = {"left": 2}

    def server_trouble(route):
        if route.request.method == "PUT" and failing["left"]:
            failing["left"] -= 1
            status, body, kind = (502, "<html>Bad Gateway</html>", "text/html") if failing["left"] else (
                500, '{"detail": "boom"}', "application/json")  # fmt: skip
            route.fulfill(status=status, body=body, content_type=kind)
        else:
            route.continue_()

    page.route("**/api/assignments/**", server_trouble)
    page.keyboard.press("c")  # confusion
    page.wait_for_function(
        "document.getElementById('ws-save').textContent.startsWith('server error (the server answered 502)')"
    )
    assert "1 change(s) kept here and retried" in page.inner_text("#ws-save")
    assert not TurnAnnotation.objects.filter(assignment=assignment).exists()
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'", timeout=20000)
    assert failing["left"] == 0  # the 500 with a JSON body was retried too, not taken as a refusal
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert stored.labels == [{"label": "confusion", "intensity": 3}]
    context.close()


def test_workspace_runs_under_the_content_security_policy(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser.new_context()  # the real policy: no bypass
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    login(page, live_server, assignment.annotator.username)
    page.goto(f"{live_server.url}/assignments/{assignment.pk}/workspace/")
    page.wait_for_selector(".ws-turn.current .ws-speaker")  # script ran: turns, palette, controls built
    page.keyboard.press("Space")
    page.wait_for_selector(".ws-turn.current .ws-text span.playing", timeout=15000)  # audio plays, words follow
    page.keyboard.press("Space")
    page.keyboard.press("f")
    page.wait_for_selector("#ws-save:text('all changes saved')")
    assert TurnAnnotation.objects.get(assignment=assignment, turn__order=0).labels[0]["label"] == "frustration"
    assert not violations, violations


def test_edit_after_submit_is_refused_visibly_until_reopened(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    Assignment.objects.filter(pk=assignment.pk).update(status="submitted")  # submitted from another tab
    page.keyboard.press("f")
    page.wait_for_function("document.getElementById('ws-save').textContent.startsWith('not saved')")
    assert "read-only" in page.locator("#ws-save").text_content()
    page.wait_for_selector("#ws-readonly:not([hidden])")  # reloaded: the banner says why
    assert page.locator(".ws-turn[data-index='0'] .ws-chip:not(.ws-suggested)").count() == 0
    # The read-only workspace is legible: its unusable controls were faded below the contrast
    # minimum (axe color-contrast, serious); they say they are unusable instead.
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert not [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")], violations
    assert page.locator("#ws-split").get_attribute("aria-disabled") == "true"
    page.keyboard.press("f")  # refused at once, with the way out named
    assert "Reopen" in page.locator("#ws-save").text_content()
    assert not TurnAnnotation.objects.filter(assignment=assignment).exists()
    page.click("#ws-reopen")
    page.wait_for_selector("#ws-readonly[hidden]", state="attached")
    page.locator(".ws-turn[data-index='0']").focus()
    page.keyboard.press("f")
    page.wait_for_function(SAVED)
    assignment.refresh_from_db()
    assert assignment.status == "in_progress"
    assert TurnAnnotation.objects.get(assignment=assignment).labels[0]["label"] == "frustration"


def tag_every_turn_neutral(assignment) -> None:
    """Every turn of the call tagged, so the call may be submitted."""
    call = assignment.call
    for turn in call.turns.all():
        TurnAnnotation.objects.create(assignment=assignment, turn=turn, taxonomy=call.project.taxonomy,
                                      labels=[{"label": "neutral", "intensity": 2}])  # fmt: skip


def propose_second_turn_start_offline(page, context, turn) -> float:
    """Go offline and propose a new start for ``turn`` (the second) at a point inside it; the
    proposal waits in the queue. Returns the proposed start."""
    page.keyboard.press("ArrowDown")
    new_start = round(turn.start + min(0.3, (turn.end - turn.start) / 3), 2)
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {new_start}")
    page.wait_for_function(f"Math.abs(document.getElementById('ws-audio').currentTime - {new_start}) < 0.01")
    context.set_offline(True)
    page.keyboard.press("[")
    return new_start


def test_offline_boundary_move_and_submit_are_replayed_in_order(browser, live_server, ready_assignment):
    from annotation.models import CorrectionProposal

    assignment, _ = ready_assignment
    call = assignment.call
    tag_every_turn_neutral(assignment)
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    new_start = propose_second_turn_start_offline(page, context, call.turns.get(order=1))
    page.wait_for_function("document.getElementById('ws-save').textContent.startsWith('offline')")
    page.keyboard.press("Control+Enter")
    page.wait_for_function(f"JSON.parse(localStorage.getItem('annotera-unsaved-{assignment.pk}') || '[]').length === 2")
    assert not CorrectionProposal.objects.exists()
    context.set_offline(False)
    page.wait_for_url("**/queue/", timeout=15000)
    assignment.refresh_from_db()
    proposal = CorrectionProposal.objects.get()
    assert assignment.status == "submitted" and proposal.params["start"] == new_start
    assert proposal.created_at <= assignment.submitted_at  # replayed in the order they were made


def submit_waiting_offline_then_edit(browser, live_server, assignment):
    """Every turn tagged, the page offline, Ctrl+Enter (the submit waits in the queue), then an
    edit ("c"). Returns (context, page)."""
    tag_every_turn_neutral(assignment)
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    context.set_offline(True)
    page.keyboard.press("Control+Enter")
    wait_status(page, "document.getElementById('ws-save').textContent.startsWith('offline')")
    page.keyboard.press("c")
    return context, page


def test_an_edit_made_while_the_submit_waits_is_refused_not_dropped(browser, live_server, ready_assignment):
    """An edit made after Submit was queued behind it; the page left for the queue once the submit
    went through, and the edit was gone without a word."""
    assignment, _ = ready_assignment
    context, page = submit_waiting_offline_then_edit(browser, live_server, assignment)
    assert page.locator("#ws-save").text_content().startswith("Not changed: this call is being submitted")
    assert len(page.evaluate(f"JSON.parse(localStorage.getItem('annotera-unsaved-{assignment.pk}'))")) == 1
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url("**/queue/", timeout=15000)
    assignment.refresh_from_db()
    assert assignment.status == "submitted"
    assert TurnAnnotation.objects.get(assignment=assignment, turn__order=0).labels == [
        {"label": "neutral", "intensity": 2}
    ]
    context.close()


def test_a_submit_waiting_offline_can_be_taken_back_with_ctrl_z(browser, live_server, ready_assignment):
    """With the submit waiting offline every edit was refused, and nothing took the submit back."""
    assignment, _ = ready_assignment
    context, page = submit_waiting_offline_then_edit(browser, live_server, assignment)
    assert "Ctrl+Z to take the submit back" in page.locator("#ws-save").text_content()
    page.keyboard.press("Control+z")
    assert page.locator("#ws-save").text_content().startswith("submit taken back")
    page.keyboard.press("c")  # an edit again, queued while offline
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_status(page, SAVED)
    assignment.refresh_from_db()
    assert assignment.status != "submitted"
    labels = {item["label"] for item in TurnAnnotation.objects.get(assignment=assignment, turn__order=0).labels}
    assert labels == {"neutral", "confusion"}
    context.close()


def test_tags_queued_behind_a_proposal_are_saved_as_made(browser, live_server, ready_assignment):
    """The regression: the reload after a proposal replaced the screen's tags with the server's copy
    while saves of them were still queued, and those saves sent the copy: blank annotations stored,
    "all changes saved" shown."""
    from annotation.models import CorrectionProposal

    assignment, _ = ready_assignment
    call = assignment.call
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    propose_second_turn_start_offline(page, context, call.turns.get(order=1))
    page.wait_for_function("document.getElementById('ws-save').textContent.startsWith('offline')")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("f")  # then tags on other turns, queued behind it
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("c")
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    wait_status(page, SAVED)
    assert CorrectionProposal.objects.filter(call=call).count() == 1
    stored = {
        a.turn.order: [item["label"] for item in a.labels] for a in TurnAnnotation.objects.filter(assignment=assignment)
    }
    assert stored == {0: ["frustration"], 2: ["confusion"]}
    assert "Frustration" in page.locator(".ws-turn[data-index='0'] .ws-tags").text_content()
    context.close()


def test_kept_changes_for_turns_that_are_gone_are_named_not_dropped_silently(browser, live_server, ready_assignment):
    """Changes kept in the browser for a turn that a reviewer's split or merge removed since were
    skipped without a word, and the line said "all changes saved"."""
    import json

    assignment, _ = ready_assignment
    turn = assignment.call.turns.get(order=0)
    kept = [
        {"kind": "save", "turnId": 10**9, "annotation": {"labels": [{"label": "anger", "intensity": 3}], "version": 0}},
        {"kind": "save", "turnId": turn.pk, "annotation": {"labels": [{"label": "frustration", "intensity": 3}],
                                                           "version": 0}},
    ]  # fmt: skip
    context = browser_context(browser)
    script = f"localStorage.setItem('annotera-unsaved-{assignment.pk}', {json.dumps(json.dumps(kept))})"
    page, _ = open_workspace(context, live_server, assignment)
    page.evaluate(script)
    page.reload()
    wait_status(page, "document.getElementById('ws-save').textContent.includes('split or merged since')")
    page.wait_for_function("document.getElementById('ws-save').textContent.startsWith('all changes saved, but 1')")
    stored = TurnAnnotation.objects.get(assignment=assignment)
    assert stored.turn_id == turn.pk and [item["label"] for item in stored.labels] == ["frustration"]
    context.close()


def test_conflict_dialog_compares_field_by_field_and_esc_cancels(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    turn0 = first.locator(".ws-turn[data-index='0']")
    turn0.locator("select[name=valence]").select_option("-2")
    turn0.locator("input[placeholder=note]").fill("sarcastic")
    turn0.locator("input[placeholder=note]").press("Tab")
    first.wait_for_function(SAVED)
    second.keyboard.press("c")  # confusion, on a stale version
    wait_status(second, "document.getElementById('ws-conflict').open")
    assert "Turn 1" in second.locator("#ws-conflict-turn").text_content()  # names the turn
    fields = second.locator("#ws-conflict-fields tr td:first-child").all_text_contents()
    # Named as on the page, and only what differs: the skip fields, empty on both sides, are not listed.
    assert sorted(fields) == ["Labels", "Note", "Valence"], fields
    second.locator("#ws-conflict-fields select[name=valence]").select_option("theirs")
    second.click("#ws-conflict-apply")
    second.wait_for_function(SAVED)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert (stored.valence, stored.note, [item["label"] for item in stored.labels]) == (
        -2.0,
        "sarcastic",
        ["confusion"],
    )
    # Tab left the note for a control of turn 2: the shortcut must not fire into it
    first.keyboard.press("f")
    first.keyboard.press("Escape")  # back to the turn of that control
    assert first.evaluate("document.activeElement.classList.contains('ws-turn')")
    assert first.evaluate("document.activeElement.dataset.index") == "1"
    first.keyboard.press("ArrowUp")  # to turn 1 again
    first.keyboard.press("f")  # now the first tab is stale: Esc cancels, nothing of it is written
    first.wait_for_selector("#ws-conflict[open]")
    first.keyboard.press("Escape")
    first.wait_for_selector("#ws-conflict:not([open])", state="attached")
    first.wait_for_function("!document.getElementById('ws-save').textContent.startsWith('saving')")
    stored.refresh_from_db()
    assert [item["label"] for item in stored.labels] == ["confusion"] and stored.version == 2


def test_rejected_suggestion_stays_rejected_and_accepting_fills_no_valence(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    suggested = Suggestion.objects.filter(turn__call=assignment.call).exclude(labels=[]).select_related("turn")
    suggestion = suggested.order_by("turn__order").first()
    assert suggestion, "the machine pass made no suggestion to decide on"
    index = suggestion.turn.order
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    for _ in range(index):
        page.keyboard.press("ArrowDown")
    first_label = suggestion.labels[0]["label"]
    page.locator(f".ws-turn[data-index='{index}'] .ws-suggestion .ws-mini").first.click()  # reject the first
    page.wait_for_function(SAVED)
    page.locator(f".ws-turn[data-index='{index}']").focus()
    page.keyboard.press("Shift+A")  # accepts the others, never the rejected one
    page.wait_for_function(SAVED)
    stored = TurnAnnotation.objects.get(assignment=assignment, turn=suggestion.turn)
    assert stored.suggestion_actions[first_label] == "rejected"
    assert first_label not in [item["label"] for item in stored.labels]
    assert (stored.valence, stored.arousal) == (None, None)  # accepting fills only the accepted labels
    page.reload()
    page.wait_for_selector(f".ws-turn[data-index='{index}'] .ws-rejected")


@pytest.mark.timeout(600, method="thread")
def test_every_page_passes_axe_as_every_role(browser, live_server, ready_assignment, make_user, taxonomy):
    """axe-core on every HTML page of the URL resolver, as each role, with no critical or serious
    violation. Pages are found from the resolver and pointed at objects through the access walk's
    registry, so a page another module adds is walked without touching this test."""
    from types import SimpleNamespace

    from axe_playwright_python.sync_playwright import Axe
    from django.urls import reverse

    from annotation.models import CorrectionProposal, ProjectMembership, TurnRevision
    from people.invitations import invitation_create
    from qa.models import ExportSnapshot
    from tests.test_access_walk import REGISTRY, Obj, Public, all_routes

    assignment, annotator = ready_assignment
    call = assignment.call
    project = call.project
    turn = call.turns.get(order=0)
    TurnAnnotation.objects.create(assignment=assignment, turn=turn, taxonomy=project.taxonomy,
                                  labels=[{"label": "anger", "intensity": 3}])  # fmt: skip
    reviewer, manager = make_user("rev", "qa_reviewer"), make_user("pm", "project_manager")
    ProjectMembership.objects.create(project=project, user=reviewer, role="reviewer")
    ProjectMembership.objects.create(project=project, user=manager, role="manager")
    admin = make_user("root", None, is_staff=True, is_superuser=True)
    proposal = CorrectionProposal.objects.create(call=call, turn=turn, action="split", params={"at": turn.start + 0.5},
                                                 base_revision=1, proposed_by=annotator,
                                                 before=[{"start": turn.start, "end": turn.end, "speaker": "CH0",
                                                          "text": turn.text}], after=[])  # fmt: skip
    world = SimpleNamespace(
        theirs=project, call=call, speaker=turn.speaker, turn=turn, assignment=assignment, taxonomy=project.taxonomy,
        annotation=TurnAnnotation.objects.get(), annotator_b=annotator, proposal=proposal,
        snapshot=ExportSnapshot.objects.create(project=project, formats=["jsonl"]),
        revision=TurnRevision.objects.create(call=call, action="adjust", before=[], after=[], user=manager),
        invitation=invitation_create(email="newcomer@example.org", role="annotator", projects=[project],
                                     invited_by=manager, build_link=lambda token: f"/invite/{token}/").invitation,
    )  # fmt: skip
    pages = []
    for name, _ in all_routes():
        entry = REGISTRY.get(name)
        if name.startswith(("api-", "admin:")) or entry is None or (isinstance(entry, Public) and name != "login"):
            continue
        kwargs = entry.kwargs(world) if isinstance(entry, Obj) or hasattr(entry, "kwargs") else {}
        pages.append((name, reverse(name, kwargs=kwargs)))
    axe, checked, failures, skipped = Axe(), set(), [], {}
    current = {"page": "logging in"}
    try:
        walk_pages(browser, live_server, pages, (annotator, reviewer, manager, admin), axe, current,
                   checked, failures, skipped)  # fmt: skip
    except BaseException:  # pytest-timeout (or a browser error) stops the walk: say where it was
        print(f"the axe walk stopped on {current['page']}")
        raise
    assert not failures, "\n".join(failures)
    assert {"annotation:workspace", "annotation:project_corrections", "login"} <= checked, {
        k: v for k, v in skipped.items() if k[0] in ("annotation:workspace", "annotation:project_corrections")
    }


def walk_pages(browser, live_server, pages, users, axe, current, checked, failures, skipped):
    """axe-core on each (name, url) as each user, in a fresh tab per page."""
    from playwright.sync_api import Error as PlaywrightError

    def slow_page(name):  # straight to the real stderr: shown even if the run is stopped
        sys.__stderr__.write(f"\naxe walk: no answer for 60 s on {name}\n")
        sys.__stderr__.flush()

    watchdog = threading.Timer(0, lambda: None)
    for user in users:
        context = browser_context(browser, viewport={"width": 1280, "height": 720})
        page = context.new_page()
        login(page, live_server, user.username)
        page.close()
        for name, url in pages:
            # A fresh tab per page: a page left behind (htmx polling, a script still loading) can
            # otherwise interrupt the next navigation ("interrupted by another navigation").
            if not page.is_closed():
                page.close()
            page = context.new_page()
            current["page"] = f"{name} as {user.username}"
            watchdog.cancel()
            watchdog = threading.Timer(60, slow_page, (current["page"],))
            watchdog.start()
            # Downloads and audio are no pages (and a download can leave the tab waiting): ask first.
            head = page.request.get(live_server.url + url, max_redirects=0)
            if "text/html" not in head.headers.get("content-type", "") or "attachment" in head.headers.get(
                "content-disposition", ""
            ):
                skipped[(name, user.username)] = f"{head.status} {head.headers.get('content-type', '')}"
                continue
            try:
                response = page.goto(live_server.url + url)
            except PlaywrightError as exc:  # an empty error body (405 for POST-only actions) is no page
                skipped[(name, user.username)] = str(exc)[:120]
                continue
            html = response is not None and "text/html" in response.headers.get("content-type", "")
            if not html or response.status != 200 or "<html" not in response.text().lower():
                skipped[(name, user.username)] = f"{response and response.status} {response and response.url}"
                continue  # not this role's page, an action (POST only), a fragment, or not HTML (audio, files)
            if name == "annotation:workspace":
                page.wait_for_selector(".ws-turn.current .ws-dims", state="attached")
            checked.add(name)
            bad = [v for v in axe.run(page).response["violations"] if v["impact"] in ("critical", "serious")]
            failures.extend([f"{name} as {user.username}: {v['id']} ({v['impact']}) x{len(v['nodes'])}: "
                         f"{v['nodes'][0]['target']} {v['help']}" for v in bad])  # fmt: skip
            page.close()
        context.close()
    watchdog.cancel()


def test_suggestions_wait_for_the_turn_to_be_heard_and_show_no_confidence_when_hidden(
    browser, live_server, ready_assignment
):
    """Anchoring controls as recorded on the assignment: suggestions appear only once the turn has
    been played through, Shift+A cannot accept what is not shown, and no confidence number shows."""
    assignment, _ = ready_assignment
    Assignment.objects.filter(pk=assignment.pk).update(
        reveal_suggestions_after_play=True, hide_suggestion_confidence=True
    )
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    first = ".ws-turn[data-index='0']"
    page.wait_for_selector(f"{first} .ws-tags >> text=Suggestions appear after you play this turn")
    assert page.locator(f"{first} .ws-suggested").count() == 0
    page.keyboard.press("Shift+A")
    assert "no undecided suggestion" in page.locator("#ws-save").text_content()
    page.evaluate("const a = document.getElementById('ws-audio'); a.playbackRate = 2; a.currentTime = 0; a.play()")
    page.wait_for_selector(f"{first} .ws-suggested", timeout=30000)
    chips = page.locator(f"{first} .ws-suggested").all_text_contents()
    assert chips and not any("%" in chip for chip in chips), chips
    assert not page.errors, page.errors


def test_files_over_the_upload_limits_are_refused_in_words_before_they_are_sent(browser, live_server, pm, settings):
    """A file over the per-file limit (or files over the request limit together) was sent whole,
    then the server reset the connection: the browser showed a network error, not a reason."""
    from annotation.models import Call

    settings.AUDIO_MAX_BYTES, settings.UPLOAD_MAX_REQUEST_BYTES = 300_000, 500_000
    context = browser_context(browser)
    page = context.new_page()
    login(page, live_server, pm.username)
    page.goto(f"{live_server.url}/projects/test/")
    sent = []
    page.on("request", lambda r: sent.append(r.url) if r.method == "POST" else None)
    files = page.locator("#upload input[name=files]")
    big = {"name": "Anruf groß.wav", "mimeType": "audio/wav", "buffer": b"\0" * 400_000}
    files.set_input_files([big])
    page.click("#upload button[type=submit]")
    alert = page.locator("#upload .upload-refusal[role=alert]")
    assert alert.inner_text() == ("“Anruf groß.wav” is 0.4 MB; one file may be at most 0.3 MB. Nothing was uploaded.")
    small = [{"name": f"c{i}.wav", "mimeType": "audio/wav", "buffer": b"\0" * 200_000} for i in range(3)]
    files.set_input_files(small)
    page.click("#upload button[type=submit]")
    assert alert.inner_text().startswith("The 3 files are 0.6 MB together; one upload may be at most 0.5 MB.")
    assert not sent and not Call.objects.exists()
    files.set_input_files(small[:1])  # within both limits: sent, and the refusal goes
    with page.expect_navigation():
        page.click("#upload button[type=submit]")
    assert sent and page.locator(".upload-refusal").count() == 0
    context.close()


def test_a_control_of_a_turn_makes_that_turn_current_for_esc_and_hotkeys(browser, live_server, ready_assignment):
    """Clicking into the note box of a later turn left the first turn current: Esc ("back to the
    turn") went to the first turn, and the next label hotkey tagged it, perhaps off-screen."""
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    last = page.locator(".ws-turn").count() - 1
    page.evaluate("document.getElementById('ws-turns').scrollTop = 1e6")  # the last turn fills as it nears
    block = page.locator(f".ws-turn[data-index='{last}']")
    note = block.locator("input[placeholder=note]")
    note.scroll_into_view_if_needed()
    where = "[window.scrollY, document.getElementById('ws-turns').scrollTop]"
    before = page.evaluate(where)
    note.click()
    assert "current" in block.get_attribute("class")
    assert page.evaluate(where) == before  # made current where it is: nothing jumps
    page.keyboard.press("Escape")
    assert page.evaluate(f"document.activeElement.dataset.index === '{last}'")
    page.keyboard.press("g")  # gratitude
    wait_status(page, SAVED)
    stored = {
        a.turn.order: [i["label"] for i in a.labels] for a in TurnAnnotation.objects.filter(assignment=assignment)
    }
    assert stored == {last: ["gratitude"]}


def test_playback_does_not_take_the_current_turn_from_a_person_typing_in_another(
    browser, live_server, ready_assignment
):
    """While the audio played on, the turn it reached became current even as the person typed a note
    in another turn: Esc and the next hotkey then went to the playing turn."""
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    last = page.locator(".ws-turn").count() - 1
    first_end = assignment.call.turns.get(order=0).end
    page.evaluate("document.getElementById('ws-turns').scrollTop = 1e6")
    note = page.locator(f".ws-turn[data-index='{last}'] input[placeholder=note]")
    note.scroll_into_view_if_needed()
    note.click()
    page.evaluate(
        f"(() => {{ const a = document.getElementById('ws-audio'); a.currentTime = {first_end - 0.3}; a.play(); }})()"
    )
    page.wait_for_function(f"document.getElementById('ws-audio').currentTime > {first_end + 0.5}", timeout=15000)
    note.type("calm")  # still typing where they were
    page.evaluate("document.getElementById('ws-audio').pause()")
    assert "current" in page.locator(f".ws-turn[data-index='{last}']").get_attribute("class")
    page.keyboard.press("Escape")
    assert page.evaluate(f"document.activeElement.dataset.index === '{last}'")


def test_a_refused_submit_or_correction_is_named_by_what_was_refused(browser, live_server, ready_assignment):
    """The line said "not saved: …" for a refused submit and a refused correction while the tags
    were saved: the person could not tell their work was safe."""
    assignment, _ = ready_assignment
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.keyboard.press("f")
    wait_status(page, SAVED)
    page.keyboard.press("Control+Enter")  # five turns are still untagged
    wait_status(page, "document.getElementById('ws-save').textContent.startsWith('not submitted: ')")
    assert "turns are not tagged yet" in page.locator("#ws-save").text_content()
    page.keyboard.press("Shift+M")  # the next turn is the other speaker's
    wait_status(page, "document.getElementById('ws-save').textContent.startsWith('correction refused: ')")
    assert "another speaker" in page.locator("#ws-save").text_content()
    assert page.locator("#ws-save.error").count() == 1  # still shown as a refusal
    assert TurnAnnotation.objects.get(assignment=assignment).labels[0]["label"] == "frustration"
    assignment.refresh_from_db()
    assert assignment.status != "submitted" and not CorrectionProposal.objects.exists()


def test_a_submit_waiting_offline_is_named_on_the_status_line(browser, live_server, ready_assignment):
    """Ctrl+Enter offline said only "offline: 1 change(s) kept here", then on reconnect the page
    submitted and left without having said a submit was waiting."""
    assignment, _ = ready_assignment
    tag_every_turn_neutral(assignment)
    context = browser_context(browser)
    page, _ = open_workspace(context, live_server, assignment)
    context.set_offline(True)
    page.keyboard.press("c")
    page.keyboard.press("Control+Enter")
    wait_status(
        page,
        "document.getElementById('ws-save').textContent.startsWith('offline: 1 change(s) and your submit kept here')",
    )
    assert "Ctrl+Z takes the submit back" in page.locator("#ws-save").text_content()
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url("**/queue/", timeout=15000)
    assignment.refresh_from_db()
    assert assignment.status == "submitted"
    context.close()


HIDDEN_CONTROLS = """(selector) => {
  // Each control found where it is drawn: near its top edge and at its middle, the point hits the
  // control itself, not a sticky header over it; none lies off the side of the window.
  const bad = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.closest('dialog, #ws-turns') || !el.getClientRects().length) continue;
    const r = el.getBoundingClientRect(), name = el.id || el.textContent.trim().slice(0, 20) || el.tagName;
    if (r.left < 0 || r.right > innerWidth) { bad.push(`${name}: off the side`); continue; }
    for (const y of [r.top + 2, (r.top + r.bottom) / 2]) {
      if (y < 0 || y > innerHeight) { bad.push(`${name}: out of the window at y=${Math.round(y)}`); continue; }
      const hit = document.elementFromPoint(r.left + r.width / 2, y);
      if (!hit || !el.contains(hit)) bad.push(`${name}: under ${hit && (hit.id || hit.tagName)} at y=${Math.round(y)}`);
    }
  }
  return bad;
}"""


def test_every_workspace_control_shows_and_takes_clicks_on_a_laptop_and_a_phone(browser, live_server, ready_assignment):
    """At 1280x800 the page scrolled itself on load, so the sticky header covered the toolbar (Play
    hit the title) and the site navigation was gone; with the read-only and gap banners the whole
    toolbar and the banner were under it."""
    from annotation.models import Call

    assignment, _ = ready_assignment
    shown = "#workspace :is(button, select, input, canvas), #ws-readonly, #ws-gaps, .topbar a"
    settle = "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"
    for state in ("in progress", "submitted, with words outside every turn"):
        if state != "in progress":
            Assignment.objects.filter(pk=assignment.pk).update(status="submitted")
            Call.objects.filter(pk=assignment.call_id).update(words=[{"w": "hm", "s": 0.05, "e": 0.3, "spk": "CH0"}])
        for size in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
            context = browser_context(browser, viewport=size)
            page, _ = open_workspace(context, live_server, assignment)
            page.wait_for_selector(".ws-turn.current .ws-dims", state="attached")
            if state != "in progress":
                page.wait_for_selector("#ws-readonly:not([hidden])")
                page.wait_for_selector("#ws-gaps:not([hidden])")
            page.evaluate(settle)
            where = f"{state} at {size['width']}x{size['height']}"
            assert page.evaluate("window.scrollY") == 0, where  # the page does not scroll itself
            if size["width"] > 1000:  # a laptop holds it all: nothing to scroll, nothing under the header
                fits = "document.documentElement.scrollHeight <= innerHeight"
                page.wait_for_function(fits, timeout=5000)  # the turn list is sized once the rest is drawn
                assert page.evaluate(HIDDEN_CONTROLS, shown) == [], where
                context.close()
                continue
            above = page.evaluate(
                HIDDEN_CONTROLS, "#workspace :is(button, select, input, canvas, #ws-readonly, #ws-gaps)"
            )
            assert all("out of the window" in problem for problem in above), (where, above)  # below the fold only
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.evaluate(settle)
            assert page.evaluate(HIDDEN_CONTROLS, ".ws-foot button") == [], where
            context.close()
