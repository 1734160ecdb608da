"""A fresh, split suite for the trustworthiness of emotion suggestions.

Sentences nobody tuned the rules on (none is a seed phrase or a cue fixture): phatic and polite
turns, numbers and addresses, hold messages, questions, emotion words under negation, and plain
complaints, thanks, worry and confusion, in English, Spanish, German, French, Hindi and Tagalog,
plus turns whose language the pipeline could not identify. Each "call" is one espeak-ng speaker
saying 1 to 8 turns, each turn with its own delivery (shouted, whispered, fast, slow, high, quiet),
so a speaker's baseline is made of few turns, or of turns that differ for no emotional reason.

Each sentence belongs to one half ("A" or "B", alternating in its pool): tune on A, report on B.
The truth of a turn is the set of labels its words support; a neutral turn's truth is {"neutral"}.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

NEUTRAL = frozenset({"neutral"})
COMPLAINT = frozenset({"frustration", "anger"})
WORRY = frozenset({"anxiety"})
THANKS = frozenset({"gratitude", "satisfaction"})
LOST = frozenset({"confusion"})

# language -> [(text, truth)]; "xx" are turns whose language was not identified ("" on the turn).
SENTENCES: dict[str, list[tuple[str, frozenset]]] = {
    "en": [
        ("Good morning, this is Dana from billing.", NEUTRAL),
        ("Okay.", NEUTRAL),
        ("Could you spell that?", NEUTRAL),
        ("It is four one seven, three three nine.", NEUTRAL),
        ("Twelve Birch Lane, flat B.", NEUTRAL),
        ("Please stay on the line, your call is important to us.", NEUTRAL),
        ("Let me just pull up your file.", NEUTRAL),
        ("Can I put you on hold for a moment?", NEUTRAL),
        ("Yes.", NEUTRAL),
        ("Right.", NEUTRAL),
        ("The order number starts with K.", NEUTRAL),
        ("I am calling to check on a delivery.", NEUTRAL),
        ("Is this the right department?", NEUTRAL),
        ("What time do you close today?", NEUTRAL),
        ("I'm not angry, just checking.", NEUTRAL),
        ("I am not upset, I just want to confirm the date.", NEUTRAL),
        ("No worries, take your time.", NEUTRAL),
        ("Nothing is wrong, I only need a receipt.", NEUTRAL),
        ("Hi, is that Mister Patel?", NEUTRAL),
        ("My date of birth is the ninth of March.", NEUTRAL),
        ("Hello?", NEUTRAL),
        ("One moment.", NEUTRAL),
        ("I'm not worried about it, it can wait until Friday.", NEUTRAL),
        ("The email address is dana at example dot com.", NEUTRAL),
        ("I have called four times and still nobody has fixed it.", COMPLAINT),
        ("You charged me twice and I want my money back.", COMPLAINT),
        ("This is the second bill with the wrong amount on it.", COMPLAINT),
        ("Nobody ever calls back, it is a joke.", COMPLAINT),
        ("I'm scared the power will be cut off tonight.", WORRY),
        ("If the refund does not come by Monday I cannot pay my rent.", WORRY),
        ("Thank you, that was really kind of you.", THANKS),
        ("Brilliant, that is exactly what I wanted.", THANKS),
        ("I don't get it, which button do I press?", LOST),
        ("Wait, so is the fee monthly or yearly?", LOST),
    ],
    "es": [
        ("Buenos días, le habla Dana, del departamento de facturación.", NEUTRAL),
        ("Vale.", NEUTRAL),
        ("¿Me lo puede deletrear?", NEUTRAL),
        ("Calle Mayor, número doce, segundo piso.", NEUTRAL),
        ("Un momento, no cuelgue, por favor.", NEUTRAL),
        ("Sí.", NEUTRAL),
        ("No estoy enfadado, solo quería comprobarlo.", NEUTRAL),
        ("¿A qué hora cierran hoy?", NEUTRAL),
        ("He llamado cuatro veces y nadie lo ha arreglado.", COMPLAINT),
        ("Me han cobrado dos veces y quiero mi dinero.", COMPLAINT),
        ("Muchísimas gracias, ha sido muy amable.", THANKS),
        ("Tengo miedo de que me corten la luz esta noche.", WORRY),
    ],
    "de": [
        ("Guten Tag, hier spricht Dana von der Buchhaltung.", NEUTRAL),
        ("Okay.", NEUTRAL),
        ("Können Sie das bitte buchstabieren?", NEUTRAL),
        ("Birkenweg zwölf, zweiter Stock.", NEUTRAL),
        ("Bitte bleiben Sie in der Leitung.", NEUTRAL),
        ("Ja.", NEUTRAL),
        ("Ich bin nicht wütend, ich wollte nur nachfragen.", NEUTRAL),
        ("Wann schließen Sie heute?", NEUTRAL),
        ("Ich habe viermal angerufen und niemand hat es repariert.", COMPLAINT),
        ("Sie haben mir zweimal abgebucht, ich will mein Geld zurück.", COMPLAINT),
        ("Vielen herzlichen Dank, das war sehr nett.", THANKS),
        ("Ich verstehe das nicht, welche Taste soll ich drücken?", LOST),
    ],
    "fr": [
        ("Bonjour, ici Dana, du service facturation.", NEUTRAL),
        ("D'accord.", NEUTRAL),
        ("Vous pouvez l'épeler ?", NEUTRAL),
        ("Douze rue des Lilas, deuxième étage.", NEUTRAL),
        ("Ne quittez pas, je vous mets en attente.", NEUTRAL),
        ("Oui.", NEUTRAL),
        ("Je ne suis pas fâché, je vérifie seulement.", NEUTRAL),
        ("Vous fermez à quelle heure aujourd'hui ?", NEUTRAL),
        ("J'ai appelé quatre fois et personne n'a rien réparé.", COMPLAINT),
        ("Vous m'avez débité deux fois, je veux être remboursé.", COMPLAINT),
        ("Merci infiniment, vous avez été très gentille.", THANKS),
        ("J'ai peur qu'on me coupe l'électricité ce soir.", WORRY),
    ],
    "hi": [
        ("नमस्ते, मैं बिलिंग विभाग से दाना बोल रही हूँ।", NEUTRAL),
        ("ठीक है।", NEUTRAL),
        ("क्या आप इसकी स्पेलिंग बता सकते हैं?", NEUTRAL),
        ("बारह, बर्च लेन, दूसरी मंज़िल।", NEUTRAL),
        ("कृपया लाइन पर बने रहें।", NEUTRAL),
        ("हाँ।", NEUTRAL),
        ("मैं नाराज़ नहीं हूँ, बस पूछ रहा था।", NEUTRAL),
        ("आज आप कितने बजे बंद करते हैं?", NEUTRAL),
        ("मैंने चार बार फोन किया और किसी ने ठीक नहीं किया।", COMPLAINT),
        ("आपने मुझसे दो बार पैसे काटे, मुझे मेरा पैसा वापस चाहिए।", COMPLAINT),
        ("बहुत बहुत धन्यवाद, आपने बहुत मदद की।", THANKS),
        ("मुझे डर है कि आज रात बिजली कट जाएगी।", WORRY),
    ],
    "tl": [
        ("Magandang umaga po, si Dana ito mula sa billing.", NEUTRAL),
        ("Sige po.", NEUTRAL),
        ("Paki-spell po iyon?", NEUTRAL),
        ("Labindalawa, Birch Lane, ikalawang palapag.", NEUTRAL),
        ("Sandali lang po, huwag ibaba ang telepono.", NEUTRAL),
        ("Opo.", NEUTRAL),
        ("Hindi po ako galit, nagtatanong lang po.", NEUTRAL),
        ("Anong oras po kayo magsasara ngayon?", NEUTRAL),
        ("Apat na beses na akong tumawag at wala pa ring umaayos.", COMPLAINT),
        ("Dalawang beses ninyo akong siningil, ibalik ninyo ang pera ko.", COMPLAINT),
        ("Maraming maraming salamat po, napakabait ninyo.", THANKS),
        ("Natatakot ako na mapuputol ang kuryente mamayang gabi.", WORRY),
    ],
    # Language not identified: the turn's language is "" (these are Portuguese, Swahili, Indonesian).
    "xx": [
        ("Bom dia, fala a Dana da faturação.", NEUTRAL),
        ("Habari, naomba nambari ya akaunti yako.", NEUTRAL),
        ("Nomor rekening saya empat satu tujuh.", NEUTRAL),
        ("Não estou zangado, só queria confirmar.", NEUTRAL),
        ("Sim, pode ser.", NEUTRAL),
        ("Tunggu sebentar, ya.", NEUTRAL),
        ("Liguei quatro vezes e ninguém resolveu nada.", COMPLAINT),
        ("Asante sana, umenisaidia sana.", THANKS),
    ],
}

# espeak-ng voice per language (Tagalog has none: Indonesian's phonology stands in for the audio;
# the text and the turn's language stay Tagalog). Unknown-language turns are read by Portuguese.
VOICE = {"en": ["en-us", "en-gb"], "es": ["es"], "de": ["de"], "fr": ["fr-fr"], "hi": ["hi"], "tl": ["id"],
         "xx": ["pt"]}  # fmt: skip
VARIANTS = ["", "+m3", "+f2", "+m7", "+f4"]

# How a turn is delivered: espeak-ng settings relative to the speaker's usual voice. None of these
# carries an emotion of its own: the words decide the truth.
DELIVERIES: dict[str, dict] = {
    "plain": {},
    "shouted": {"amplitude": 200, "pitch": +20},
    "whispered": {"whisper": True},
    "fast": {"rate": 250},
    "slow": {"rate": 115, "word_gap": 40},
    "high": {"pitch": +30},
    "quiet": {"amplitude": 25},
}


@dataclass
class SuiteTurn:
    call: str
    speaker: str
    language: str  # as the pipeline would record it: "" when not identified
    text: str
    truth: frozenset
    delivery: str
    start: float = 0.0
    end: float = 0.0
    prosody: dict = field(default_factory=dict)


def sentences(half: str) -> dict[str, list[tuple[str, frozenset]]]:
    """The sentences of one half: alternate items of each language's pool."""
    offset = {"A": 0, "B": 1}[half]
    return {language: pool[offset::2] for language, pool in SENTENCES.items()}


