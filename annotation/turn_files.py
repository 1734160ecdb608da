"""Reading a call's turns from Label Studio JSON, Praat TextGrid or RTTM, with clear errors.

Parsing and validation only (no ORM writes): ``parse_turns`` returns the turns or raises
``ImportRejected`` listing every problem found ("line 3: end before start"). The write is
``annotation.seeding.call_turns_seed``, which runs only on turns that passed here.

What each format must hold:
- RTTM: ``SPEAKER <uri> <channel> <start> <duration> <NA> <NA> <speaker> <NA> <NA>`` lines for
  one recording (``#`` comments and blank lines are skipped). A speaker name's whitespace is
  percent-encoded (``Agent%20Jo``); ``Agent_Jo`` maps to the call's speaker "Agent Jo" when no
  other speaker could be meant.
- TextGrid (long or short text format, UTF-8 or UTF-16), read strictly (``textgrid_reader``).
  Tiers named ``<speaker>|turns`` (as Annotera exports them) give the turns, their text from
  ``<speaker>|transcript`` (a turn with an empty transcript is still a turn); otherwise every
  interval tier is one speaker and each non-empty interval a turn, its text the interval's label.
- Label Studio JSON: one task (or a list holding one); see ``labelstudio_reader`` for which of
  its annotations or predictions gives the turns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from annotera.jsonlimits import json_problem

from .labelstudio_reader import LabelStudioError, read_labelstudio
from .read_problems import FileProblems, finite_number
from .textgrid_reader import TRANSCRIPT_SUFFIX, TextGridError, annotera_turn_tiers, read_textgrid, tier_speaker

IMPORT_FORMATS = ("labelstudio", "textgrid", "rttm")
MAX_BYTES = 5 * 1024 * 1024
MAX_TURNS = 20_000
MAX_ERRORS = 20
TOLERANCE = 0.05  # seconds a turn may run past the call's end (rounding in other tools)


class ImportRejected(FileProblems):
    """Turns refused; ``errors`` lists the first MAX_ERRORS problems (and how many more)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(
            errors[:MAX_ERRORS] + ([f"… and {len(errors) - MAX_ERRORS} more"] if len(errors) > MAX_ERRORS else [])
        )


@dataclass(frozen=True)
class TurnSeed:
    speaker: str
    start: float
    end: float
    text: str = ""
    where: str = ""  # where in the file, for messages: "line 3", "tier 'A' interval 2", "result t3"


def rttm_escape(speaker: str) -> str:
    """An RTTM speaker is one space-free field: whitespace (and %) are percent-encoded."""
    return "".join(quote(ch, safe="") if ch.isspace() or ch == "%" else ch for ch in speaker)


def rttm_unescape(field: str) -> str:
    """The name rttm_escape wrote; raises ValueError for a %-escape that is not UTF-8."""
    return unquote(field, errors="strict") if "%" in field else field


def rttm_known_names(seeds: list[TurnSeed], known: list[str]) -> list[TurnSeed]:
    """Map names written by tools that replace spaces with "_" (as Annotera did before) back to
    the call's speakers; a name that could be two of them is refused."""
    errors, out = [], []
    for seed in seeds:
        if seed.speaker in known:
            out.append(seed)
            continue
        matches = sorted(k for k in known if re.sub(r"\s", "_", k) == seed.speaker)
        if len(matches) > 1:
            errors.append(
                f"{seed.where}: speaker '{seed.speaker}' could be any of {', '.join(repr(m) for m in matches)}; "
                "write the name with %20 for each space"
            )
        out.append(replace(seed, speaker=matches[0]) if len(matches) == 1 else seed)
    if errors:
        raise ImportRejected(errors)
    return out


def parse_rttm(text: str) -> list[TurnSeed]:
    errors: list[str] = []
    seeds: list[TurnSeed] = []
    uris: dict[str, int] = {}
    others: dict[str, int] = {}  # record types other than SPEAKER, and their first line
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
            others.setdefault(fields[0], number)
            continue  # other RTTM record types (SPKR-INFO, LEXEME…) say nothing about turns
        uris.setdefault(fields[1], number)
        start = finite_number(fields[3], "start", where, errors)
        duration = finite_number(fields[4], "duration", where, errors)
        if start is None or duration is None:
            continue
        if duration <= 0:
            errors.append(f"{where}: duration {fields[4]} must be positive (end before start)")
            continue
        try:
            speaker = rttm_unescape(fields[7])
        except ValueError:
            errors.append(f"{where}: speaker '{fields[7]}' holds a %-escape that is not UTF-8 text")
            continue
        if not math.isfinite(start + duration):
            errors.append(f"{where}: end {fields[3]} + {fields[4]} is not a finite number")
            continue
        seeds.append(TurnSeed(speaker=speaker, start=start, end=start + duration, where=where))
    if len(uris) > 1:
        listed = ", ".join(f"{u} (from line {n})" for u, n in uris.items())
        errors.insert(0, f"the file holds more than one recording: {listed}; import one call at a time")
    if not seeds and not errors and others:
        listed = ", ".join(f"'{kind[:20]}' (line {n})" for kind, n in list(others.items())[:5])
        errors.append(
            f"no turns found: an RTTM turn is a line that starts with SPEAKER; this file's lines start with {listed}"
        )
    if errors:
        raise ImportRejected(errors)
    return seeds


RTTM_TYPE = re.compile(r"[A-Z][A-Z0-9_/-]{0,19}")  # SPKR-INFO, LEXEME, NON-SPEECH, A/P…


