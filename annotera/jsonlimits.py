"""JSON from clients is measured before it is parsed: its size, and how deeply it nests.

Python's parser recurses once per level, so a body of 50,000 ``[`` is a ``RecursionError`` (a
500) rather than a refusal; no document this app accepts nests deeper than a few levels. The
depth is counted on the raw text (strings blanked out first) in one vectorised pass, before any
parser sees it. Used by the API's JSON parser, the upload form's ``metadata`` field and the
taxonomy file import.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import numpy as np
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
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


def loads_bounded(raw: bytes | str, *, max_bytes: int | None = None, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` after the size and depth checks; ValueError (with a plain message) on refusal."""
    problem = json_problem(raw, max_bytes=max_bytes, max_depth=max_depth)
    if problem:
        raise ValueError(problem)
    return json.loads(raw)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing over-deep documents before parsing (the body size is already
    capped by ``RequestSizeLimitMiddleware``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        problem = json_problem(raw)
        if problem:
            raise ParseError(f"JSON parse error - {problem}")
        return super().parse(io.BytesIO(raw), media_type, parser_context)


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
        return super().to_internal_value(data)
