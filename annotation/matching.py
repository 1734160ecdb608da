"""The assignment engine: which annotators get which calls, and why. Plain Python, no ORM.

Deterministic: the same calls, annotators and rule give the same assignments and the same
explanations. For each call (oldest first) it needs ``overlap_k`` distinct annotators who

1. are active and speak the call's language at the required proficiency or better,
2. match the caller's locale when the rule requires it,
3. have capacity left today,

and among those it prefers, in order: a locale match (when preferred), the lowest load (so work
stays balanced), the higher proficiency, then the user name (a stable tie-break). When fewer
than k qualify it says exactly why, e.g. "no fluent Tagalog (tl) annotator with capacity".
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field

from .pipeline.whisper_languages import WHISPER_LANGUAGES

PROFICIENCY_RANK = {"native": 3, "fluent": 2, "working": 1}
# Whisper's languages by name, and ISO codes people use that Whisper files under another code.
LANGUAGE_NAMES = {**WHISPER_LANGUAGES, "fil": "Filipino"}
# Tagalog and Filipino are one language for matching (ISO 639 tl / fil).
LANGUAGE_ALIASES = {"fil": "tl"}


def language_key(code: str) -> str:
    code = (code or "").lower().split("-")[0]
    return LANGUAGE_ALIASES.get(code, code)


def language_name(code: str) -> str:
    key = (code or "").lower()
    return f"{LANGUAGE_NAMES.get(key, key or 'unknown')} ({key or '?'})"


@dataclass(frozen=True)
class Rule:
    overlap_k: int = 3
    required_proficiency: str = "fluent"
    locale_match: str = "preferred"  # required | preferred | ignored
    blind_share: float = 0.1


@dataclass
class Annotator:
    id: int
    username: str
    languages: dict[str, str]  # language key -> proficiency
    locales: frozenset[str]
    capacity: int  # assignments it may still take today
    load: int = 0  # open assignments now (the balance criterion)
    active: bool = True


@dataclass(frozen=True)
class CallNeed:
    id: int
    language: str
    locale: str = ""
    already: frozenset[int] = frozenset()  # annotators already on this call
    missing: int = 3  # assignments still needed


@dataclass
class Decision:
    call_id: int
    annotator_id: int
    blind: bool
    explanation: str


@dataclass
class Gap:
    call_id: int
    language: str
    locale: str
    missing: int
    reason: str


@dataclass
class Plan:
    decisions: list[Decision] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)


def locale_matches(annotator_locales: frozenset[str], locale: str) -> bool:
    return bool(locale) and locale.lower() in annotator_locales


def _proficiency(annotator: Annotator, language: str) -> str:
    for code, proficiency in annotator.languages.items():
        if language_key(code) == language:
            return proficiency
    return ""


def plan_assignments(
    calls: list[CallNeed], annotators: list[Annotator], rule: Rule, *, blind_seen: int = 0, total_seen: int = 0
) -> Plan:
    """Assign ``calls`` (in the given order) to ``annotators`` under ``rule``.

    ``blind_seen``/``total_seen`` count the project's assignments so far, so the blind share
    holds across runs: an assignment is blind when that keeps the blind count at the share.
    Annotators' ``load`` and ``capacity`` are updated as the plan fills them.
    """
    required = PROFICIENCY_RANK[rule.required_proficiency]
    speakers: dict[str, list[Annotator]] = defaultdict(list)
    for annotator in annotators:
        if annotator.active:
            for code in annotator.languages:
                speakers[language_key(code)].append(annotator)
    qualified_by_language: dict[str, list[Annotator]] = {}
    plan = Plan()
    for call in calls:
        if call.missing <= 0:
            continue
        language = language_key(call.language)
        if language not in qualified_by_language:
            qualified_by_language[language] = [
                a for a in speakers.get(language, []) if PROFICIENCY_RANK.get(_proficiency(a, language), 0) >= required
            ]
        qualified = qualified_by_language[language]
        want_locale = rule.locale_match != "ignored" and bool(call.locale)
        locale = call.locale.lower()

        def rank(a: Annotator, locale=locale, want_locale=want_locale, language=language):
            miss = want_locale and locale not in a.locales
            return (miss, a.load, -PROFICIENCY_RANK[_proficiency(a, language)], a.username)

        free = [a for a in qualified if a.capacity > 0 and a.id not in call.already]
        if rule.locale_match == "required" and call.locale:
            free = [a for a in free if locale in a.locales]
        chosen = heapq.nsmallest(call.missing, free, key=rank)
        for annotator in chosen:
            total_seen += 1
            blind = blind_seen < round(rule.blind_share * total_seen)
            blind_seen += blind
            why = _why(annotator, call, language, rule)
            annotator.load += 1
            annotator.capacity -= 1
            plan.decisions.append(
                Decision(call.id, annotator.id, blind, why + ("; blind: no suggestions" if blind else ""))
            )
        if len(chosen) < call.missing:
            reason = _gap_reason(call, speakers.get(language, []), qualified, rule, language, len(chosen))
            plan.gaps.append(Gap(call.id, call.language, call.locale, call.missing - len(chosen), reason))
    return plan


def _why(annotator: Annotator, call: CallNeed, language: str, rule: Rule) -> str:
    parts = [
        f"{_proficiency(annotator, language)} {language_name(language)} (needs {rule.required_proficiency} or better)"
    ]
    if call.locale and rule.locale_match != "ignored":
        matched = call.locale.lower() in annotator.locales
        parts.append(f"locale {call.locale} {'matches' if matched else 'not matched (preferred, not required)'}")
    parts.append(f"least loaded qualified annotator ({annotator.load} open, {annotator.capacity} left today)")
    return "; ".join(parts)


def _gap_reason(
    call: CallNeed, speakers: list[Annotator], qualified: list[Annotator], rule: Rule, language: str, got: int
) -> str:
    lang = language_name(language)
    level = rule.required_proficiency
    where = ""
    if not speakers:
        return f"no active annotator speaks {lang}"
    if not qualified:
        return f"no {level} {lang} annotator: {len(speakers)} speak it, below {level}"
    if rule.locale_match == "required" and call.locale:
        qualified = [a for a in qualified if call.locale.lower() in a.locales]
        where = f" in locale {call.locale}"
        if not qualified:
            return f"no {level} {lang} annotator{where} (the rule requires a locale match)"
    candidates = [a for a in qualified if a.id not in call.already]
    if not candidates:
        return f"all {len(qualified)} {level} {lang} annotator(s){where} are already on this call"
    if got == 0:
        return f"no {level} {lang} annotator{where} with capacity"
    return f"only {got} of {call.missing} {level} {lang} annotators{where} have capacity"
