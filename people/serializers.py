"""API shapes for invitations and project memberships."""

from __future__ import annotations

from rest_framework import serializers

from annotation.models import ProjectMembership

from .models import Invitation


class InvitationOutput(serializers.ModelSerializer):
    projects = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    invited_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status = serializers.CharField(read_only=True, help_text="pending, accepted, revoked or expired")

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "projects", "status", "invited_by", "sent_at", "send_count", "expires_at"]


class InvitationSentOutput(InvitationOutput):
    link = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="The single-use link, only when no mail server is configured (pass it on yourself); else null.",
    )

    class Meta(InvitationOutput.Meta):
        fields = [*InvitationOutput.Meta.fields, "link"]


class InvitationInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    role = serializers.ChoiceField(choices=Invitation.Role.choices)
    projects = serializers.ListField(
        child=serializers.SlugField(max_length=80), required=False, default=list, max_length=100,
        help_text="Slugs of projects you manage that the invitee joins on accepting.",
    )  # fmt: skip


class MembershipOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = ProjectMembership
        fields = ["id", "user", "username", "role"]


class MembershipInput(serializers.Serializer):
    user = serializers.CharField(max_length=254, help_text="A user name or email address of an existing account.")
    role = serializers.ChoiceField(choices=ProjectMembership.Role.choices)
