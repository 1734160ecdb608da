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
    "suggestions",
    "prosody",
    "words",
]
JSON_COLUMNS = {"consensus", "soft_labels", "shifts", "annotations", "suggestions", "prosody", "words"}


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


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
