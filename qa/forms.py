from django import forms


class AdjudicationForm(forms.Form):
    """The adjudication page's POST: the chosen labels (``label``, repeated), each with an optional
    ``intensity_<label>``, then valence, arousal and a note. Only the shapes are checked here (numbers
    are numbers); the annotators' own rules judge the values (``adjudication_create`` runs
    ``clean_annotation``), so a reviewer and an annotator are refused with the same words."""

    valence = forms.FloatField(required=False)
    arousal = forms.FloatField(required=False)
    note = forms.CharField(required=False, strip=False)

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
        return cleaned

    def error_text(self) -> str:
        return "; ".join(
            message if field == "__all__" else f"{field}: {message}"
            for field, errors in self.errors.items()
            for message in errors
        )
