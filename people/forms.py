import re

from django import forms

from annotation.forms import AnnotatorProfileForm
from annotation.models import Project, ProjectMembership

from .models import Invitation


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Invitation.Role.choices)
    projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, roles: list[str], projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(v, label) for v, label in Invitation.Role.choices if v in roles]
        self.fields["projects"].queryset = projects


class AcceptForm(forms.Form):
    username = forms.CharField(max_length=150, label="User name")
    password = forms.CharField(widget=forms.PasswordInput, label="Password")
    password_again = forms.CharField(widget=forms.PasswordInput, label="Password again")


class SelfProfileForm(AnnotatorProfileForm):
    """The annotator's own profile: the same fields and checks as a manager's, without 'active'."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["active"]


class MemberAddForm(forms.Form):
    username = forms.CharField(
        label="User name or email",
        error_messages={"required": "Type the user name or email of the person to add, then press Add."},
    )
    role = forms.ChoiceField(choices=ProjectMembership.Role.choices)


class BulkAddForm(forms.Form):
    language = forms.CharField(required=False, max_length=8, help_text="ISO 639 code, e.g. en, es, fil")
    locale = forms.CharField(
        required=False, max_length=35, help_text="BCP 47, e.g. en-IN (or en for any English locale)"
    )
    proficiency = forms.ChoiceField(
        required=False,
        choices=[("", "any")] + list(Project.Proficiency.choices),
        help_text="at least this level in the language",
    )

    def clean(self):
        data = super().clean()
        language = data.get("language", "").strip()
        locale = data.get("locale", "").strip()
        if language and not re.fullmatch(r"[A-Za-z]{2,3}", language):
            self.add_error("language", f"'{language}' is not an ISO 639 code (e.g. en, es, fil).")
        if locale and not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", locale):
            self.add_error("locale", f"'{locale}' is not a BCP 47 tag (e.g. en-IN).")
        if not (language or locale or data.get("proficiency")):
            raise forms.ValidationError("Give a language, a locale or a proficiency to match on.")
        if data.get("proficiency") and not language:
            self.add_error("proficiency", "A proficiency needs a language.")
        return data
