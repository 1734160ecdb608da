from django import forms

from .models import Dimension


class LabelForm(forms.Form):
    key = forms.CharField(max_length=64)
    name = forms.CharField(max_length=120)
    parent = forms.CharField(max_length=64, required=False, help_text="key of the parent label")
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    examples = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="one per line")
    colour = forms.CharField(max_length=7, initial="#888888", widget=forms.TextInput(attrs={"type": "color"}))
    hotkey = forms.CharField(max_length=1, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Cultural/usage notes")

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
    key = forms.CharField(max_length=64)
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=Dimension.Kind.choices)
    scope = forms.ChoiceField(choices=Dimension.Scope.choices)
    minimum = forms.FloatField()
    maximum = forms.FloatField()
    step = forms.FloatField(initial=1)
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
        for field in form.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label or 'delete'} of {self.noun} {row}"


class _LabelRows(_NamedRowsFormSet):
    noun = "label"


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
