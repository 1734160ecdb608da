"""Input and output shapes of the workspace and correction APIs (validation and OpenAPI schemas)."""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError as DjangoValidationError
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


# The version a save was edited from: ASCII digits, bare or as the GET's ETag gives it ("3"; W/"3"
# as a compressing proxy rewrites it). int() also read "-0", "+0", " 0 " and "٠" as 0.
_VERSION_DIGITS = r"[0-9]{1,18}"  # [0-9], not \d: \d matches every script's digits
_IF_MATCH = re.compile(rf'(?:W/)?"({_VERSION_DIGITS})"|({_VERSION_DIGITS})')
_BODY_VERSION = re.compile(_VERSION_DIGITS)
# Digits all the same, but more than a version ever has: "too large", not "not in the digits 0-9".
_TOO_LONG_DIGITS = re.compile(r"[0-9]{19,}")
_TOO_LONG_IF_MATCH = re.compile(r'(?:W/)?"([0-9]{19,})"|([0-9]{19,})')


class VersionMissing(Exception):
    """Neither an If-Match header nor a "version" in the body: the API answers 428."""


def _shown(value: object) -> str:
    """A body value as the client wrote it: in JSON's spelling (true, null, "3"), not Python's
    (True, None, '3')."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = _digits(value)
    else:
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):  # not from JSON
            text = repr(value)
    return text if len(text) <= 40 else f"{text[:40]}…"


def _digits(number: int) -> str:
    """A whole number, or its length where it is too long to write out (or for Python to write:
    str() refuses ints past 4300 digits)."""
    try:
        text = str(number)
    except ValueError:
        return "a number of more than 4300 digits"
    return text if len(text) <= 30 else f"a number of {len(text)} digits"


def _shown_header(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:40]}…"


_TOO_LARGE = "is too large to be a version (at most 18 digits): send the version the GET gave you"


def edited_version(*, if_match: str | None, data: object) -> int:
    """The version a save was edited from, from the If-Match header or the body's ``version``
    (both may be given, then they must agree). ValidationError (a 400) for a value that is not
    a version written in the digits 0-9; VersionMissing when neither is given."""
    header = body = None
    errors = []
    if if_match is not None:
        found = _IF_MATCH.fullmatch(if_match)
        if found:
            header = int(found.group(1) or found.group(2))
        elif too_long := _TOO_LONG_IF_MATCH.fullmatch(if_match):
            digits = len(too_long.group(1) or too_long.group(2))
            errors.append(f"If-Match's version ({digits} digits) {_TOO_LARGE} (its ETag). Nothing was saved.")
        else:
            errors.append(
                "If-Match must be the version you edited, in the digits 0-9, as the turn's ETag gives it "
                f'(e.g. "3"; "0" for a new annotation); got {_shown_header(if_match)}. Nothing was saved.'
            )
    if isinstance(data, dict) and "version" in data:
        raw = data["version"]
        if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw < 10**18:
            body = raw
        elif isinstance(raw, str) and _BODY_VERSION.fullmatch(raw):
            body = int(raw)
        elif (isinstance(raw, int) and not isinstance(raw, bool) and raw > 0) or (
            isinstance(raw, str) and _TOO_LONG_DIGITS.fullmatch(raw)
        ):
            errors.append(f"version {_shown(raw)} {_TOO_LARGE}. Nothing was saved.")
        else:
            errors.append(
                "version must be the version you edited, a whole number from 0 in the digits 0-9 as the GET "
                f"gave it (0 for a new annotation); got {_shown(raw)}. Nothing was saved."
            )
    if errors:
        raise DjangoValidationError(errors)
    if header is not None and body is not None and header != body:
        raise DjangoValidationError(
            [f"If-Match says version {header} but the body's version says {body}: they disagree, so which version "
             "you edited is unclear. Send one of them, or the same version in both. Nothing was saved."]
        )  # fmt: skip
    if header is None and body is None:
        raise VersionMissing("Send the version you edited (If-Match header or 'version'); 0 for a new annotation.")
    return header if header is not None else body


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
