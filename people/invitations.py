"""Invitation services: create, send, resend, revoke, accept.

A link is ``signing.dumps({"i": id, "n": nonce})``: the signature tells a forged or mistyped link
from a real one; the stored hash of the nonce makes each link single-use and lets a resend
retire the previous link; ``expires_at`` bounds its life.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import Group
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from annotation.models import AnnotatorProfile, Project, ProjectMembership
from annotation.selectors import projects_managed_by
from annotera import roles
from annotera.audit import audit_record

from .models import Invitation

SALT = "annotera.people.invitation"
MEMBERSHIP_FOR_ROLE = {
    Invitation.Role.ANNOTATOR: ProjectMembership.Role.ANNOTATOR,
    Invitation.Role.QA_REVIEWER: ProjectMembership.Role.REVIEWER,
    Invitation.Role.PROJECT_MANAGER: ProjectMembership.Role.MANAGER,
}
LOCAL_MAIL_BACKENDS = ("console", "locmem", "filebased", "dummy")


@dataclass(frozen=True)
class InvitationSent:
    invitation: Invitation
    link: str


def mail_is_local() -> bool:
    """True when no mail server is configured: the person inviting is shown the link to pass on."""
    return any(f".{name}." in settings.EMAIL_BACKEND for name in LOCAL_MAIL_BACKENDS)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_token(invitation_id: int) -> tuple[str, str]:
    nonce = secrets.token_urlsafe(24)
    return signing.dumps({"i": invitation_id, "n": nonce}, salt=SALT), _hash(nonce)


def invitations_visible_to(user) -> QuerySet[Invitation]:
    """Admins see every invitation; a project manager those they sent or that join their projects."""
    role = roles.user_role(user)
    if role == roles.ADMIN:
        return Invitation.objects.all()
    if role == roles.PROJECT_MANAGER:
        return Invitation.objects.filter(Q(invited_by=user) | Q(projects__in=projects_managed_by(user))).distinct()
    return Invitation.objects.none()


def invitation_manageable_by(invitation: Invitation, user) -> bool:
    """Who may resend or revoke: an admin, the inviter, or a manager of every project it joins
    who could have sent it (so a project manager never resends an admin's PM invitation)."""
    if roles.user_role(user) == roles.ADMIN or invitation.invited_by_id == user.pk:
        return True
    projects = set(invitation.projects.values_list("pk", flat=True))
    managed = set(projects_managed_by(user).values_list("pk", flat=True))
    return bool(projects) and projects <= managed and invitation.role in roles_invitable_by(user)


def roles_invitable_by(user) -> list[str]:
    """Only admins invite project managers; project managers invite annotators and reviewers."""
    role = roles.user_role(user)
    if role == roles.ADMIN:
        return list(Invitation.Role.values)
    if role == roles.PROJECT_MANAGER:
        return [Invitation.Role.ANNOTATOR, Invitation.Role.QA_REVIEWER]
    return []


def _email_taken(email: str) -> str:
    if get_user_model().objects.filter(email__iexact=email).exists():
        return f"{email} already has an account. Add that person on a project's members page instead."
    pending = Invitation.objects.filter(
        email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=timezone.now()
    )
    if pending.exists():
        return f"{email} already has a pending invitation. Resend or revoke it from the list below."
    return ""


def _send(invitation: Invitation, link: str) -> None:
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "Annotera"
    projects = ", ".join(p.name for p in invitation.projects.all()) or "no project yet"
    body = (
        f"{inviter} invites you to Annotera as {invitation.get_role_display().lower()} ({projects}).\n\n"
        f"Choose a user name and password here (the link works once, until "
        f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC):\n{link}\n"
    )
    email = invitation.email
    transaction.on_commit(lambda: send_mail("Your invitation to Annotera", body, settings.DEFAULT_FROM_EMAIL, [email]))


def invitation_create(
    *,
    email: str,
    role: str,
    projects: Iterable[Project] = (),
    invited_by,
    build_link: Callable[[str], str],
) -> InvitationSent:
    """Invite ``email`` as ``role`` into ``projects``; the email is sent after commit."""
    email = (email or "").strip()
    projects = list(projects)
    errors: list[str] = []
    try:
        validate_email(email)
    except ValidationError:
        errors.append(f"'{email}' is not an email address.")
    else:
        taken = _email_taken(email)
        if taken:
            errors.append(taken)
    if role not in Invitation.Role.values:
        errors.append(f"Unknown role '{role}'. Choose annotator, QA reviewer or project manager.")
    elif role not in roles_invitable_by(invited_by):
        errors.append(
            "Only an admin can invite project managers."
            if role == Invitation.Role.PROJECT_MANAGER
            else "Only admins and project managers can invite people."
        )
    managed = set(projects_managed_by(invited_by).values_list("pk", flat=True))
    outside = [p.name for p in projects if p.pk not in managed]
    if outside:
        errors.append(f"You do not manage: {', '.join(outside)}.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        now = timezone.now()
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            invited_by=invited_by,
            token_hash="-",
            sent_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
        )
        invitation.projects.set(projects)
        token, invitation.token_hash = _new_token(invitation.pk)
        invitation.save(update_fields=["token_hash"])
        audit_record(
            actor=invited_by,
            action="invitation.create",
            obj=invitation,
            after={"email": email, "role": role, "projects": [p.slug for p in projects]},
        )
        link = build_link(token)
        _send(invitation, link)
    return InvitationSent(invitation=invitation, link=link)


