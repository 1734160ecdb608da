"""django-filter FilterSets for the API's list endpoints (query parameters documented in the schema)."""

from __future__ import annotations

import django_filters as filters

from annotera.filters import TimeFilter

from .models import Assignment, Call, Turn, TurnAnnotation


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


# Ids are plain numbers, not choices over every row in the database: a choice filter answered 400
# "Select a valid choice" for an id that does not exist and an empty list for one in a project
# the user cannot see, which told anyone whether another project's call or turn exists.
class AssignmentFilter(filters.FilterSet):
    project = filters.CharFilter(field_name="call__project__slug")
    annotator = filters.CharFilter(field_name="annotator__username")
    call = filters.NumberFilter(field_name="call_id")

    class Meta:
        model = Assignment
        fields = ["status", "blind", "call"]


class TurnAnnotationFilter(filters.FilterSet):
    updated_after = TimeFilter(field_name="updated_at", lookup_expr="gte")
    turn = filters.NumberFilter(field_name="turn_id")

    class Meta:
        model = TurnAnnotation
        fields = ["turn", "skipped"]
