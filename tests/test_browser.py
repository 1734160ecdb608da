"""The workspace in a real browser: Playwright's Python package driving Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from annotation.models import Assignment, TurnAnnotation
from annotation.services import call_upload

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in these tests are
    # synchronous and safe, so Django's async guard is lifted for these tests only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
        )  # fmt: skip
        yield instance
        instance.close()


@pytest.fixture
def ready_assignment(project, make_user, two_voice_call):
    from annotation.jobs import run_pipeline_inline

    with two_voice_call[0].open("rb") as fh:
        call = call_upload(project=project, fileobj=fh, filename="dual.wav", start_pipeline=False).call
    call = run_pipeline_inline(call=call)
    assert call.status == "ready", call.error
    assert call.coverage >= 0.99  # no speech outside the turns the annotator sees
    user = make_user("ann", "annotator")
    return Assignment.objects.create(call=call, annotator=user), user


def browser_context(browser, **options):
    """A context whose test probes (wait_for_function, evaluate) may run string scripts, which the
    app's Content Security Policy forbids; the app itself is checked under the real policy in
    test_workspace_runs_under_the_content_security_policy."""
    return browser.new_context(bypass_csp=True, **options)


def login(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", f"pw-{username}")
    page.click("button[type=submit]")


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


def test_conflicting_edit_from_a_second_tab_is_merged_not_lost(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    context = browser_context(browser)
    first, _ = open_workspace(context, live_server, assignment)
    second, _ = open_workspace(context, live_server, assignment, log_in=False)
    first.keyboard.press("f")
    first.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    second.keyboard.press("c")  # confusion, on a stale version of the same turn
    second.wait_for_selector("#ws-conflict[open]")
    second.click("#ws-conflict button[value=both]")
    second.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert {item["label"] for item in stored.labels} == {"frustration", "confusion"} and stored.version == 2


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


def test_split_a_turn_at_the_playhead_from_the_keyboard(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    first_turn = assignment.call.turns.get(order=0)
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    before = page.locator(".ws-turn").count()
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {(first_turn.start + first_turn.end) / 2}")
    page.keyboard.press("Shift+X")
    page.wait_for_function(f"document.querySelectorAll('.ws-turn').length === {before + 1}")
    assert not page.errors
    assert assignment.call.turns.count() == before + 1
    assert assignment.call.turn_revisions.get().action == "split"


def test_move_a_boundary_and_reassign_the_speaker_from_the_workspace(browser, live_server, ready_assignment):
    assignment, _ = ready_assignment
    call = assignment.call
    turn = call.turns.get(order=1)
    new_start = round(turn.start + min(0.4, (turn.end - turn.start) / 3), 2)
    page, _ = open_workspace(browser_context(browser), live_server, assignment)
    page.keyboard.press("ArrowDown")
    page.evaluate(f"document.getElementById('ws-audio').currentTime = {new_start}")
    page.wait_for_function(f"Math.abs(document.getElementById('ws-audio').currentTime - {new_start}) < 0.01")
    page.keyboard.press("[")
    page.wait_for_function("document.getElementById('ws-save').textContent === 'turn boundaries moved'")
    turn.refresh_from_db()
    assert abs(turn.start - new_start) < 0.02 and turn.revision == 2
    other = call.speakers.exclude(pk=turn.speaker_id).first()
    page.locator(".ws-turn[data-index='1'] select.ws-speaker").select_option(str(other.pk))
    page.wait_for_function("document.getElementById('ws-save').textContent === 'speaker reassigned'")
    turn.refresh_from_db()
    assert turn.speaker_id == other.pk
    assert [r.action for r in call.turn_revisions.order_by("pk")] == ["adjust", "speaker"]
    assert all(r.user_id == assignment.annotator_id for r in call.turn_revisions.all())
    assert not page.errors


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
