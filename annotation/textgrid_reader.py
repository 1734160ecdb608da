"""A strict reader of Praat TextGrid text files, long and short format (plain Python, no Django).

Praat's own reader, and praatio's, are lenient: they skip what they do not expect, so a damaged
file can come back as different data (praatio reads ``xmin = -1`` as 1.0; a file cut after an
interval reads as a shorter, valid-looking grid). This one reads every value where the format
puts it, and refuses with the line number when anything is off:

- the header, every tier's and every interval's keys in order (long format), or the bare values
  in order (short format); item and interval numbers count up from 1;
- the declared sizes (tiers, intervals, points) against what is there, and nothing after the
  last tier; a file that ends early says "truncated";
- times: finite numbers, never negative (read from the raw text), each interval tier covering
  its own range without gaps or overlaps, each tier inside the grid's range.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from .read_problems import FileProblems

NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
TOKEN = re.compile(r'"((?:[^"]|"")*)("?)|<exists>|<absent>|\S+')
EPSILON = 1e-6  # seconds: boundaries shared by neighbouring intervals are written identically


class TextGridError(FileProblems):
    """A grid refused; ``errors`` holds the first problem, with its line."""


@dataclass(frozen=True)
class Interval:
    start: float
    end: float
    text: str
    line: int


@dataclass
class Tier:
    name: str
    kind: str  # "IntervalTier" or "TextTier"
    xmin: float
    xmax: float
    line: int
    intervals: list[Interval] = field(default_factory=list)


@dataclass
class TextGrid:
    xmin: float
    xmax: float
    tiers: list[Tier]


@dataclass(frozen=True)
class Token:
    kind: str  # "string", "flag" or "word" (a number or a long-format key)
    value: str
    line: int


def _tokens(text: str) -> list[Token]:
    out, line, pos = [], 1, 0
    for match in TOKEN.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        raw = match.group(0)
        if raw.startswith('"'):
            if not match.group(2):
                raise TextGridError([f"line {line}: the file is truncated inside a text (no closing quote)"])
            out.append(Token("string", match.group(1).replace('""', '"'), line))
        elif raw in ("<exists>", "<absent>"):
            out.append(Token("flag", raw, line))
        else:
            out.append(Token("word", raw, line))
    return out


class _Reader:
    """Reads the token stream; in the long format every value comes after its key
    (``xmin =``, ``intervals [3]:``…), which is checked word by word."""

    def __init__(self, tokens: list[Token], long: bool) -> None:
        self.tokens, self.long, self.k = tokens, long, 0

    def _next(self, what: str) -> Token:
        if self.k >= len(self.tokens):
            last = self.tokens[-1].line if self.tokens else 1
            raise TextGridError([f"line {last}: the file is truncated: it ends where {what} should be"])
        token = self.tokens[self.k]
        self.k += 1
        return token

    def key(self, *words: str) -> None:
        """The long format's key before a value, e.g. key("intervals", "[3]:")."""
        if not self.long:
            return
        for word in words:
            token = self._next(" ".join(words))
            if token.kind != "word" or token.value != word:
                raise TextGridError([f"line {token.line}: expected '{' '.join(words)}', found {_show(token)}"])

    def string(self, what: str) -> Token:
        token = self._next(what)
        if token.kind != "string":
            raise TextGridError([f"line {token.line}: expected {what} (a quoted text), found {_show(token)}"])
        return token

    def number(self, what: str, *, time: bool = True) -> tuple[float, int]:
        token = self._next(what)
        if token.kind != "word" or not NUMBER.fullmatch(token.value):
            raise TextGridError([f"line {token.line}: expected {what} (a number), found {_show(token)}"])
        value = float(token.value)
        if not math.isfinite(value):
            raise TextGridError([f"line {token.line}: {what} {token.value} is not a finite number"])
        if time and value < 0:
            raise TextGridError([f"line {token.line}: {what} {token.value} is negative; times start at 0"])
        return value, token.line

    def count(self, what: str) -> int:
        value, line = self.number(what, time=False)
        if value != int(value) or value < 0:
            raise TextGridError([f"line {line}: {what} must be a whole number, found {value:g}"])
        return int(value)

    def flag(self) -> str:
        token = self._next("tiers? <exists>")
        if token.kind != "flag":
            raise TextGridError([f"line {token.line}: expected <exists> or <absent>, found {_show(token)}"])
        return token.value

    def end(self, tiers: int) -> None:
        if self.k < len(self.tokens):
            token = self.tokens[self.k]
            raise TextGridError(
                [f"line {token.line}: unexpected {_show(token)} after the last tier (the file declares {tiers} tiers)"]
            )


