"""django-filter pieces shared by every app's API, and the audit log's FilterSet."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django.core.exceptions import ValidationError

from .models import AuditEvent


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


class AuditEventFilter(filters.FilterSet):
    project = filters.CharFilter(field_name="project__slug")
    actor = filters.CharFilter(field_name="actor__username")
    after = TimeFilter(field_name="at", lookup_expr="gte")
    before = TimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "object_type", "object_id"]
