"""Pages for people: invitations (list, send, resend, revoke, accept), the annotator's own
profile, project members, and account activation. Thin: access checks, then services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from annotation.access import project_for_manager
from annotation.models import AnnotatorProfile, ProjectMembership
from annotation.selectors import projects_managed_by
from annotera import roles
from annotera.ratelimit import client_ip, rate_limit

from .forms import AcceptForm, BulkAddForm, InvitationForm, MemberAddForm, SelfProfileForm
from .invitations import (
    invitation_accept,
    invitation_create,
    invitation_from_token,
    invitation_link_builder,
    invitation_resend,
    invitation_revoke,
    invitations_visible_to,
    mail_is_local,
    roles_invitable_by,
)
from .memberships import annotators_matching, membership_add, membership_remove, memberships_bulk_add_annotators
from .profiles import annotator_profile_update, profile_needs_filling, user_set_active
from .users import user_by_name_or_email


def _sent_message(request: HttpRequest, sent, verb: str) -> None:
    text = f"Invitation {verb} to {sent.invitation.email}."
    if mail_is_local():
        text += f" No mail server is configured, so pass on this link yourself: {sent.link}"
    messages.success(request, text)


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def invitations(request: HttpRequest) -> HttpResponse:
    allowed = roles_invitable_by(request.user)
    if not allowed:
        raise PermissionDenied("Only admins and project managers invite people.")
    projects = projects_managed_by(request.user).order_by("name")
    form = InvitationForm(request.POST or None, roles=allowed, projects=projects)
    if request.method == "POST":
        if form.is_valid():
            try:
                sent = invitation_create(
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    projects=form.cleaned_data["projects"],
                    invited_by=request.user,
                    build_link=invitation_link_builder(request),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                _sent_message(request, sent, "sent")
                return redirect("people:invitations")
    rows = invitations_visible_to(request.user).select_related("invited_by").prefetch_related("projects")[:200]
    return render(
        request,
        "people/invitations.html",
        {"form": form, "invitations": rows, "mail_is_local": mail_is_local()},
    )


def _visible_invitation(request: HttpRequest, pk: int):
    return get_object_or_404(invitations_visible_to(request.user), pk=pk)


@login_required
@require_POST
def invitation_resend_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _visible_invitation(request, pk)
    try:
        sent = invitation_resend(invitation=invitation, actor=request.user, build_link=invitation_link_builder(request))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        _sent_message(request, sent, "sent again")
    return redirect("people:invitations")


@login_required
@require_POST
def invitation_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = _visible_invitation(request, pk)
    try:
        invitation_revoke(invitation=invitation, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, f"The invitation to {invitation.email} is revoked; its link no longer works.")
    return redirect("people:invitations")


@rate_limit("invitation-accept", limit=lambda: 30, window=300, keys=lambda r: [f"ip:{client_ip(r)}"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the invitee chooses a user name and password. A bad link says what is wrong."""
    try:
        invitation = invitation_from_token(token)
    except ValidationError as exc:
        return render(request, "people/accept.html", {"problem": " ".join(exc.messages)}, status=400)
    form = AcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            messages.success(request, f"Welcome, {user.get_username()}.")
            return redirect("people:profile" if profile_needs_filling(user) else "home")
    return render(request, "people/accept.html", {"form": form, "invitation": invitation})


def _profile_initial(profile: AnnotatorProfile | None) -> dict:
    if profile is None:
        return {"daily_capacity": 20}
    return {
        "languages": ", ".join(f"{i['code']}:{i['proficiency']}" for i in profile.languages),
        "locales": ", ".join(profile.locales),
        "cultural_background": profile.cultural_background,
        "daily_capacity": profile.daily_capacity,
    }


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The annotator's own languages, locales, background and capacity (asked at first login)."""
    if roles.user_role(request.user) != roles.ANNOTATOR:
        raise PermissionDenied("Only annotators have an annotator profile.")
    current = AnnotatorProfile.objects.filter(user=request.user).first()
    first_time = profile_needs_filling(request.user)
    form = SelfProfileForm(request.POST or None, initial=_profile_initial(current))
    if request.method == "POST" and form.is_valid():
        try:
            annotator_profile_update(user=request.user, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, "Profile saved. Calls in your languages will now reach your queue.")
            return redirect("annotation:queue")
    return render(request, "people/profile.html", {"form": form, "first_time": first_time})


