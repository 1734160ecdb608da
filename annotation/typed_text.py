"""A person's typed correction of a turn's text, laid over the words the machine timed.

Plain Python on word dicts (``{"w", "s", "e", "p", "l", "j"}``, see docs/export-formats.md), no ORM.
The typed words are aligned to the old ones, so a correction keeps every timing it can:

1. Word by word (``difflib``, case and punctuation ignored): a word left as it was keeps its
   timing, and so does a run of words replaced one for one ("their" -> "there").
2. Where a run of words became a different number of words ("gonna" -> "going to"), or text in a
   script written without spaces was retyped (typed Chinese or Thai has no spaces to count),
   the run is aligned character by character: a character left as it was keeps its share of
   its old word's time, changed characters share the time of the ones they replace (a run
   with under half its characters in common is other text: it shares the old run's time). A typed
   word in a script without spaces is cut back into the pieces the machine timed, marked
   ``joined``, so it still reads as typed.
3. A word typed where there was none (an insertion) takes the silence between its neighbours,
   or, with none, a share of the word before it.

Every word stays inside the turn (its midpoint in [start, end)), so no correction moves a word
into a neighbouring turn or out of every turn.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from .pipeline.types import UNSPACED_SCRIPT

UNSPACED = re.compile(f"[{UNSPACED_SCRIPT}]")
SAME_TEXT_RATIO = 0.5  # below this share of characters in common, a retyped run is other text
MIN_WORD_SECONDS = 0.02
EDGE_SECONDS = 0.001  # the times' precision (stored rounded to the millisecond)  # an inserted word gets at least this much silence, else a share of its neighbour


@dataclass
class _Piece:
    """One typed word (or, in an unspaced script, one timed piece of it) being built."""

    text: str
    base: dict = field(default_factory=dict)  # the old word kept whole, else {}
    start: float | None = None
    end: float | None = None
    language: str = ""
    joined: bool = False

    @property
    def timed(self) -> bool:
        return self.start is not None


def _key(text: str) -> str:
    """Case and punctuation do not make a word another word."""
    return "".join(ch for ch in text.lower() if ch.isalnum()) or text.lower()


def _lower(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def typed_words(old: list[dict], text: str, *, start: float, end: float, language: str = "") -> list[dict]:
    """The turn's words after a person typed ``text`` over ``old`` (the turn's words in time order;
    ``start``/``end``: the turn). Words whose text or time changed are marked ``edited``."""
    tokens = text.split()
    pieces: list[_Piece] = []
    matcher = SequenceMatcher(None, [_key(w["w"]) for w in old], [_key(t) for t in tokens], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1 and not _unspaced(tokens[j1:j2])):
            pieces.extend(_kept(word, token) for word, token in zip(old[i1:i2], tokens[j1:j2], strict=True))
        elif tag in ("replace", "insert"):
            pieces.extend(_realigned(old[i1:i2], tokens[j1:j2]))
    _fill_times(pieces, start, end)
    _keep_inside(pieces, start, end)
    _fill_languages(pieces, language)
    return [_as_word(piece) for piece in pieces]


def _unspaced(tokens: list[str]) -> bool:
    return any(UNSPACED.search(token) for token in tokens)


def _kept(word: dict, token: str) -> _Piece:
    return _Piece(token, base=word, start=word["s"], end=word["e"], language=word.get("l", ""))


def _realigned(old: list[dict], tokens: list[str]) -> list[_Piece]:
    """Character-level alignment of a run of typed words against the old words it replaces."""
    old_chars: list[tuple[str, int, float, float]] = []  # (char, old word, start, end)
    for index, word in enumerate(old):
        text = word["w"] or " "
        step = (word["e"] - word["s"]) / len(text)
        old_chars += [
            (_lower(ch), index, word["s"] + k * step, word["s"] + (k + 1) * step) for k, ch in enumerate(text)
        ]
    new_chars = [_lower(ch) for token in tokens for ch in token]
    # Per typed character: (old word, start, end, left as it was), or Nones where it was inserted.
    timing: list[tuple[int | None, float | None, float | None, bool]] = [(None, None, None, False)] * len(new_chars)
    matcher = SequenceMatcher(None, [c[0] for c in old_chars], new_chars, autojunk=False)
    opcodes = matcher.get_opcodes()
    if old_chars and matcher.ratio() < SAME_TEXT_RATIO:  # other text: letters in common are chance
        opcodes = [("replace", 0, len(old_chars), 0, len(new_chars))]
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for m in range(j2 - j1):
                _, owner, s, e = old_chars[i1 + m]
                timing[j1 + m] = (owner, s, e, True)
        elif tag == "replace":  # the new characters share the old ones' time evenly
            lo, hi = old_chars[i1][2], old_chars[i2 - 1][3]
            step = (hi - lo) / (j2 - j1)
            for m in range(j2 - j1):
                owner = old_chars[i1 + m * (i2 - i1) // (j2 - j1)][1]
                timing[j1 + m] = (owner, lo + m * step, lo + (m + 1) * step, False)
    pieces: list[_Piece] = []
    position = 0
    for token in tokens:
        chars = timing[position : position + len(token)]
        position += len(token)
        if UNSPACED.search(token):  # cut where the old word the characters came from changes
            runs: list[tuple[str, list]] = []
            for ch, item in zip(token, chars, strict=True):
                if runs and runs[-1][1][-1][0] == item[0]:
                    runs[-1] = (runs[-1][0] + ch, [*runs[-1][1], item])
                else:
                    runs.append((ch, [item]))
        else:
            runs = [(token, list(chars))]
        for k, (piece_text, items) in enumerate(runs):
            times = [(s, e) for _, s, e, _ in items if s is not None]
            owners = Counter(owner for owner, _, _, _ in items if owner is not None)
            owner = owners.most_common(1)[0][0] if owners else None
            whole = (
                owner is not None
                and old[owner]["w"] == piece_text
                and all(o == owner and same for o, _, _, same in items)
            )
            pieces.append(
                _Piece(
                    piece_text,
                    base=old[owner] if whole else {},
                    start=min(s for s, _ in times) if times else None,
                    end=max(e for _, e in times) if times else None,
                    language=old[owner].get("l", "") if owner is not None else "",
                    joined=k > 0,
                )
            )
    return pieces


def _fill_times(pieces: list[_Piece], start: float, end: float) -> None:
    """Untimed pieces (typed where no word was) share the silence around them; with too little
    silence, they share the time of the word before them (of the one after, at the turn's start)."""
    i = 0
    while i < len(pieces):
        if pieces[i].timed:
            i += 1
            continue
        j = i
        while j < len(pieces) and not pieces[j].timed:
            j += 1
        run = pieces[i:j]
        lo = pieces[i - 1].end if i > 0 else start
        hi = pieces[j].start if j < len(pieces) else end
        if hi - lo < MIN_WORD_SECONDS * len(run):
            if i > 0:  # the word before gives up the end of its time
                run, lo = [pieces[i - 1], *run], pieces[i - 1].start
            elif j < len(pieces):  # at the turn's start: the word after gives up its beginning
                run, hi = [*run, pieces[j]], pieces[j].end
        step = (hi - lo) / len(run)
        for k, piece in enumerate(run):
            piece.start, piece.end = lo + k * step, lo + (k + 1) * step
        i = j


def _keep_inside(pieces: list[_Piece], start: float, end: float) -> None:
    """A piece whose midpoint left the turn is cut to the turn: a word straddling the turn's edge
    (after a boundary move) lends its time to the typed text, and the piece of it beyond the
    edge would otherwise belong to no turn and leave the transcript."""
    for piece in pieces:
        if start <= (piece.start + piece.end) / 2 < end:
            continue
        piece.start = min(max(piece.start, start), end)
        piece.end = max(min(piece.end, end), piece.start)
        if (piece.start + piece.end) / 2 >= end:  # nothing left inside: the turn's last instant
            piece.start, piece.end = max(start, end - 2 * EDGE_SECONDS), end


def _fill_languages(pieces: list[_Piece], language: str) -> None:
    """A piece with no old word to take its language from takes the language before it (else
    after it, else the turn's)."""
    for index, piece in enumerate(pieces):
        if not piece.language:
            before = next((p.language for p in reversed(pieces[:index]) if p.language), "")
            after = next((p.language for p in pieces[index + 1 :] if p.language), "")
            piece.language = before or after or language


def _as_word(piece: _Piece) -> dict:
    start, end = round(piece.start, 3), round(piece.end, 3)
    base = {k: v for k, v in piece.base.items() if k != "j"}
    if base and base["w"] == piece.text and (base["s"], base["e"]) == (start, end):
        word = base  # as it was: the machine's word, its confidence and flags
    else:
        word = {**base, "w": piece.text, "s": start, "e": end, "edited": True}
        if base.get("w") != piece.text:  # text a person wrote
            word["p"] = 1.0
    if piece.language:
        word["l"] = piece.language
    if piece.joined:
        word["j"] = True
    return word
