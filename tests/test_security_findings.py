"""Regression tests for the findings of the outside probe (issue 16), one block per finding."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import Assignment, Call
from annotation.services import call_upload
from taxonomy.models import Taxonomy

from .polyglots import wav_html, wav_js


def upload(project, data: bytes, name: str) -> Call:
    return call_upload(project=project, fileobj=io.BytesIO(data), filename=name, start_pipeline=False).call


# --- 1. Stored XSS through uploaded audio


def test_polyglot_uploads_are_stored_under_the_sniffed_extension(project, settings):
    js = upload(project, wav_js("document.title='XSS'"), "a.js")
    html = upload(project, wav_html(f"/calls/{js.pk}/audio"), "a.html")
    for call in (js, html):
        assert call.audio.name.endswith(".wav"), call.audio.name
    stored = sorted(p.suffix for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert stored == [".wav", ".wav"]
    assert html.original_name == "a.html"  # kept for display only


def test_audio_is_served_with_a_fixed_type_nosniff_and_a_sandbox(client, pm, project):
    call = upload(project, wav_html("/calls/1/audio"), "a.html")
    client.force_login(pm)
    for headers in ({}, {"HTTP_RANGE": "bytes=0-99"}, {"HTTP_RANGE": "bytes=999999999-"}):
        response = client.get(reverse("annotation:call_audio", args=[call.pk]), **headers)
        assert response.status_code in (200, 206, 416)
        if response.status_code != 416:
            assert response["Content-Type"] == "audio/wav"
            assert response["Content-Disposition"] == f'inline; filename="call-{call.pk}.wav"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert "script-src" not in response["Content-Security-Policy"]  # default-src 'none' covers it


def test_a_file_stored_before_the_fix_with_an_html_name_is_served_as_audio(client, pm, project, settings):
    """Rows from before canonical names keep e.g. ``<uuid>.html`` until the migration runs: the
    type comes from the contents either way."""
    folder = Path(settings.MEDIA_ROOT) / "calls" / str(project.pk)
    folder.mkdir(parents=True)
    (folder / "old.html").write_bytes(wav_html("/x"))
    (folder / "junk.js").write_bytes(b"alert(1)")
    wav_call = project.calls.create(original_name="a.html", sha256="1" * 64, audio=f"calls/{project.pk}/old.html")
    junk_call = project.calls.create(original_name="a.js", sha256="2" * 64, audio=f"calls/{project.pk}/junk.js")
    client.force_login(pm)
    as_wav = client.get(reverse("annotation:call_audio", args=[wav_call.pk]))
    assert as_wav["Content-Type"] == "audio/wav" and as_wav["X-Content-Type-Options"] == "nosniff"
    opaque = client.get(reverse("annotation:call_audio", args=[junk_call.pk]))
    assert opaque["Content-Type"] == "application/octet-stream"
    assert opaque["Content-Disposition"] == f'inline; filename="call-{junk_call.pk}.bin"'


def test_migration_renames_stored_files_to_their_sniffed_extension(project, settings):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("annotation.migrations.0005_rename_call_audio_to_sniffed_extension")
    folder = Path(settings.MEDIA_ROOT) / "calls" / str(project.pk)
    folder.mkdir(parents=True)
    (folder / "old.html").write_bytes(wav_html("/x"))
    (folder / "junk.js").write_bytes(b"alert(1)")
    (folder / "fine.wav").write_bytes(wav_js("1"))
    rows = {
        name: project.calls.create(original_name=name, sha256=str(i) * 64, audio=f"calls/{project.pk}/{name}")
        for i, name in enumerate(["old.html", "junk.js", "fine.wav", "missing.js"], start=1)
    }
    migration.rename_call_audio(apps, None)
    names = {key: Call.objects.get(pk=call.pk).audio.name for key, call in rows.items()}
    assert names == {
        "old.html": f"calls/{project.pk}/old.wav",
        "junk.js": f"calls/{project.pk}/junk.bin",
        "fine.wav": f"calls/{project.pk}/fine.wav",
        "missing.js": f"calls/{project.pk}/missing.js",  # no file: nothing to rename
    }
    assert sorted(p.name for p in folder.iterdir()) == ["fine.wav", "junk.bin", "old.wav"]


def test_snapshot_and_taxonomy_downloads_get_the_same_headers(client, pm, taxonomy):
    client.force_login(pm)
    response = client.get(reverse("taxonomy:export", args=[taxonomy.pk]))
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("attachment; filename=")


@pytest.mark.parametrize(
    "name, expected",
    [
        ('evil"; filename="x.html', "evil_ filename=_x.html"),
        ("line\r\nSet-Cookie: a=b.json", "line_Set-Cookie_ a=b.json"),
        ("../../etc/passwd", "etc_passwd"),
        ("", "download"),
        ("x" * 300 + ".json", "x" * 115 + ".json"),
        ("émotions-v1.json", "émotions-v1.json"),
    ],
)
def test_safe_filename(name, expected):
    from django.http import HttpResponse

    from annotera.downloads import protect_file_response, safe_filename

    assert safe_filename(name) == expected
    header = protect_file_response(HttpResponse(), filename=name)["Content-Disposition"]
    assert "\r" not in header and "\n" not in header and header.count('"') in (0, 2)


# --- 2. One limiter for every credential check


def token(client, username, password, **extra):
    return client.post(reverse("api-token"), {"username": username, "password": password}, format="json", **extra)


def test_rotating_x_forwarded_for_does_not_escape_the_token_lockout(make_user, settings):
    settings.LOGIN_RATE_LIMIT = 3
    make_user("victim", "annotator")
    api = APIClient()
    codes = [token(api, "victim", f"guess{n}", HTTP_X_FORWARDED_FOR=f"10.9.{n}.1").status_code for n in range(6)]
    assert codes == [400, 400, 400, 429, 429, 429]
    right = token(api, "victim", "pw-victim", HTTP_X_FORWARDED_FOR="10.9.99.1")
    assert right.status_code == 429 and "Too many attempts" in right.json()["detail"]
    assert int(right["Retry-After"]) > 0


def test_form_and_token_share_one_counter(client, make_user, settings):
    settings.LOGIN_RATE_LIMIT = 4
    make_user("victim", "annotator")
    for n in range(2):
        assert client.post(reverse("login"), {"username": "victim", "password": f"g{n}"}).status_code == 200
    api = APIClient()
    for n in range(2):
        assert token(api, "victim", f"t{n}").status_code == 400
    assert token(api, "victim", "pw-victim").status_code == 429
    assert client.post(reverse("login"), {"username": "victim", "password": "pw-victim"}).status_code == 429
    # The admin login checks passwords through the same backend: locked out too.
    admin = client.post("/admin/login/", {"username": "victim", "password": "pw-victim"})
    assert admin.status_code == 200 and b"_auth_user_id" not in admin.content
    assert "_auth_user_id" not in client.session


def test_admin_change_password_form_is_under_the_same_limiter(client, make_user, settings):
    """The admin's change-password form checked the old password without `authenticate`, so a
    staff session could guess it without limit. Now its failures count like any sign-in's."""
    settings.LOGIN_RATE_LIMIT = 3
    staff = make_user("staffer", None, is_staff=True, is_superuser=True)
    client.force_login(staff)
    url = reverse("admin:password_change")
    assert client.get(url).status_code == 200  # still the admin's page, for staff
    good = {"new_password1": "a-Long-new-pass-77", "new_password2": "a-Long-new-pass-77"}
    for n in range(3):
        wrong = client.post(url, {"old_password": f"guess{n}", **good})
        assert wrong.status_code == 200 and b"Your old password was entered incorrectly" in wrong.content
    locked = client.post(url, {"old_password": "pw-staffer", **good})  # even the right one is not checked now
    assert locked.status_code == 200 and b"Too many attempts" in locked.content
    staff.refresh_from_db()
    assert staff.check_password("pw-staffer")  # nothing changed
    # One counter: the sign-in form is locked out for this user name too.
    assert Client().post(reverse("login"), {"username": "staffer", "password": "pw-staffer"}).status_code == 429
    other = make_user("staffer2", None, is_staff=True, is_superuser=True)
    fresh = Client(REMOTE_ADDR="10.0.0.9")
    fresh.force_login(other)
    done = fresh.post(url, {"old_password": "pw-staffer2", **good})
    assert done.status_code == 302 and done["Location"] == reverse("admin:password_change_done")
    other.refresh_from_db()
    assert other.check_password("a-Long-new-pass-77")
    annotator = make_user("plain", "annotator")
    client.force_login(annotator)
    assert client.get(url).status_code == 302  # not staff: the admin's login, as before


