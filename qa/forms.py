from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from typing import TypeVar

from django import forms

from annotation.pipeline.whisper_languages import parse_languages

from .exports import WRITERS, ExportError, ExportFilters
from .exports.records import selected_turns
from .exports.splits import parse_ratios

T = TypeVar("T")

STALE_FORM = -1  # a ``based_on`` that is not an id: matches no adjudication, so it is refused as stale


def posted_adjudication_id(raw: str | None) -> int | None:
    """A posted ``based_on`` field: None for empty or absent (the form was built on no
    adjudication), else the id."""
    raw = (raw or "").strip()
    if not raw:
        return None
    return int(raw) if raw.isdigit() else STALE_FORM


class AdjudicationForm(forms.Form):
    """The adjudication page's POST: the chosen labels (``label``, repeated), each with an optional
    ``intensity_<label>``, then valence, arousal, shifts (``shift_at_<n>``, ``shift_from_<n>``,
    ``shift_to_<n>``; a row with no time is no shift), a note and ``based_on`` (the adjudication
    the page was drawn on). Only the shapes are checked here (numbers are numbers); the
    annotators' own rules judge the values (``adjudication_create`` runs ``clean_annotation``),
    so a reviewer and an annotator are refused with the same words."""

    valence = forms.FloatField(required=False)
    arousal = forms.FloatField(required=False)
    note = forms.CharField(required=False, strip=False)
    no_emotion = forms.BooleanField(required=False)

    def based_on(self) -> int | None:
        """The newest adjudication the page was built on (``based_on``: its id, empty or absent for
        none); ``adjudication_create`` refuses the decision if another was recorded since."""
        return posted_adjudication_id(self.data.get("based_on"))

    def clean(self) -> dict:
        cleaned = super().clean()
        labels = []
        for key in self.data.getlist("label"):
            raw = self.data.get(f"intensity_{key}", "").strip()
            try:
                intensity = float(raw) if raw else None
            except ValueError:
                self.add_error(None, f"The intensity of '{key}' must be a number.")
                continue
            if intensity is not None and intensity.is_integer():
                intensity = int(intensity)
            labels.append({"label": key, "intensity": intensity})
        cleaned["labels"] = labels
        cleaned["shifts"] = self._shifts()
        return cleaned

    def _shifts(self) -> list[dict]:
        rows = sorted(
            int(key.removeprefix("shift_at_"))
            for key in self.data
            if key.startswith("shift_at_") and key.removeprefix("shift_at_").isdigit()
        )
        shifts = []
        for number, row in enumerate(rows, start=1):
            raw = self.data.get(f"shift_at_{row}", "").strip()
            if not raw:
                continue
            try:
                at = float(raw)
            except ValueError:
                self.add_error(None, f"The time of shift {number} must be a number of seconds.")
                continue
            sides = self.data.get(f"shift_from_{row}", ""), self.data.get(f"shift_to_{row}", "")
            if not all(sides):
                self.add_error(None, f"Shift {number} needs both emotions, from and to (or clear its time).")
                continue
            shifts.append({"at": at, "from": sides[0], "to": sides[1]})
        return shifts

    def error_text(self) -> str:
        return "; ".join(
            message if field == "__all__" else f"{field}: {message}"
            for field, errors in self.errors.items()
            for message in errors
        )


FILTER_FIELDS = tuple(f.name for f in dataclass_fields(ExportFilters))


def _export_check(parse: Callable[[], T]) -> T:
    """Run one of the export's own parsers; its refusal becomes this field's error (one wording
    for the form, the API and the command line)."""
    try:
        return parse()
    except ExportError as exc:
        raise forms.ValidationError(exc.message) from exc


class SnapshotForm(forms.Form):
    """A new dataset snapshot of ``project``: formats, filters and split. Each field is checked on
    its own, so every refused field is named at once, under that field (the export's parser stops
    at the first); ``cleaned_data["filters"]`` is the parsed ``ExportFilters``."""

    formats = forms.MultipleChoiceField(
        choices=[(name, writer.title) for name, writer in WRITERS.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["jsonl"],
    )
    calls = forms.CharField(required=False, help_text="Call ids, comma-separated; empty: every ready call.")
    languages = forms.CharField(required=False, help_text="e.g. en,hi; empty: every language.")
    min_alpha = forms.FloatField(
        required=False,
        min_value=-1,
        max_value=1,
        help_text="Calls whose label agreement (Krippendorff's alpha) is at least this. Calls without a defined "
        "alpha (one annotator per turn, or everyone gave the same answer throughout) are left out; adjudicated "
        "turns are kept. The data card says how many calls each filter left out, and why.",
    )
    adjudicated_only = forms.BooleanField(required=False)
    gold_only = forms.BooleanField(required=False)
    submitted_only = forms.BooleanField(
        required=False,
        label="Submitted only",
        help_text="Leave out the annotations of calls their annotators have not submitted yet (drafts they may "
        "still change). Otherwise they are included, each marked, and the data card counts them.",
    )
    date_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    split = forms.CharField(required=False, initial="0.8,0.1,0.1", help_text="train,dev,test shares; empty: no split.")
    seed = forms.IntegerField(required=False, initial=0, min_value=-(2**31), max_value=2**31 - 1)

    def __init__(self, *args, project, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_calls(self) -> str:
        value = self.cleaned_data["calls"]
        chosen = _export_check(lambda: ExportFilters.from_mapping({"calls": value}))
        if chosen.calls:  # ids of this project's ready calls (the query is only built, not run)
            _export_check(lambda: selected_turns(self.project, chosen))
        return value

    def clean_languages(self) -> str:
        """Codes, names or tags ("en, Spanish, hi-IN") as the codes turns carry; a language the
        speech models do not know is refused here ("klingon" matched nothing and the export then
        said only that no turns matched)."""
        value = self.cleaned_data["languages"]
        try:
            return ",".join(parse_languages(value))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_split(self) -> str:
        value = self.cleaned_data["split"]
        _export_check(lambda: parse_ratios(value))
        return value

    def clean(self) -> dict:
        data = super().clean()
        # The fields refused above are left out here, so what remains to refuse is across fields
        # (a date range that ends before it starts), named on the field the parser names.
        try:
            data["filters"] = ExportFilters.from_mapping({k: v for k, v in data.items() if k in FILTER_FIELDS})
        except ExportError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data
