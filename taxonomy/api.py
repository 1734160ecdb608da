"""Taxonomy API: list and read versions (as the import/export JSON document), import a new version."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotera.api_errors import refusals_as_400
from annotera.jsonlimits import BoundedJSONParser
from annotera.roles import ADMIN, PROJECT_MANAGER, user_role

from .filters import TaxonomyFilter
from .models import Taxonomy
from .selectors import taxonomies_visible_to
from .serializers import TaxonomySerializer
from .services import taxonomy_export, taxonomy_import


class TaxonomyList(generics.ListAPIView):
    """Managers and admins: every taxonomy version. Others: the versions their projects pin."""

    serializer_class = TaxonomySerializer
    filterset_class = TaxonomyFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Taxonomy.objects.none()
        return taxonomies_visible_to(self.request.user).order_by("slug", "-version")


class TaxonomyDetail(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, description="The version as its JSON document (import schema).")
    def get(self, request: Request, pk: int) -> Response:
        taxonomy = generics.get_object_or_404(taxonomies_visible_to(request.user), pk=pk)
        return Response({"id": taxonomy.pk, "status": taxonomy.status, **taxonomy_export(taxonomy)})


class TaxonomyImport(APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("publish", bool, description="Publish the new version at once.")],
        responses={201: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 403: OpenApiTypes.OBJECT},
        description="Import a taxonomy document as a new version of its slug (project managers and admins).",
    )
    def post(self, request: Request) -> Response:
        if user_role(request.user) not in (ADMIN, PROJECT_MANAGER):
            raise PermissionDenied("Only project managers and admins import taxonomies.")
        publish = request.query_params.get("publish", "").lower() in {"1", "true", "yes"}
        with refusals_as_400():
            taxonomy = taxonomy_import(data=request.data, publish=publish, actor=request.user)
        return Response(
            {"id": taxonomy.pk, "status": taxonomy.status, **taxonomy_export(taxonomy)}, status=status.HTTP_201_CREATED
        )
