"""Code-switched calls made with espeak-ng, for the tests and ``benchmarks/ingest.py``.

Languages: English, Spanish, German, French and Hindi as the issue asks. Tagalog has no espeak-ng
voice; its nearest neighbours there (Indonesian, Malay) are not recognisable to Whisper base as
spoken by espeak-ng (measured: identified as Thai on almost every sentence), so Italian stands in
as the sixth language. Each call has two speakers; languages change both between speakers and
inside one speaker's speech (consecutive utterances of one speaker 0.3 to 0.8 s apart).
Sentences and voices are drawn with a seed, so a suite is reproducible and can be split.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .synth import SpokenSpan, Utterance, render_call

LANGUAGES = ("en", "es", "de", "fr", "hi", "it")
VOICE = {"en": "en-us", "es": "es", "de": "de", "fr": "fr-fr", "hi": "hi", "it": "it"}

SENTENCES: dict[str, list[str]] = {
    "en": [
        "Good morning, I am calling about the bill I received last week.",
        "The package never arrived and nobody called me back about it.",
        "Could you please check whether my payment has gone through?",
        "I would like to change the address on my account, please.",
    ],
    "es": [
        "Buenos días, llamo por la factura que recibí la semana pasada.",
        "El paquete nunca llegó y nadie me devolvió la llamada.",
        "¿Podría comprobar si mi pago ya se ha realizado, por favor?",
        "Quisiera cambiar la dirección de mi cuenta, por favor.",
    ],
    "de": [
        "Guten Morgen, ich rufe wegen der Rechnung von letzter Woche an.",
        "Das Paket ist nie angekommen und niemand hat mich zurückgerufen.",
        "Können Sie bitte prüfen, ob meine Zahlung eingegangen ist?",
        "Ich möchte bitte die Adresse in meinem Konto ändern.",
    ],
    "fr": [
        "Bonjour, j'appelle au sujet de la facture reçue la semaine dernière.",
        "Le colis n'est jamais arrivé et personne ne m'a rappelé.",
        "Pouvez-vous vérifier si mon paiement a bien été reçu ?",
        "Je voudrais changer l'adresse de mon compte, s'il vous plaît.",
    ],
    "hi": [
        "नमस्ते, मैं पिछले हफ्ते मिले बिल के बारे में फोन कर रहा हूँ।",
        "पैकेज कभी नहीं आया और किसी ने मुझे वापस फोन नहीं किया।",
        "क्या आप देख सकते हैं कि मेरा भुगतान हो गया है या नहीं?",
        "मैं अपने खाते का पता बदलना चाहता हूँ, कृपया।",
    ],
    "it": [
        "Buongiorno, chiamo per la fattura ricevuta la settimana scorsa.",
        "Il pacco non è mai arrivato e nessuno mi ha richiamato.",
        "Può controllare se il mio pagamento è stato ricevuto?",
        "Vorrei cambiare l'indirizzo del mio conto, per favore.",
    ],
}

SPEAKER_VOICES = {"agent": {"variant": "+m3", "pitch": 40}, "customer": {"variant": "+f2", "pitch": 65}}
# The suite draws each call's two voices from these (espeak-ng variant, pitch).
AGENT_VOICES = [{"variant": "+m3", "pitch": 40}, {"variant": "", "pitch": 50}, {"variant": "+m1", "pitch": 45}]
CUSTOMER_VOICES = [{"variant": "+f2", "pitch": 65}, {"variant": "", "pitch": 75}, {"variant": "+f4", "pitch": 65}]


@dataclass(frozen=True)
class SpokenUtterance:
    speaker: str
    language: str
    start: float
    end: float


def utterance(speaker: str, language: str, text: str, pause_before: float, voices: dict | None = None) -> Utterance:
    voice = (voices or SPEAKER_VOICES)[speaker]
    return Utterance(
        speaker, text, voice=VOICE[language] + voice["variant"], pitch=voice["pitch"], pause_before=pause_before
    )


def code_switched_script(
    seed: int, turns: int = 4, sentences: dict[str, list[str]] | None = None
) -> list[tuple[str, str, str, float]]:
    """(speaker, language, text, pause before) for one call: ``turns`` speaker turns, some of
    them two utterances in two languages (a switch inside one speaker's speech). ``sentences``:
    another bank per language (``benchmarks/codeswitch_bank.py``, a bank unlike this one)."""
    bank = sentences or SENTENCES
    rng = random.Random(seed)
    script = []
    speakers = ["agent", "customer"]
    previous = rng.choice(LANGUAGES)
    for index in range(turns):
        speaker = speakers[index % 2]
        count = 2 if rng.random() < 0.5 else 1
        for part in range(count):
            language = rng.choice([x for x in LANGUAGES if x != previous]) if rng.random() < 0.7 else previous
            if part == 1 and language == previous:
                language = rng.choice([x for x in LANGUAGES if x != previous])
            pause = rng.uniform(0.3, 0.8) if part else rng.uniform(0.6, 1.2)
            script.append((speaker, language, rng.choice(bank[language]), pause))
            previous = language
    return script


def suite_voices(seed: int) -> dict:
    rng = random.Random(seed + 7919)
    return {"agent": rng.choice(AGENT_VOICES), "customer": rng.choice(CUSTOMER_VOICES)}


def render_code_switched(
    script: list[tuple[str, str, str, float]],
    channels_by_speaker: dict[str, int] | None = None,
    voices: dict | None = None,
):
    """Samples and the truth: one ``SpokenUtterance`` (speaker, language, times) per utterance."""
    utterances = [utterance(s, lang, text, pause, voices) for s, lang, text, pause in script]
    samples, spans = render_call(utterances, channels_by_speaker)
    truth = [
        SpokenUtterance(span.speaker, lang, span.start, span.end)
        for span, (_, lang, _, _) in zip(spans, script, strict=True)
    ]
    return samples, truth


def truth_spans(truth: list[SpokenUtterance]) -> list[SpokenSpan]:
    return [SpokenSpan(u.speaker, u.start, u.end, "") for u in truth]
