"""Input and output shapes of the workspace and correction APIs (validation and OpenAPI schemas)."""

from __future__ import annotations

from rest_framework import serializers

from annotera.names import unknown_key


class ErrorOutput(serializers.Serializer):
    detail = serializers.ListField(child=serializers.CharField())


class LabelItem(serializers.Serializer):
    label = serializers.CharField()
    intensity = serializers.IntegerField(allow_null=True, required=False)


class ShiftItem(serializers.Serializer):
    at = serializers.FloatField()
    from_ = serializers.CharField()
    to = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")  # "from" is a Python keyword
        return fields


class AnnotationInput(serializers.Serializer):
    """One turn's annotation (checked against the taxonomy by the service, every problem listed)."""

    labels = LabelItem(many=True)
    no_emotion = serializers.BooleanField(required=False, help_text="an explicit 'no emotion' decision (no labels)")
    skipped = serializers.BooleanField(required=False, help_text="skip this turn (excluded everywhere)")
    skip_reason = serializers.CharField(allow_blank=True, required=False)
    valence = serializers.FloatField(allow_null=True, required=False)
    arousal = serializers.FloatField(allow_null=True, required=False)
    shifts = ShiftItem(many=True, required=False)
    note = serializers.CharField(allow_blank=True, required=False)
    confidence = serializers.FloatField(allow_null=True, required=False)
    suggestion_actions = serializers.DictField(
        child=serializers.ChoiceField(choices=["accepted", "edited", "rejected"]), required=False
    )


class AnnotationOutput(AnnotationInput):
    version = serializers.IntegerField()
    needs_recheck = serializers.BooleanField(required=False)
    taxonomy_version = serializers.IntegerField(required=False)
    updated_at = serializers.DateTimeField(required=False)


class ProgressOutput(serializers.Serializer):
    turns = serializers.IntegerField()
    tagged = serializers.IntegerField()
    remaining = serializers.IntegerField()


class AnnotationSaved(serializers.Serializer):
    annotation = AnnotationOutput()
    progress = ProgressOutput()


class ConflictOutput(serializers.Serializer):
    detail = serializers.CharField()
    current = AnnotationOutput()


class AssignmentStatusOutput(serializers.Serializer):
    status = serializers.CharField()


class WordOutput(serializers.Serializer):
    w = serializers.CharField()
    s = serializers.FloatField()
    e = serializers.FloatField()
    p = serializers.FloatField(required=False)


class TurnDetailOutput(serializers.Serializer):
    first = serializers.IntegerField()
    last = serializers.IntegerField()
    turns = serializers.DictField(
        child=serializers.DictField(),
        help_text="turn id -> {words (each with its language 'l'), contour, language_switches (word indices)}",
    )


class TurnSnapshot(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField()
    start = serializers.FloatField()
    end = serializers.FloatField()
    speaker = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField()


class ProposalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    turn_id = serializers.IntegerField(allow_null=True)
    action = serializers.ChoiceField(choices=["adjust", "split", "merge", "speaker", "text"])
    params = serializers.DictField()
    status = serializers.ChoiceField(choices=["proposed", "accepted", "rejected", "withdrawn"])
    before = TurnSnapshot(many=True)
    after = TurnSnapshot(many=True)
    proposed_by = serializers.CharField()
    decision_note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()


class WorkspaceTurnOutput(TurnSnapshot):
    speaker_id = serializers.IntegerField()
    role = serializers.CharField()
    language = serializers.CharField(allow_blank=True)
    untranscribed = serializers.BooleanField(help_text="speech the recogniser found no words in")
    pitch = serializers.FloatField(allow_null=True)
    loudness = serializers.FloatField(allow_null=True)
    annotation = AnnotationOutput()


class WorkspaceOutput(serializers.Serializer):
    assignment = serializers.DictField(
        help_text="{id, status, blind, read_only, suggestion_mode: {reveal_after_play, hide_confidence}}"
    )
    call = serializers.DictField(help_text="{id, name, duration, channels}")
    taxonomy = serializers.DictField(help_text="{version, labels, dimensions, scales}")
    speakers = serializers.ListField(child=serializers.DictField())
    turns = WorkspaceTurnOutput(many=True)
    proposals = ProposalOutput(many=True, help_text="your own open and rejected correction proposals")
    unassigned_words = WordOutput(many=True, help_text="words no turn holds now (after a boundary move)")
    progress = ProgressOutput()
    suggestions = serializers.DictField(required=False, help_text="turn id -> suggestion; absent when blind")


# --- correction proposals: one input per action


class KnownFieldsOnly(serializers.Serializer):
    """Refuses a field it does not know: dropped, a misspelt or extra field ("revison", a
    "speaker" sent with a text correction) would be a change the sender believes was made."""

    def to_internal_value(self, data):
        errors = {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            errors = dict(exc.detail)
        for key in data if isinstance(data, dict) else ():
            if key not in self.fields:
                errors[key] = [unknown_key(key, self.fields, what="field")]
        if errors:
            raise serializers.ValidationError(errors)
        return value


class SecondsField(serializers.FloatField):
    """A time in seconds: true/false are refused, not read as 1.0 and 0.0."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


class ProposalBase(KnownFieldsOnly):
    revision = serializers.IntegerField(min_value=1, help_text="the turn revision you are correcting")


class AdjustInput(ProposalBase):
    start = SecondsField(min_value=0)
    end = SecondsField(min_value=0)


class SplitInput(ProposalBase):
    at = SecondsField(min_value=0)


class MergeInput(ProposalBase):
    pass


class SpeakerInput(ProposalBase):
    speaker = serializers.IntegerField(help_text="id of one of the call's speakers")


class TextInput(ProposalBase):
    text = serializers.CharField(max_length=5000, trim_whitespace=True)


class SubmitInput(KnownFieldsOnly):
    """A misspelt skip reason ({"reason": ...}) is refused: ignored, it submitted the call instead."""

    skip_reason = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)


class DecisionInput(KnownFieldsOnly):
    note = serializers.CharField(allow_blank=True, required=False, default="", max_length=2000)


class RevisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    after = TurnSnapshot(many=True)
