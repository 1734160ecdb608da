"""Speaker-homogeneous turns from speaker-labelled words, split at long pauses."""

from __future__ import annotations

from .types import TurnDraft, Word


def build_turns(words: list[Word], *, pause_split: float = 1.5, max_seconds: float = 60.0) -> list[TurnDraft]:
    """Consecutive words of one speaker form a turn; a pause of ``pause_split`` seconds or a turn
    longer than ``max_seconds`` starts a new one. Words must carry ``speaker``."""
    turns: list[TurnDraft] = []
    for word in sorted(words, key=lambda w: (w.start, w.end)):
        last = turns[-1] if turns else None
        if (
            last is not None
            and last.speaker == word.speaker
            and word.start - last.end < pause_split
            and word.end - last.start <= max_seconds
        ):
            last.words.append(word)
            last.end = max(last.end, word.end)
        else:
            turns.append(TurnDraft(speaker=word.speaker, start=word.start, end=word.end, words=[word]))
    return turns


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
