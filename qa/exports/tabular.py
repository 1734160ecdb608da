"""JSONL (one record per turn, the reference format) and CSV (one row per turn, nested fields as
JSON strings)."""

from __future__ import annotations

import csv
import io
import json

from .base import FormatWriter, label_string


class JsonlWriter(FormatWriter):
    name = "jsonl"
    title = "JSONL, one record per turn"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.out = ctx.open_stream("jsonl/turns.jsonl")

    def write(self, record: dict) -> None:
        self.out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    def close(self) -> None:
        self.out.close()


CSV_COLUMNS = [
    "split",
    "call",
    "call_name",
    "locale",
    "turn",
    "start",
    "end",
    "speaker",
    "speaker_role",
    "language",
    "code_switch",
    "text",
    "consensus_source",
    "consensus",
    "soft_labels",
    "valence_mean",
    "valence_sd",
    "arousal_mean",
    "arousal_sd",
    "shifts",
    "disagreement",
    "annotations",
    "annotations_left_out",
    "suggestions",
    "prosody",
    "words",
]
JSON_COLUMNS = {
    "consensus",
    "soft_labels",
    "shifts",
    "annotations",
    "annotations_left_out",
    "suggestions",
    "prosody",
    "words",
}


class CsvWriter(FormatWriter):
    name = "csv"
    title = "CSV, one row per turn"

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.out = ctx.open_stream("csv/turns.csv")
        self.buffer = io.StringIO()
        self.csv = csv.writer(self.buffer, lineterminator="\n")
        self.csv.writerow(CSV_COLUMNS + ["consensus_labels"])
        self._drain()

    def _drain(self) -> None:
        self.out.write(self.buffer.getvalue())
        self.buffer.seek(0)
        self.buffer.truncate()

    def write(self, record: dict) -> None:
        row = [
            json.dumps(record[c], ensure_ascii=False, separators=(",", ":")) if c in JSON_COLUMNS else _cell(record[c])
            for c in CSV_COLUMNS
        ]
        self.csv.writerow(row + [label_string(record["consensus"])])
        if self.buffer.tell() > 1 << 16:
            self._drain()

    def close(self) -> None:
        self._drain()
        self.out.close()


# A text cell starting with one of these is a formula to a spreadsheet (OWASP "CSV Injection");
# full-width forms included, which some spreadsheet locales also read as formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _cell(value) -> str:
    """One CSV cell. Text that a spreadsheet would run as a formula (turn text from ASR or an
    imported file, a call name) is neutralised as OWASP recommends: prefixed with a single quote,
    so it shows as text; numbers (a valence of -1.5) are written as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return str(value)