def suite_scripts(half: str, calls_per_language: int = 12, seed: int = 0) -> list[list[SuiteTurn]]:
    """Calls of one speaker each: 1, 2 or 3 turns (no baseline) or 5 to 8 (a baseline made of
    turns delivered in different ways), drawn from the half's sentences."""
    rng = random.Random(f"{seed}:{half}")
    pools = sentences(half)
    calls = []
    for language, pool in pools.items():
        neutral = [item for item in pool if item[1] == NEUTRAL]
        for index in range(calls_per_language):
            length = rng.choice([1, 2, 3, 5, 6, 8])
            name = f"{half}-{language}-{index}"
            turns = []
            for position in range(length):
                # Most turns of a call are neutral, as in real calls; the last one is an emotional
                # one half of the time.
                last = position == length - 1 and rng.random() < 0.5
                text, truth = rng.choice([item for item in pool if item[1] != NEUTRAL] if last else neutral)
                delivery = "plain" if rng.random() < 0.4 else rng.choice(list(DELIVERIES))
                turns.append(SuiteTurn(name, f"{name}-S", "" if language == "xx" else language, text, truth, delivery))
            calls.append(turns)
    return calls


def _utterance(turn: SuiteTurn, voice: str, pitch: int):
    from annotation.pipeline.synth import Utterance

    delivery = DELIVERIES[turn.delivery]
    return Utterance(
        turn.speaker,
        turn.text,
        voice=voice + ("+whisper" if delivery.get("whisper") else ""),
        pitch=max(0, min(99, pitch + delivery.get("pitch", 0))),
        rate=delivery.get("rate", 165),
        amplitude=delivery.get("amplitude", 100),
        word_gap=delivery.get("word_gap", 0),
        pause_before=0.5,
    )


