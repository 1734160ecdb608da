"""Naming a key that is not one of the known ones, with the nearest known name: a misspelt
filter or field that is dropped silently does its damage without a word ("gold" exports the
whole project, "lables" saves a blank annotation)."""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def unknown_key(key: object, known: Iterable[str], *, what: str) -> str:
    """A sentence for ``key``, which is not in ``known``: "'gold' is not a filter. Did you mean
    gold_only? Filters: …" (``what`` names one of the known, e.g. "filter")."""
    known = list(known)
    close = get_close_matches(str(key), known, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]}?" if close else ""
    return (
        f"'{key}' is not a{'n' if what[:1] in 'aeiou' else ''} {what}.{hint} {what.capitalize()}s: {', '.join(known)}."
    )