@login_required
def project_members(request: HttpRequest, slug: str) -> HttpResponse:
    """Add and remove a project's annotators, reviewers and managers; bulk-add annotators by
    language, locale or proficiency after seeing who matches."""
    project = project_for_manager(request.user, slug)
    action = request.POST.get("action", "")
    add_form = MemberAddForm(request.POST if action == "add" else None)
    bulk_form = BulkAddForm(request.POST if action in ("preview", "confirm") else (request.GET or None))
    preview = None
    if action == "add" and add_form.is_valid():
        person = user_by_name_or_email(add_form.cleaned_data["username"])
        if person is None:
            messages.error(request, f"No account '{add_form.cleaned_data['username']}'. Invite them first.")
        else:
            try:
                membership_add(project=project, user=person, role=add_form.cleaned_data["role"], actor=request.user)
                messages.success(request, f"Added {person.get_username()}.")
                return redirect("people:project_members", slug=project.slug)
            except ValidationError as exc:
                _errors(request, exc)
    elif action == "remove":
        membership = ProjectMembership.objects.filter(project=project, pk=request.POST.get("membership") or 0).first()
        if membership is None:
            messages.error(request, "That membership no longer exists.")
        else:
            try:
                membership_remove(membership=membership, actor=request.user)
                messages.success(
                    request, f"Removed {membership.user.get_username()} ({membership.get_role_display()})."
                )
            except ValidationError as exc:
                _errors(request, exc)
        return redirect("people:project_members", slug=project.slug)
    elif action in ("preview", "confirm") or (request.method == "GET" and bulk_form.is_bound):
        if bulk_form.is_valid():
            matches = list(annotators_matching(project=project, **bulk_form.cleaned_data))
            if action == "confirm":
                chosen = {int(x) for x in request.POST.getlist("user") if x.isdigit()}
                picked = [u for u in matches if u.pk in chosen]
                if len(picked) != len(chosen):
                    messages.error(request, "The matching annotators changed since the preview; check the list again.")
                else:
                    added = memberships_bulk_add_annotators(project=project, users=picked, actor=request.user)
                    messages.success(request, f"Added {added} annotator(s).")
                    return redirect("people:project_members", slug=project.slug)
            preview = matches
    members = project.memberships.select_related("user", "user__annotator_profile").order_by("role", "user__username")
    return render(
        request,
        "people/members.html",
        {"project": project, "members": members, "add_form": add_form, "bulk_form": bulk_form, "preview": preview},
    )


@login_required
def users(request: HttpRequest) -> HttpResponse:
    """Every account with its role and state (admins): deactivate or reactivate here."""
    if roles.user_role(request.user) != roles.ADMIN:
        raise PermissionDenied("Only admins manage accounts.")
    people = get_user_model().objects.prefetch_related("groups").order_by("username")
    rows = [(person, roles.ROLE_NAMES.get(roles.user_role(person), "no role")) for person in people]
    return render(request, "people/users.html", {"rows": rows})


@login_required
@require_POST
def user_active_view(request: HttpRequest, user_id: int) -> HttpResponse:
    if roles.user_role(request.user) != roles.ADMIN:
        raise PermissionDenied("Only admins manage accounts.")
    person = get_object_or_404(get_user_model(), pk=user_id)
    active = request.POST.get("active") == "1"
    try:
        user_set_active(user=person, active=active, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        state = "reactivated" if active else "deactivated; their annotations are kept"
        messages.success(request, f"{person.get_username()} is {state}.")
    return redirect("people:users")
