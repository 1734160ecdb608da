"""Speaker-homogeneous turns from speaker-labelled words, split at long pauses."""

from __future__ import annotations

from collections import Counter

from .types import SpeechPiece, TurnDraft, Word

MIN_LANGUAGE_TURN_SECONDS = 1.0  # a shorter stretch in another language stays inside its turn


def build_turns(
    words: list[Word],
    *,
    pause_split: float = 1.5,
    max_seconds: float = 60.0,
    pieces: list[SpeechPiece] = (),
    min_language_seconds: float = MIN_LANGUAGE_TURN_SECONDS,
) -> list[TurnDraft]:
    """Speaker-homogeneous, language-homogeneous turns from speaker-labelled words and pieces.

    Consecutive items (words, and ``pieces`` of speech without words) of one speaker form a
    turn; a pause of ``pause_split`` seconds, a turn longer than ``max_seconds`` or a change of
    language starts a new one. A stretch in another language shorter than
    ``min_language_seconds`` stays in its neighbour's turn, so the turn keeps per-word languages
    and shows the switch instead of fragmenting. A turn made only of pieces is ``untranscribed``.
    Words and pieces must carry ``speaker``.
    """
    items: list[Word | SpeechPiece] = sorted([*words, *pieces], key=lambda item: (item.start, item.end))
    turns: list[TurnDraft] = []
    for item in items:
        last = turns[-1] if turns else None
        if (
            last is not None
            and last.speaker == item.speaker
            and item.start - last.end < pause_split
            and item.end - last.start <= max_seconds
            and not (item.language and last.language and item.language != last.language)
        ):
            _add(last, item)
        else:
            turns.append(_new_turn(item))
    turns = _absorb_short_language_turns(turns, pause_split, min_language_seconds)
    for turn in turns:
        turn.language = _majority(turn)
        turn.untranscribed = not turn.words
    return turns


def _new_turn(item: Word | SpeechPiece) -> TurnDraft:
    turn = TurnDraft(speaker=item.speaker, start=item.start, end=item.end, words=[], language=item.language)
    _add(turn, item)
    return turn


def _add(turn: TurnDraft, item: Word | SpeechPiece) -> None:
    if isinstance(item, Word):
        turn.words.append(item)
    else:
        turn.pieces.append(item)
    turn.start = min(turn.start, item.start)
    turn.end = max(turn.end, item.end)
    turn.language = turn.language or item.language


def _absorb_short_language_turns(turns: list[TurnDraft], pause_split: float, min_seconds: float) -> list[TurnDraft]:
    out: list[TurnDraft] = []
    for index, turn in enumerate(turns):
        previous = out[-1] if out else None
        following = turns[index + 1] if index + 1 < len(turns) else None
        short = turn.end - turn.start < min_seconds
        if short and previous and previous.speaker == turn.speaker and turn.start - previous.end < pause_split:
            _merge_into(previous, turn)
            continue
        if short and following and following.speaker == turn.speaker and following.start - turn.end < pause_split:
            _merge_into(following, turn)
            continue
        out.append(turn)
    return out


def _merge_into(target: TurnDraft, turn: TurnDraft) -> None:
    target.words = sorted([*target.words, *turn.words], key=lambda w: w.start)
    target.pieces = sorted([*target.pieces, *turn.pieces], key=lambda p: p.start)
    target.start, target.end = min(target.start, turn.start), max(target.end, turn.end)


def _majority(turn: TurnDraft) -> str:
    weights: Counter[str] = Counter()
    for item in [*turn.words, *turn.pieces]:
        if item.language:
            weights[item.language] += max(item.end - item.start, 0.01)
    return weights.most_common(1)[0][0] if weights else turn.language


def guess_roles(turns: list[TurnDraft], channel_roles: dict[str, str] | None = None) -> dict[str, str]:
    """Agent/customer per speaker: from the channel map when there is one, else the first
    speaker is taken to be the agent (call-centre calls open with the agent's greeting)."""
    speakers = list(dict.fromkeys(t.speaker for t in turns))
    if channel_roles:
        return {s: channel_roles.get(s, "unknown") for s in speakers}
    roles: dict[str, str] = {}
    for index, speaker in enumerate(speakers):
        roles[speaker] = "agent" if index == 0 else ("customer" if index == 1 else "unknown")
    return roles
