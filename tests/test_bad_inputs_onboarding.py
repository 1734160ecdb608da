"""The onboarding corpus of bad inputs: invitation links (expired, reused, forged, replaced,
revoked), duplicate emails, bad account choices, malformed per-call metadata, unknown taxonomy
keys and slugs, bad project fields, bad profiles and member searches.

Each case must get a clear message (the expected words are asserted) and write nothing: no user,
no invitation change, no project, no taxonomy, no call, no stored file, no membership, no audit event.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from annotation.models import AnnotatorProfile, Call, Project, ProjectMembership
from annotation.project_setup import project_setup
from annotera.models import AuditEvent
from people.invitations import invitation_create
from people.models import Invitation
from taxonomy.models import Taxonomy
from taxonomy.services import taxonomy_export

PASSWORD = "a-long-pass-phrase-7"


def state(settings=None) -> tuple:
    """Everything an onboarding form or endpoint could write."""
    files = sorted(str(p) for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()) if settings else []
    return (
        get_user_model().objects.count(),
        list(Invitation.objects.order_by("pk").values_list("token_hash", "accepted_at", "revoked_at", "send_count")),
        Project.objects.count(),
        Taxonomy.objects.count(),
        Call.objects.count(),
        ProjectMembership.objects.count(),
        list(AnnotatorProfile.objects.order_by("pk").values_list("languages", "locales", "daily_capacity")),
        AuditEvent.objects.count(),
        files,
    )


@pytest.fixture
def pm(make_user):
    return make_user("pm", "project_manager", email="pm@example.com")


@pytest.fixture
def proj(pm, taxonomy):
    return project_setup(name="Acme", slug="acme", created_by=pm, taxonomy=taxonomy)


def invite(pm, proj, email="new@example.com") -> str:
    sent = invitation_create(
        email=email, role="annotator", projects=[proj], invited_by=pm, build_link=lambda t: f"/invite/{t}/"
    )
    return sent.link


# --- invitation links ---------------------------------------------------------------------------


def _expired(pm, proj, client):
    url = invite(pm, proj)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    return url


def _reused(pm, proj, client):
    url = invite(pm, proj)
    client.post(url, {"username": "first", "password": PASSWORD, "password_again": PASSWORD})
    client.logout()
    return url


def _forged(pm, proj, client):
    url = invite(pm, proj)
    token = url.split("/")[2]
    body, signature = token.rsplit(":", 1)
    return f"/invite/{body}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}/"


def _made_up(pm, proj, client):
    invite(pm, proj)
    return "/invite/not-a-real-token/"


def _other_invitations_signature(pm, proj, client):
    """A real signature over a different nonce for the same id: not the stored hash."""
    from django.core import signing

    from people.invitations import SALT

    invite(pm, proj)
    return f"/invite/{signing.dumps({'i': Invitation.objects.get().pk, 'n': 'guessed'}, salt=SALT)}/"


def _replaced(pm, proj, client):
    url = invite(pm, proj)
    from people.invitations import invitation_resend

    invitation_resend(invitation=Invitation.objects.get(), actor=pm, build_link=lambda t: f"/invite/{t}/")
    return url


def _revoked(pm, proj, client):
    url = invite(pm, proj)
    from people.invitations import invitation_revoke

    invitation_revoke(invitation=Invitation.objects.get(), actor=pm)
    return url


BAD_LINKS = {
    "expired": (_expired, "has expired"),
    "reused": (_reused, "already used"),
    "forged signature": (_forged, "not valid"),
    "made-up token": (_made_up, "not valid"),
    "signed with a guessed nonce": (_other_invitations_signature, "replaced by a newer"),
    "replaced by a resend": (_replaced, "replaced by a newer"),
    "revoked": (_revoked, "revoked"),
}


@pytest.mark.parametrize("case", list(BAD_LINKS))
def test_bad_invitation_link_is_refused_and_creates_no_account(client, pm, proj, settings, case):
    make, expected = BAD_LINKS[case]
    url = make(pm, proj, client)
    before = state(settings)
    page = client.get(url)
    assert page.status_code == 400 and expected in page.content.decode()
    posted = client.post(url, {"username": "intruder", "password": PASSWORD, "password_again": PASSWORD})
    assert posted.status_code == 400 and expected in posted.content.decode()
    assert state(settings) == before
    assert not get_user_model().objects.filter(username="intruder").exists()


BAD_ACCEPTS = {
    "user name taken": ({"username": "pm", "password": PASSWORD, "password_again": PASSWORD}, "is taken"),
    "user name taken, other case": ({"username": "PM", "password": PASSWORD, "password_again": PASSWORD}, "is taken"),
    "passwords differ": ({"username": "x", "password": PASSWORD, "password_again": PASSWORD + "!"}, "differ"),
    "password too short": ({"username": "x", "password": "abc", "password_again": "abc"}, "too short"),
    "password too common": (
        {"username": "x", "password": "password123", "password_again": "password123"},
        "too common",
    ),
    "bad characters in user name": (
        {"username": "a b/c", "password": PASSWORD, "password_again": PASSWORD},
        "Enter a valid username",
    ),
    "empty user name": ({"username": "", "password": PASSWORD, "password_again": PASSWORD}, "This field is required"),
}


@pytest.mark.parametrize("case", list(BAD_ACCEPTS))
def test_bad_account_choice_keeps_the_invitation_pending(client, pm, proj, settings, case):
    data, expected = BAD_ACCEPTS[case]
    url = invite(pm, proj)
    before = state(settings)
    page = client.post(url, data)
    assert page.status_code == 200 and expected in html.unescape(page.content.decode())
    assert state(settings) == before
    assert Invitation.objects.get().status == "pending"


# --- duplicate emails and invitation rights ----------------------------------------------------


BAD_INVITES = {
    "email of an existing account": ({"email": "PM@example.com", "role": "annotator"}, "already has an account"),
    "email with a pending invitation": ({"email": "NEW@example.com", "role": "annotator"}, "pending invitation"),
    "not an email": ({"email": "not-an-email", "role": "annotator"}, "Enter a valid email address"),
    "PM invites a PM": ({"email": "boss@example.com", "role": "project_manager"}, "Select a valid choice"),
    "unknown role": ({"email": "x@example.com", "role": "overlord"}, "Select a valid choice"),
}


@pytest.mark.parametrize("case", list(BAD_INVITES))
def test_bad_invitation_is_refused_with_nothing_written(client, pm, proj, settings, case):
    invite(pm, proj)  # new@example.com is pending
    data, expected = BAD_INVITES[case]
    client.force_login(pm)
    before = state(settings)
    page = client.post(reverse("people:invitations"), data)
    assert page.status_code == 200 and expected in html.unescape(page.content.decode())
    assert state(settings) == before


def test_invitation_into_someone_elses_project_is_refused(client, pm, proj, make_user, taxonomy, settings):
    other = project_setup(name="Other", slug="other", created_by=make_user("pm2", "project_manager"), taxonomy=taxonomy)
    client.force_login(pm)
    before = state(settings)
    page = client.post(reverse("people:invitations"), {"email": "x@example.com", "role": "annotator",
                                                        "projects": [other.pk]})  # fmt: skip
    assert "Select a valid choice" in page.content.decode()
    assert state(settings) == before


# --- bulk upload: malformed metadata rows ------------------------------------------------------


def wav_bytes(freq: float) -> bytes:
    t = np.arange(16000) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, format="WAV")
    return buffer.getvalue()


BAD_METADATA = {
    "row with too many values": (b"file,locale\none.wav,en-GB,extra\ntwo.wav,en-IN\n", ["row 2: 3 value(s)"]),
    "row with too few values": (b"file,locale,agent_id\none.wav,en-GB\ntwo.wav,en-IN,A\n", ["row 2: 2 value(s)"]),
    "no file column": (b"name,locale\none.wav,en-GB\n", ["row 2: no file name"]),
    "bad locale": (b"file,locale\none.wav,en_GB\ntwo.wav,english\n", ["'en_GB' is not a BCP 47", "'english'"]),
    "file listed twice": (b"file\none.wav\none.wav\ntwo.wav\n", ["row 3 (one.wav): the file is listed twice"]),
    "row names a file not uploaded": (b"file\none.wav\ntwo.wav\nthree.wav\n", ["three.wav, which is not among"]),
    # Every problem in one round: the bad locale, the row for a file not uploaded, the repeat.
    "three kinds at once": (
        b"file,locale\none.wav,en_GB\nghost.wav,en-GB\ntwo.wav,en-IN\ntwo.wav,en-IN\n",
        ["'en_GB' is not a BCP 47", "ghost.wav, which is not among", "row 5 (two.wav): the file is listed twice"],
    ),
    "uploaded file without a row": (b"file\none.wav\n", ["two.wav: no row for this file"]),
    "several errors at once": (
        b"file,locale\none.wav,en_GB,x\n,en-IN\n",
        ["row 2: 3 value(s)", "row 3: no file name"],
    ),
    "empty file": (b"", ["The submitted file is empty"]),
    "header only": (b"file,locale\n", ["one.wav: no row for this file", "two.wav: no row"]),
    "repeated column": (b"file,locale,locale\none.wav,en,en\n", ["empty or repeated column"]),
    "not UTF-8": ("file,locale\none.wav,en-GB\n".encode("utf-16"), ["not UTF-8"]),
    "broken JSON": (b'[{"file": "one.wav",', ["JSON cannot be read"]),
    "JSON with a nested value": (
        b'[{"file": "one.wav", "tags": ["a"]}, {"file": "two.wav"}]',
        ["tags must be plain values"],
    ),
    "JSON not a list": (b'"one.wav"', ["must be a list of objects"]),
    # Each of these was a server error: the parser's recursion, or a value the database refuses.
    "JSON nested 50,000 deep": (b"[" * 50000 + b"]" * 50000, ["The JSON cannot be used", "nests 50000 levels"]),
    "JSON with NaN and Infinity": (
        b'[{"file": "one.wav", "score": NaN}, {"file": "two.wav", "score": -Infinity}]',
        ["entry 1 (one.wav): score must be a finite number", "entry 2 (two.wav): score must be a finite number"],
    ),
    "JSON with an escaped NUL": (
        b'[{"file": "one.wav", "agent_id": "A\\u0000"}, {"file": "two.wav"}]',
        ["The JSON cannot be used: The value at [0].agent_id holds the character U+0000 (NUL)"],
    ),
    "CSV cell holding NUL": (
        b"file,agent_id\none.wav,A\x001\ntwo.wav,A2\n",
        ["row 2 (one.wav): The value at agent_id holds the character U+0000 (NUL)"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_METADATA))
def test_malformed_metadata_lists_every_row_error_and_stores_nothing(client, pm, proj, settings, case):
    data, expected = BAD_METADATA[case]
    name = "meta.json" if case.startswith("JSON") or case == "broken JSON" else "meta.csv"
    client.force_login(pm)
    before = state(settings)
    page = client.post(
        reverse("annotation:calls_bulk_upload", args=["acme"]),
        {"files": [SimpleUploadedFile("one.wav", wav_bytes(220)), SimpleUploadedFile("two.wav", wav_bytes(330))],
         "metadata": SimpleUploadedFile(name, data), "channel_layout": "agent,customer"},
        follow=True,
    )  # fmt: skip
    text = html.unescape(page.content.decode())
    assert "Nothing was uploaded" in text
    for words in expected:
        assert words in text, (words, re.findall(r'<li class="error">(.*?)</li>', text))
    assert state(settings) == before


def test_one_bad_audio_file_in_a_batch_stores_none_of_it(client, pm, proj, settings):
    client.force_login(pm)
    before = state(settings)
    page = client.post(
        reverse("annotation:calls_bulk_upload", args=["acme"]),
        {"files": [SimpleUploadedFile("one.wav", wav_bytes(220)), SimpleUploadedFile("two.wav", b"<html>" * 50)],
         "channel_layout": "agent,customer"},
        follow=True,
    )  # fmt: skip
    assert "two.wav: not a supported audio file" in page.content.decode()
    assert state(settings) == before


def test_an_empty_file_in_a_batch_is_named_with_every_other_bad_file(client, pm, proj, settings):
    # The form refused the empty file first with a nameless "The submitted file is empty." and
    # never looked at the others.
    client.force_login(pm)
    before = state(settings)
    page = client.post(
        reverse("annotation:calls_bulk_upload", args=["acme"]),
        {"files": [SimpleUploadedFile("empty.wav", b""), SimpleUploadedFile("text.wav", b"<html>" * 50),
                   SimpleUploadedFile("good.wav", wav_bytes(220))],
         "channel_layout": "agent,customer"},
        follow=True,
    )  # fmt: skip
    text = html.unescape(page.content.decode())
    assert "empty.wav: the file is empty (0 bytes)." in text and "text.wav: not a supported audio file" in text
    assert state(settings) == before


# --- project creation: unknown taxonomy keys and slugs, bad fields -----------------------------


def doc_with(taxonomy, **changes):
    doc = {**taxonomy_export(taxonomy), "slug": "imported", "name": "Imported"}
    labels = changes.pop("labels", None)
    if labels:
        doc["labels"] = labels(doc["labels"])
    return {**doc, **changes}


BAD_PROJECTS = {
    "unknown top-level taxonomy key": (
        lambda t: {"taxonomy_json": doc_with(t, lables=[])},
        "unknown key 'lables'",
    ),
    "unknown label key": (
        lambda t: {"taxonomy_json": doc_with(t, labels=lambda ls: [{**ls[0], "hot_key": "z"}, *ls[1:]])},
        "unknown key 'hot_key'",
    ),
    "invalid taxonomy (no labels)": (
        lambda t: {"taxonomy_json": doc_with(t, labels=lambda ls: [])},
        "at least one label is needed",
    ),
    "taxonomy slug that does not exist": (lambda t: {"taxonomy": "no-such-taxonomy"}, "No taxonomy 'no-such-taxonomy'"),
    "no taxonomy at all": (lambda t: {}, "Pick a published taxonomy or import one"),
    "both a taxonomy and a JSON import": (
        lambda t: {"taxonomy": t.slug, "taxonomy_json": doc_with(t)},
        "not both",
    ),
    "duplicate slug": (lambda t: {"taxonomy": t.slug, "slug": "acme"}, "already exists"),
    "blind share above 1": (lambda t: {"taxonomy": t.slug, "blind_share": 1.5}, "less than or equal to 1"),
    "zero annotators per call": (lambda t: {"taxonomy": t.slug, "overlap_k": 0}, "greater than or equal to 1"),
    "unknown locale rule": (lambda t: {"taxonomy": t.slug, "locale_match": "sometimes"}, "not a valid choice"),
}


@pytest.mark.parametrize("case", list(BAD_PROJECTS))
def test_bad_project_over_the_api_writes_nothing(pm, proj, taxonomy, settings, case):
    make, expected = BAD_PROJECTS[case]
    api = APIClient()
    api.force_authenticate(pm)
    before = state(settings)
    answer = api.post("/api/projects/", {"name": "New", "slug": "new", **make(taxonomy)}, format="json")
    assert answer.status_code == 400 and expected in json.dumps(answer.json()), answer.json()
    assert state(settings) == before


def test_draft_taxonomy_cannot_be_pinned(pm, taxonomy, settings):
    from taxonomy.services import taxonomy_import

    draft = taxonomy_import(data={**taxonomy_export(taxonomy), "slug": "draft-tax"}, publish=False)
    api = APIClient()
    api.force_authenticate(pm)
    before = state(settings)
    answer = api.post("/api/projects/", {"name": "New", "slug": "new", "taxonomy": str(draft.pk)}, format="json")
    assert answer.status_code == 400 and "is a draft" in json.dumps(answer.json())
    assert state(settings) == before


def test_unknown_taxonomy_key_in_the_browser_and_the_command_line(client, pm, proj, taxonomy, settings, tmp_path):
    client.force_login(pm)
    before = state(settings)
    doc = json.dumps(doc_with(taxonomy, colours={})).encode()
    page = client.post(reverse("annotation:project_new"), {
        "name": "New", "slug": "new", "taxonomy_file": SimpleUploadedFile("t.json", doc), "overlap_k": 3,
        "blind_share": 0.1, "required_proficiency": "fluent", "locale_match": "preferred",
        "channel_layout": "agent,customer"})  # fmt: skip
    assert page.status_code == 200 and "unknown key 'colours'" in html.unescape(page.content.decode())
    path = tmp_path / "t.json"
    path.write_bytes(doc)
    with pytest.raises(CommandError, match="unknown key 'colours'"):
        call_command("create_project", "--name", "New", "--slug", "new", "--taxonomy-json", str(path))
    with pytest.raises(CommandError, match="No taxonomy 'nope'"):
        call_command("create_project", "--name", "New", "--slug", "new", "--taxonomy", "nope")
    assert state(settings) == before


@pytest.mark.parametrize(
    "doc, expected",
    [
        (b"[" * 50000 + b"]" * 50000, "nests 50000 levels deep"),
        (b'{"slug": "t\\u0000x", "name": "T"}', "holds the character U+0000 (NUL)"),
    ],
    ids=["nested 50,000 deep", "escaped NUL"],
)
def test_a_taxonomy_file_no_parser_or_column_can_take_is_refused_in_words(
    client, pm, proj, settings, tmp_path, doc, expected
):
    # Both were server errors: the parser's recursion, and PostgreSQL refusing NUL in text.
    client.force_login(pm)
    before = state(settings)
    page = client.post(reverse("annotation:project_new"), {
        "name": "New", "slug": "new", "taxonomy_file": SimpleUploadedFile("t.json", doc), "overlap_k": 3,
        "blind_share": 0.1, "required_proficiency": "fluent", "locale_match": "preferred",
        "channel_layout": "agent,customer"})  # fmt: skip
    assert page.status_code == 200
    assert "The taxonomy file cannot be used" in html.unescape(page.content.decode())
    assert expected in html.unescape(page.content.decode())
    path = tmp_path / "t.json"
    path.write_bytes(doc)
    with pytest.raises(CommandError, match=re.escape(expected)):
        call_command("create_project", "--name", "New", "--slug", "new", "--taxonomy-json", str(path))
    assert state(settings) == before


def test_annotator_cannot_create_a_project(make_user, taxonomy, settings):
    api = APIClient()
    api.force_authenticate(make_user("ann", "annotator"))
    before = state(settings)
    answer = api.post("/api/projects/", {"name": "New", "slug": "new", "taxonomy": taxonomy.slug}, format="json")
    assert answer.status_code == 403 and "Only admins and project managers" in answer.json()["detail"]
    assert state(settings) == before


# --- profiles and members -----------------------------------------------------------------------


BAD_PROFILES = {
    "locale with underscore": ({"languages": "en:native", "locales": "en_IN", "daily_capacity": 5}, "Not BCP 47"),
    "unknown proficiency": ({"languages": "en:expert", "daily_capacity": 5}, "native, fluent or working"),
    "language name, not code": ({"languages": "English:native", "daily_capacity": 5}, "not an ISO 639"),
    "no language": ({"languages": " , ", "daily_capacity": 5}, "at least one language"),
    "negative capacity": ({"languages": "en:native", "daily_capacity": -1}, "greater than or equal to 0"),
}


@pytest.mark.parametrize("case", list(BAD_PROFILES))
def test_bad_self_profile_is_refused(client, make_user, settings, case):
    data, expected = BAD_PROFILES[case]
    client.force_login(make_user("ann", "annotator"))
    before = state(settings)
    page = client.post(reverse("people:profile"), data)
    assert page.status_code == 200 and expected in html.unescape(page.content.decode())
    assert state(settings) == before


BAD_MEMBER_CHANGES = {
    "unknown user": ({"action": "add", "username": "ghost", "role": "annotator"}, "No account 'ghost'"),
    "reviewer as manager": ({"action": "add", "username": "rev", "role": "manager"}, "only project manager or admin"),
    "already a member": ({"action": "add", "username": "pm", "role": "manager"}, "already project manager here"),
    "remove the last manager": ({"action": "remove", "membership": "MINE"}, "at least one manager"),
    "bulk add by a bad locale": ({"action": "preview", "locale": "en_GB"}, "not a BCP 47 tag"),
    "bulk add with nothing to match": ({"action": "preview"}, "Give a language, a locale or a proficiency"),
    "bulk add proficiency without language": ({"action": "preview", "proficiency": "native"}, "needs a language"),
}


@pytest.mark.parametrize("case", list(BAD_MEMBER_CHANGES))
def test_bad_membership_change_is_refused(client, pm, proj, make_user, settings, case):
    make_user("rev", "qa_reviewer")
    data, expected = BAD_MEMBER_CHANGES[case]
    if data.get("membership") == "MINE":
        data = {**data, "membership": proj.memberships.get(user=pm).pk}
    client.force_login(pm)
    before = state(settings)
    page = client.post(reverse("people:project_members", args=["acme"]), data, follow=True)
    assert expected in html.unescape(page.content.decode())
    assert state(settings) == before


def test_email_taken_after_the_invitation_was_sent_is_refused_at_acceptance(client, pm, proj, make_user, settings):
    url = invite(pm, proj, email="late@example.com")
    make_user("someone", "annotator", email="LATE@example.com")
    before = state(settings)
    page = client.post(url, {"username": "late", "password": PASSWORD, "password_again": PASSWORD})
    assert "late@example.com already has an account" in html.unescape(page.content.decode())
    assert state(settings) == before and Invitation.objects.get().status == "pending"


@pytest.mark.parametrize("action", ["invitation_resend", "invitation_revoke"])
def test_a_pm_cannot_resend_or_revoke_an_admins_pm_invitation_into_their_project(
    client, pm, proj, make_user, settings, action
):
    admin = make_user("root", is_superuser=True)
    invitation_create(email="boss@example.com", role="project_manager", projects=[proj], invited_by=admin,
                      build_link=lambda t: f"/invite/{t}/")  # fmt: skip
    client.force_login(pm)
    before = state(settings)
    page = client.post(reverse(f"people:{action}", args=[Invitation.objects.get().pk]), follow=True)
    assert "Only an admin or the person who sent this invitation" in page.content.decode()
    assert state(settings) == before
