"""The Django admin's change-password form under the one credential limiter.

It checks the old password with ``check_password``, not ``authenticate``, so neither the
``user_login_failed`` signal nor ``LockoutModelBackend`` saw it: a signed-in staff session (or
whoever holds one) could guess a password without limit. Here a wrong old password counts as a
failed credential check for that user name and address, and while either is locked out the form
checks nothing and says how long to wait.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminPasswordChangeForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from .credentials import credential_failed, lockout_seconds


class LimitedPasswordChangeForm(AdminPasswordChangeForm):
    def __init__(self, user, *args, request: HttpRequest | None = None, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        username = self.user.get_username()
        wait = lockout_seconds(self.request, username)
        if wait:
            raise ValidationError(
                f"Too many attempts: too many failed password checks for this user name or from this address. "
                f"Wait {wait} seconds and try again.",
                code="locked_out",
            )
        try:
            return super().clean_old_password()
        except ValidationError:
            credential_failed(self.request, username)
            raise


class LimitedPasswordChangeView(PasswordChangeView):
    form_class = LimitedPasswordChangeForm
    template_name = "registration/password_change_form.html"

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def get_success_url(self) -> str:
        return reverse("admin:password_change_done", current_app=admin.site.name)

    def get_context_data(self, **kwargs) -> dict:
        return {**admin.site.each_context(self.request), **super().get_context_data(**kwargs)}


def admin_password_change(request: HttpRequest) -> HttpResponse:
    """The admin's change-password page (staff only, as the admin's own), limited."""
    request.current_app = admin.site.name
    return admin.site.admin_view(LimitedPasswordChangeView.as_view())(request)
