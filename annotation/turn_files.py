"""Reading a call's turns from Label Studio JSON, Praat TextGrid or RTTM, with clear errors.

Parsing and validation only (no ORM writes): ``parse_turns`` returns the turns or raises
``ImportRejected`` listing every problem found ("line 3: end before start"). The write is
``annotation.seeding.call_turns_seed``, which runs only on turns that passed here.

What each format must hold:
- RTTM: ``SPEAKER <uri> <channel> <start> <duration> <NA> <NA> <speaker> <NA> <NA>`` lines for
  one recording (``#`` comments and blank lines are skipped).
- TextGrid: interval tiers. Tiers named ``<speaker>|transcript`` (as Annotera exports them) give
  the turns and text; otherwise every interval tier is one speaker and each non-empty interval
  a turn, its text the interval's label.
- Label Studio JSON: one task (or a list holding one), whose regions labelled in a ``speaker``
  control are the turns; a ``textarea`` result with the same region id is the turn's text.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

from praatio import textgrid
from praatio.utilities.errors import PraatioException

IMPORT_FORMATS = ("labelstudio", "textgrid", "rttm")
MAX_BYTES = 5 * 1024 * 1024
MAX_TURNS = 20_000
MAX_ERRORS = 20
TOLERANCE = 0.05  # seconds a turn may run past the call's end (rounding in other tools)


class ImportRejected(ValueError):
    def __init__(self, errors: list[str]) -> None:
        self.errors = errors[:MAX_ERRORS] + (
            [f"… and {len(errors) - MAX_ERRORS} more"] if len(errors) > MAX_ERRORS else []
        )
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class TurnSeed:
    speaker: str
    start: float
    end: float
    text: str = ""
    where: str = ""  # where in the file, for messages: "line 3", "tier 'A' interval 2", "result t3"


def _number(value, what: str, where: str, errors: list[str]) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.append(f"{where}: {what} {value!r} is not a number")
        return None
    if not math.isfinite(number):
        errors.append(f"{where}: {what} {value!r} is not a finite number")
        return None
    return number


def parse_rttm(text: str) -> list[TurnSeed]:
    errors: list[str] = []
    seeds: list[TurnSeed] = []
    uris: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"line {number}"
        fields = stripped.split()
        if len(fields) < 9:
            errors.append(
                f"{where}: expected at least 9 space-separated fields (SPEAKER uri channel start duration …), found {len(fields)}"
            )
            continue
        if fields[0] != "SPEAKER":
            continue  # other RTTM record types (SPKR-INFO, LEXEME…) say nothing about turns
        uris.setdefault(fields[1], number)
        start = _number(fields[3], "start", where, errors)
        duration = _number(fields[4], "duration", where, errors)
        if start is None or duration is None:
            continue
        if duration <= 0:
            errors.append(f"{where}: duration {fields[4]} must be positive (end before start)")
            continue
        seeds.append(TurnSeed(speaker=fields[7], start=start, end=start + duration, where=where))
    if len(uris) > 1:
        listed = ", ".join(f"{u} (from line {n})" for u, n in uris.items())
        errors.insert(0, f"the file holds more than one recording: {listed}; import one call at a time")
    if errors:
        raise ImportRejected(errors)
    return seeds


def parse_textgrid(text: str) -> list[TurnSeed]:
    if "ooTextFile" not in text[:200] and "TextGrid" not in text[:200]:
        raise ImportRejected(['not a Praat TextGrid: the file should start with File type = "ooTextFile"'])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.TextGrid"
        path.write_text(text, encoding="utf-8")
        try:
            tg = textgrid.openTextgrid(str(path), includeEmptyIntervals=False, reportingMode="silence")
        except (PraatioException, ValueError, IndexError, KeyError, TypeError) as exc:
            raise ImportRejected([f"not a readable TextGrid: {exc}"]) from exc
    interval_tiers = [name for name in tg.tierNames if tg.getTier(name).tierType == "IntervalTier"]
    if not interval_tiers:
        raise ImportRejected(["the TextGrid has no interval tiers; turns are intervals"])
    ours = [name for name in interval_tiers if name.endswith("|transcript")]
    seeds = []
    for name in ours or interval_tiers:
        speaker = name.rsplit("|", 1)[0] if ours else name
        for k, entry in enumerate(tg.getTier(name).entries, start=1):
            seeds.append(
                TurnSeed(speaker, float(entry.start), float(entry.end), entry.label, f"tier '{name}' interval {k}")
            )
    return seeds


def parse_labelstudio(text: str) -> list[TurnSeed]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected([f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from exc
    if isinstance(data, list):
        if len(data) != 1:
            raise ImportRejected([f"expected one Label Studio task (one call), found {len(data)}"])
        data = data[0]
    if not isinstance(data, dict) or not any(k in data for k in ("annotations", "predictions", "completions")):
        raise ImportRejected(["not a Label Studio task: expected an object with annotations or predictions"])
    results = []
    for key in ("predictions", "annotations", "completions"):
        for entry in data.get(key) or []:
            if isinstance(entry, dict) and isinstance(entry.get("result"), list):
                results.extend(entry["result"])
    errors: list[str] = []
    texts: dict[str, str] = {}
    regions: list[tuple[str, dict, str]] = []
    for k, result in enumerate(results, start=1):
        if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
            errors.append(f"result {k}: expected an object with a value")
            continue
        rid = str(result.get("id") or f"#{k}")
        value = result["value"]
        if result.get("type") == "textarea" and value.get("text"):
            texts[rid] = (
                " ".join(str(t) for t in value["text"]) if isinstance(value["text"], list) else str(value["text"])
            )
        elif result.get("type") == "labels" and result.get("from_name", "").lower() in ("speaker", "speakers"):
            labels = value.get("labels")
            if not isinstance(labels, list) or len(labels) != 1:
                errors.append(f"result {rid}: a speaker region needs exactly one speaker label, found {labels!r}")
                continue
            regions.append((rid, value, str(labels[0])))
    seeds = []
    for rid, value, speaker in regions:
        where = f"result {rid}"
        start = _number(value.get("start"), "start", where, errors)
        end = _number(value.get("end"), "end", where, errors)
        if start is not None and end is not None:
            seeds.append(TurnSeed(speaker, start, end, texts.get(rid, ""), where))
    if not regions and not errors:
        errors.append("no speaker regions: label each turn's region in a control named 'speaker'")
    if errors:
        raise ImportRejected(errors)
    return seeds


PARSERS = {"rttm": parse_rttm, "textgrid": parse_textgrid, "labelstudio": parse_labelstudio}


def validate_turns(
    seeds: list[TurnSeed], *, duration: float | None, known_speakers: list[str] | None = None
) -> list[TurnSeed]:
    """Check times and speakers; returns the turns in time order or raises with every problem."""
    errors: list[str] = []
    if not seeds:
        raise ImportRejected(["no turns found in the file"])
    if len(seeds) > MAX_TURNS:
        raise ImportRejected([f"{len(seeds)} turns is more than the {MAX_TURNS} a call may have"])
    known = set(known_speakers or [])
    for s in seeds:
        if not s.speaker.strip():
            errors.append(f"{s.where}: the speaker is empty")
        elif known and s.speaker not in known:
            errors.append(
                f"{s.where}: unknown speaker '{s.speaker}'; this call's speakers are {', '.join(sorted(known))}"
            )
        elif len(s.speaker) > 32:
            errors.append(f"{s.where}: speaker name '{s.speaker[:40]}…' is longer than 32 characters")
        if s.start < 0:
            errors.append(f"{s.where}: starts at {s.start:g} s, before the call starts")
        if s.end <= s.start:
            errors.append(f"{s.where}: end before start ({s.start:g} s to {s.end:g} s)")
        elif duration is not None and s.end > duration + TOLERANCE:
            errors.append(f"{s.where}: ends at {s.end:g} s, after the call ends ({duration:g} s)")
    ordered = sorted(seeds, key=lambda s: (s.start, s.end))
    last: dict[str, TurnSeed] = {}
    for s in ordered:
        previous = last.get(s.speaker)
        if previous is not None and s.start < previous.end - 1e-6:
            errors.append(
                f"{s.where}: overlaps {previous.where} of the same speaker '{s.speaker}' "
                f"({s.start:g} s starts before {previous.end:g} s)"
            )
        if previous is None or s.end > previous.end:
            last[s.speaker] = s
    if errors:
        raise ImportRejected(errors)
    return ordered


def parse_turns(
    fmt: str, data: bytes, *, duration: float | None, known_speakers: list[str] | None = None
) -> list[TurnSeed]:
    if fmt not in PARSERS:
        raise ImportRejected([f"unknown import format '{fmt}'; choose one of {', '.join(IMPORT_FORMATS)}"])
    if len(data) > MAX_BYTES:
        raise ImportRejected([f"the file is {len(data)} bytes; the limit is {MAX_BYTES}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Praat also saves UTF-16
            text = data.decode("utf-16")
        else:
            raise ImportRejected([f"the file is not UTF-8 text (byte {exc.start})"]) from exc
    return validate_turns(PARSERS[fmt](text), duration=duration, known_speakers=known_speakers)
