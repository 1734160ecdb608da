"""Typed values passed between machine-pass stages (JSON-friendly via ``to_dict``/``from_dict``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# Scripts written without spaces between words (Thai, Lao, Myanmar, kana, CJK), as a regex
# character class: ``text_evidence`` counts their characters as words, ``typed_text`` cuts typed
# text in them back into timed pieces.
UNSPACED_SCRIPT = "\u0e00-\u0eff\u1000-\u109f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"


@dataclass
class Word:
    text: str
    start: float
    end: float
    probability: float = 1.0
    speaker: str = ""
    language: str = ""  # of the speech region the word was transcribed in ("" when unknown)
    joined: bool = False  # written with no space before it (scripts without spaces: Chinese, Thai, ...)

    def to_dict(self) -> dict:
        data = {"w": self.text, "s": self.start, "e": self.end, "p": self.probability}
        if self.language:
            data["l"] = self.language
        if self.joined:
            data["j"] = True
        return data

    @classmethod
    def from_dict(cls, data: dict, speaker: str = "") -> Word:
        return cls(
            text=data["w"],
            start=data["s"],
            end=data["e"],
            probability=data.get("p", 1.0),
            speaker=speaker,
            language=data.get("l", ""),
            joined=bool(data.get("j", False)),
        )


@dataclass
class SpeechPiece:
    """Speech the VAD (or channel energy) found where recognition produced no word.

    It still becomes (part of) a turn, flagged untranscribed, so no speech leaves the call."""

    start: float
    end: float
    language: str = ""
    channel: int | None = None
    speaker: str = ""

    def to_dict(self) -> dict:
        return {"s": self.start, "e": self.end, "l": self.language, "channel": self.channel}

    @classmethod
    def from_dict(cls, data: dict, speaker: str = "") -> SpeechPiece:
        return cls(data["s"], data["e"], data.get("l", ""), data.get("channel"), speaker)


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    avg_logprob: float = 0.0
    channel: int | None = None
    speaker: str = ""

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "avg_logprob": self.avg_logprob,
            "channel": self.channel,
            "speaker": self.speaker,
            "words": [w.to_dict() for w in self.words],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Segment:
        return cls(
            start=data["start"],
            end=data["end"],
            text=data["text"],
            avg_logprob=data.get("avg_logprob", 0.0),
            channel=data.get("channel"),
            speaker=data.get("speaker", ""),
            words=[Word.from_dict(w) for w in data.get("words", [])],
        )


@dataclass
class SpeakerSpan:
    """A stretch of time attributed to one speaker by diarization."""

    start: float
    end: float
    speaker: str


@dataclass
class TurnDraft:
    speaker: str
    start: float
    end: float
    words: list[Word]
    language: str = ""
    language_confidence: float | None = None
    code_switch: bool = False
    prosody: dict = field(default_factory=dict)
    untranscribed: bool = False  # speech with no recognised word: an annotator types the text
    pieces: list[SpeechPiece] = field(default_factory=list)  # its speech without words

    @property
    def language_switches(self) -> list[int]:
        """Indices of the words where the language changes inside this turn."""
        return language_switches(self.words)

    @property
    def text(self) -> str:
        return join_words(self.words)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["words"] = [w.to_dict() for w in self.words]
        data["pieces"] = [p.to_dict() for p in self.pieces]
        data["text"] = self.text
        return data


def language_switches(words: list[Word]) -> list[int]:
    return word_language_switches([{"l": w.language} for w in words])


def word_language_switches(words: list[dict]) -> list[int]:
    """Indices of the stored words (``{"w", "s", "e", "p", "l"}``) where the language changes."""
    switches, previous = [], ""
    for index, word in enumerate(words):
        language = word.get("l", "")
        if language and previous and language != previous:
            switches.append(index)
        previous = language or previous
    return switches


def join_words(words: list[Word]) -> str:
    """The words as text: a space between two words, except before a word ``joined`` to the one
    before it (a script written without spaces, the word before in the same language); no space
    before closing punctuation."""
    text = "".join(
        w.text if i == 0 or (w.joined and words[i - 1].language == w.language) else " " + w.text
        for i, w in enumerate(words)
    )
    for mark in (" ,", " .", " ?", " !", " ;", " :"):
        text = text.replace(mark, mark[1])
    return text.strip()
