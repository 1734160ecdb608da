"""One limiter for every password check: the login form, the admin login, ``/api/auth/token/``
and anything else that calls ``django.contrib.auth.authenticate``.

Counted are *failed* checks (Django's ``user_login_failed`` signal, sent by ``authenticate``),
per user name and per client address (the real one: see ``annotera.ratelimit.client_ip``), in
fixed windows of ``LOGIN_WINDOW_SECONDS``. Successful logins never count. Once a user name has
``LOGIN_RATE_LIMIT`` failures, or an address ``LOGIN_IP_RATE_LIMIT``, in the current window:

- the views that take passwords answer 429 with ``Retry-After`` before checking anything
  (``refuse_if_locked_out``);
- the authentication backend (``LockoutModelBackend``) refuses to check a password at all, so a
  password check reached by another path is locked out too.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .middleware import refusal
from .ratelimit import client_ip


def _window() -> int:
    return int(getattr(settings, "LOGIN_WINDOW_SECONDS", 300))


def _keys(request, username: str | None) -> list[tuple[str, int]]:
    """(cache key stem, limit) for each counter this attempt belongs to."""
    keys = []
    name = str(username or "").strip().lower()
    if name:  # hashed: any text may be typed as a user name, and cache keys must stay plain
        keys.append((f"credentials:user:{hashlib.sha256(name.encode()).hexdigest()[:32]}", settings.LOGIN_RATE_LIMIT))
    if request is not None:
        keys.append((f"credentials:ip:{client_ip(request)}", settings.LOGIN_IP_RATE_LIMIT))
    return keys


def _bucket() -> tuple[int, int]:
    window = _window()
    now = time.time()
    return int(now // window), window - int(now % window) or 1


def lockout_seconds(request, username: str | None) -> int | None:
    """Seconds until ``username`` (and the request's address) may try a password again, or None."""
    bucket, remaining = _bucket()
    for stem, limit in _keys(request, username):
        if (cache.get(f"{stem}:{bucket}") or 0) >= limit:
            return remaining
    return None


def credential_failed(request, username: str | None) -> None:
    bucket, _ = _bucket()
    for stem, _limit in _keys(request, username):
        key = f"{stem}:{bucket}"
        cache.add(key, 0, timeout=_window() + 1)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=_window() + 1)


def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    """``user_login_failed`` receiver (connected in ``AnnoteraConfig.ready``)."""
    credential_failed(request, credentials.get("username"))


def lockout_refusal(request: HttpRequest, wait: int) -> HttpResponse:
    response = refusal(
        request,
        429,
        f"Too many attempts: too many failed sign-ins for this user name or from this address. "
        f"Wait {wait} seconds and try again.",
    )
    response["Retry-After"] = str(wait)
    return response


def refuse_if_locked_out(username_of: Callable[[HttpRequest], str | None]):
    """View decorator: a POST for a locked-out user name or address gets 429 before any check."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                wait = lockout_seconds(request, username_of(request))
                if wait:
                    return lockout_refusal(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class LockoutModelBackend(ModelBackend):
    """Django's model backend that will not check a password while its user name or the client's
    address is locked out (the failure is still counted by the signal)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self.user_model_username_field())
        if lockout_seconds(request, username):
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

    @staticmethod
    def user_model_username_field() -> str:
        return get_user_model().USERNAME_FIELD
