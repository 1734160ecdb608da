from rest_framework import serializers

from .models import Taxonomy


class TaxonomySerializer(serializers.ModelSerializer):
    class Meta:
        model = Taxonomy
        fields = ["id", "slug", "name", "version", "status", "description", "created_at", "published_at"]
        read_only_fields = fields
