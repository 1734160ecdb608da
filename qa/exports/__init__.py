"""Dataset exports: filtered turn records (``records``) written by one writer per format, with a
manifest (sha256 per file), a data card and leakage-free splits (``build``); snapshots
(``snapshot``) run that as a Celery task into MEDIA_ROOT/exports/<id>/."""

from __future__ import annotations

from .audiofolder import AudioFolderWriter
from .base import FormatWriter
from .callaudio import CallAudioWriter
from .emotionml import EmotionMlWriter
from .labelstudio import LabelStudioWriter
from .records import ExportError, ExportFilters
from .tabular import CsvWriter, JsonlWriter
from .timeline import EafWriter, RttmWriter, TextGridWriter, WebVttWriter

WRITERS: dict[str, type[FormatWriter]] = {
    w.name: w
    for w in (
        JsonlWriter,
        CsvWriter,
        AudioFolderWriter,
        CallAudioWriter,
        TextGridWriter,
        EafWriter,
        RttmWriter,
        WebVttWriter,
        EmotionMlWriter,
        LabelStudioWriter,
    )
}
FORMATS = tuple(WRITERS)

__all__ = ["FORMATS", "WRITERS", "ExportError", "ExportFilters"]
