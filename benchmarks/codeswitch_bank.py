"""A second sentence bank for the code-switched suite, unlike the one the tests speak.

``benchmarks/ingest.py --suite-sentences fresh`` draws the suite from it. Its sentences differ
from the tests' bank (``annotation.pipeline.codeswitch_fixtures.SENTENCES``) in length (two
words to sixteen), content (numbers, replies, complaints) and wording. Seeds 1400-1431 and
1500-1523 of this bank were used in choosing the language-identification settings
(``pipeline/language.py``); report on seeds from 1600 on, which no setting has seen.
"""

from __future__ import annotations

FRESH_SENTENCES: dict[str, list[str]] = {
    "en": [
        "Yes, that's right.",
        "My order number is seven three nine two.",
        "I've been waiting on hold for almost forty minutes now.",
        "Can you send me an email with the details?",
        "No, I don't want to cancel, I just want a refund for the extra charge.",
        "Thanks, that helps a lot.",
        "The technician said he would come on Monday, but nobody showed up.",
        "Is there anything else I can help you with?",
    ],
    "es": [
        "Sí, exactamente.",
        "Mi número de pedido es siete tres nueve dos.",
        "Llevo casi cuarenta minutos esperando en la línea.",
        "¿Me puede enviar un correo con los detalles?",
        "No quiero cancelar, solo quiero que me devuelvan el cargo extra.",
        "Gracias, eso me ayuda mucho.",
        "El técnico dijo que vendría el lunes, pero no apareció nadie.",
        "¿Hay algo más en lo que pueda ayudarle?",
    ],
    "de": [
        "Ja, genau so.",
        "Meine Bestellnummer ist sieben drei neun zwei.",
        "Ich warte jetzt schon fast vierzig Minuten in der Leitung.",
        "Können Sie mir die Einzelheiten per E-Mail schicken?",
        "Nein, ich will nicht kündigen, ich möchte nur die zusätzliche Gebühr zurück.",
        "Danke, das hilft mir sehr.",
        "Der Techniker wollte am Montag kommen, aber es ist niemand erschienen.",
        "Kann ich Ihnen sonst noch irgendwie helfen?",
    ],
    "fr": [
        "Oui, c'est bien ça.",
        "Mon numéro de commande est sept trois neuf deux.",
        "J'attends en ligne depuis presque quarante minutes.",
        "Pouvez-vous m'envoyer un courriel avec les détails ?",
        "Non, je ne veux pas résilier, je veux juste le remboursement des frais.",
        "Merci, ça m'aide beaucoup.",
        "Le technicien devait venir lundi, mais personne n'est venu.",
        "Est-ce que je peux vous aider pour autre chose ?",
    ],
    "hi": [
        "हाँ, बिल्कुल सही।",
        "मेरा ऑर्डर नंबर सात तीन नौ दो है।",
        "मैं लगभग चालीस मिनट से लाइन पर इंतज़ार कर रहा हूँ।",
        "क्या आप मुझे पूरी जानकारी ईमेल कर सकते हैं?",
        "नहीं, मैं रद्द नहीं करना चाहता, मुझे बस अतिरिक्त शुल्क वापस चाहिए।",
        "धन्यवाद, इससे बहुत मदद मिली।",
        "तकनीशियन ने कहा था कि वह सोमवार को आएगा, लेकिन कोई नहीं आया।",
        "क्या मैं आपकी किसी और चीज़ में मदद कर सकता हूँ?",
    ],
    "it": [
        "Sì, esatto.",
        "Il mio numero d'ordine è sette tre nove due.",
        "Sto aspettando in linea da quasi quaranta minuti.",
        "Può mandarmi una email con i dettagli?",
        "No, non voglio disdire, voglio solo il rimborso dell'addebito in più.",
        "Grazie, mi aiuta molto.",
        "Il tecnico doveva venire lunedì, ma non si è presentato nessuno.",
        "Posso aiutarla in qualcos'altro?",
    ],
}
