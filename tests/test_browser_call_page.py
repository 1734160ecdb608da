"""The call page in a real browser (Playwright's Python package driving Debian's Chromium): while the
machine pass runs, the page follows the call's status, not only its stage table."""

from __future__ import annotations

import os

import pytest

from tests.test_browser import CHROMIUM, login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300, method="thread"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]


def test_a_crash_while_the_call_page_is_open_shows_failed_the_error_and_retry(browser, live_server, project, pm):
    """The heading said "Queued" with no error and no Retry after the call crashed under the open
    page. Under the app's Content Security Policy, htmx's polling now swaps a new status into the
    heading's live region (the same node, so screen readers announce it), shows the error and
    Retry, and stops polling."""
    from annotation.jobs import crash_message, job_enqueue
    from annotation.models import Call, ProcessingJob

    call = project.calls.create(original_name="p.wav", sha256="4" * 64, audio="p.wav", status="queued")
    job = job_enqueue(call=call, stage="decode", send=False)
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()  # the real CSP
    login(page, live_server, "pm")
    page.goto(f"{live_server.url}/calls/{call.pk}/")
    live = page.locator("h1 [aria-live=polite]")
    assert live.inner_text() == "Queued"
    page.evaluate("() => { window.statusNode = document.getElementById('call-status'); }")
    with page.expect_request(lambda r: "shown=queued" in r.url):
        pass  # polling runs

    message = crash_message("Decode", job)
    ProcessingJob.objects.filter(pk=job.pk).update(status="failed", error=message)
    Call.objects.filter(pk=call.pk).update(status="failed", error=message, failure=Call.Failure.CRASHED)
    page.locator("h1 .badge.failed").wait_for()
    assert live.inner_text() == "Failed"
    assert page.evaluate("() => window.statusNode === document.getElementById('call-status')")
    assert (
        page.locator("p.error", has_text=message).is_visible() and page.get_by_role("button", name="Retry").is_visible()
    )
    assert page.locator("[hx-trigger]").count() == 0  # settled: the poller is gone


def test_a_call_that_turns_ready_while_its_page_is_open_shows_its_turns_without_a_reload(
    browser, live_server, project, pm
):
    """The heading turned "Ready" but the turns stayed away until a reload (the page offered a
    link). Now the poll that sees the call ready swaps its speakers, assignments and turns in: the
    live region announces it once, the page is not reloaded, and the focus stays where it was."""
    from axe_playwright_python.sync_playwright import Axe

    from annotation.jobs import job_enqueue
    from annotation.models import Call, ProcessingJob, Speaker, Turn

    call = project.calls.create(original_name="r.wav", sha256="5" * 64, audio="r.wav", status="processing")
    job = job_enqueue(call=call, stage="decode", send=False)
    speaker = Speaker.objects.create(call=call, label="CH0", role="agent", channel=0)  # diarised already
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()  # the real CSP
    login(page, live_server, "pm")
    page.goto(f"{live_server.url}/calls/{call.pk}/")
    assert page.locator("[aria-label=Turns]").count() == 0
    page.evaluate("""() => {
      window.notReloaded = true;
      window.announced = [];  // the live region's text after each change to it
      const live = document.getElementById('call-status');
      new MutationObserver(() => window.announced.push(live.textContent.trim()))
        .observe(live, {childList: true, subtree: true, characterData: true});
    }""")
    page.get_by_role("combobox", name="role of CH0").focus()  # a control inside what is swapped
    with page.expect_request(lambda r: "shown=processing" in r.url):
        pass  # polling runs

    Turn.objects.create(call=call, speaker=speaker, order=0, start=0.0, end=2.5, text="thanks for calling")
    Turn.objects.create(call=call, speaker=speaker, order=1, start=2.5, end=4.0, text="my bill is wrong")
    ProcessingJob.objects.filter(pk=job.pk).update(status="succeeded", progress=100)
    Call.objects.filter(pk=call.pk).update(status="ready")
    turns = page.locator("[aria-label=Turns]")
    turns.wait_for()
    assert "my bill is wrong" in turns.inner_text() and page.locator("h1 .badge.ready").is_visible()
    assert page.get_by_role("heading", name="Assignments").is_visible()
    assert page.evaluate("() => window.notReloaded") is True
    assert page.locator("[hx-trigger]").count() == 0  # settled: nothing polls, nothing more will change
    # One change of the live region, saying what came: no second announcement, no other live region.
    assert page.evaluate("() => window.announced.filter((t, i, all) => t !== all[i - 1])") == [
        "Ready to annotate: its speakers and turns are shown below"
    ]
    assert page.locator("[aria-live]").count() == 1
    focused = "() => document.activeElement.getAttribute('aria-label')"
    assert page.evaluate(focused) == "role of CH0"  # the same control, the new copy of it: not taken
    assert page.get_by_role("link", name="its speakers and turns").get_attribute("href") == "#call-results"
    violations = Axe().run(page).response["violations"]
    assert [(v["id"], v["impact"]) for v in violations if v["impact"] in ("critical", "serious")] == []
