"""Serving call audio with HTTP Range support, so the browser seeks without downloading the file."""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024

AUDIO_TYPES = {
    ".wav": "audio/wav",
    ".flac": "audio/flac",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".ogg": "audio/ogg",
}


def _iter_file(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        fh.seek(start)
        remaining = length
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            remaining -= len(block)
            yield block


def ranged_file_response(request: HttpRequest, path: str, *, filename: str = "") -> HttpResponse:
    """200 with the whole file, 206 with one requested byte range, or 416 for a range past the end."""
    size = os.path.getsize(path)
    suffix = os.path.splitext(path)[1].lower()
    content_type = AUDIO_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    header = request.headers.get("Range", "")
    match = _RANGE.match(header.strip()) if header else None
    if not match:
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 (closed by Django)
        response["Accept-Ranges"] = "bytes"
        response["Content-Length"] = str(size)
        return response
    first, last = match.groups()
    if first == "" and last == "":
        return _unsatisfiable(size)
    if first == "":  # suffix range: the last N bytes
        start, end = max(0, size - int(last)), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        return _unsatisfiable(size)
    length = end - start + 1
    response = StreamingHttpResponse(_iter_file(path, start, length), status=206, content_type=content_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response