def measure_call(turns: list[SuiteTurn], rng: random.Random) -> list:
    """Render one call with espeak-ng, measure prosody (Praat) against the speaker's own turns,
    and return the ``TurnInput`` list the suggestion stage would get. Word timings are spread
    evenly over each turn (no transcriber: the words are known)."""
    from annotation.pipeline.prosody import call_prosody
    from annotation.pipeline.suggest import TurnInput, baseline_deltas
    from annotation.pipeline.synth import render_call
    from annotation.pipeline.types import TurnDraft, Word

    language = turns[0].call.split("-")[1]
    voice = rng.choice(VOICE[language]) + rng.choice(VARIANTS)
    pitch = rng.randint(30, 70)
    audio, spans = render_call([_utterance(t, voice, pitch) for t in turns])
    drafts = []
    for turn, span in zip(turns, spans, strict=True):
        turn.start, turn.end = span.start, span.end
        tokens = turn.text.split()
        step = (span.end - span.start) / len(tokens)
        words = [Word(w, span.start + i * step, span.start + (i + 1) * step, 1.0, turn.speaker) for i, w in
                 enumerate(tokens)]  # fmt: skip
        drafts.append(TurnDraft(turn.speaker, span.start, span.end, words, language=turn.language))
    baselines = call_prosody(drafts, lambda _t: audio[0])
    inputs = []
    for turn, draft in zip(turns, drafts, strict=True):
        turn.prosody = draft.prosody
        prosody = {**draft.prosody, "baseline_delta": baseline_deltas(draft.prosody, baselines.get(turn.speaker, {}))}
        inputs.append(TurnInput(turn.text, turn.language, prosody, turn.speaker, turn.start, turn.end))
    return inputs


