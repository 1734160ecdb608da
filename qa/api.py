"""REST API for QA: the project's cached agreement report."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .agreement import ReportFilters
from .judgements import report_taxonomy
from .selectors import agreement_report_cached, project_for_reviewer, report_filter_problems
from .services import agreement_report_request, filters_key


class ProjectAgreement(APIView):
    """The cached agreement report for the project and the filters in the query string
    (language, locale, culture, speaker_role, taxonomy_version). 400 for a key that is no filter
    or a value nothing in the project has. 200 with the report (``stale``
    says a recompute is under way); 202 while a report for these filters is first computed."""

    @extend_schema(
        responses={200: OpenApiResponse(description="report"), 202: OpenApiResponse(description="computing")}
    )
    def get(self, request: Request, slug: str) -> Response:
        project = project_for_reviewer(request.user, slug)
        try:
            filters = ReportFilters.from_mapping(request.query_params)
        except ValueError:
            return Response(
                {"detail": "taxonomy_version must be a whole number from 1 to 2147483647."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        problems = report_filter_problems(project, filters, request.query_params.keys())
        if problems:
            return Response(
                {"detail": " ".join(problems.values()), "filters": problems}, status=status.HTTP_400_BAD_REQUEST
            )
        if filters.taxonomy_version is not None:
            try:
                report_taxonomy(project, filters)
            except ValueError as error:
                return Response({"detail": str(error)}, status=status.HTTP_400_BAD_REQUEST)
        cached = agreement_report_cached(project, filters_key(filters))
        if cached is None or cached.stale:
            cached = agreement_report_request(project=project, filters=filters)
        body = {
            "project": project.slug,
            "filters": filters.as_dict(),
            "computed_at": cached.computed_at,
            "stale": cached.stale,
            "computing": cached.queued_at is not None or cached.started_at is not None,
            "report": cached.report if cached.computed_at else None,
        }
        return Response(body, status=status.HTTP_200_OK if cached.computed_at else status.HTTP_202_ACCEPTED)
