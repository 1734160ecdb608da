"""The browser's history and cache never show work as it was before a save."""

from __future__ import annotations

import os

import pytest

from annotation.models import TurnAnnotation

from . import test_browser as harness
from .test_browser import CHROMIUM, browser_context, open_workspace

ready_assignment = harness.ready_assignment  # its fixture: one real machine pass per session, shared

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(300, method="thread"),  # see tests/test_browser.py
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed (make sysdeps)"),
]


def test_back_to_the_workspace_shows_the_tags_saved_before_leaving(browser, live_server, ready_assignment):
    """Back from the queue showed the workspace and its data from the browser's cache as they were
    on arrival: the tag just saved was gone from the screen and the progress count went back, and
    the next edit of that turn met a conflict with the person's own change."""
    assignment, _ = ready_assignment
    context = browser_context(browser, viewport={"width": 1400, "height": 900})
    page, _ = open_workspace(context, live_server, assignment)
    before = page.inner_text("#ws-progress")
    page.keyboard.press("f")  # frustration on the first turn
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    after = page.inner_text("#ws-progress")
    assert after != before
    page.goto(f"{live_server.url}/queue/")
    page.go_back()
    page.wait_for_selector(".ws-turn")
    page.wait_for_function(f"document.getElementById('ws-progress').textContent === {after!r}", timeout=10000)
    assert "Frustration" in page.locator(".ws-turn[data-index='0'] .ws-tags").text_content()
    page.keyboard.press("4")  # the same turn again: saved on top of the person's own change
    page.wait_for_function("document.getElementById('ws-save').textContent === 'all changes saved'")
    stored = TurnAnnotation.objects.get(assignment=assignment, turn__order=0)
    assert stored.labels == [{"label": "frustration", "intensity": 4}]
    context.close()


def test_times_read_the_same_in_the_workspace_as_on_the_call_page(browser, live_server):
    """The workspace's m:ss.cc clock cut instead of rounding: 59.999 s read "0:60.00", and 6.055 s
    read 0:06.05 where the call page (Django's floatformat) said 6.06."""
    context = browser_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    shown = page.evaluate(
        "import('/static/annotera/workspace/state.js').then((m) => [6.055, 59.999, 61.5, 0, 3599.996].map(m.fmt))"
    )
    assert shown == ["0:06.06", "1:00.00", "1:01.50", "0:00.00", "60:00.00"]
    context.close()
