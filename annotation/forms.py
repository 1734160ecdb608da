import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from .matching import PROFICIENCY_RANK
from .pipeline.whisper_languages import parse_languages
from .services import taxonomy_change_plan


def whole_number(raw: str | None) -> int | None:
    """A database id from a form or query string, or None for anything else (text, 10**30)."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw) or None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs) -> None:
        # An empty file is refused by the upload services, by name and together with every other
        # bad file of the batch; refused here, it hid them all behind one nameless error.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class LanguagesField(forms.CharField):
    """Languages written as "en, es-MX, Hindi", cleaned to Whisper codes (``[]`` when blank)."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault("label", "Languages the calls are in")
        kwargs.setdefault(
            "help_text",
            "Comma-separated codes or names, e.g. en, es, hi. Language identification chooses among them "
            "(one language: none is run). Blank: any language. Applies to calls processed from now on; a call "
            "nobody has worked on yet can be run again from its page.",
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, (list, tuple)) else value

    def clean(self, value):
        try:
            return parse_languages(super().clean(value) or "")
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class CallUploadForm(forms.Form):
    files = MultipleFileField(label="Call audio (WAV, FLAC, MP3, M4A, OGG; several at once)")
    locale = forms.CharField(
        required=False,
        max_length=35,
        label="Caller locale (BCP 47, optional)",
        help_text="e.g. en-IN, es-MX, fil-PH",
        validators=[RegexValidator(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$", "Use a BCP 47 tag such as en-IN.")],
    )
    channel_layout = forms.ChoiceField(
        choices=[
            ("agent,customer", "Dual-channel: left = agent, right = customer"),
            ("customer,agent", "Dual-channel: left = customer, right = agent"),
        ],
        initial="agent,customer",
        label="Channel layout (used only for dual-channel files)",
    )


class AnnotatorProfileForm(forms.Form):
    languages = forms.CharField(
        help_text="ISO 639 code and proficiency, comma-separated: en:native, es:fluent, tl:working",
        widget=forms.TextInput(attrs={"size": 40}),
    )
    locales = forms.CharField(required=False, help_text="BCP 47 tags, comma-separated: en-IN, fil-PH")
    cultural_background = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    daily_capacity = forms.IntegerField(min_value=0, max_value=1000)
    active = forms.BooleanField(required=False)

    def clean_languages(self) -> list[dict]:
        items = []
        for part in self.cleaned_data["languages"].split(","):
            if not part.strip():
                continue
            code, sep, level = part.strip().partition(":")
            code, level = code.strip().lower(), level.strip().lower()
            if not sep or level not in PROFICIENCY_RANK:
                raise forms.ValidationError(f"'{part.strip()}': write code:level with level native, fluent or working.")
            if not (2 <= len(code) <= 3 and code.isalpha()):
                raise forms.ValidationError(f"'{code}' is not an ISO 639 language code (e.g. en, es, fil).")
            items.append({"code": code, "proficiency": level})
        if not items:
            raise forms.ValidationError("Give at least one language.")
        return items

    def clean_locales(self) -> list[str]:
        tags = [t.strip() for t in self.cleaned_data["locales"].split(",") if t.strip()]
        bad = [t for t in tags if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", t)]
        if bad:
            raise forms.ValidationError(f"Not BCP 47 tags: {', '.join(bad)} (e.g. en-IN, es-MX).")
        return tags


class ProjectRuleForm(forms.Form):
    overlap_k = forms.IntegerField(min_value=1, max_value=20, label="Annotators per call (k)")
    blind_share = forms.FloatField(min_value=0, max_value=1, label="Blind share (0–1)")
    required_proficiency = forms.ChoiceField(
        choices=[("native", "Native"), ("fluent", "Fluent"), ("working", "Working")]
    )
    locale_match = forms.ChoiceField(
        choices=[("required", "Required"), ("preferred", "Preferred"), ("ignored", "Ignored")]
    )
    channel_layout = forms.ChoiceField(
        choices=[
            ("agent,customer", "Dual-channel: left = agent, right = customer"),
            ("customer,agent", "Dual-channel: left = customer, right = agent"),
        ],
        label="Default channel layout for uploads",
        required=False,
    )

    spoken_languages = LanguagesField()

    def clean_channel_layout(self) -> str | None:
        return self.cleaned_data.get("channel_layout") or None  # left out: unchanged

    def clean_spoken_languages(self) -> list[str] | None:
        return self.cleaned_data["spoken_languages"] if "spoken_languages" in self.data else None  # left out: unchanged


class TaxonomyChangeForm(forms.Form):
    """Moving a project to another published taxonomy version: ``to_taxonomy``, the id of one of
    ``candidates``, and per label of the current version ``map_<key>``, the new label keys it
    becomes, comma-separated (blank: dropped; left out: kept if the new version has that key).
    Valid, ``cleaned_data`` holds the target (None when none is chosen) and the ``mapping``, and
    ``plan`` the change's preview (``taxonomy_change_plan``)."""

    to_taxonomy = forms.CharField(required=False)

    def __init__(self, data, *, project, candidates) -> None:
        super().__init__(data)
        self.project = project
        self.candidates = candidates
        self.old_labels = list(project.taxonomy.labels.order_by("order"))
        self.plan: dict | None = None
        # Current labels the target has no label of the same key for: their rows start empty
        # (dropped). Versions record no label identity, so a changed key is never guessed.
        self.without_same_key: list[str] = []

    def clean_to_taxonomy(self):
        wanted = self.cleaned_data["to_taxonomy"]
        target_id = whole_number(wanted)
        if wanted and target_id is None:
            raise ValidationError("Choose the taxonomy version to move to from the list.")
        return self.candidates.filter(pk=target_id).first() if target_id else None

    def clean(self) -> dict:
        target = self.cleaned_data.get("to_taxonomy")
        if target is None:
            return self.cleaned_data
        new_keys = set(target.labels.values_list("key", flat=True))
        mapping = {}
        self.without_same_key = [label.key for label in self.old_labels if label.key not in new_keys]
        for label in self.old_labels:
            raw = self.data.get(f"map_{label.key}")
            if raw is None:
                raw = label.key if label.key in new_keys else ""
            mapping[label.key] = [k.strip() for k in raw.split(",") if k.strip()]
        self.cleaned_data["mapping"] = mapping
        try:
            self.plan = taxonomy_change_plan(project=self.project, to_taxonomy=target, mapping=mapping)
        except ValidationError as exc:
            self.add_error(None, exc.messages)
        return self.cleaned_data


class SuggestionModeForm(forms.Form):
    """The project's anchoring controls (``suggestion_modes.project_suggestion_settings_update``)."""

    reveal = forms.TypedChoiceField(
        label="When an annotator sees a turn's suggestions",
        choices=[("no", "At once, pre-filled"), ("yes", "Only after they have played the turn once")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    confidence = forms.TypedChoiceField(
        label="Confidence numbers on suggestions",
        choices=[("no", "Shown"), ("yes", "Hidden (labels and intensities only)")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
