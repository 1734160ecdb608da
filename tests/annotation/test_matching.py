"""The matching engine on a fixed matrix of annotators x calls: expected picks and explanations."""

from __future__ import annotations

from annotation.matching import Annotator, CallNeed, Rule, plan_assignments


def pool() -> list[Annotator]:
    return [
        Annotator(1, "ana", {"es": "native"}, frozenset({"es-mx"}), capacity=5),
        Annotator(2, "bea", {"es": "fluent", "en": "native"}, frozenset({"es-es", "en-gb"}), capacity=5),
        Annotator(3, "carl", {"es": "working", "en": "fluent"}, frozenset({"en-us"}), capacity=5),
        Annotator(4, "dev", {"en": "native", "hi": "native"}, frozenset({"en-in", "hi-in"}), capacity=1),
        Annotator(5, "eve", {"en": "native"}, frozenset({"en-us"}), capacity=5, active=False),
        Annotator(6, "fil", {"tl": "working"}, frozenset({"fil-ph"}), capacity=5),
    ]


def picks(plan, call_id):
    return sorted(d.annotator_id for d in plan.decisions if d.call_id == call_id)


def test_matching_matrix_with_explanations():
    rule = Rule(overlap_k=2, required_proficiency="fluent", locale_match="preferred", blind_share=0.0)
    calls = [
        CallNeed(10, "es", "es-MX", missing=2),  # ana (native, locale) + bea (fluent); carl is only working
        CallNeed(11, "en", "en-IN", missing=2),  # dev matches the locale; then the least loaded of bea/carl
        CallNeed(12, "tl", "fil-PH", missing=2),  # nobody fluent in Tagalog
        CallNeed(13, "ja", "", missing=1),  # nobody speaks Japanese
        CallNeed(14, "en", "en-IN", missing=2),  # dev is out of capacity now
    ]
    plan = plan_assignments(calls, pool(), rule)
    assert picks(plan, 10) == [1, 2]
    assert picks(plan, 11) == [3, 4]  # carl (load 0) beats bea (load 1 after call 10)
    assert picks(plan, 12) == [] and picks(plan, 13) == []
    assert picks(plan, 14) == [2, 3]  # dev has no capacity left; bea and carl, least loaded
    why = {(d.call_id, d.annotator_id): d.explanation for d in plan.decisions}
    assert why[(10, 1)].startswith("native Spanish (es) (needs fluent or better); locale es-MX matches")
    assert "locale en-IN not matched (preferred, not required)" in why[(11, 3)]
    gaps = {g.call_id: g for g in plan.gaps}
    assert gaps[12].reason == "no fluent Tagalog (tl) annotator: 1 speak it, below fluent"
    assert gaps[13].reason == "no active annotator speaks Japanese (ja)"
    assert 14 not in gaps


def test_locale_required_and_never_twice_on_one_call():
    rule = Rule(overlap_k=3, required_proficiency="fluent", locale_match="required", blind_share=0.0)
    plan = plan_assignments([CallNeed(20, "es", "es-MX", already=frozenset({1}), missing=2)], pool(), rule)
    assert picks(plan, 20) == []  # ana already has it; nobody else is in es-MX
    assert plan.gaps[0].reason == "all 1 fluent Spanish (es) annotator(s) in locale es-MX are already on this call"
    plan = plan_assignments([CallNeed(22, "en", "en-AU", missing=1)], pool(), rule)
    assert plan.gaps[0].reason == "no fluent English (en) annotator in locale en-AU (the rule requires a locale match)"
    rule = Rule(overlap_k=3, required_proficiency="working", locale_match="ignored", blind_share=0.0)
    plan = plan_assignments([CallNeed(21, "es", "es-MX", already=frozenset({1}), missing=2)], pool(), rule)
    assert picks(plan, 21) == [2, 3]


def test_blind_share_and_balanced_load_are_deterministic():
    rule = Rule(overlap_k=1, required_proficiency="fluent", locale_match="ignored", blind_share=0.25)
    annotators = [Annotator(i, f"a{i}", {"en": "fluent"}, frozenset(), capacity=100) for i in range(4)]
    calls = [CallNeed(100 + n, "en", missing=1) for n in range(40)]
    first = plan_assignments(calls, annotators, rule)
    again = plan_assignments(
        calls, [Annotator(i, f"a{i}", {"en": "fluent"}, frozenset(), capacity=100) for i in range(4)], rule
    )
    assert [(d.call_id, d.annotator_id, d.blind) for d in first.decisions] == [
        (d.call_id, d.annotator_id, d.blind) for d in again.decisions
    ]
    assert sum(d.blind for d in first.decisions) == 10  # 25% of 40
    assert sorted(a.load for a in annotators) == [10, 10, 10, 10]


def test_tagalog_and_filipino_codes_match():
    rule = Rule(overlap_k=1, required_proficiency="working", locale_match="ignored", blind_share=0.0)
    plan = plan_assignments([CallNeed(30, "fil", missing=1)], pool(), rule)
    assert picks(plan, 30) == [6]
