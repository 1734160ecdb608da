from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from typing import TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from annotation.pipeline.whisper_languages import parse_languages
from annotera.names import unknown_key

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


def _as_text(value: object) -> object:
    """A JSON or command-line value as a text input would post it: a list joined with commas,
    None as empty; anything else as it is (the field turns it into text, and "[1]" is refused)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(item) for item in value)
    return value


class ExportOptionsForm(forms.Form):
    """What an export holds: its filters and its split. Each field is checked on its own by the
    export's own parsers (``_export_check``), so every refused field is named at once, under that
    field (the parsers stop at the first), in the same words on the snapshot page, in the API and on
    the command line, which all check through this form. ``cleaned_data["filters"]`` is the parsed
    ``ExportFilters``. The API and ``export_dataset`` build it with ``for_values``."""

    calls = forms.CharField(required=False, help_text="Call ids, comma-separated; empty: every ready call.")
    languages = forms.CharField(required=False, help_text="e.g. en,hi; empty: every language.")
    min_alpha = forms.CharField(
        required=False,
        widget=forms.NumberInput(attrs={"min": "-1", "max": "1", "step": "any"}),
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
    date_from = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.CharField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    split = forms.CharField(
        required=False,
        initial="0.8,0.1,0.1",
        help_text="train,dev,test shares adding up to 1 (or percentages); empty: no split.",
    )

    def __init__(self, *args, project, unknown_filters: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.project = project
        self.unknown_filters = list(unknown_filters)

    @classmethod
    def for_values(cls, *, project, filters: Mapping, split: object = None) -> ExportOptionsForm:
        """The form for filters given as values (the API's JSON, the command's options) rather
        than posted text: lists become comma-separated text, and a yes/no filter is read as the
        export reads it ("no" is no). A key that is no filter is refused with the rest."""
        data: dict[str, object] = {}
        for key, value in filters.items():
            if key not in FILTER_FIELDS:
                continue
            if isinstance(cls.base_fields[key], forms.BooleanField):
                value = getattr(ExportFilters.from_mapping({key: value}), key)
            data[key] = _as_text(value)
        data["split"] = _as_text(split)
        return cls(data, project=project, unknown_filters=[str(k) for k in filters if k not in FILTER_FIELDS])

    def _filter_value(self, name: str) -> object:
        """This field parsed alone by the export's parser (a number, a date), or its refusal."""
        value = self.cleaned_data[name]
        return getattr(_export_check(lambda: ExportFilters.from_mapping({name: value})), name)

    def clean_calls(self) -> str:
        """Ids of this project's ready calls. Every bad entry is named at once ("1, 999, abc":
        abc is no id, and there is no call 999), not only the first the export's parser meets."""
        value = self.cleaned_data["calls"]
        not_ids: list[str] = []
        problems: list[str] = []
        ids: set[int] = set()
        for entry in (part.strip() for part in value.split(",")):
            if not entry:
                continue
            try:
                ids.update(ExportFilters.from_mapping({"calls": entry}).calls)
            except ExportError as exc:
                if entry.lstrip("+-").isdigit():  # a whole number, out of a database id's range
                    problems.append(f"{entry}: {exc.message}")
                else:
                    not_ids.append(repr(entry))
        if not_ids:
            problems.insert(
                0,
                f"give call ids as whole numbers, e.g. 12,15 ({', '.join(not_ids)} "
                f"{'is' if len(not_ids) == 1 else 'are'} not).",
            )
        known = set(self.project.calls.filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
        for chosen in (ids - known, known):  # calls of no such id, then calls not ready (the export's words)
            if chosen:  # the query of the turns is only built, not run
                try:
                    selected_turns(self.project, ExportFilters(calls=tuple(sorted(chosen))))
                except ExportError as exc:
                    problems.append(exc.message)
        if problems:
            raise forms.ValidationError(problems)
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

    def clean_min_alpha(self) -> float | None:
        return self._filter_value("min_alpha")

    def clean_date_from(self) -> dt.date | None:
        return self._filter_value("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._filter_value("date_to")

    def clean_split(self) -> str:
        value = self.cleaned_data["split"]
        _export_check(lambda: parse_ratios(value))
        return value

    def clean(self) -> dict:
        data = super().clean()
        for key in self.unknown_filters:  # dropped, "gold" would export the whole project
            self.add_error(None, unknown_key(key, FILTER_FIELDS, what="filter"))
        # The fields refused above are left out here, so what remains to refuse is across fields
        # (a date range that ends before it starts), named on the field the parser names.
        try:
            data["filters"] = ExportFilters.from_mapping({k: v for k, v in data.items() if k in FILTER_FIELDS})
        except ExportError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    def errors_by_field(self, *, general: str) -> dict[str, list[str]]:
        """Every refusal, by field; those of no one field (a key that is no filter) under ``general``."""
        return {
            general if field == NON_FIELD_ERRORS else field: list(messages) for field, messages in self.errors.items()
        }


class SnapshotForm(ExportOptionsForm):
    """A new dataset snapshot of ``project``: formats, then the filters and split of
    ``ExportOptionsForm`` (every refused field named at once, under that field), and the seed."""

    field_order = ["formats", *FILTER_FIELDS, "split", "seed"]

    formats = forms.MultipleChoiceField(
        choices=[(name, writer.title) for name, writer in WRITERS.items()],
        widget=forms.CheckboxSelectMultiple,
        initial=["jsonl"],
    )
    seed = forms.IntegerField(required=False, initial=0, min_value=-(2**31), max_value=2**31 - 1)