def _show(token: Token) -> str:
    text = token.value if len(token.value) <= 30 else token.value[:30] + "…"
    return f'"{text}"' if token.kind == "string" else f"'{text}'"


def read_textgrid(text: str) -> TextGrid:
    """Parse a TextGrid text file; raises TextGridError with the first problem's line."""
    tokens = _tokens(text)
    head = [t.value for t in tokens[:8]]
    if head[:3] != ["File", "type", "="] or len(tokens) < 4 or tokens[3].kind != "string":
        raise TextGridError(['not a Praat TextGrid: the file should start with File type = "ooTextFile"'])
    if "Binary" in tokens[3].value:
        raise TextGridError(["a binary TextGrid: save it from Praat as a text file"])
    if tokens[3].value not in ("ooTextFile", "ooTextFile short"):
        raise TextGridError([f'line {tokens[3].line}: file type "{tokens[3].value}" is not "ooTextFile"'])
    if head[4:7] != ["Object", "class", "="] or len(tokens) < 8 or tokens[7].value != "TextGrid":
        raise TextGridError(['line 2: expected Object class = "TextGrid"'])
    long = len(tokens) > 8 and tokens[8].value == "xmin"
    reader = _Reader(tokens[8:], long)
    reader.key("xmin", "=")
    xmin, _ = reader.number("the grid's xmin")
    reader.key("xmax", "=")
    xmax, line = reader.number("the grid's xmax")
    if xmax <= xmin:
        raise TextGridError([f"line {line}: the grid ends ({xmax:g}) before it starts ({xmin:g})"])
    reader.key("tiers?")
    if reader.flag() == "<absent>":
        raise TextGridError(["the TextGrid has no tiers"])
    reader.key("size", "=")
    size = reader.count("the number of tiers")
    reader.key("item", "[]:")
    tiers = [_read_tier(reader, k, xmin, xmax) for k in range(1, size + 1)]
    reader.end(size)
    names = [t.name for t in tiers]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise TextGridError([f"tier name '{duplicated[0]}' is used by more than one tier"])
    return TextGrid(xmin, xmax, tiers)


