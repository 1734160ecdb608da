"""Serving a snapshot: one file (with HTTP Range), or the whole snapshot as a zip streamed as it
is made, so neither the server's memory nor a temporary file ever holds the whole archive."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from annotation.streaming import ranged_file_response
from annotera.downloads import download_type, protect_file_response, safe_filename

from ..models import ExportSnapshot
from .snapshot import snapshot_dir, snapshot_file, snapshot_manifest

BLOCK = 1 << 20
STORED_SUFFIXES = (".wav",)  # already dense; deflating them costs time and saves nothing


class _Sink:
    """A write-only, unseekable file: zipfile then writes data descriptors and never seeks back."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zip_stream(snapshot: ExportSnapshot) -> Iterator[bytes]:
    root = snapshot_dir(snapshot)
    names = ["manifest.json"] + [f["path"] for f in snapshot_manifest(snapshot).get("files", [])]
    sink = _Sink()
    prefix = f"{snapshot.project.slug}-snapshot-{snapshot.pk}/"
    with zipfile.ZipFile(sink, "w") as archive:
        for name in names:
            path = root / name
            info = zipfile.ZipInfo.from_file(path, prefix + name)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            with path.open("rb") as src, archive.open(info, "w", force_zip64=info.file_size > (1 << 31)) as dst:
                while block := src.read(BLOCK):
                    dst.write(block)
                    if chunk := sink.drain():
                        yield chunk
            if chunk := sink.drain():
                yield chunk
    if chunk := sink.drain():
        yield chunk


def snapshot_zip_response(snapshot: ExportSnapshot) -> HttpResponse:
    if snapshot.status != ExportSnapshot.Status.READY:
        return HttpResponse("This snapshot is not ready.", status=409, content_type="text/plain")
    response = StreamingHttpResponse(zip_stream(snapshot), content_type="application/zip")
    response["Cache-Control"] = "private, no-store"
    return protect_file_response(response, filename=f"{snapshot.project.slug}-snapshot-{snapshot.pk}.zip")


MAX_RELATIVE_PATH = 1024


def relative_path_problem(relative: str) -> str | None:
    """Why ``relative`` cannot name a file of a snapshot (before it reaches the file system)."""
    if len(relative) > MAX_RELATIVE_PATH or any(len(part) > 255 for part in relative.split("/")):
        return f"The file name is too long (at most {MAX_RELATIVE_PATH} characters, 255 per folder)."
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in relative):
        return "The file name contains control characters."
    return None


def snapshot_file_response(request: HttpRequest, snapshot: ExportSnapshot, relative: str) -> HttpResponse:
    problem = relative_path_problem(relative)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain; charset=utf-8")
    path = snapshot_file(snapshot, relative)
    if path is None:
        return HttpResponse("No such file in this snapshot.", status=404, content_type="text/plain")
    return ranged_file_response(
        request, str(path), content_type=download_type(path.name), filename=safe_filename(path.name)
    )
