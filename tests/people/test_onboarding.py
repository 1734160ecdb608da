"""Onboarding through the services and pages: project creation (one service for browser, API
and command line), invitations, memberships, self-profiles, deactivation, password reset."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
import soundfile as sf
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from annotation.models import AnnotatorProfile, Assignment, Call, Project, ProjectMembership, TurnAnnotation
from annotation.project_setup import project_setup
from annotation.services import project_rule_update
from annotera.models import AuditEvent
from people.invitations import invitation_accept, invitation_create
from people.memberships import annotators_matching, membership_add
from people.profiles import annotator_profile_update
from taxonomy.services import taxonomy_export

LINK = re.compile(r"/invite/([^/\s]+)/")


def link(token: str) -> str:
    return f"http://testserver/invite/{token}/"


def tax_doc(taxonomy, slug="acme-emotions"):
    return {**taxonomy_export(taxonomy), "slug": slug, "name": "Acme emotions"}


def tone_wav(freq: float, seconds: float = 1.0) -> bytes:
    t = np.arange(int(16000 * seconds)) / 16000
    buffer = io.BytesIO()
    sf.write(buffer, (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32), 16000, format="WAV")
    return buffer.getvalue()


@pytest.fixture
def admin(make_user):
    return make_user("root", is_superuser=True, is_staff=True, email="root@example.com")


@pytest.fixture
def pm(make_user):
    return make_user("pm1", "project_manager", email="pm1@example.com")


def test_project_setup_imports_a_taxonomy_pins_it_and_makes_the_creator_manager(pm, taxonomy):
    project = project_setup(
        name="Acme", slug="acme", created_by=pm, taxonomy_json=tax_doc(taxonomy), overlap_k=2,
        locale_match="required", required_proficiency="native", channel_layout="customer,agent",
    )  # fmt: skip
    assert project.taxonomy.slug == "acme-emotions" and project.taxonomy.is_published
    assert (project.overlap_k, project.locale_match, project.channel_layout) == (2, "required", "customer,agent")
    assert ProjectMembership.objects.filter(project=project, user=pm, role="manager").exists()
    assert AuditEvent.objects.filter(action="project.create", project=project).exists()


def test_create_project_command_and_api_use_the_same_rules(pm, taxonomy, tmp_path):
    out = io.StringIO()
    call_command("create_project", "--name", "Cli", "--slug", "cli", "--taxonomy", taxonomy.slug, stdout=out)
    assert json.loads(out.getvalue())["project"] == "cli"
    client = APIClient()
    client.force_authenticate(pm)
    answer = client.post(
        "/api/projects/",
        {"name": "Api", "slug": "api-proj", "taxonomy_json": tax_doc(taxonomy, "api-tax"), "locale_match": "required"},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["locale_match"] == "required"
    assert Project.objects.get(slug="api-proj").memberships.get().user == pm


def test_project_rule_update_is_audited_with_before_and_after(pm, taxonomy):
    project = project_setup(name="R", slug="r", created_by=pm, taxonomy=taxonomy)
    project_rule_update(project=project, actor=pm, overlap_k=1, blind_share=0.1, required_proficiency="fluent",
                        locale_match="required", channel_layout="customer,agent")  # fmt: skip
    event = AuditEvent.objects.get(action="project.rule_update")
    assert (event.before["overlap_k"], event.before["locale_match"], event.before["channel_layout"]) == (
        3, "preferred", "agent,customer")  # fmt: skip
    assert (event.after["overlap_k"], event.after["locale_match"], event.after["channel_layout"]) == (
        1, "required", "customer,agent")  # fmt: skip


def test_invitation_flow_single_use_and_roles_and_projects(admin, pm, taxonomy):
    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy)
    sent = invitation_create(email="ann@example.com", role="annotator", projects=[project], invited_by=pm,
                             build_link=link)  # fmt: skip
    token = LINK.search(sent.link)[1]
    assert sent.invitation.token_hash not in sent.link  # only a hash is stored
    user = invitation_accept(
        token=token, username="ann", password="a-long-pass-phrase", password_again="a-long-pass-phrase"
    )
    assert user.email == "ann@example.com" and user.groups.filter(name="annotator").exists()
    assert ProjectMembership.objects.filter(project=project, user=user, role="annotator").exists()
    assert AnnotatorProfile.objects.get(user=user).active is False  # until the profile is filled
    with pytest.raises(Exception, match="already used"):
        invitation_accept(
            token=token, username="ann2", password="a-long-pass-phrase", password_again="a-long-pass-phrase"
        )


def test_email_goes_through_django_mail_and_the_link_is_shown_without_a_mail_server(
    client, pm, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            reverse("people:invitations"), {"email": "r@example.com", "role": "qa_reviewer"}, follow=True
        )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["r@example.com"]
    token = LINK.search(mail.outbox[0].body)[1]
    assert token in page.content.decode()  # locmem counts as "no mail server": the PM sees the link


def test_resend_retires_the_old_link_and_revoke_kills_the_new_one(
    client, pm, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.force_login(pm)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:invitations"), {"email": "a@example.com", "role": "annotator"})
    old = LINK.search(mail.outbox[-1].body)[1]
    invitation = pm.invitations_sent.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:invitation_resend", args=[invitation.pk]))
    new = LINK.search(mail.outbox[-1].body)[1]
    assert "replaced by a newer" in client.get(f"/invite/{old}/").content.decode()
    assert client.get(f"/invite/{new}/").status_code == 200
    client.post(reverse("people:invitation_revoke", args=[invitation.pk]))
    assert "revoked" in client.get(f"/invite/{new}/").content.decode()


def test_only_admins_invite_project_managers(client, admin, pm):
    with pytest.raises(Exception, match="Only an admin can invite project managers"):
        invitation_create(email="x@example.com", role="project_manager", invited_by=pm, build_link=link)
    sent = invitation_create(email="x@example.com", role="project_manager", invited_by=admin, build_link=link)
    assert sent.invitation.role == "project_manager"


def test_pm_cannot_invite_into_a_project_they_do_not_manage(pm, make_user, taxonomy):
    other_pm = make_user("pm2", "project_manager")
    theirs = project_setup(name="Theirs", slug="theirs", created_by=other_pm, taxonomy=taxonomy)
    with pytest.raises(Exception, match="You do not manage: Theirs"):
        invitation_create(email="x@example.com", role="annotator", projects=[theirs], invited_by=pm, build_link=link)


def make_annotator(make_user, name, languages, locales):
    user = make_user(name, "annotator")
    annotator_profile_update(user=user, actor=user, languages=languages, locales=locales, cultural_background="",
                             daily_capacity=10)  # fmt: skip
    return user


def test_bulk_add_counts_matches_then_adds_with_audit(client, pm, make_user, taxonomy):
    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy)
    make_annotator(make_user, "gb", [{"code": "en", "proficiency": "native"}], ["en-GB"])
    make_annotator(make_user, "ind", [{"code": "en", "proficiency": "fluent"}], ["en-IN"])
    make_annotator(make_user, "es", [{"code": "es", "proficiency": "native"}], ["es-MX"])
    assert [u.username for u in annotators_matching(project=project, language="en")] == ["gb", "ind"]
    assert [u.username for u in annotators_matching(project=project, language="en", proficiency="native")] == ["gb"]
    assert [u.username for u in annotators_matching(project=project, locale="en-IN")] == ["ind"]
    client.force_login(pm)
    url = reverse("people:project_members", args=["p"])
    preview = client.post(url, {"action": "preview", "language": "en"})
    assert "<strong>2</strong> annotator(s) match" in preview.content.decode()
    assert not project.memberships.filter(role="annotator").exists()  # a preview writes nothing
    ids = [str(u.pk) for u in annotators_matching(project=project, language="en")]
    client.post(url, {"action": "confirm", "language": "en", "user": ids})
    assert set(project.memberships.filter(role="annotator").values_list("user__username", flat=True)) == {"gb", "ind"}
    assert AuditEvent.objects.filter(action="membership.add", project=project).count() == 2


def test_someone_who_oversees_is_not_offered_as_an_annotator(pm, make_user, taxonomy):
    """The bulk-add search offered a reviewer who also keeps an annotator profile (and is in the
    annotator group); the assignment engine would never give them calls, and should not."""
    from django.contrib.auth.models import Group

    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy)
    make_annotator(make_user, "plain", [{"code": "en", "proficiency": "native"}], ["en-GB"])
    both = make_annotator(make_user, "both", [{"code": "en", "proficiency": "native"}], ["en-GB"])
    both.groups.add(Group.objects.get(name="qa_reviewer"))
    assert [u.username for u in annotators_matching(project=project, language="en")] == ["plain"]


def test_membership_rules_roles_and_last_manager(client, pm, make_user, taxonomy):
    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy)
    reviewer = make_user("rev", "qa_reviewer")
    with pytest.raises(Exception, match="only project manager or admin accounts"):
        membership_add(project=project, user=reviewer, role="manager", actor=pm)
    client.force_login(pm)
    url = reverse("people:project_members", args=["p"])
    client.post(url, {"action": "add", "username": "rev", "role": "reviewer"})
    assert project.memberships.filter(user=reviewer, role="reviewer").exists()
    mine = project.memberships.get(user=pm)
    page = client.post(url, {"action": "remove", "membership": mine.pk}, follow=True)
    assert "at least one manager" in page.content.decode() and project.memberships.filter(pk=mine.pk).exists()
    removed = project.memberships.get(user=reviewer)
    client.post(url, {"action": "remove", "membership": removed.pk})
    event = AuditEvent.objects.get(action="membership.remove")
    assert event.before["username"] == "rev" and event.actor_id == pm.pk


def test_first_login_asks_for_the_profile_and_saving_it_assigns_waiting_calls(
    client, pm, make_user, taxonomy, django_capture_on_commit_callbacks
):
    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy, overlap_k=1, locale_match="required")
    call = Call.objects.create(project=project, original_name="a.wav", sha256="a" * 64, audio="a.wav",
                               status="ready", duration=3, language="en", locale="en-IN")  # fmt: skip
    annotator = make_user("newbie", "annotator")
    membership_add(project=project, user=annotator, role="annotator", actor=pm)
    client.force_login(annotator)
    assert client.get("/").url == reverse("people:profile")
    bad = client.post(reverse("people:profile"), {"languages": "en:native", "locales": "en_IN", "daily_capacity": 5})
    assert "Not BCP 47 tags: en_IN" in bad.content.decode() and not Assignment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("people:profile"), {"languages": "en:native", "locales": "en-IN", "daily_capacity": 5})
    assert Assignment.objects.get().call == call and Assignment.objects.get().annotator == annotator
    assert client.get("/").url == reverse("annotation:queue")


def test_deactivating_keeps_annotations_and_blocks_login(client, admin, make_user, taxonomy):
    project = project_setup(name="P", slug="p", taxonomy=taxonomy)
    annotator = make_user("leaver", "annotator")
    call = Call.objects.create(project=project, original_name="a.wav", sha256="a" * 64, audio="a.wav", status="ready")
    from annotation.models import Speaker, Turn

    turn = Turn.objects.create(call=call, speaker=Speaker.objects.create(call=call, label="A"), order=0, start=0, end=1)
    assignment = Assignment.objects.create(call=call, annotator=annotator)
    TurnAnnotation.objects.create(assignment=assignment, turn=turn, taxonomy=taxonomy, labels=[{"label": "anger"}])
    client.force_login(admin)
    client.post(reverse("people:user_active", args=[annotator.pk]), {"active": "0"})
    annotator.refresh_from_db()
    assert not annotator.is_active and TurnAnnotation.objects.filter(assignment__annotator=annotator).count() == 1
    assert AuditEvent.objects.filter(action="user.deactivate").exists()
    client.logout()
    assert not client.login(username="leaver", password="pw-leaver")


def test_password_reset_with_djangos_views(client, make_user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_user("forgetful", "annotator", email="f@example.com")
    client.post(reverse("password_reset"), {"email": "f@example.com"})
    assert len(mail.outbox) == 1
    url = re.search(r"http://testserver(/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(url, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "brand-new-pass-9", "new_password2": "brand-new-pass-9"}
    )
    assert done.status_code == 302
    assert client.login(username="forgetful", password="brand-new-pass-9")


def test_checklist_follows_the_project_from_empty_to_assigned(client, pm, make_user, taxonomy):
    project = project_setup(name="P", slug="p", created_by=pm, taxonomy=taxonomy, overlap_k=1)
    from annotation.onboarding import project_onboarding_steps

    assert [s.done for s in project_onboarding_steps(project)] == [True, False, False, False, False]
    annotator = make_annotator(make_user, "a1", [{"code": "en", "proficiency": "native"}], ["en-GB"])
    membership_add(project=project, user=annotator, role="annotator", actor=pm)
    client.force_login(pm)
    # on_commit never fires inside the test's transaction: the machine pass is not started here.
    answer = client.post(
        reverse("annotation:calls_bulk_upload", args=["p"]),
        {"files": [_named(tone_wav(220), "one.wav"), _named(tone_wav(330), "two.wav")],
         "metadata": _named(b"file,locale,agent_id,customer_id,campaign\none.wav,en-GB,A1,C1,spring\n"
                            b"two.wav,en-IN,A2,C2,autumn\n", "meta.csv"),
         "channel_layout": "agent,customer"},
    )  # fmt: skip
    assert answer.status_code == 302
    page = client.get(answer.url).content.decode()
    assert "2 call(s) uploaded; the machine pass is queued." in page
    again = client.post(
        reverse("annotation:calls_bulk_upload", args=["p"]),
        {"files": [_named(tone_wav(220), "one-again.wav")], "channel_layout": "agent,customer"},
        follow=True,
    ).content.decode()
    assert "Nothing new was uploaded: 1 file(s) were already in this project" in again
    assert "0 call(s) uploaded" not in again
    one = Call.objects.get(original_name="one.wav")
    assert one.locale == "en-GB" and one.metadata == {"agent_id": "A1", "customer_id": "C1", "campaign": "spring"}
    assert [s.done for s in project_onboarding_steps(project)] == [True, True, True, False, False]
    Call.objects.filter(project=project).update(status="ready", language="en")
    from annotation.assignment import assignments_run

    assignments_run(project=project)
    assert [s.done for s in project_onboarding_steps(project)] == [True, True, True, True, False]
    page = client.get(reverse("annotation:project_detail", args=["p"])).content.decode()
    assert "Getting started" in page and reverse("people:project_members", args=["p"]) in page


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_settings_page_edits_are_audited(client, pm, taxonomy):
    project_setup(name="S", slug="s", created_by=pm, taxonomy=taxonomy)
    client.force_login(pm)
    answer = client.post(
        reverse("annotation:project_settings", args=["s"]),
        {"form": "rule", "overlap_k": 2, "blind_share": 0.25, "required_proficiency": "native",
         "locale_match": "required", "channel_layout": "customer,agent"},
    )  # fmt: skip
    assert answer.status_code == 302
    project = Project.objects.get(slug="s")
    assert (project.overlap_k, project.channel_layout) == (2, "customer,agent")
    event = AuditEvent.objects.get(action="project.rule_update", project=project)
    assert event.actor == pm and event.before["overlap_k"] == 3 and event.after["locale_match"] == "required"
    upload_form = client.get(reverse("annotation:project_detail", args=["s"])).content.decode()
    assert '<option value="customer,agent" selected>' in upload_form  # the new default is offered


def test_a_managers_correction_of_a_profile_is_audited_and_used_at_once(client, pm, make_user, taxonomy):
    annotator = make_annotator(make_user, "corr", [{"code": "en", "proficiency": "working"}], ["en-GB"])
    project = project_setup(name="C", slug="c", created_by=pm, taxonomy=taxonomy, overlap_k=1)
    Call.objects.create(project=project, original_name="c.wav", sha256="c" * 64, audio="c.wav", status="ready",
                        duration=3, language="en")  # fmt: skip
    from annotation.assignment import matching_gaps

    assert matching_gaps(project)  # working English is below the required fluent
    client.force_login(pm)
    client.post(
        reverse("annotation:annotator_edit", args=[annotator.pk]),
        {"languages": "en:fluent", "locales": "en-GB", "daily_capacity": 10, "active": "on"},
    )
    event = AuditEvent.objects.filter(action="profile.update").latest("pk")
    assert event.actor == pm and event.before["languages"][0]["proficiency"] == "working"
    assert not matching_gaps(project)  # the project page's gaps follow the corrected profile
