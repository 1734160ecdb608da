from django import forms

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
