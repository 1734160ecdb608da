"""Issue 16's stored XSS, in a real browser: a WAV that is also JavaScript (uploaded as ``a.js``)
and a WAV that is also HTML loading it (uploaded as ``a.html``). Before the fix, opening the
second file's audio URL ran the first as a script in the app's origin. Now, for every role that
can open them, neither the audio URL nor a same-origin page including the audio as a script
runs anything."""

from __future__ import annotations

import io

import pytest

from annotation.models import Assignment, ProjectMembership
from annotation.services import call_upload, project_add_member

from .polyglots import wav_html, wav_js
from .test_browser import CHROMIUM, login

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900, method="thread"),  # see tests/test_browser.py
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="Debian's chromium is not installed"),
]

PAYLOAD = "document.title='XSS-RAN';window.__xss=1"


@pytest.fixture
def polyglots(project, make_user):
    js = call_upload(project=project, fileobj=io.BytesIO(wav_js(PAYLOAD)), filename="a.js", start_pipeline=False).call
    page = wav_html(f"/calls/{js.pk}/audio", marker="polyglot page")
    html = call_upload(project=project, fileobj=io.BytesIO(page), filename="a.html", start_pipeline=False).call
    users = {
        "admin": make_user("root", is_superuser=True, is_staff=True),
        "pm": make_user("pm", "project_manager"),
        "reviewer": make_user("rev", "qa_reviewer"),
        "annotator": make_user("ann", "annotator"),
    }
    project_add_member(project=project, user=users["pm"], role=ProjectMembership.Role.MANAGER)
    project_add_member(project=project, user=users["reviewer"], role=ProjectMembership.Role.REVIEWER)
    for call in (js, html):
        Assignment.objects.create(call=call, annotator=users["annotator"])
    return js, html, users


@pytest.mark.parametrize("role", ["admin", "pm", "reviewer", "annotator"])
def test_polyglot_audio_never_runs_script(browser, live_server, polyglots, role):
    js, html, users = polyglots
    context = browser.new_context()
    page = context.new_page()
    login(page, live_server, users[role].username)
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{role} could not log in"

    # 1. Opening the HTML polyglot's audio URL: served as audio, never rendered as a page.
    response = page.goto(f"{live_server.url}/calls/{html.pk}/audio")
    assert response.status == 200
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-content-type-options"] == "nosniff"
    page.wait_for_timeout(300)  # a script, had one been allowed, runs on load
    assert page.title() != "XSS-RAN"
    assert "polyglot page" not in page.content()

    # 2. A same-origin page that includes the JS polyglot as a script (what the stored HTML did):
    # the browser refuses to execute an audio/wav response.
    refusals = []
    page.on("console", lambda message: refusals.append(message.text))
    probe = f"{live_server.url}/__probe__"
    page.route(
        probe,
        lambda route: route.fulfill(
            status=200,
            content_type="text/html",
            body=f'<html><head><title>probe</title></head><body><script src="/calls/{js.pk}/audio"></script></body></html>',
        ),
    )
    page.goto(probe)
    page.wait_for_load_state("load")
    assert page.title() == "probe"
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert any("MIME type" in text and "audio/wav" in text for text in refusals), refusals
    context.close()
