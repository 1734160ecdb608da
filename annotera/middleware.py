"""Site-wide HTTP hardening: a Content Security Policy, request-size limits applied from the
headers before any of the body is read, and pages and API answers that are never served stale
from the browser's cache."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
    ]
)


class ContentSecurityPolicyMiddleware:
    """No inline scripts, no third-party origins: every script is a file under /static/."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", getattr(settings, "CONTENT_SECURITY_POLICY", CONTENT_SECURITY_POLICY)
        )
        return response


def refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A plain-words refusal: JSON for the API, text for pages."""
    if request.path.startswith("/api/") or "json" in request.headers.get("Accept", ""):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class NoStoreMiddleware:
    """Pages and API answers are not kept by the browser (``Cache-Control: no-store``) unless the
    view says otherwise (audio streams, downloads). Without it, Back to the workspace showed the
    page and its data as they were before the last save, the next edit of the same turn met a
    conflict with the person's own change, and a signed-out browser could show a page again."""

    KINDS = ("text/html", "application/json", "text/plain")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        kind = response.headers.get("Content-Type", "")
        if "Cache-Control" not in response.headers and kind.startswith(self.KINDS):
            response.headers["Cache-Control"] = "no-store"
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is over the limit (413) before reading any of it.

    Multipart bodies (audio uploads) may be up to ``UPLOAD_MAX_REQUEST_BYTES``; every other body
    (JSON, forms) up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``. A body that lies about its length is
    cut at the declared length by the WSGI stream, and an upload that streams past the per-file
    limit is stopped by ``annotera.uploads.SizeLimitedUploadHandler``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(declared)
        except ValueError:
            return refusal(request, 400, "The Content-Length header is not a number.")
        if length < 0:
            return refusal(request, 400, "The Content-Length header is negative.")
        encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding not in ("", "identity"):
            # Nothing here inflates request bodies, so a compressed body could only be misread
            # (or, inflated elsewhere, be a decompression bomb).
            return refusal(request, 415, f"Compressed request bodies ({encoding}) are not accepted; send it plain.")
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/form-data")
        limit = settings.UPLOAD_MAX_REQUEST_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and length > limit:
            what = "upload" if multipart else "request body"
            return refusal(
                request,
                413,
                f"The {what} is {_size(length)}; the limit is {_size(limit)}. Nothing was stored."
                + (" Upload fewer or smaller files at a time." if multipart else ""),
            )
        return self.get_response(request)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    if n >= 2**10:
        return f"{n / 2**10:.1f} KB"
    return f"{n} bytes"
