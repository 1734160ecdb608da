"""A service's refusal in the API's words, shared by every app's API views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import ValidationError


@contextmanager
def refusals_as_400() -> Iterator[None]:
    """Inside, a service's ValidationError becomes the API's 400 ``{"detail": [messages]}``."""
    try:
        yield
    except DjangoValidationError as exc:
        raise ValidationError({"detail": exc.messages}) from exc