def measured_suite(half: str, calls_per_language: int = 12, seed: int = 0) -> list[tuple[list[SuiteTurn], list]]:
    """(turns, their ``TurnInput``) per call of one half."""
    rng = random.Random(f"voices:{seed}:{half}")
    return [(turns, measure_call(turns, rng)) for turns in suite_scripts(half, calls_per_language, seed)]


@dataclass
class TrustFigures:
    turns: int
    neutral_turns: int
    neutral_confident_07: int  # neutral turns with a non-neutral label at >= 0.7
    neutral_confident_05: int
    ece: float | None
    labels: int
    bins: list
    unknown_turns: int
    unknown_neutral_confident_05: int
    unknown_read_by_english_sentiment: int
    emotional_turns: int
    emotional_found: int  # emotional turns whose leading label is one the words support, at >= 0.5
    brier: float | None = None  # mean (confidence - right)^2 over every suggested label: no bins to shift

    def rows(self, half: str) -> list[tuple[str, str]]:
        return [
            (f"{half}: neutral turns, emotion >= 0.7", _share(self.neutral_confident_07, self.neutral_turns)),
            (f"{half}: neutral turns, emotion >= 0.5", _share(self.neutral_confident_05, self.neutral_turns)),
            (f"{half}: ECE over {self.labels} suggested labels", f"{self.ece:.3f}"),
            (f"{half}: Brier score over the same labels", f"{self.brier:.4f}" if self.brier is not None else "—"),
            (f"{half}: emotional turns, right label leads at >= 0.5", _share(self.emotional_found,
                                                                            self.emotional_turns)),
            (f"{half}: unknown language, emotion >= 0.5", _share(self.unknown_neutral_confident_05,
                                                                 self.unknown_turns)),
            (f"{half}: unknown language read by English VADER", _share(self.unknown_read_by_english_sentiment,
                                                                        self.unknown_turns)),
        ]  # fmt: skip


def _share(count: int, total: int) -> str:
    return f"{count}/{total} {count / total:.0%}" if total else "0/0"


def trust_figures(measured: list[tuple[list[SuiteTurn], list]], suggest) -> TrustFigures:
    """Run ``suggest`` (a function: list of TurnInput -> list of TurnSuggestion) per call and score it."""
    from annotation.pipeline.calibration import expected_calibration_error, reliability_bins

    confidences, outcomes = [], []
    turns = neutral = c07 = c05 = unknown = unknown05 = unknown_vader = emotional = found = 0
    for suite_turns, inputs in measured:
        for turn, result in zip(suite_turns, suggest(inputs), strict=True):
            turns += 1
            emotion = max((i.confidence for i in result.labels if i.label != "neutral"), default=0.0)
            for item in result.labels:
                confidences.append(item.confidence)
                outcomes.append(item.label in turn.truth)
            if turn.truth == NEUTRAL:
                neutral += 1
                c07 += emotion >= 0.7
                c05 += emotion >= 0.5
            else:
                emotional += 1
                found += (
                    bool(result.labels) and result.labels[0].label in turn.truth and result.labels[0].confidence >= 0.5
                )
            if not turn.language:
                unknown += 1
                unknown05 += turn.truth == NEUTRAL and emotion >= 0.5
                unknown_vader += result.evidence.get("vader") is not None
    brier = (
        sum((c - o) ** 2 for c, o in zip(confidences, outcomes, strict=True)) / len(confidences)
        if confidences
        else None
    )
    return TrustFigures(
        turns, neutral, c07, c05, expected_calibration_error(confidences, outcomes), len(confidences),
        reliability_bins(confidences, outcomes, bins=5), unknown, unknown05, unknown_vader, emotional, found, brier,
    )  # fmt: skip
