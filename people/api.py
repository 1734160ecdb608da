"""People API: invitations (list, send, resend, revoke) and a project's members (list, add,
remove), through the same services and checks as the pages."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.access import project_for_manager
from annotation.models import ProjectMembership
from annotation.selectors import projects_managed_by
from annotation.serializers_workspace import ErrorOutput
from annotera.api_errors import refusals_as_400

from .invitations import (
    invitation_create,
    invitation_link_builder,
    invitation_resend,
    invitation_revoke,
    invitations_visible_to,
    mail_is_local,
    roles_invitable_by,
)
from .memberships import membership_add, membership_remove
from .serializers import InvitationInput, InvitationOutput, InvitationSentOutput, MembershipInput, MembershipOutput
from .users import user_by_name_or_email

ERRORS = {400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput}


def _sent(sent) -> dict:
    return {**InvitationOutput(sent.invitation).data, "link": sent.link if mail_is_local() else None}


def _may_invite(request: Request) -> None:
    if not roles_invitable_by(request.user):
        raise PermissionDenied("Only admins and project managers invite people.")


class InvitationListCreate(APIView):
    @extend_schema(responses={200: InvitationOutput(many=True), 403: ERRORS[403]}, summary="Invitations you may see")
    def get(self, request: Request) -> Response:
        _may_invite(request)
        rows = invitations_visible_to(request.user).select_related("invited_by").prefetch_related("projects")[:500]
        return Response(InvitationOutput(rows, many=True).data)

    @extend_schema(
        request=InvitationInput,
        responses={201: InvitationSentOutput, **ERRORS},
        summary="Invite someone by email, with a role and the projects they join",
    )
    def post(self, request: Request) -> Response:
        _may_invite(request)
        data = InvitationInput(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        slugs = list(dict.fromkeys(data.validated_data["projects"]))
        projects = list(projects_managed_by(request.user).filter(slug__in=slugs))
        missing = sorted(set(slugs) - {p.slug for p in projects})
        if missing:
            raise ValidationError({"projects": [f"You manage no project '{s}'." for s in missing]})
        with refusals_as_400():
            sent = invitation_create(
                email=data.validated_data["email"],
                role=data.validated_data["role"],
                projects=projects,
                invited_by=request.user,
                build_link=invitation_link_builder(request),
            )
        return Response(_sent(sent), status=status.HTTP_201_CREATED)


class InvitationResend(APIView):
    @extend_schema(request=None, responses={200: InvitationSentOutput, **ERRORS}, summary="Send a fresh link")
    def post(self, request: Request, pk: int) -> Response:
        _may_invite(request)
        invitation = generics.get_object_or_404(invitations_visible_to(request.user), pk=pk)
        with refusals_as_400():
            sent = invitation_resend(
                invitation=invitation, actor=request.user, build_link=invitation_link_builder(request)
            )
        return Response(_sent(sent))


class InvitationRevoke(APIView):
    @extend_schema(request=None, responses={200: InvitationOutput, **ERRORS}, summary="Revoke: the link stops working")
    def post(self, request: Request, pk: int) -> Response:
        _may_invite(request)
        invitation = generics.get_object_or_404(invitations_visible_to(request.user), pk=pk)
        with refusals_as_400():
            invitation = invitation_revoke(invitation=invitation, actor=request.user)
        return Response(InvitationOutput(invitation).data)


class MemberListCreate(APIView):
    @extend_schema(responses={200: MembershipOutput(many=True), 404: ERRORS[404]}, summary="A project's members")
    def get(self, request: Request, slug: str) -> Response:
        project = project_for_manager(request.user, slug)
        members = project.memberships.select_related("user").order_by("role", "user__username")
        return Response(MembershipOutput(members, many=True).data)

    @extend_schema(request=MembershipInput, responses={201: MembershipOutput, **ERRORS}, summary="Add a member")
    def post(self, request: Request, slug: str) -> Response:
        project = project_for_manager(request.user, slug)
        data = MembershipInput(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        person = user_by_name_or_email(data.validated_data["user"])
        if person is None:
            raise ValidationError({"user": [f"No account '{data.validated_data['user']}'. Invite them first."]})
        with refusals_as_400():
            membership = membership_add(
                project=project, user=person, role=data.validated_data["role"], actor=request.user
            )
        return Response(MembershipOutput(membership).data, status=status.HTTP_201_CREATED)


class MemberRemove(APIView):
    @extend_schema(request=None, responses={204: None, **ERRORS}, summary="Remove a member")
    def delete(self, request: Request, slug: str, pk: int) -> Response:
        project = project_for_manager(request.user, slug)
        membership = generics.get_object_or_404(ProjectMembership.objects.filter(project=project), pk=pk)
        with refusals_as_400():
            membership_remove(membership=membership, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