def test_successful_logins_do_not_count(make_user, settings):
    settings.LOGIN_RATE_LIMIT = 3
    make_user("busy", "annotator")
    api = APIClient()
    for _ in range(12):
        assert token(api, "busy", "pw-busy").status_code == 200
        browser = Client()
        assert browser.post(reverse("login"), {"username": "busy", "password": "pw-busy"}).status_code == 302


@pytest.mark.parametrize(
    "proxies, forwarded, expected",
    [
        (0, "1.2.3.4", "127.0.0.1"),  # not configured: the header is ignored
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # one proxy: the address it saw, not what the client wrote
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (2, "1.2.3.4", "1.2.3.4"),
        (1, "", "127.0.0.1"),
    ],
)
def test_client_address_believes_only_trusted_proxies(rf, settings, proxies, forwarded, expected):
    from annotera.ratelimit import client_ip

    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    assert client_ip(request) == expected


def test_drf_throttles_ignore_x_forwarded_for_by_default():
    from rest_framework.settings import api_settings

    assert api_settings.NUM_PROXIES == 0


# --- 3. Annotators see only their assignments' calls on the HTML pages


def test_annotator_project_pages_list_only_their_calls(client, project, make_user):
    mine = project.calls.create(original_name="mine-call.wav", sha256="a" * 64, audio="a.wav", status="ready")
    project.calls.create(original_name="someone-elses-call.wav", sha256="b" * 64, audio="b.wav", status="failed",
                         error="SECRET-ERROR")  # fmt: skip
    annotator = make_user("ann", "annotator")
    Assignment.objects.create(call=mine, annotator=annotator)
    client.force_login(annotator)
    for url in (
        reverse("annotation:project_detail", args=[project.slug]),
        reverse("annotation:project_calls_partial", args=[project.slug]),
    ):
        page = client.get(url).content.decode()
        assert "mine-call.wav" in page
        assert "someone-elses-call.wav" not in page and "SECRET-ERROR" not in page


