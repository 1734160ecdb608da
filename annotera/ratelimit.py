"""Cache-based fixed-window rate limits for Django views (login form, upload form). The API uses
DRF's throttles with the same cache."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .middleware import refusal


def client_ip(request: HttpRequest) -> str:
    """The client's real address. ``X-Forwarded-For`` is ignored unless ``TRUSTED_PROXY_COUNT``
    says how many proxies of ours append to it: then the address the outermost of them saw is
    taken (counted from the right, so entries a client wrote itself are never believed)."""
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    if not forwarded:
        return remote
    return forwarded[-min(proxies, len(forwarded))][:64]


def hit(scope: str, key: str, *, limit: int, window: int) -> int | None:
    """Count one request; return the seconds to wait when the limit is passed, else None."""
    bucket = int(time.time() // window)
    cache_key = f"ratelimit:{scope}:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        return window - int(time.time() % window) or 1
    return None


def rate_limit(scope: str, *, limit: Callable[[], int], window: int, keys: Callable[[HttpRequest], list[str]]):
    """Limit POSTs to a view: every key (e.g. the client IP and the user name tried) gets
    ``limit()`` POSTs per ``window`` seconds; past it the view answers 429 in plain words."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method == "POST":
                waits = [hit(scope, key, limit=limit(), window=window) for key in keys(request) if key]
                wait = max((w for w in waits if w), default=None)
                if wait:
                    response = refusal(request, 429, f"Too many attempts. Wait {wait} seconds and try again.")
                    response["Retry-After"] = str(wait)
                    return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
