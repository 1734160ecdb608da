"""A typed correction keeps every word timing it can (``annotation.typed_text``). Before, a
correction that changed the number of words spread all of them evenly over the turn, so one
"gonna" -> "going to" moved every other word of a long turn, and a later split or boundary move
put words on the wrong side."""

from __future__ import annotations

import pytest

from annotation.pipeline.types import Word, join_words
from annotation.typed_text import typed_words


def machine(words: list[str], language: str = "en", *, joined: bool = False, gap: float = 0.1) -> list[dict]:
    out, t = [], 1.0
    for i, w in enumerate(words):
        out.append({"w": w, "s": round(t, 3), "e": round(t + 0.4, 3), "p": 0.8, "l": language,
                    **({"j": True} if joined and i else {})})  # fmt: skip
        t += 0.4 + gap
    return out


def text_of(words: list[dict]) -> str:
    return join_words([Word.from_dict(w) for w in words])


def inside(words: list[dict], start: float, end: float) -> bool:
    mids = [(w["s"] + w["e"]) / 2 for w in words]
    return all(start <= m < end for m in mids) and mids == sorted(mids) and all(w["s"] <= w["e"] for w in words)


TURN = (1.0, 5.5)
SENTENCE = "i am gonna check the parcel for you".split()


def test_words_left_as_they_were_keep_their_timing_and_record():
    old = machine(SENTENCE)
    new = typed_words(old, "i am going to check the parcel for you", start=TURN[0], end=TURN[1])
    assert [w["w"] for w in new] == "i am going to check the parcel for you".split()
    kept = [w for w in new if w["w"] not in ("going", "to")]
    assert kept == [w for w in old if w["w"] != "gonna"]  # untouched: same times, confidence, no flag
    going, to = new[2], new[3]
    assert (going["s"], to["e"]) == (old[2]["s"], old[2]["e"]) and going["e"] == to["s"]  # share "gonna"'s time
    assert going["edited"] and to["edited"] and going["p"] == 1.0


def test_a_changed_case_or_punctuation_keeps_the_time_and_marks_the_word():
    old = machine(SENTENCE)
    new = typed_words(old, "I am gonna check the parcel for you.", start=TURN[0], end=TURN[1])
    assert [(w["s"], w["e"]) for w in new] == [(w["s"], w["e"]) for w in old]
    assert [bool(w.get("edited")) for w in new] == [True, False, False, False, False, False, False, True]


def test_one_for_one_replacements_keep_each_words_time():
    old = machine(["their", "parcel", "is", "hear"])
    new = typed_words(old, "there parcel is here", start=TURN[0], end=TURN[1])
    assert [(w["w"], w["s"], w["e"]) for w in new] == [
        (t, w["s"], w["e"]) for t, w in zip(["there", "parcel", "is", "here"], old, strict=True)
    ]


def test_deleted_words_go_and_the_rest_stay_put():
    old = machine(SENTENCE)
    new = typed_words(old, "i am check the parcel", start=TURN[0], end=TURN[1])
    assert new == [w for w in old if w["w"] in ("i", "am", "check", "the", "parcel")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("well i am gonna check the parcel for you", 0),  # at the turn's start, no silence before
        ("i am gonna check the lost parcel for you", 5),  # between two words
        ("i am gonna check the parcel for you now", 8),  # at the end
    ],
)
def test_an_inserted_word_gets_time_of_its_own_inside_the_turn(text, where):
    old = machine(SENTENCE, gap=0.0)  # no silence anywhere: the neighbour shares its time
    new = typed_words(old, text, start=old[0]["s"], end=old[-1]["e"])
    assert text_of(new) == text and inside(new, old[0]["s"], old[-1]["e"])
    assert new[where]["e"] > new[where]["s"] and new[where]["edited"]


def test_other_text_shares_the_old_words_time_in_order():
    old = machine(SENTENCE)
    new = typed_words(old, "totally different words here", start=TURN[0], end=TURN[1])
    assert new[0]["s"] == old[0]["s"] and new[-1]["e"] == old[-1]["e"] and inside(new, *TURN)


def test_retyped_chinese_is_cut_back_into_its_timed_pieces():
    old = machine(["我", "想", "改", "我的", "地址"], "zh", joined=True)
    new = typed_words(old, "我想改我的新地址", start=TURN[0], end=TURN[1], language="zh")
    assert text_of(new) == "我想改我的新地址"
    assert [w["w"] for w in new] == ["我", "想", "改", "我的", "新", "地址"]
    assert [w for w in new if w["w"] != "新"] == old  # the machine's pieces, untouched
    assert new[4]["j"] and new[4]["l"] == "zh" and new[3]["e"] <= new[4]["s"] <= new[4]["e"] <= new[5]["s"]


def test_thai_typed_without_spaces_keeps_its_pieces_times():
    old = machine(["สวัสดี", "ครับ", "ผม", "อยาก", "เปลี่ยน", "ที่อยู่"], "th", joined=True)
    new = typed_words(old, "สวัสดีค่ะ ผมอยากเปลี่ยนที่อยู่", start=TURN[0], end=TURN[1], language="th")
    assert text_of(new) == "สวัสดีค่ะ ผมอยากเปลี่ยนที่อยู่"
    assert new[0] == {k: v for k, v in old[0].items() if k != "j"}
    assert [w["w"] for w in new[-4:]] == ["ผม", "อยาก", "เปลี่ยน", "ที่อยู่"]
    assert [(w["s"], w["e"]) for w in new[-4:]] == [(w["s"], w["e"]) for w in old[-4:]]
    assert "j" not in new[2] and all(w["j"] for w in new[-3:])  # the typed space is kept


def test_typed_spaces_decide_where_words_break():
    old = machine(["我", "想", "改"], "zh", joined=True)
    new = typed_words(old, "我 想 改", start=TURN[0], end=TURN[1])
    assert text_of(new) == "我 想 改" and not any(w.get("j") for w in new)


def test_a_turn_with_no_words_spreads_the_typed_ones_over_it():
    new = typed_words([], "hola que tal", start=2.0, end=3.5, language="es")
    assert [(w["s"], w["e"], w["l"]) for w in new] == [(2.0, 2.5, "es"), (2.5, 3.0, "es"), (3.0, 3.5, "es")]


def test_inserted_words_take_the_language_next_to_them():
    old = machine(["hello"], "en") + machine(["hola"], "es")
    old[1]["s"], old[1]["e"] = 1.5, 1.9
    new = typed_words(old, "hello there hola amigo", start=1.0, end=2.5, language="en")
    assert [w["l"] for w in new] == ["en", "en", "es", "es"]


@pytest.mark.parametrize(("start", "end"), [(1.15, 5.5), (1.0, 4.25)])
def test_typed_words_stay_inside_a_turn_whose_edge_cuts_a_word(start, end):
    # After a boundary move the first (or last) old word straddles the turn's edge; the typed
    # words made from its characters began before the turn and fell out of it.
    old = machine(SENTENCE)  # "i" 1.0-1.4, ..., "you" 4.5-4.9 (the edge cuts "i" or "you")
    inside_words = [w for w in old if start <= (w["s"] + w["e"]) / 2 < end]
    for text in ("hello there am gonna check the parcel for you", "i am gonna check the parcel for you all"):
        new = typed_words(inside_words, text, start=start, end=end)
        assert text_of(new) == text and inside(new, start, end), [(w["w"], w["s"], w["e"]) for w in new]
