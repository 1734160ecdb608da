"""The languages Whisper knows (its tokenizer's codes) and how people write them.

Plain data and a parser, no model: the web tier validates a project's declared languages with it
without loading the speech stack. ``tests/annotation/test_project_languages.py`` checks the codes
against faster-whisper's own list, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

WHISPER_LANGUAGES = {
    "en": "English", "zh": "Chinese", "de": "German", "es": "Spanish", "ru": "Russian", "ko": "Korean",
    "fr": "French", "ja": "Japanese", "pt": "Portuguese", "tr": "Turkish", "pl": "Polish", "ca": "Catalan",
    "nl": "Dutch", "ar": "Arabic", "sv": "Swedish", "it": "Italian", "id": "Indonesian", "hi": "Hindi",
    "fi": "Finnish", "vi": "Vietnamese", "he": "Hebrew", "uk": "Ukrainian", "el": "Greek", "ms": "Malay",
    "cs": "Czech", "ro": "Romanian", "da": "Danish", "hu": "Hungarian", "ta": "Tamil", "no": "Norwegian",
    "th": "Thai", "ur": "Urdu", "hr": "Croatian", "bg": "Bulgarian", "lt": "Lithuanian", "la": "Latin",
    "mi": "Maori", "ml": "Malayalam", "cy": "Welsh", "sk": "Slovak", "te": "Telugu", "fa": "Persian",
    "lv": "Latvian", "bn": "Bengali", "sr": "Serbian", "az": "Azerbaijani", "sl": "Slovenian", "kn": "Kannada",
    "et": "Estonian", "mk": "Macedonian", "br": "Breton", "eu": "Basque", "is": "Icelandic", "hy": "Armenian",
    "ne": "Nepali", "mn": "Mongolian", "bs": "Bosnian", "kk": "Kazakh", "sq": "Albanian", "sw": "Swahili",
    "gl": "Galician", "mr": "Marathi", "pa": "Punjabi", "si": "Sinhala", "km": "Khmer", "sn": "Shona",
    "yo": "Yoruba", "so": "Somali", "af": "Afrikaans", "oc": "Occitan", "ka": "Georgian", "be": "Belarusian",
    "tg": "Tajik", "sd": "Sindhi", "gu": "Gujarati", "am": "Amharic", "yi": "Yiddish", "lo": "Lao",
    "uz": "Uzbek", "fo": "Faroese", "ht": "Haitian Creole", "ps": "Pashto", "tk": "Turkmen", "nn": "Nynorsk",
    "mt": "Maltese", "sa": "Sanskrit", "lb": "Luxembourgish", "my": "Myanmar", "bo": "Tibetan", "tl": "Tagalog",
    "mg": "Malagasy", "as": "Assamese", "tt": "Tatar", "haw": "Hawaiian", "ln": "Lingala", "ha": "Hausa",
    "ba": "Bashkir", "jw": "Javanese", "su": "Sundanese", "yue": "Cantonese",
}  # fmt: skip
# ISO 639 codes people write for a language Whisper files under another code.
ALIASES = {"fil": "tl", "jv": "jw", "nb": "no", "iw": "he", "in": "id", "tgl": "tl", "zh-hans": "zh", "zh-hant": "zh"}
_REGION = re.compile(r"[A-Za-z]{2}|[0-9]{3}")  # as in en-IN, es-419
_BY_NAME = {name.lower(): code for code, name in WHISPER_LANGUAGES.items()} | {"filipino": "tl", "burmese": "my"}


def language_code(written: str) -> str | None:
    """The Whisper code for a code, an alias, a BCP 47 tag ("es-MX") or an English name
    ("Spanish"), any case; None when it is none of those."""
    key = " ".join(written.strip().lower().split())
    if key in ALIASES:
        return ALIASES[key]
    if key in WHISPER_LANGUAGES:
        return key
    if key in _BY_NAME:
        return _BY_NAME[key]
    base = key.replace("_", "-").split("-")[0]
    return ALIASES.get(base) or (base if base in WHISPER_LANGUAGES else None)


def parse_languages(written: str | Iterable[str]) -> list[str]:
    """Whisper codes, in the order given and without repeats, from "en, es-MX, Hindi" (commas
    between languages; a space only inside a name such as "Haitian Creole") or from a list of
    such strings. Raises ValueError naming every language it does not know, and for "en es" or
    "en IN" (two languages, or a language and its region?) asks for commas or a hyphen."""
    items = [written] if isinstance(written, str) else list(written)
    codes: list[str] = []
    unknown: list[str] = []
    for item in items:
        if not isinstance(item, str):
            unknown.append(repr(item))
            continue
        for piece in (p.strip() for p in item.split(",")):
            if not piece:
                continue
            whole = language_code(piece)
            parts = piece.split()
            if (
                whole is None
                and len(parts) > 1
                and language_code(parts[0])
                and all(language_code(p) or _REGION.fullmatch(p) for p in parts[1:])
            ):
                # "en es" or "en IN": two languages, or a language and its region? Not guessed.
                raise ValueError(
                    f"'{piece}': put commas between languages ({', '.join(parts)}), or join a region to its "
                    f"language with a hyphen ({'-'.join(parts[:2])})."
                )
            if whole is None:
                unknown.extend(p for p in parts if language_code(p) is None)
                continue
            if whole not in codes:
                codes.append(whole)
    if unknown:
        names = ", ".join(f"'{u}'" if len(u) <= 40 else f"'{u[:40]}…'" for u in unknown[:10])
        raise ValueError(
            f"{names}: not a language the speech models know. Use ISO 639 codes such as en, es, hi, tl "
            "or English names such as Spanish."
        )
    return codes
