"""What every format writer shares: the output folder, the file log (sha256 per file, hashed as
it is written), and the per-call buffering of the speech formats."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .records import CallInfo

HASH_BLOCK = 1 << 20


@dataclass
class LabelScale:
    keys: list[str]
    intensity: tuple[float, float] = (1.0, 5.0)
    valence: tuple[float, float] = (-3.0, 3.0)
    arousal: tuple[float, float] = (1.0, 5.0)


class FileLog:
    """Every written file's path, sha256 and size, kept on disk (a temporary file) rather than in
    memory, so a 100-hour export with one clip per turn stays flat in memory."""

    def __init__(self) -> None:
        self._log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.count = 0
        self.bytes = 0

    def add(self, relative: str, sha256: str, size: int) -> None:
        self._log.write(json.dumps({"path": relative, "sha256": sha256, "bytes": size}) + "\n")
        self.count += 1
        self.bytes += size

    def lines(self) -> Iterator[str]:
        """The entries as JSON lines, in the order the files were written."""
        self._log.flush()
        self._log.seek(0)
        for line in self._log:
            yield line.rstrip("\n")

    def close(self) -> None:
        self._log.close()


@dataclass
class ExportContext:
    root: Path
    scale: LabelScale
    # When the dataset was asked for (the snapshot's creation): formats that carry a date (EAF)
    # write this one, so two builds of one snapshot are byte-identical.
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    calls: dict[int, CallInfo] = field(default_factory=dict)
    files: FileLog = field(default_factory=FileLog)
    made: set = field(default_factory=set)  # folders already created

    def path(self, relative: str) -> Path:
        target = self.root / relative
        if target.parent not in self.made:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(target.parent)
        return target

    def write_bytes(self, relative: str, *parts: bytes) -> None:
        self.write_chunks(relative, parts)

    def write_chunks(self, relative: str, parts: Iterable[bytes]) -> None:
        """Write (and hash) a file from chunks produced one at a time."""
        digest, size = hashlib.sha256(), 0
        with self.path(relative).open("wb") as fh:
            for part in parts:
                fh.write(part)
                digest.update(part)
                size += len(part)
        self.files.add(relative, digest.hexdigest(), size)

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def open_stream(self, relative: str) -> HashingStream:
        return HashingStream(self, relative)

    def register(self, relative: str) -> None:
        """Hash a file a library wrote itself."""
        digest, size = hashlib.sha256(), 0
        with (self.root / relative).open("rb") as fh:
            while block := fh.read(HASH_BLOCK):
                digest.update(block)
                size += len(block)
        self.files.add(relative, digest.hexdigest(), size)


class HashingStream:
    """A text file written once, front to back, hashed on the way."""

    def __init__(self, ctx: ExportContext, relative: str) -> None:
        self.ctx, self.relative = ctx, relative
        self.fh = ctx.path(relative).open("wb")
        self.digest, self.size = hashlib.sha256(), 0

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        self.fh.write(data)
        self.digest.update(data)
        self.size += len(data)

    def close(self) -> None:
        self.fh.close()
        self.ctx.files.add(self.relative, self.digest.hexdigest(), self.size)


class FormatWriter:
    name = ""
    title = ""

    def __init__(self, ctx: ExportContext) -> None:
        self.ctx = ctx

    def write(self, record: dict) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class PerCallWriter(FormatWriter):
    """Buffers one call's turns (records arrive in call order) and writes them together."""

    def __init__(self, ctx: ExportContext) -> None:
        super().__init__(ctx)
        self._call: int | None = None
        self._records: list[dict] = []

    def write(self, record: dict) -> None:
        if record["call"] != self._call:
            self._flush()
            self._call = record["call"]
        self._records.append(record)

    def _flush(self) -> None:
        if self._records:
            self.write_call(self.ctx.calls[self._call], self._records)
        self._records = []

    def close(self) -> None:
        self._flush()
        self.finish()

    def write_call(self, call: CallInfo, records: list[dict]) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


NO_LABELS = "(none)"  # a judgement with no label, written so it differs from "no turn here"


def label_string(labels: list[dict], *, empty: str = "") -> str:
    """anger:3,frustration — a compact, parseable label list for text tiers and cues; ``empty``
    is what an empty list is written as (NO_LABELS where an empty text would mean "no turn")."""
    if not labels:
        return empty
    return ",".join(f"{i['label']}:{i['intensity']}" if i.get("intensity") is not None else i["label"] for i in labels)


def parse_label_string(text: str) -> list[dict]:
    if text.strip() == NO_LABELS:
        return []
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, _, intensity = part.partition(":")
        out.append({"label": key, "intensity": int(intensity) if intensity else None})
    return out


def call_stem(call_id: int) -> str:
    return f"call{call_id:06d}"


AUDIO_DIR = "audio"


def audio_reference(call_id: int) -> str:
    """Where a format's file finds its call's audio, relative to the format's own folder: the
    ``audio`` export option ships it there; without it the data card says where to get it."""
    return f"../{AUDIO_DIR}/{call_stem(call_id)}.wav"


def end_time(call: CallInfo, records: list[dict]) -> float:
    return max([call.duration or 0.0] + [r["end"] for r in records])
