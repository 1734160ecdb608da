"""django-filter FilterSets for the taxonomy API's list endpoint."""

import django_filters as filters

from .models import Taxonomy


class TaxonomyFilter(filters.FilterSet):
    class Meta:
        model = Taxonomy
        fields = ["slug", "status"]
