"""Invitations and project members through the API: the same services, checks, messages and
audit rows as the pages (there was no API for them)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotation.models import ProjectMembership
from annotera.models import AuditEvent
from people.models import Invitation

pytestmark = pytest.mark.django_db


def post(client, name, body=None, *args):
    return client.post(reverse(name, args=args), body if body is not None else {}, content_type="application/json")


def test_a_manager_invites_resends_and_revokes_through_the_api(client, pm, project):
    client.force_login(pm)
    made = post(client, "api-invitations", {"email": "ana@example.org", "role": "annotator", "projects": ["test"]})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["email"], body["role"], body["projects"], body["status"]) == (
        "ana@example.org", "annotator", ["test"], "pending",
    )  # fmt: skip
    assert "/invite/" in body["link"]  # no mail server configured: the link is handed back to pass on
    listed = client.get(reverse("api-invitations")).json()
    assert [i["email"] for i in listed] == ["ana@example.org"] and "link" not in listed[0]
    again = post(client, "api-invitation-resend", None, body["id"])
    assert again.status_code == 200 and again.json()["send_count"] == 2 and again.json()["link"] != body["link"]
    gone = post(client, "api-invitation-revoke", None, body["id"])
    assert gone.status_code == 200 and gone.json()["status"] == "revoked"
    refused = post(client, "api-invitation-resend", None, body["id"])
    assert refused.status_code == 400 and "revoked" in refused.json()["detail"][0]
    actions = set(AuditEvent.objects.filter(actor=pm).values_list("action", flat=True))
    assert {"invitation.create", "invitation.resend", "invitation.revoke"} <= actions


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"email": "not-an-address", "role": "annotator"}, "detail", "is not an email address"),
        ({"email": "a@example.org", "role": "wizard"}, "role", "is not a valid choice"),
        ({"email": "a@example.org", "role": "project_manager"}, "detail", "Only an admin can invite project managers"),
        ({"email": "a@example.org", "role": "annotator", "projects": ["elsewhere"]}, "projects", "manage no project"),
        ({"email": "a@example.org", "role": "annotator", "projects": "test"}, "projects", "list"),
        ({"role": "annotator"}, "email", "required"),
    ],
)
def test_bad_invitations_are_refused_with_a_reason_and_nothing_is_stored(client, pm, body, field, message):
    client.force_login(pm)
    response = post(client, "api-invitations", body)
    assert response.status_code == 400, response.json()
    assert message in " ".join(str(m) for m in response.json()[field])
    assert Invitation.objects.count() == 0


def test_people_who_do_not_invite_are_refused(client, make_user, project):
    annotator = make_user("ann", "annotator")
    client.force_login(annotator)
    assert client.get(reverse("api-invitations")).status_code == 403
    assert post(client, "api-invitations", {"email": "a@example.org", "role": "annotator"}).status_code == 403
    client.logout()
    assert client.get(reverse("api-invitations")).status_code in (401, 403)


def test_a_manager_adds_and_removes_members_through_the_api(client, pm, project, make_user):
    make_user("ana", "annotator", email="ana@example.org")
    make_user("rita", "qa_reviewer")
    client.force_login(pm)
    url = reverse("api-project-members", args=["test"])
    added = post(client, "api-project-members", {"user": "ANA@example.org", "role": "annotator"}, "test")
    assert added.status_code == 201, added.json()
    assert (added.json()["username"], added.json()["role"]) == ("ana", "annotator")
    cases = [
        ({"user": "ana", "role": "annotator"}, "already annotator here"),
        ({"user": "nobody", "role": "annotator"}, "Invite them first"),
        ({"user": "rita", "role": "annotator"}, "only annotator accounts can be annotators"),
        ({"user": "ana", "role": "owner"}, "is not a valid choice"),
    ]
    for body, message in cases:
        refused = post(client, "api-project-members", body, "test")
        assert refused.status_code == 400 and message in str(refused.json()), (body, refused.json())
    members = client.get(url).json()
    assert sorted((m["username"], m["role"]) for m in members) == [("ana", "annotator"), ("pm", "manager")]
    ana = next(m for m in members if m["username"] == "ana")
    assert client.delete(reverse("api-project-member", args=["test", ana["id"]])).status_code == 204
    own = next(m for m in members if m["username"] == "pm")
    last = client.delete(reverse("api-project-member", args=["test", own["id"]]))
    assert last.status_code == 400 and "at least one manager" in last.json()["detail"][0]
    assert list(ProjectMembership.objects.filter(project=project).values_list("user__username", flat=True)) == ["pm"]


def test_members_of_a_project_you_do_not_manage_are_not_found(client, make_user, project, reviewer):
    other_pm = make_user("pm2", "project_manager")
    for user in (other_pm, reviewer, make_user("ann", "annotator")):
        client.force_login(user)
        assert client.get(reverse("api-project-members", args=["test"])).status_code == 404
        assert post(client, "api-project-members", {"user": "ann", "role": "annotator"}, "test").status_code == 404