def _read_tier(reader: _Reader, k: int, grid_min: float, grid_max: float) -> Tier:
    reader.key("item", f"[{k}]:")
    reader.key("class", "=")
    kind = reader.string(f"tier {k}'s class")
    if kind.value not in ("IntervalTier", "TextTier"):
        raise TextGridError([f'line {kind.line}: tier {k}\'s class "{kind.value}" is not IntervalTier or TextTier'])
    reader.key("name", "=")
    name = reader.string(f"tier {k}'s name").value
    reader.key("xmin", "=")
    xmin, line = reader.number(f"tier '{name}' xmin")
    reader.key("xmax", "=")
    xmax, _ = reader.number(f"tier '{name}' xmax")
    tier = Tier(name, kind.value, xmin, xmax, line)
    if xmax <= xmin or xmin < grid_min - EPSILON or xmax > grid_max + EPSILON:
        raise TextGridError(
            [f"line {line}: tier '{name}' spans {xmin:g} to {xmax:g}, outside the grid's {grid_min:g} to {grid_max:g}"]
        )
    if kind.value == "TextTier":
        reader.key("points:", "size", "=")
        for i in range(1, reader.count(f"tier '{name}' number of points") + 1):
            reader.key("points", f"[{i}]:")
            reader.key("number", "=")
            at, at_line = reader.number(f"tier '{name}' point {i} time")
            reader.key("mark", "=")
            mark = reader.string(f"tier '{name}' point {i} mark").value
            if not xmin - EPSILON <= at <= xmax + EPSILON:
                raise TextGridError([f"line {at_line}: tier '{name}' point {i} at {at:g} is outside the tier"])
            tier.intervals.append(Interval(at, at, mark, at_line))
        return tier
    reader.key("intervals:", "size", "=")
    size = reader.count(f"tier '{name}' number of intervals")
    if size == 0:
        raise TextGridError([f"line {line}: tier '{name}' has no intervals; an interval tier covers its range"])
    cursor = xmin
    for i in range(1, size + 1):
        reader.key("intervals", f"[{i}]:")
        reader.key("xmin", "=")
        start, start_line = reader.number(f"tier '{name}' interval {i} xmin")
        reader.key("xmax", "=")
        end, _ = reader.number(f"tier '{name}' interval {i} xmax")
        reader.key("text", "=")
        label = reader.string(f"tier '{name}' interval {i} text").value
        where = f"line {start_line}: tier '{name}' interval {i}"
        if abs(start - cursor) > EPSILON:
            gap = "overlaps the one before" if start < cursor else "leaves a gap after the one before"
            raise TextGridError([f"{where} starts at {start:g}, which {gap} (ends at {cursor:g})"])
        if end <= start:
            raise TextGridError([f"{where} ends ({end:g}) where or before it starts ({start:g})"])
        tier.intervals.append(Interval(start, end, label, start_line))
        cursor = end
    if abs(cursor - xmax) > EPSILON:
        raise TextGridError([f"line {line}: tier '{name}' intervals end at {cursor:g}, not at the tier's end {xmax:g}"])
    return tier


# Annotera's own TextGrid layout (qa/exports/timeline.py): per speaker a "<speaker>|turns" tier
# (the turns), "<speaker>|transcript" (their text), then "|consensus" and one tier per annotator.
TURNS_SUFFIX = "|turns"
TRANSCRIPT_SUFFIX = "|transcript"


def annotera_turn_tiers(grid: TextGrid) -> list[Tier]:
    """The "<speaker>|turns" interval tiers: none means the file is not in Annotera's layout, and
    every interval tier is then one speaker's turns (the rule ``turn_files.parse_textgrid`` reads by)."""
    return [t for t in grid.tiers if t.kind == "IntervalTier" and t.name.endswith(TURNS_SUFFIX)]


def tier_speaker(turns_tier: Tier) -> str:
    """ "Agent|turns" -> "Agent"."""
    return turns_tier.name[: -len(TURNS_SUFFIX)]


def turn_tier_names(grid: TextGrid) -> set[str]:
    """The tiers a turn import reads (``turn_files.parse_textgrid``): in Annotera's layout the
    turns and transcript tiers; in anyone else's, every interval tier (one per speaker)."""
    interval = {t.name for t in grid.tiers if t.kind == "IntervalTier"}
    ours = annotera_turn_tiers(grid)
    if not ours:
        return interval
    return {t.name for t in ours} | {tier_speaker(t) + TRANSCRIPT_SUFFIX for t in ours} & interval


def textgrid_left_out(grid: TextGrid) -> dict[str, int]:
    """What a turn import does not bring in, counted: the labelled intervals (or points) of each
    tier it does not read, e.g. {"labelled intervals of tier 'A|consensus'": 12}."""
    read = turn_tier_names(grid)
    counts: dict[str, int] = {}
    for tier in grid.tiers:
        if tier.name in read:
            continue
        n = sum(1 for entry in tier.intervals if entry.text.strip())
        if n:
            what = "labelled intervals" if tier.kind == "IntervalTier" else "labelled points"
            counts[f"{what} of tier '{tier.name}'"] = n
    return counts
