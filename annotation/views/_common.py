"""Small helpers shared by the page modules."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from annotera.ratelimit import rate_limit

from ..selectors import calls_visible_to

# Uploads (one call or a bulk file) share one budget per user: UPLOAD_RATE_LIMIT POSTs a minute.
upload_rate_limit = rate_limit(
    "uploads", limit=lambda: settings.UPLOAD_RATE_LIMIT, window=60, keys=lambda request: [f"user:{request.user.pk}"]
)


@contextmanager
def refusal_as_message(request: HttpRequest) -> Iterator[None]:
    """Inside, a service's ValidationError becomes an error message on the next page (and the
    rest of the block, such as its success message, is skipped)."""
    try:
        yield
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))


def visible_calls(user, project):
    """The project's calls this user may see: the API's selector (annotators: only the calls of
    their own assignments). A subquery, so the per-call counts still count every assignment."""
    return project.calls.filter(pk__in=calls_visible_to(user).values("pk"))