# --- 4. Taxonomy import runs the model's validation


def taxonomy_doc(**overrides) -> dict:
    return {"slug": "ok", "name": "OK", "labels": [{"key": "a", "name": "A", "definition": "d"}], **overrides}


@pytest.mark.parametrize(
    "doc, expected",
    [
        (taxonomy_doc(slug="bad\r\nX-Evil: 1"), "taxonomy slug: Enter a valid “slug”"),
        (taxonomy_doc(slug='q"uote'), "taxonomy slug: Enter a valid “slug”"),
        (taxonomy_doc(slug=""), "taxonomy slug: This field cannot be blank"),
        (taxonomy_doc(slug="s" * 300), "at most 80 characters (it has 300)"),
        (taxonomy_doc(name="n" * 5000), "taxonomy name: Ensure this value has at most 200 characters"),
        (taxonomy_doc(name=""), "taxonomy name: This field cannot be blank"),
        (
            taxonomy_doc(labels=[{"key": "a", "name": "N" * 500, "definition": "d"}]),
            "label 'a' name: Ensure this value has at most 120 characters",
        ),
        (
            taxonomy_doc(
                dimensions=[{"key": "valence", "name": "V" * 500, "kind": "interval", "minimum": -1, "maximum": 1}]
            ),  # fmt: skip
            "dimension 'valence' name: Ensure this value has at most 120 characters",
        ),
    ],
)
def test_taxonomy_import_runs_full_clean(pm, doc, expected):
    from annotera.models import AuditEvent

    api = APIClient()
    api.force_authenticate(pm)
    before = (Taxonomy.objects.count(), AuditEvent.objects.count())
    response = api.post(reverse("api-taxonomy-import"), doc, format="json")
    assert response.status_code == 400, response.content
    assert expected in json.dumps(response.json(), ensure_ascii=False)
    assert (Taxonomy.objects.count(), AuditEvent.objects.count()) == before


# --- 5. CSV formula injection


@pytest.mark.parametrize(
    "text, written",
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("＝1+1", "'＝1+1"),
        ("hello = world", "hello = world"),
    ],
)
def test_csv_text_cells_that_spreadsheets_run_are_neutralised(text, written):
    from qa.exports.tabular import _cell

    assert _cell(text) == written
    assert _cell(-1.5) == "-1.5"  # numbers stay numbers
    buffer = io.StringIO()
    csv.writer(buffer).writerow([_cell(text)])
    assert next(csv.reader(io.StringIO(buffer.getvalue())))[0] == written
