"""Small helpers shared by the page modules."""

from __future__ import annotations

from ..selectors import calls_visible_to


def visible_calls(user, project):
    """The project's calls this user may see: the API's selector (annotators: only the calls of
    their own assignments). A subquery, so the per-call counts still count every assignment."""
    return project.calls.filter(pk__in=calls_visible_to(user).values("pk"))


def whole_number(raw: str | None) -> int | None:
    """A database id from a form or query string, or None for anything else (text, 10**30)."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return int(raw) or None
