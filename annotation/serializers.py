from rest_framework import serializers

from annotera.jsonlimits import BoundedJSONField

from .models import Assignment, Call, ProcessingJob, Project, Suggestion, Turn, TurnAnnotation
from .selectors import project_call_counts
from .suggestion_modes import labels_without_confidence, rationale_without_confidence


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
            "failure",
            "sha256",
            "size_bytes",
            "duration",
            "sample_rate",
            "channels",
            "channel_roles",
            "language",
            "language_override",
            "coverage",
            "locale",
            "metadata",
            "turns",
            "jobs",
            "created_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.channels == 1:  # a stereo upload found to be one mix: the roles it was sent with do not apply
            data["channel_roles"] = []
        return data


class CallUploadSerializer(serializers.Serializer):
    # An empty file is refused by ``call_upload`` with its name, in the words the form and bulk
    # upload use; DRF's own refusal said only "The submitted file is empty."
    file = serializers.FileField(allow_empty_file=True)
    locale = serializers.RegexField(
        r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
        required=False,
        allow_blank=True,
        max_length=35,
        error_messages={"invalid": "Use a BCP 47 tag such as en-IN or es-MX."},
    )
    channel_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=["agent", "customer", "unknown"]), required=False, max_length=2
    )
    metadata = BoundedJSONField(required=False)

    def validate_metadata(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("metadata must be a JSON object.")
        return value


class ProjectDetailSerializer(ProjectSerializer):
    taxonomy_id = serializers.IntegerField(read_only=True)
    calls = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = ProjectSerializer.Meta.fields + [
            "taxonomy_id", "required_proficiency", "locale_match", "channel_layout", "spoken_languages",
            "reveal_suggestions_after_play", "hide_suggestion_confidence", "calls",
        ]  # fmt: skip

    def get_calls(self, project) -> dict[str, int]:
        return project_call_counts(project)


class TurnSerializer(serializers.ModelSerializer):
    speaker = serializers.CharField(source="speaker.label", read_only=True)
    speaker_role = serializers.CharField(source="speaker.role", read_only=True)

    class Meta:
        model = Turn
        fields = ["id", "call", "order", "start", "end", "speaker", "speaker_role", "text", "words", "language",
                  "language_confidence", "code_switch", "untranscribed", "prosody", "revision"]  # fmt: skip
        read_only_fields = fields


class SuggestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Suggestion
        fields = ["id", "turn", "labels", "valence", "arousal", "shifts", "rationale", "model_version", "created_at"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("hide_confidence"):  # the assignment was created under "hide confidence numbers"
            data["labels"] = labels_without_confidence(instance.labels or [])
            data["rationale"] = rationale_without_confidence(instance.rationale)
        return data


class AssignmentSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="call.project.slug", read_only=True)
    annotator = serializers.CharField(source="annotator.username", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "call", "project", "annotator", "status", "blind", "explanation", "skip_reason",
                  "reveal_suggestions_after_play", "hide_suggestion_confidence",
                  "created_at", "submitted_at"]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # The matching explanation is for managers; an annotator must not learn from it that a
        # call is a gold check (gold calls are mixed into queues blind, see assignment.py).
        if request is not None and request.user.pk == instance.annotator_id:
            data["explanation"] = ""
        return data


class TurnAnnotationSerializer(serializers.ModelSerializer):
    taxonomy_version = serializers.IntegerField(source="taxonomy.version", read_only=True)

    class Meta:
        model = TurnAnnotation
        fields = ["id", "assignment", "turn", "taxonomy_version", "labels", "no_emotion", "valence", "arousal",
                  "shifts", "note", "confidence", "suggestion_actions", "skipped", "skip_reason", "version",
                  "updated_at"]  # fmt: skip
        read_only_fields = fields
