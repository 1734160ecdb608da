"""Start-up checks of the annotation app's settings (``manage.py check``, runserver, migrate)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from .pipeline.whisper_languages import parse_languages


@register()
def language_candidates_check(app_configs=None, **kwargs) -> list[Error]:
    """A LANGUAGE_CANDIDATES the speech models do not know would fail every call's transcribe
    stage; said at start-up instead."""
    try:
        parse_languages(settings.LANGUAGE_CANDIDATES)
    except ValueError as exc:
        return [Error(f"LANGUAGE_CANDIDATES: {exc}", id="annotation.E001")]
    return []