def rttm_left_out(text: str) -> dict[str, int]:
    """What an RTTM file holds besides SPEAKER turns, counted by record type:
    {"SPKR-INFO lines": 2, "LEXEME lines": 140}; a type that is not an RTTM name is "other lines"."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 9 or fields[0] == "SPEAKER" or fields[0].startswith("#"):
            continue
        what = f"{fields[0]} lines" if RTTM_TYPE.fullmatch(fields[0]) else "other lines"
        counts[what] = counts.get(what, 0) + 1
    return counts


def parse_textgrid(text: str) -> list[TurnSeed]:
    try:
        grid = read_textgrid(text)
    except TextGridError as exc:
        raise ImportRejected(exc.errors) from exc
    interval_tiers = [t for t in grid.tiers if t.kind == "IntervalTier"]
    if not interval_tiers:
        raise ImportRejected(["the TextGrid has no interval tiers; turns are intervals"])
    by_name = {t.name: t for t in interval_tiers}
    ours = annotera_turn_tiers(grid)
    seeds: list[TurnSeed] = []
    errors: list[str] = []
    if not ours:  # someone else's TextGrid: each interval tier a speaker, each labelled interval a turn
        for tier in interval_tiers:
            for k, entry in enumerate(tier.intervals, start=1):
                if entry.text.strip():
                    where = f"tier '{tier.name}' interval {k} (line {entry.line})"
                    seeds.append(TurnSeed(tier.name, entry.start, entry.end, entry.text, where))
        return seeds
    for tier in ours:
        # Annotera's layout: the turns tier holds the boundaries (its text is the speaker's role,
        # never empty), so a turn whose transcript is empty is still a turn.
        speaker = tier_speaker(tier)
        transcript = by_name.get(f"{speaker}{TRANSCRIPT_SUFFIX}")
        texts = {(round(e.start, 6), round(e.end, 6)): e for e in transcript.intervals} if transcript else {}
        turns = set()
        for k, entry in enumerate(tier.intervals, start=1):
            if not entry.text.strip():
                continue
            where = f"tier '{tier.name}' interval {k} (line {entry.line})"
            key = (round(entry.start, 6), round(entry.end, 6))
            turns.add(key)
            if transcript is not None and key not in texts:
                errors.append(
                    f"{where}: tier '{transcript.name}' has no interval from {entry.start:g} to {entry.end:g}"
                )
                continue
            text = texts[key].text if key in texts else ""
            seeds.append(TurnSeed(speaker, entry.start, entry.end, text, where))
        for key, entry in texts.items():
            if entry.text.strip() and key not in turns:
                errors.append(
                    f"line {entry.line}: tier '{transcript.name}' has text where '{tier.name}' has no turn "
                    f"({entry.start:g} to {entry.end:g})"
                )
    if errors:
        raise ImportRejected(errors)
    return seeds


def parse_labelstudio(text: str) -> list[TurnSeed]:
    problem = json_problem(text)  # before parsing: 50,000 nested brackets would overflow the parser
    if problem:
        raise ImportRejected([problem])
    try:
        regions = read_labelstudio(text)
    except LabelStudioError as exc:
        raise ImportRejected(exc.errors) from exc
    return [TurnSeed(r.speaker, r.start, r.end, r.text, r.where) for r in regions]


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
        for part, value in (("speaker", s.speaker), ("text", s.text)):
            bad = _unstorable(value)
            if bad:
                errors.append(f"{s.where}: the {part} holds the character {bad}, which is not text")
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
        elif duration is not None and s.start >= duration:
            errors.append(f"{s.where}: starts at {s.start:g} s, where the call has ended ({duration:g} s)")
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
    # Within the tolerance (another tool's rounding), a turn ends where the call does: no turn
    # holds time the audio has not.
    return [replace(s, end=duration) if duration is not None and s.end > duration else s for s in ordered]


def decode_text(data: bytes) -> str:
    """The file's text: UTF-8 (with or without a BOM), or UTF-16 with its BOM as Praat saves it;
    anything else is refused with the line where it stops being that text."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Praat also saves UTF-16; these bytes never start UTF-8
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ImportRejected(
                [
                    f"the file is marked as UTF-16 text but is damaged at byte {exc.start} "
                    "(cut short, or half a character); save it again and import that"
                ]
            ) from None
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise ImportRejected(
                [
                    f"line {line}: the file is not UTF-8 text (byte {exc.start}); "
                    "save it as UTF-8 (or, from Praat, as UTF-16) and import that"
                ]
            ) from None
    if "\x00" in text:  # UTF-16 without its byte-order mark reads as UTF-8 with a NUL after every letter
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise ImportRejected(
            [
                f"line {line}: the file holds NUL characters, so it is not UTF-8 text (UTF-16 without its "
                "byte-order mark?); save it as UTF-8 and import that"
            ]
        )
    return text


def _unstorable(value: str) -> str | None:
    """The first character no text column can hold (NUL, or half of a UTF-16 pair), described."""
    for ch in value:
        if ch == "\x00" or "\ud800" <= ch <= "\udfff":
            return f"U+{ord(ch):04X}" + (" (NUL)" if ch == "\x00" else " (half of a UTF-16 pair)")
    return None


def parse_turns(
    fmt: str, data: bytes, *, duration: float | None, known_speakers: list[str] | None = None
) -> list[TurnSeed]:
    if fmt not in PARSERS:
        raise ImportRejected([f"unknown import format '{fmt}'; choose one of {', '.join(IMPORT_FORMATS)}"])
    if len(data) > MAX_BYTES:
        raise ImportRejected([f"the file is {len(data)} bytes; the limit is {MAX_BYTES}"])
    text = decode_text(data)
    seeds = PARSERS[fmt](text)
    if fmt == "rttm" and known_speakers:
        seeds = rttm_known_names(seeds, known_speakers)
    return validate_turns(seeds, duration=duration, known_speakers=known_speakers)
