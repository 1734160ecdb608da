from django import forms
from django.core.validators import RegexValidator


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


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
