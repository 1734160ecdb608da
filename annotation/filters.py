"""django-filter FilterSets for the API's list endpoints (query parameters documented in the schema)."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django.core.exceptions import ValidationError

from annotera.models import AuditEvent
from taxonomy.models import Taxonomy

from .models import Assignment, Call, Turn, TurnAnnotation


class TimeFilter(filters.IsoDateTimeFilter):
    """An ISO 8601 date-time whose UTC offset is a real one (within ±14 h): PostgreSQL refuses
    larger offsets with an error, so they are a 400 with a message here, not a 500."""

    class field_class(filters.IsoDateTimeFilter.field_class):  # noqa: N801 - django-filter's hook name
        def to_python(self, value):
            parsed = super().to_python(value)
            offset = parsed.utcoffset() if parsed is not None else None
            if offset is not None and abs(offset) > dt.timedelta(hours=14):
                raise ValidationError("Give a time zone offset between -14:00 and +14:00.", code="invalid")
            if parsed is not None:
                try:
                    parsed.astimezone(dt.UTC)
                except OverflowError:
                    raise ValidationError("Give a date-time between years 1 and 9999 in UTC.", code="invalid") from None
            return parsed


class CallFilter(filters.FilterSet):
    created_after = TimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = TimeFilter(field_name="created_at", lookup_expr="lt")
    name = filters.CharFilter(field_name="original_name", lookup_expr="icontains")

    class Meta:
        model = Call
        fields = ["status", "language", "locale"]


class TurnFilter(filters.FilterSet):
    speaker_role = filters.ChoiceFilter(
        field_name="speaker__role", choices=[("agent",) * 2, ("customer",) * 2, ("unknown",) * 2]
    )
    start_after = filters.NumberFilter(field_name="start", lookup_expr="gte")
    end_before = filters.NumberFilter(field_name="end", lookup_expr="lte")

    class Meta:
        model = Turn
        fields = ["language", "code_switch"]


class AssignmentFilter(filters.FilterSet):
    project = filters.CharFilter(field_name="call__project__slug")
    annotator = filters.CharFilter(field_name="annotator__username")

    class Meta:
        model = Assignment
        fields = ["status", "blind", "call"]


class TurnAnnotationFilter(filters.FilterSet):
    updated_after = TimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = TurnAnnotation
        fields = ["turn", "skipped"]


class TaxonomyFilter(filters.FilterSet):
    class Meta:
        model = Taxonomy
        fields = ["slug", "status"]


class AuditEventFilter(filters.FilterSet):
    project = filters.CharFilter(field_name="project__slug")
    actor = filters.CharFilter(field_name="actor__username")
    after = TimeFilter(field_name="at", lookup_expr="gte")
    before = TimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id"]
