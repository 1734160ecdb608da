"""An upload handler that stops a file as soon as it streams past the audio size limit, whatever
the request headers claimed, so an oversized file never reaches memory or disk in full."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

REFUSED_ATTRIBUTE = "upload_refused"


class SizeLimitedUploadHandler(FileUploadHandler):
    def new_file(self, field_name, file_name, *args, **kwargs):
        self.received = 0
        self.file_name = file_name
        return super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.AUDIO_MAX_BYTES:
            setattr(
                self.request,
                REFUSED_ATTRIBUTE,
                f"{self.file_name}: the file is over the {settings.AUDIO_MAX_BYTES / 2**20:.0f} MB limit; "
                "the upload was stopped and nothing was stored.",
            )
            raise StopUpload(connection_reset=False)  # read the rest and drop it: the client hears why
        return raw_data

    def file_complete(self, file_size: int):
        return None  # the next handler (memory or temporary file) builds the file


def upload_refusal(request) -> str | None:
    """The message of an upload the handler stopped, if any (check after touching request.FILES)."""
    return getattr(request, REFUSED_ATTRIBUTE, None)
