from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

from annotera.names import display_name_problem

from .models import Dimension, colour_validator, key_validator
from .services import hotkey_reserved_problem


def _missing(field: str, why: str) -> dict[str, str]:
    """A 'required' message that names the field and says what to write: the editor shows it
    under the field, in a table whose rows look alike."""
    return {"required": f"{field} is missing: {why}"}


def _number(field: str) -> dict[str, str]:
    return {"required": f"{field} is missing: give a number.", "invalid": f"{field} must be a number, e.g. 1 or -3."}


KEY_RULE = "use lower-case letters, digits and _ only, starting with a letter (no spaces), e.g. sarcasm."


def _checked(value: str, validator, message: str) -> str:
    """``value`` if ``validator`` passes it, else a ValidationError in this form's own words."""
    try:
        validator(value)
    except ValidationError:
        raise ValidationError(message) from None
    return value


class LabelForm(forms.Form):
    key = forms.CharField(
        max_length=64,
        error_messages=_missing("Key", "give the label a short key annotators' data will use, e.g. sarcasm."),
    )
    name = forms.CharField(max_length=120, error_messages=_missing("Name", "give the name annotators see."))
    parent = forms.CharField(max_length=64, required=False, help_text="key of the parent label")
    definition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_missing("Definition", "say what this label means, so every annotator applies it alike."),
    )
    examples = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="one per line")
    colour = forms.CharField(max_length=7, initial="#888888", widget=forms.TextInput(attrs={"type": "color"}))
    hotkey = forms.CharField(max_length=1, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Cultural/usage notes")

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        return _checked(key, key_validator, f"Key '{key}' cannot be used: {KEY_RULE}")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if problem := display_name_problem(name, what="The name"):
            raise ValidationError(problem)
        return name

    def clean_colour(self) -> str:
        colour = self.cleaned_data["colour"]
        return _checked(colour, colour_validator, f"Colour '{colour}' is not a colour: use one like #1f77b4.")

    def clean_hotkey(self) -> str:
        hotkey = self.cleaned_data["hotkey"]
        if hotkey and (problem := hotkey_reserved_problem(hotkey)):
            raise ValidationError(problem[:1].upper() + problem[1:])
        return hotkey

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {
            "key": data["key"].strip(),
            "name": data["name"].strip(),
            "parent": data["parent"].strip() or None,
            "definition": data["definition"].strip(),
            "examples": [line.strip() for line in data["examples"].splitlines() if line.strip()],
            "colour": data["colour"],
            "hotkey": data["hotkey"],
            "notes": data["notes"].strip(),
        }


class DimensionForm(forms.Form):
    key = forms.CharField(max_length=64, error_messages=_missing("Key", "give the scale a short key, e.g. valence."))
    name = forms.CharField(max_length=120, error_messages=_missing("Name", "give the name annotators see."))
    kind = forms.ChoiceField(choices=Dimension.Kind.choices)
    scope = forms.ChoiceField(choices=Dimension.Scope.choices)
    minimum = forms.FloatField(error_messages=_number("Minimum"))
    maximum = forms.FloatField(error_messages=_number("Maximum"))
    step = forms.FloatField(initial=1, error_messages=_number("Step"))
    anchors = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="one 'value: text' per line"
    )

    def clean_anchors(self) -> dict:
        anchors = {}
        for line in self.cleaned_data["anchors"].splitlines():
            if not line.strip():
                continue
            value, sep, text = line.partition(":")
            if not sep:
                raise forms.ValidationError(f"'{line}': write anchors as 'value: text'.")
            anchors[value.strip()] = text.strip()
        return anchors

    def clean(self) -> dict:
        data = super().clean()
        low, high, step = data.get("minimum"), data.get("maximum"), data.get("step")
        if low is not None and high is not None and high <= low:
            self.add_error("maximum", f"Maximum ({high:g}) must be above the minimum ({low:g}).")
        if step is not None and step <= 0:
            self.add_error("step", "Step must be a positive number, e.g. 1.")
        return data

    def as_document(self) -> dict:
        data = self.cleaned_data
        return {k: data[k] for k in ("key", "name", "kind", "scope", "minimum", "maximum", "step", "anchors")}


class _NamedRowsFormSet(forms.BaseFormSet):
    """The editor shows one table row per form with the field names as column headers only, so
    every input gets its accessible name ("name of label 3") for screen readers and axe."""

    noun = "row"

    def add_fields(self, form, index):
        super().add_fields(form, index)
        row = "new" if index is None else index + 1
        for name, field in form.fields.items():
            if name == "DELETE":
                field.widget.attrs["aria-label"] = f"Delete {self.noun} {row}"
            else:
                field.widget.attrs["aria-label"] = f"{field.label or pretty_name(name)} of {self.noun} {row}"

    def kept_forms(self) -> list:
        """The rows that hold a valid entry and are not marked for deletion."""
        return [
            f for f in self.forms if f.is_valid() and f.cleaned_data.get("key") and not f.cleaned_data.get("DELETE")
        ]


class _LabelRows(_NamedRowsFormSet):
    """Checks across rows (a key or hotkey used twice, a parent that is not a label), each said
    under the field of the row that has to change."""

    noun = "label"

    def clean(self) -> None:
        super().clean()
        rows = self.kept_forms()
        keys: dict[str, int] = {}
        hotkeys: dict[str, str] = {}
        for form in rows:
            key = form.cleaned_data["key"]
            if key in keys:
                form.add_error("key", f"Key '{key}' is already used by label {keys[key]}: keys must be unique.")
            else:
                keys[key] = self.forms.index(form) + 1
            hotkey = form.cleaned_data.get("hotkey", "")
            if hotkey and hotkey.lower() in hotkeys:
                form.add_error(
                    "hotkey",
                    f"Hotkey '{hotkey}' is already used by label '{hotkeys[hotkey.lower()]}': "
                    "pick another letter, or leave it empty.",
                )
            elif hotkey:
                hotkeys[hotkey.lower()] = key
        for form in rows:
            parent = (form.cleaned_data.get("parent") or "").strip()
            if parent and parent not in keys:
                form.add_error("parent", f"Parent '{parent}' is not the key of a label in this taxonomy.")


class _DimensionRows(_NamedRowsFormSet):
    noun = "dimension"


LabelFormSet = forms.formset_factory(LabelForm, formset=_LabelRows, extra=1, can_delete=True)
DimensionFormSet = forms.formset_factory(DimensionForm, formset=_DimensionRows, extra=0, can_delete=True)


class TaxonomyHeaderForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class TaxonomyImportForm(forms.Form):
    file = forms.FileField(label="Taxonomy JSON file")
    publish = forms.BooleanField(required=False, label="Publish right away")
