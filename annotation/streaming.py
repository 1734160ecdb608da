"""Serving call audio with HTTP Range support, so the browser seeks without downloading the file.

The type of a served file is always fixed by the caller (for call audio: from the container
sniffed from the file's first bytes, never from its name) and every response, 200, 206 or 416,
carries the download hardening of :mod:`annotera.downloads`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse

from annotera.downloads import OPAQUE, protect_file_response

from .pipeline.audio import sniff_format

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 64 * 1024

# Sniffed container -> the one type it is served as.
AUDIO_TYPES = {
    "wav": "audio/wav",
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
}


def audio_type(path: str) -> tuple[str, str]:
    """(content type, canonical extension) of a stored audio file, from its contents. A file
    that is no known container (possible only for files stored before uploads were sniffed) is
    served as opaque bytes."""
    with open(path, "rb") as fh:
        kind = sniff_format(fh.read(16))
    return (AUDIO_TYPES[kind], kind) if kind else (OPAQUE, "bin")


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


def ranged_file_response(
    request: HttpRequest, path: str, *, content_type: str, filename: str, inline: bool = False
) -> HttpResponse:
    """200 with the whole file, 206 with one requested byte range, or 416 for a range past the end;
    always with the fixed ``content_type`` and the download hardening headers."""
    return protect_file_response(
        _ranged(request, path, content_type), filename=filename or os.path.basename(path), inline=inline
    )


def _ranged(request: HttpRequest, path: str, content_type: str) -> HttpResponse:
    size = os.path.getsize(path)
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
