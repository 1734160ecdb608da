"""Snapshot pages, downloads and API: PMs and reviewers of the project only; imports: PMs only."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile

import pytest
from django.urls import reverse

from annotation.models import Call, ProjectMembership
from annotation.services import project_add_member, project_create
from qa.exports.snapshot import snapshot_build, snapshot_create, snapshot_manifest
from qa.models import ExportSnapshot

from .exports_data import build_calls

pytestmark = pytest.mark.django_db


@pytest.fixture
def data(project, make_user):
    return build_calls(project, make_user, calls=2, turns=3)


@pytest.fixture
def people(project, make_user, taxonomy, data):
    pm = make_user("pm", "project_manager")
    project_add_member(project=project, user=pm, role=ProjectMembership.Role.MANAGER)
    reviewer = make_user("rev", "qa_reviewer")
    project_add_member(project=project, user=reviewer, role=ProjectMembership.Role.REVIEWER)
    other_pm = make_user("otherpm", "project_manager")
    other = project_create(name="Other", slug="other", taxonomy=taxonomy)
    project_add_member(project=other, user=other_pm, role=ProjectMembership.Role.MANAGER)
    annotator = data.annotators[0]  # works in this project, must still see no snapshot
    return {"pm": pm, "reviewer": reviewer, "other_pm": other_pm, "annotator": annotator}


@pytest.fixture
def ready(project, people, data):
    snapshot = snapshot_create(
        project=project, created_by=people["pm"], formats=["jsonl", "audiofolder", "rttm"], send=False
    )
    built = snapshot_build(snapshot_id=snapshot.pk)
    assert built.status == ExportSnapshot.Status.READY, built.error
    return built


def login(client, user):
    client.force_login(user)
    return client


def test_pm_and_reviewer_see_the_pages_and_others_are_refused(client, project, people, ready):
    urls = [
        reverse("qa:project_snapshots", args=[project.slug]),
        reverse("qa:snapshot_detail", args=[ready.pk]),
        reverse("qa:snapshot_download", args=[ready.pk]),
        reverse("qa:snapshot_file", args=[ready.pk, "jsonl/turns.jsonl"]),
        reverse("api-project-snapshots", args=[project.slug]),
        reverse("api-snapshot-detail", args=[ready.pk]),
        reverse("api-snapshot-download", args=[ready.pk]),
    ]
    for who in ("pm", "reviewer"):
        login(client, people[who])
        for url in urls:
            assert client.get(url).status_code == 200, (who, url)
    for who in ("annotator", "other_pm"):
        login(client, people[who])
        for url in urls:
            assert client.get(url).status_code == 404, (who, url)
        assert (
            client.post(reverse("qa:project_snapshots", args=[project.slug]), {"formats": ["jsonl"]}).status_code == 404
        )
        assert (
            client.post(
                reverse("api-project-snapshots", args=[project.slug]),
                {"formats": ["jsonl"]},
                content_type="application/json",
            ).status_code
            == 404
        )
    client.logout()
    assert client.get(urls[0]).status_code == 302
    assert client.get(urls[-1]).status_code in (401, 403)
    assert ExportSnapshot.objects.count() == 1


def test_create_from_the_form_queues_a_build_and_the_page_polls(
    client, project, people, django_capture_on_commit_callbacks
):
    login(client, people["reviewer"])
    url = reverse("qa:project_snapshots", args=[project.slug])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            url, {"formats": ["jsonl", "csv"], "languages": "en", "split": "0.5,0.25,0.25", "seed": 3}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    snapshot = ExportSnapshot.objects.get()
    assert len(callbacks) == 1  # the build is sent only after commit
    assert snapshot.formats == ["jsonl", "csv"] and snapshot.filters == {"languages": ["en"]}
    assert snapshot.split_ratios == [0.5, 0.25, 0.25] and snapshot.split_seed == 3
    partial = client.get(reverse("qa:snapshot_detail", args=[snapshot.pk]), HTTP_HX_REQUEST="true")
    assert b'hx-trigger="every 1s"' in partial.content and b"<html" not in partial.content
    snapshot_build(snapshot_id=snapshot.pk)
    done = client.get(reverse("qa:snapshot_detail", args=[snapshot.pk]), HTTP_HX_REQUEST="true")
    assert b"hx-trigger" not in done.content and b"Download everything" in done.content


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"formats": ["jsonl"], "languages": "fr"}, b"no annotated-call turns match"),
        ({"formats": ["jsonl"], "split": "1,2"}, b"give three"),
        ({"formats": ["jsonl"], "split": "0.5,0.5,0.5"}, b"shares add up to 1.5; give shares that add up to 1"),
        ({"formats": ["jsonl"], "calls": "999999"}, b"no call 999999"),
        ({"formats": ["nope"]}, b"Select a valid choice"),
        ({"formats": ["jsonl"], "min_alpha": "3"}, b"give a number between -1 and 1"),
    ],
)
def test_bad_snapshot_requests_are_refused_on_the_form(client, project, people, form, message):
    login(client, people["pm"])
    response = client.post(reverse("qa:project_snapshots", args=[project.slug]), form)
    assert response.status_code == 200 and message in response.content
    assert not ExportSnapshot.objects.exists()


def field_block(content: bytes, name: str) -> str:
    """The form row (``div.field``) that holds the input named ``name``."""
    rows = re.findall(r'<div class="field">.*?</div>', content.decode(), flags=re.S)
    found = [row for row in rows if f'name="{name}"' in row]
    assert len(found) == 1, (name, rows)
    return found[0]


@pytest.mark.parametrize(
    ("posted", "errors"),
    [
        (  # Calls and Split both wrong: only Calls was named, and Split only once Calls was fixed
            {"calls": "12,abc", "split": "1,2"},
            {"calls": "give call ids as whole numbers", "split": "give three"},
        ),
        (  # a call of no project, a bad split, an impossible alpha and a range that ends first
            {"calls": "999999", "split": "a,b,c", "min_alpha": "3", "date_from": "2024-05-02", "date_to": "2024-05-01"},
            {
                "calls": "no call 999999",
                "split": "give three",
                "min_alpha": "give a number between -1 and 1",
                "date_from": "the range starts after it ends",
            },
        ),
        (  # a language no model knows matched nothing, and the export said only "no turns match"
            {"languages": "en, klingon!!"},
            {"languages": "'klingon!!': not a language the speech models know"},
        ),
    ],
)
def test_every_refused_filter_is_named_under_its_own_field(client, project, people, posted, errors):
    login(client, people["pm"])
    posted = {"formats": ["jsonl", "csv"], "languages": "en", **posted}
    response = client.post(reverse("qa:project_snapshots", args=[project.slug]), posted)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == set(errors)  # every one at once, nothing more
    for field, message in errors.items():
        row = field_block(response.content, field)
        assert message in html.unescape(row), (field, row)
        assert 'aria-invalid="true"' in row and f'id="id_{field}_error"' in row
    for field, value in posted.items():  # what was posted is still in the form, to be corrected
        if field == "formats":
            assert all(re.search(rf'value="{v}"[^>]*checked', response.content.decode()) for v in value)
        else:
            assert f'value="{value}"' in field_block(response.content, field), field
    assert not ExportSnapshot.objects.exists()


def test_every_bad_call_id_is_named_at_once(client, project, people, data):
    """ "1, 999, abc" said only "give call ids as whole numbers", naming neither abc nor 999 (no
    such call), which was named alone once abc was gone: every bad entry is named in one answer,
    on the page and in the API."""
    login(client, people["pm"])
    call = project.calls.filter(status="ready").first()
    posted = {"formats": ["jsonl"], "calls": f"{call.pk}, 999999, abc, 1.5, 0"}
    response = client.post(reverse("qa:project_snapshots", args=[project.slug]), posted)
    assert response.status_code == 200
    errors = response.context["form"].errors["calls"]
    assert errors == [
        "give call ids as whole numbers, e.g. 12,15 ('abc', '1.5' are not).",
        "0: a call id is a whole number from 1 to 9223372036854775807.",
        f"no call 999999 in project '{project.slug}'.",
    ]
    row = html.unescape(field_block(response.content, "calls"))
    assert all(error in row for error in errors)
    api = client.post(
        reverse("api-project-snapshots", args=[project.slug]),
        {"formats": ["jsonl"], "filters": {"calls": [call.pk, 999999, "abc"]}},
        content_type="application/json",
    )
    assert api.status_code == 400 and "('abc' is not)" in str(api.json()) and "no call 999999" in str(api.json())
    assert not ExportSnapshot.objects.exists()


# Every refused filter in one answer, in the snapshot page's words: the API and the command line
# named only the first, so a request with three mistakes took three round trips.
EVERY_BAD_FILTER = {
    "calls": ("999999", "no call 999999"),
    "languages": ("en, klingon!!", "'klingon!!': not a language the speech models know"),
    "min_alpha": ("3", "give a number between -1 and 1"),
    "date_to": ("someday", "give a date as YYYY-MM-DD"),
    "split": ("a,b,c", "give three"),
}


def test_api_names_every_refused_filter_at_once(client, project, people):
    login(client, people["pm"])
    filters = {key: value for key, (value, _) in EVERY_BAD_FILTER.items() if key != "split"}
    filters["calls"] = [999999]  # JSON values, not the form's text
    filters["gold"] = True  # no filter at all: named with the rest
    body = {"formats": ["jsonl"], "filters": filters, "split": [1, 2]}
    url = reverse("api-project-snapshots", args=[project.slug])
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) == {*EVERY_BAD_FILTER, "filters"}  # every one at once, nothing more
    for field, (_, message) in EVERY_BAD_FILTER.items():
        assert any(message in m for m in errors[field]), (field, errors)
    assert "'gold' is not a filter. Did you mean gold_only?" in errors["filters"][0]
    # Across fields too, as numbers: a range that ends before it starts, with another refusal.
    body = {"formats": ["jsonl"], "filters": {"min_alpha": 3, "date_from": "2024-05-02", "date_to": "2024-05-01"}}
    errors = client.post(url, body, content_type="application/json").json()
    assert set(errors) == {"min_alpha", "date_from"} and "the range starts after it ends" in errors["date_from"][0]
    assert not ExportSnapshot.objects.exists()


def test_api_reads_yes_no_filters_and_languages_as_the_page_does(
    client, project, people, django_capture_on_commit_callbacks
):
    login(client, people["pm"])
    body = {"formats": ["jsonl"], "filters": {"languages": ["English"], "gold_only": "no", "adjudicated_only": "off"}}
    with django_capture_on_commit_callbacks(execute=False):
        created = client.post(
            reverse("api-project-snapshots", args=[project.slug]), body, content_type="application/json"
        )
    assert created.status_code == 201, created.content
    assert created.json()["filters"] == {"languages": ["en"]}  # "no" is no, and English is en


def test_command_names_every_refused_filter_at_once(project, data, tmp_path):
    from django.core.management import CommandError, call_command

    options = {key: value for key, (value, _) in EVERY_BAD_FILTER.items()}
    out = tmp_path / "export"
    with pytest.raises(CommandError) as refused:
        call_command("export_dataset", project=project.slug, fmt="jsonl", out=str(out), **options)
    text = str(refused.value)
    for field, (_, message) in EVERY_BAD_FILTER.items():
        assert f"--{field.replace('_', '-')}: {message}" in text, (field, text)
    assert not out.exists()  # nothing written


def test_zip_streams_every_file_intact(client, people, ready):
    login(client, people["pm"])
    response = client.get(reverse("qa:snapshot_download", args=[ready.pk]))
    assert response.streaming and response["Content-Type"] == "application/zip"
    blob = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(blob))
    assert archive.testzip() is None
    prefix = f"test-snapshot-{ready.pk}/"
    names = set(archive.namelist())
    files = snapshot_manifest(ready)["files"]
    assert len(files) == ready.manifest["file_count"] > 6
    assert names == {prefix + "manifest.json"} | {prefix + f["path"] for f in files}
    for f in files:
        assert hashlib.sha256(archive.read(prefix + f["path"])).hexdigest() == f["sha256"]


def test_single_files_support_range_and_only_listed_paths(client, people, ready):
    login(client, people["reviewer"])
    url = reverse("qa:snapshot_file", args=[ready.pk, "jsonl/turns.jsonl"])
    whole = b"".join(client.get(url).streaming_content)
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and b"".join(part.streaming_content) == whole[10:20]
    for bad in ("../../../etc/passwd", "jsonl/../manifest.json", "nothere.txt", "/etc/passwd", "jsonl", "./jsonl"):
        assert client.get(reverse("qa:snapshot_file", args=[ready.pk, bad])).status_code == 404
    api = client.get(reverse("api-snapshot-download", args=[ready.pk]), {"file": "rttm/turns.rttm"})
    assert api.status_code == 200 and b"SPEAKER" in b"".join(api.streaming_content)


def test_api_create_detail_and_errors(client, project, people, django_capture_on_commit_callbacks):
    login(client, people["pm"])
    url = reverse("api-project-snapshots", args=[project.slug])
    bad = client.post(url, {"formats": ["jsonl"], "filters": {"min_alpha": "x"}}, content_type="application/json")
    assert bad.status_code == 400 and "min_alpha" in bad.json()
    bad = client.post(url, {"formats": ["tiff"]}, content_type="application/json")
    assert bad.status_code == 400 and "formats" in bad.json()
    # A misspelt filter was dropped, and the whole project exported as if filtered.
    bad = client.post(url, {"formats": ["jsonl"], "filters": {"gold": True}}, content_type="application/json")
    assert bad.status_code == 400 and "'gold' is not a filter. Did you mean gold_only?" in bad.json()["filters"][0]
    assert not ExportSnapshot.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        created = client.post(
            url,
            {"formats": ["csv"], "filters": {"gold_only": False}, "split": [8, 1, 1]},
            content_type="application/json",
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "queued" and body["split_ratios"] == [0.8, 0.1, 0.1]
    # Shares that do not add up were rescaled into a split nobody asked for (thirds).
    bad = client.post(url, {"formats": ["csv"], "split": [0.5, 0.5, 0.5]}, content_type="application/json")
    assert bad.status_code == 400 and "shares add up to 1.5" in str(bad.json()["split"])
    assert ExportSnapshot.objects.count() == 1
    not_ready = client.get(reverse("api-snapshot-download", args=[body["id"]]))
    assert not_ready.status_code == 409
    snapshot_build(snapshot_id=body["id"])
    detail = client.get(reverse("api-snapshot-detail", args=[body["id"]])).json()
    assert detail["status"] == "ready" and detail["counts"]["turns"] == 6
    assert detail["manifest"]["file_count"] == 3 and "files" not in detail["manifest"]
    manifest = client.get(reverse("api-snapshot-download", args=[body["id"]]), {"file": "manifest.json"})
    listed = {f["path"] for f in json.loads(b"".join(manifest.streaming_content))["files"]}
    assert listed == {"csv/turns.csv", "datacard.md", "datacard.json"}
    assert [s["id"] for s in client.get(url).json()] == [body["id"]]


RTTM = b"SPEAKER x 1 0.500 1.000 <NA> <NA> A <NA> <NA>\nSPEAKER x 1 2.000 1.000 <NA> <NA> B <NA> <NA>\n"


@pytest.fixture
def fresh(project):
    return Call.objects.create(
        project=project, audio="calls/f.wav", original_name="f.wav", sha256="e" * 64, duration=5.0, status="ready"
    )


def upload(content: bytes, name: str = "turns.rttm"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def test_import_form_on_the_call_page(client, people, fresh, data):
    login(client, people["pm"])
    page = client.get(reverse("annotation:call_detail", args=[fresh.pk]))
    assert b"Import turns" in page.content
    url = reverse("qa:call_turns_import", args=[fresh.pk])
    response = client.post(url, {"format": "rttm", "file": upload(RTTM)}, follow=True)
    assert b"Imported 2 turns for 2 speakers" in response.content and fresh.turns.count() == 2
    bad = client.post(url, {"format": "rttm", "file": upload(b"SPEAKER x 1 4 3 <NA> <NA> A <NA> <NA>\n")}, follow=True)
    assert "Import of 'turns.rttm' refused: line 1: ends at 7 s, after the call ends (5 s)" in html.unescape(
        bad.content.decode()
    )
    assert fresh.turns.count() == 2
    annotated = data.calls[0]
    refused = client.post(
        reverse("qa:call_turns_import", args=[annotated.pk]), {"format": "rttm", "file": upload(RTTM)}, follow=True
    )
    assert b"already has annotations" in refused.content
    login(client, people["reviewer"])
    assert b"Import turns" not in client.get(reverse("annotation:call_detail", args=[fresh.pk])).content
    assert client.post(url, {"format": "rttm", "file": upload(RTTM)}).status_code == 404
    login(client, people["other_pm"])
    assert client.post(url, {"format": "rttm", "file": upload(RTTM)}).status_code == 404


def test_import_api(client, people, fresh, data):
    url = reverse("api-call-turns-import", args=[fresh.pk])
    login(client, people["annotator"])
    assert client.post(url, {"format": "rttm", "file": upload(RTTM)}).status_code == 404
    login(client, people["pm"])
    bad = client.post(url, {"format": "rttm", "file": upload(b"SPEAKER x 1 1 -1 <NA> <NA> A <NA> <NA>\n")})
    assert bad.status_code == 400 and "line 1: duration -1 must be positive" in bad.json()["file"][0]
    assert client.post(url, {"format": "docx", "file": upload(RTTM)}).status_code == 400
    assert not fresh.turns.exists()
    created = client.post(url, {"format": "rttm", "file": upload(RTTM)})
    assert created.status_code == 201
    assert created.json() == {  # no audio yet
        "turns": 2, "speakers": 2, "created_speakers": 2, "rerun_from": "", "file": "turns.rttm",
        "not_imported": {}, "message": "",
    }  # fmt: skip
    conflict = client.post(
        reverse("api-call-turns-import", args=[data.calls[0].pk]), {"format": "rttm", "file": upload(RTTM)}
    )
    assert conflict.status_code == 409


def test_the_snapshot_pages_say_what_was_left_out_and_in_which_version_each_was_built(
    client, project, people, taxonomy
):
    """The detail page never mentioned the annotations a snapshot left out (its data card counts
    them), the list did not say which taxonomy version each snapshot was read in, and counts of
    one read "1 calls"."""
    from taxonomy.services import taxonomy_draft_for_edit, taxonomy_publish

    counts = {
        "calls": 1, "turns": 1, "seconds": 2.0, "annotations": 1, "annotators": 1, "adjudicated_turns": 1,
        "annotations_left_out": {"labels_removed_by_taxonomy_change": 3, "taxonomy_version_not_leading_here": 0},
        "splits": {},
    }  # fmt: skip
    datacard = {
        "agreement": {"judgements_left_out": {"labels_removed_by_taxonomy_change": 1}},
        "languages": {"turns_by_language": {"en": 1}, "calls_by_locale": {"en-US": 1}},
    }
    old = ExportSnapshot.objects.create(project=project, taxonomy=taxonomy, formats=["jsonl"], status="ready",
                                        counts=counts, datacard=datacard)  # fmt: skip
    unrecorded = ExportSnapshot.objects.create(project=project, formats=["jsonl"], status="ready", counts={})
    v2 = taxonomy_draft_for_edit(taxonomy=taxonomy)
    taxonomy_publish(taxonomy=v2)
    project.taxonomy = v2
    project.save(update_fields=["taxonomy"])
    client = login(client, people["reviewer"])
    page = html.unescape(client.get(reverse("qa:snapshot_detail", args=[old.pk])).content.decode())
    assert "Annotations left out" in page
    assert "3 annotations of these turns are left out of the dataset's annotations and consensus because their " \
        "labels were all removed by a taxonomy change" in page  # fmt: skip
    assert "1 judgement of the agreement scope is left out of the agreement figures below (valence and arousal " \
        "included) because their labels were all removed by a taxonomy change" in page  # fmt: skip
    assert "taxonomy_version_not_leading_here" not in page and "0 annotations" not in page
    assert "1 call · 1 turn ·" in page and "by 1 annotator ·" in page
    assert "en: 1 turn<" in page and "en-US: 1 call<" in page and "1 turns" not in page and "1 calls" not in page
    bare = html.unescape(client.get(reverse("qa:snapshot_detail", args=[unrecorded.pk])).content.decode())
    assert "Annotations left out" not in bare
    listing = html.unescape(client.get(reverse("qa:project_snapshots", args=[project.slug])).content.decode())
    rows = {int(m.group(1)): m.group(0) for m in re.finditer(r"<tr><td>(\d+)</td>.*?</tr>", listing, re.S)}
    assert "<th>Taxonomy</th>" in listing
    assert f'v{taxonomy.version} <span class="muted small">(not the current v{v2.version})</span>' in rows[old.pk]
    assert "not recorded" in rows[unrecorded.pk]
