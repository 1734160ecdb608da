"""Headers for every file the app serves (call audio, snapshot files and zips, taxonomy JSON).

A stored file is never trusted by its name: its type is fixed by the server, browsers are told
not to sniff (``nosniff``), the response carries a ``Content-Disposition`` with a name built
here (never a raw user string: no CR/LF, quotes or path separators), and a sandboxing CSP, so
that even a file that is also valid HTML or JavaScript cannot run script in the app's origin:
navigated to, it renders in an opaque sandboxed origin; loaded by ``<script src>``, its audio
(or octet-stream) type is refused.
"""

from __future__ import annotations

import re
import unicodedata

from django.http import HttpResponseBase
from django.utils.http import content_disposition_header

# No script, no plugins, no forms, an opaque origin; media may still play when opened directly.
FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; media-src 'self'; style-src 'unsafe-inline'; sandbox"

# What a snapshot may contain, by suffix; anything else is served as opaque bytes. Never
# text/html, image/svg+xml or a script type.
DOWNLOAD_TYPES = {
    ".wav": "audio/wav",
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".csv": "text/csv; charset=utf-8",
    ".tsv": "text/tab-separated-values; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".rttm": "text/plain; charset=utf-8",
    ".textgrid": "text/plain; charset=utf-8",
    ".eaf": "application/xml",
    ".xml": "application/xml",
    ".emotionml": "application/xml",
    ".zip": "application/zip",
}
OPAQUE = "application/octet-stream"

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def safe_filename(name: str, *, fallback: str = "download", max_length: int = 120) -> str:
    """A file name fit for a Content-Disposition header and any file system: no control
    characters (CR/LF would split the header), no quotes, no path separators, no leading dots,
    at most ``max_length`` characters (the extension kept). Unicode letters survive (the header
    carries them as RFC 5987 ``filename*``)."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = _UNSAFE.sub("_", name).strip(" ._")
    name = re.sub(r"\s+", " ", name)
    if not name:
        return fallback
    if len(name) > max_length:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 12:
            name = stem[: max_length - len(suffix) - 1].rstrip(" ._") + "." + suffix
        else:
            name = name[:max_length]
    return name or fallback


def download_type(filename: str) -> str:
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return DOWNLOAD_TYPES.get(suffix, OPAQUE)


def protect_file_response(response: HttpResponseBase, *, filename: str, inline: bool = False) -> HttpResponseBase:
    """Add the headers every served file gets (see the module docstring)."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CONTENT_SECURITY_POLICY
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Content-Disposition"] = content_disposition_header(not inline, safe_filename(filename))
    return response
