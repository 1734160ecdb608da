"""Names people read and type.

- A key that is not one of the known ones is named with the nearest known name: a misspelt
  filter or field that is dropped silently does its damage without a word ("gold" exports the
  whole project, "lables" saves a blank annotation).
- A name people will read (a project's, a taxonomy's, a label's) may not reorder the text around
  it, hold control characters, or be invisible (``display_name_problem``)."""

from __future__ import annotations

import unicodedata
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


# Characters that reorder the text around them (embeddings, overrides, isolates): a name holding
# U+202E shows "Q3 refunds\u202egnp.exe" as "Q3 refundsexe.png".
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
# Letters that render as nothing although Unicode does not class them as format characters.
BLANK_LETTERS = {"\u115f", "\u1160", "\u2800", "\u3164", "\uffa0"}
CONTROL_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE"}


def _character(ch: str) -> str:
    """ "U+202E RIGHT-TO-LEFT OVERRIDE"."""
    name = unicodedata.name(ch, "") or CONTROL_NAMES.get(ch, "")
    return f"U+{ord(ch):04X} {name}".rstrip()


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me") or ch in BLANK_LETTERS


def display_name_problem(name: str, *, what: str = "The name") -> str:
    """Why a name people will read (a project's) cannot be used, naming the character, or "":
    one that reorders the text around it or a control character anywhere, or nothing visible
    at all (only zero-width spaces, joiners, fillers)."""
    for ch in name:
        if ch in BIDI_CONTROLS:
            return (
                f"{what} holds {_character(ch)}, which reverses or reorders the text shown after it; "
                "type the name without it."
            )
        if unicodedata.category(ch) == "Cc":
            return f"{what} holds the control character {_character(ch)}; type the name without it."
    if name and all(_invisible(ch) for ch in name):
        listed = ", ".join(_character(ch) for ch in dict.fromkeys(name))
        return f"{what} is made only of invisible characters ({listed}); give a name people can read."
    return ""


def shows_nothing(text: str) -> bool:
    """Whether ``text`` would show as nothing: empty, or only spaces, zero-width and format
    characters, fillers and controls (``str.split`` keeps "\u200b" as a word)."""
    return all(_invisible(ch) for ch in text)