def invitation_resend(*, invitation: Invitation, actor, build_link: Callable[[str], str]) -> InvitationSent:
    """A fresh link with a fresh expiry; the previous link stops working."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation_manageable_by(invitation, actor):
            raise ValidationError("Only an admin or the person who sent this invitation can resend it.")
        if invitation.accepted_at or invitation.revoked_at:
            raise ValidationError(f"This invitation was {invitation.status}; it cannot be resent.")
        token, invitation.token_hash = _new_token(invitation.pk)
        invitation.sent_at = timezone.now()
        invitation.expires_at = invitation.sent_at + timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        invitation.send_count += 1
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at", "send_count"])
        audit_record(
            actor=actor, action="invitation.resend", obj=invitation, after={"send_count": invitation.send_count}
        )
        link = build_link(token)
        _send(invitation, link)
    return InvitationSent(invitation=invitation, link=link)


def invitation_revoke(*, invitation: Invitation, actor) -> Invitation:
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if not invitation_manageable_by(invitation, actor):
            raise ValidationError("Only an admin or the person who sent this invitation can revoke it.")
        if invitation.accepted_at:
            raise ValidationError("This invitation was already accepted; deactivate the account instead.")
        if invitation.revoked_at:
            raise ValidationError("This invitation is already revoked.")
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoke", obj=invitation, before={"status": "pending"})
    return invitation


def invitation_from_token(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation a link points at, or ValidationError saying plainly what is wrong."""
    try:
        data = signing.loads(token, salt=SALT)
        invitation_id, nonce = int(data["i"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(
            "This invitation link is not valid: it may have been mistyped or cut short. "
            "Copy the whole link from the email, or ask for a new invitation."
        ) from None
    queryset = Invitation.objects.select_for_update() if lock else Invitation.objects.all()
    invitation = queryset.filter(pk=invitation_id).first()
    if invitation is None:
        raise ValidationError("This invitation no longer exists. Ask for a new one.")
    if invitation.accepted_at:
        raise ValidationError("This invitation link was already used. Log in, or use “Forgot your password?”.")
    if invitation.revoked_at:
        raise ValidationError("This invitation was revoked. Ask the person who invited you for a new one.")
    if not constant_time_compare(_hash(nonce), invitation.token_hash):
        raise ValidationError("This link was replaced by a newer invitation email. Use the link in the latest one.")
    if invitation.expires_at <= timezone.now():
        raise ValidationError("This invitation has expired. Ask the person who invited you to resend it.")
    return invitation


def invitation_accept(*, token: str, username: str, password: str, password_again: str):
    """Create the invitee's account with the invited role and projects; the link is then spent."""
    User = get_user_model()
    with transaction.atomic():
        invitation = invitation_from_token(token, lock=True)
        username = (username or "").strip()
        errors: list[str] = []
        user = User(username=username, email=invitation.email)
        try:
            User._meta.get_field("username").run_validators(username)
            if not username:
                errors.append("Choose a user name.")
        except ValidationError as exc:
            errors += exc.messages
        if username and User.objects.filter(username__iexact=username).exists():
            errors.append(f"The user name '{username}' is taken; choose another.")
        if User.objects.filter(email__iexact=invitation.email).exists():
            errors.append(f"{invitation.email} already has an account. Log in instead.")
        if password != password_again:
            errors.append("The two passwords differ.")
        else:
            try:
                password_validation.validate_password(password, user)
            except ValidationError as exc:
                errors += exc.messages
        if errors:
            raise ValidationError(errors)
        user.set_password(password)
        user.save()
        if not Group.objects.filter(name=invitation.role).exists():
            roles.ensure_role_groups()
        user.groups.add(Group.objects.get(name=invitation.role))
        membership_role = MEMBERSHIP_FOR_ROLE[invitation.role]
        for project in invitation.projects.all():
            ProjectMembership.objects.get_or_create(project=project, user=user, role=membership_role)
        if invitation.role == Invitation.Role.ANNOTATOR:
            # Inactive until the annotator has said which languages they work in (their profile).
            AnnotatorProfile.objects.get_or_create(user=user, defaults={"active": False})
        invitation.accepted_at = timezone.now()
        invitation.accepted_user = user
        invitation.token_hash = "-"
        invitation.save(update_fields=["accepted_at", "accepted_user", "token_hash"])
        audit_record(
            actor=user,
            action="invitation.accept",
            obj=invitation,
            after={"user": user.pk, "username": user.get_username(), "role": invitation.role},
        )
    return user


def invitation_link_builder(request):
    """The absolute accept-link for a token, on the host the request came to (pages and API alike)."""
    return lambda token: request.build_absolute_uri(reverse("people:invitation_accept", args=[token]))
