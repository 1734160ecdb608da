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
