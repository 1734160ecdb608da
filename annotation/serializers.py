from rest_framework import serializers

from .models import Call, ProcessingJob, Project


class ProjectSerializer(serializers.ModelSerializer):
    taxonomy = serializers.StringRelatedField()

    class Meta:
        model = Project
        fields = ["id", "slug", "name", "description", "taxonomy", "overlap_k", "blind_share", "created_at"]


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcessingJob
        fields = ["stage", "status", "progress", "message", "attempts", "seconds", "model_version", "error"]


class CallSerializer(serializers.ModelSerializer):
    jobs = JobSerializer(many=True, read_only=True)
    project = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    turns = serializers.IntegerField(source="turns.count", read_only=True)

    class Meta:
        model = Call
        fields = [
            "id",
            "project",
            "original_name",
            "status",
            "error",
            "sha256",
            "size_bytes",
            "duration",
            "sample_rate",
            "channels",
            "channel_roles",
            "language",
            "language_override",
            "locale",
            "metadata",
            "turns",
            "jobs",
            "created_at",
        ]
        read_only_fields = fields


class CallUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    locale = serializers.RegexField(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", required=False, allow_blank=True)
    channel_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=["agent", "customer", "unknown"]), required=False, max_length=2
    )
    metadata = serializers.JSONField(required=False)

    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("metadata must be a JSON object.")
        return value
