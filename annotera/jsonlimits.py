"""JSON from clients is measured before it is parsed: its size, and how deeply it nests.

Python's parser recurses once per level, so a body of 50,000 ``[`` is a ``RecursionError`` (a
500) rather than a refusal; no document this app accepts nests deeper than a few levels. The
depth is counted on the raw text (strings blanked out first) in one vectorised pass, before any
parser sees it. Used by the API's JSON parser, the upload form's ``metadata`` field and the
taxonomy file import.

After parsing, every string (keys too) is checked for characters no text column can hold:
JSON may spell ``\u0000`` (PostgreSQL refuses NUL in text and jsonb) and a lone half of a
UTF-16 pair such as ``\ud800`` (not encodable as UTF-8). Either would otherwise reach the
database, or the response renderer, as a 500.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
# Strict JSON holds NUL and surrogates only as escapes: text without one needs no walk after parsing.
_UNSTORABLE_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


def json_depth(raw: bytes) -> int:
    """How deeply ``raw`` nests arrays and objects (0 for a scalar), brackets in strings ignored."""
    stripped = _STRING.sub(b'""', raw)
    if not stripped:
        return 0
    steps = _OPEN[np.frombuffer(stripped, dtype=np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def json_problem(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``raw`` is refused before parsing, or None."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if max_bytes is not None and len(data) > max_bytes:
        return f"The JSON is {len(data):,} bytes; the limit is {max_bytes:,}."
    depth = json_depth(data)
    if depth > max_depth:
        return f"The JSON nests {depth} levels deep; at most {max_depth} are accepted."
    return None


def _unstorable(text: str) -> str | None:
    """The first character of ``text`` no text column can hold (NUL, or half a UTF-16 pair), described."""
    if text.isascii() and "\x00" not in text:
        return None
    for ch in text:
        if ch == "\x00" or "\ud800" <= ch <= "\udfff":
            return f"U+{ord(ch):04X}" + (" (NUL)" if ch == "\x00" else " (half of a UTF-16 pair)")
    return None


def raw_text_problem(raw: bytes | str, value: Any, *, encoding: str = "utf-8") -> str | None:
    """``json_text_problem`` of ``value`` parsed from ``raw``, skipped when UTF-8 ``raw`` has no
    escape that could spell NUL or a surrogate (the usual case)."""
    if isinstance(raw, bytes) and encoding.lower().replace("-", "").replace("_", "") != "utf8":
        return json_text_problem(value)  # e.g. a body sent as UTF-16: the escapes are not ASCII bytes
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return json_text_problem(value) if _UNSTORABLE_ESCAPE.search(data) else None


def json_text_problem(value: Any) -> str | None:
    """Why a parsed JSON document is refused for its text, or None: the first string (object keys
    included) holding NUL or a lone surrogate, named by where it is (``filters.languages[0]``)."""
    # Iterative, and each entry keeps (parent entry, step) so a path is spelt out only on refusal.
    stack: list[tuple[Any, tuple | None]] = [(value, None)]
    while stack:
        item, trail = stack.pop()
        if isinstance(item, str):
            bad = _unstorable(item)
            if bad:
                return f"The value at {_spell(trail)} holds the character {bad}, which cannot be stored as text."
        elif isinstance(item, dict):
            for key, child in item.items():
                bad = _unstorable(key) if isinstance(key, str) else None
                if bad:
                    return f"A key at {_spell(trail)} holds the character {bad}, which cannot be stored as text."
                stack.append((child, (trail, key)))
        elif isinstance(item, list):
            stack.extend((child, (trail, i)) for i, child in enumerate(item))
    return None


def _spell(trail: tuple | None) -> str:
    steps: list[str] = []
    while trail is not None:
        trail, step = trail
        name = str(step)
        steps.append(f"[{step}]" if isinstance(step, int) else "." + (name if len(name) <= 40 else name[:40] + "…"))
    return "".join(reversed(steps)).lstrip(".") or "the top level"


def loads_bounded(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after the size and depth checks, then the text check; ValueError (with a
    plain message) on refusal."""
    problem = json_problem(raw, max_bytes=max_bytes, max_depth=max_depth)
    if problem:
        raise ValueError(problem)
    value = json.loads(raw)
    problem = raw_text_problem(raw, value)
    if problem:
        raise ValueError(problem)
    return value


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing over-deep documents before parsing (the body size is already
    capped by ``RequestSizeLimitMiddleware``) and text no column can hold after."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        problem = json_problem(raw)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        value = super().parse(io.BytesIO(raw), media_type, parser_context)
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        problem = raw_text_problem(raw, value, encoding=encoding)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return value


class BoundedJSONField(serializers.JSONField):
    """A JSON form field (e.g. an upload's ``metadata``) with a size and depth cap."""

    default_error_messages = {"bounded": "{problem}"}

    def __init__(self, *args, max_bytes: int = 64 * 1024, max_depth: int = 8, **kwargs):
        self.max_bytes, self.max_depth = max_bytes, max_depth
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, (str, bytes)) and (self.binary or getattr(data, "is_json_string", False)):
            problem = json_problem(data, max_bytes=self.max_bytes, max_depth=self.max_depth)
            if problem:
                self.fail("bounded", problem=problem.replace("The JSON", "The value"))
        value = super().to_internal_value(data)
        problem = json_text_problem(value)
        if problem:
            self.fail("bounded", problem=problem)
        return value
