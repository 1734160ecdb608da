"""HTTP hardening: Content Security Policy, CSRF on htmx requests, rate limits, request-size limits."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import soundfile as sf
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Call

from .builders import django_run

ROOT = Path(__file__).resolve().parents[1]


def wav_bytes(seconds: float = 0.5, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, np.random.default_rng(seed).normal(0, 0.1, int(16000 * seconds)).astype(np.float32), 16000,
             format="WAV")  # fmt: skip
    return buffer.getvalue()


def test_pages_carry_a_strict_content_security_policy(client, pm):
    client.force_login(pm)
    for url in (reverse("annotation:project_list"), reverse("api-docs"), reverse("login")):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_templates_have_no_inline_scripts_or_event_handlers():
    offenders = []
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            if 'type="application/json"' not in match.group(0):
                offenders.append(f"{template.name}: {match.group(0)}")
        offenders += [f"{template.name}: {m.group(0)}" for m in re.finditer(r"\son[a-z]+\s*=", text)]
    assert not offenders, offenders


def test_htmx_post_without_the_csrf_header_is_refused(pm, project):
    client = Client(enforce_csrf_checks=True)
    client.force_login(pm)
    page = client.get(reverse("annotation:project_detail", args=[project.slug]))
    token = re.search(rb'"X-CSRFToken": "([^"]+)"', page.content).group(1).decode()
    url = reverse("annotation:assignments_run", args=[project.slug])
    refused = client.post(url, HTTP_HX_REQUEST="true")
    assert refused.status_code == 403
    accepted = client.post(url, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 302


def test_login_is_rate_limited_per_user_name(client, make_user, settings):
    settings.LOGIN_RATE_LIMIT = 3
    make_user("victim", "annotator")
    for _ in range(3):
        assert client.post(reverse("login"), {"username": "victim", "password": "guess"}).status_code == 200
    blocked = client.post(reverse("login"), {"username": "victim", "password": "pw-victim"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    assert int(blocked["Retry-After"]) > 0
    # Another name from another address is not affected.
    other = Client(REMOTE_ADDR="10.0.0.9")
    make_user("someone", "annotator")
    assert other.post(reverse("login"), {"username": "someone", "password": "pw-someone"}).status_code == 302
    # Colleagues behind the same address still log in: the per-address limit is far higher.
    make_user("colleague", "annotator")
    assert client.post(reverse("login"), {"username": "colleague", "password": "pw-colleague"}).status_code == 302


def test_login_is_rate_limited_per_address(make_user, settings):
    settings.LOGIN_IP_RATE_LIMIT = 4
    source = Client(REMOTE_ADDR="10.0.0.66")
    for n in range(4):
        assert source.post(reverse("login"), {"username": f"guess{n}", "password": "x"}).status_code == 200
    blocked = source.post(reverse("login"), {"username": "guess9", "password": "x"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()


def test_api_uploads_are_throttled(pm, project, django_capture_on_commit_callbacks):
    from rest_framework.throttling import ScopedRateThrottle

    api = APIClient()
    api.force_authenticate(pm)
    url = reverse("api-call-upload", args=[project.slug])
    rates = ScopedRateThrottle.THROTTLE_RATES
    original = rates.get("uploads")
    rates["uploads"] = "2/min"
    try:
        codes = []
        for seed in range(3):
            upload = io.BytesIO(wav_bytes(seed=seed))
            upload.name = f"{seed}.wav"
            with django_capture_on_commit_callbacks(execute=False):
                codes.append(api.post(url, {"file": upload}, format="multipart").status_code)
    finally:
        rates["uploads"] = original
    assert codes == [201, 201, 429]
    assert Call.objects.count() == 2


def test_web_upload_form_is_rate_limited(client, pm, project, settings, django_capture_on_commit_callbacks):
    settings.UPLOAD_RATE_LIMIT = 1
    client.force_login(pm)
    url = reverse("annotation:call_upload", args=[project.slug])
    with django_capture_on_commit_callbacks(execute=False):
        first = io.BytesIO(wav_bytes(seed=1))
        first.name = "a.wav"
        assert client.post(url, {"files": [first], "channel_layout": "agent,customer"}).status_code == 302
        second = io.BytesIO(wav_bytes(seed=2))
        second.name = "b.wav"
        blocked = client.post(url, {"files": [second], "channel_layout": "agent,customer"})
    assert blocked.status_code == 429 and "Too many attempts" in blocked.content.decode()
    assert Call.objects.count() == 1


def test_oversized_request_is_refused_from_its_headers(pm, project, settings):
    """413 before the body is read: the request carries no body at all, only the claim."""
    settings.UPLOAD_MAX_REQUEST_BYTES = 1000
    client = Client()
    client.force_login(pm)
    response = client.generic(
        "POST",
        reverse("api-call-upload", args=[project.slug]),
        b"",
        CONTENT_TYPE="multipart/form-data; boundary=x",
        CONTENT_LENGTH="5000000",
    )
    assert response.status_code == 413
    assert "the limit is 1000 bytes" in response.json()["detail"]
    assert Call.objects.count() == 0


def test_upload_streaming_past_the_file_limit_is_stopped(pm, project, settings, tmp_path):
    settings.AUDIO_MAX_BYTES = 4000  # the request limit stays large: the handler must catch it
    api = APIClient()
    api.force_authenticate(pm)
    upload = io.BytesIO(wav_bytes(1.0))
    upload.name = "big.wav"
    response = api.post(reverse("api-call-upload", args=[project.slug]), {"file": upload}, format="multipart")
    assert response.status_code == 413
    assert "big.wav: the file is over the" in response.json()["file"][0]
    assert Call.objects.count() == 0
    assert not any(Path(settings.MEDIA_ROOT).rglob("*.wav"))


def test_production_cookies_are_secure():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS > 0, s.SECURE_SSL_REDIRECT)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "annotera.settings", "DEBUG": "0", "SECRET_KEY": "x" * 60, "PATH": "/usr/bin"}
    assert django_run(code, env).split() == ["True", "True", "True", "True"]


def test_a_file_past_the_limit_is_refused_after_the_body_is_read_so_the_client_hears_why(pm, settings):
    """The handler reset the connection as soon as the file passed the limit, leaving the rest of
    the body unread: a production server (gunicorn) then closes the socket on a client that is
    still sending, which sees "connection reset", never the message. The rest of the body is now
    read and dropped (the request limit bounds how much) before the refusal is sent."""
    from django.test.client import ClientHandler  # the WSGI handler, keeping the test's database connection
    from rest_framework.authtoken.models import Token

    settings.AUDIO_MAX_BYTES = 4000
    token = Token.objects.create(user=pm)
    boundary = "annoterabound"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.wav"\r\n'
            "Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + b"\0" * 2_000_000
        + f"\r\n--{boundary}--\r\n".encode()
    )
    stream = io.BytesIO(body)
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": reverse("api-call-upload", args=["test"]), "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": stream, "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}", "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Token {token.key}",
    }  # fmt: skip
    response = ClientHandler()(environ)
    assert response.status_code == 413
    assert b"big.wav: the file is over the" in response.content
    assert stream.tell() == len(body)  # all of it read: the client is not cut off mid-send
    assert not Call.objects.exists()


def test_pages_and_api_answers_are_not_kept_by_the_browser(client, pm, project):
    """Without no-store, Back showed a page and its data from before the last save."""
    client.force_login(pm)
    for url in (reverse("annotation:project_detail", args=[project.slug]), reverse("api-projects")):
        assert client.get(url)["Cache-Control"] == "no-store", url
    refused = client.post(reverse("api-call-upload", args=[project.slug]), {})
    assert refused["Cache-Control"] == "no-store"


def test_the_api_root_leads_to_its_docs(client):
    """/api/ answered 404 although every page links the API."""
    response = client.get("/api/")
    assert response.status_code == 302 and response.url == reverse("api-docs")


def test_a_refused_page_is_logged_once_as_one_line_and_a_fault_keeps_its_traceback(client, make_user):
    """Every 403 wrote Django's traceback of the refusal to the log, twice: operators reading the
    log for real errors found refusals instead."""
    import logging

    handler = next(h for h in logging.getLogger("django").handlers if isinstance(h, logging.StreamHandler))
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        client.force_login(make_user("ann", "annotator"))
        assert client.get(reverse("qa:dashboard")).status_code == 403
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("django.request").error(
                "Internal Server Error: /x", exc_info=True, extra={"status_code": 500}
            )
    finally:
        handler.setStream(old)
    text = stream.getvalue()
    assert text.count("Forbidden (Permission denied): /qa/") == 1
    assert text.count("Traceback") == 1 and "ValueError: boom" in text  # only the 500's
