"""Forms for creating a project and for bulk upload (thin: the services check the rest)."""

from __future__ import annotations

import json

from django import forms

from annotera.jsonlimits import loads_bounded
from taxonomy.models import Taxonomy

from .forms import LanguagesField, MultipleFileField
from .models import Project


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, help_text="Short name for URLs and the command line, e.g. acme-billing.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    taxonomy = forms.ModelChoiceField(
        queryset=Taxonomy.objects.filter(status=Taxonomy.Status.PUBLISHED).order_by("name", "-version"),
        required=False,
        empty_label="— import JSON instead —",
        label="Taxonomy (a published version)",
    )
    taxonomy_file = forms.FileField(
        required=False, label="…or import a taxonomy JSON file", help_text="Schema: docs/taxonomy-schema.md"
    )
    overlap_k = forms.IntegerField(min_value=1, max_value=20, initial=3, label="Annotators per call")
    blind_share = forms.FloatField(min_value=0, max_value=1, initial=0.1, label="Blind share (0–1)")
    required_proficiency = forms.ChoiceField(choices=Project.Proficiency.choices, initial="fluent")
    locale_match = forms.ChoiceField(choices=Project.LocaleMatch.choices, initial="preferred", label="Locale rule")
    channel_layout = forms.ChoiceField(choices=Project.ChannelLayout.choices, label="Default channel layout")
    spoken_languages = LanguagesField()

    def clean_taxonomy_file(self):
        upload = self.cleaned_data.get("taxonomy_file")
        if not upload:
            return None
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("The taxonomy file is over 2 MB.")
        try:
            return loads_bounded(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise forms.ValidationError(f"The taxonomy file is not valid JSON ({exc}).") from None
        except ValueError as exc:  # too deep, or text no column can hold
            raise forms.ValidationError(f"The taxonomy file cannot be used: {exc}") from None


class BulkUploadForm(forms.Form):
    files = MultipleFileField(label="Call audio (WAV, FLAC, MP3, M4A, OGG; several at once)")
    metadata = forms.FileField(
        required=False,
        label="Per-call metadata (CSV or JSON, optional)",
        help_text="One row per file: file, locale, agent_id, customer_id; any other column is kept as metadata.",
    )
    locale = forms.CharField(
        required=False, max_length=35, label="Caller locale for files without one (BCP 47, optional)"
    )
    channel_layout = forms.ChoiceField(
        choices=Project.ChannelLayout.choices, label="Channel layout (used only for dual-channel files)"
    )
