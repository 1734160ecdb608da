"""API: create a project (POST /api/projects/) through the same service as the browser and
``manage.py create_project``."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from annotera import roles
from annotera.jsonlimits import MAX_JSON_DEPTH, BoundedJSONField

from .api import ProjectList
from .models import Project
from .project_setup import project_setup
from .serializers import ProjectSerializer


class ProjectCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=80)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    taxonomy = serializers.CharField(
        required=False, allow_blank=True, help_text="A published taxonomy's id or slug (its newest published version)."
    )
    # Bounded: sent form-encoded, the field parses the text itself (a JSON body is measured by the parser).
    taxonomy_json = BoundedJSONField(
        required=False,
        max_bytes=2 * 1024 * 1024,
        max_depth=MAX_JSON_DEPTH,
        help_text="A taxonomy document to import and pin instead.",
    )
    overlap_k = serializers.IntegerField(min_value=1, max_value=20, default=3)
    blind_share = serializers.FloatField(min_value=0, max_value=1, default=0.1)
    required_proficiency = serializers.ChoiceField(choices=Project.Proficiency.choices, default="fluent")
    locale_match = serializers.ChoiceField(choices=Project.LocaleMatch.choices, default="preferred")
    channel_layout = serializers.ChoiceField(choices=Project.ChannelLayout.choices, default="agent,customer")
    spoken_languages = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=list,
        max_length=100,
        help_text="Languages the calls are in (codes or names: en, es-MX, Hindi): language identification "
        "chooses among them. Empty: any.",
    )


class ProjectCreateOutput(ProjectSerializer):
    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "required_proficiency",
            "locale_match",
            "channel_layout",
            "spoken_languages",
        ]


class ProjectListCreate(ProjectList):
    """GET: the projects you may see. POST (admins, project managers): create one; you become its manager."""

    @extend_schema(request=ProjectCreateInput, responses={201: ProjectCreateOutput})
    def post(self, request: Request) -> Response:
        if roles.user_role(request.user) not in (roles.ADMIN, roles.PROJECT_MANAGER):
            raise PermissionDenied("Only admins and project managers create projects.")
        payload = ProjectCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        try:
            project = project_setup(
                created_by=request.user,
                taxonomy=data.pop("taxonomy", None) or None,
                taxonomy_json=data.pop("taxonomy_json", None),
                **data,
            )
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}) from exc
        return Response(ProjectCreateOutput(project).data, status=status.HTTP_201_CREATED)
