"""Splits: by call and by speaker (no leakage), stratified on labels, deterministic for a seed."""

from __future__ import annotations

from collections import Counter

import pytest

from qa.exports import ExportFilters
from qa.exports.records import iter_records
from qa.exports.splits import SPLITS, assign_splits, call_groups, parse_ratios, project_splits

from .exports_data import build_calls


def test_calls_sharing_a_person_are_one_group():
    people = {1: {"name:ana"}, 2: {"name:ben"}, 3: {"name:ana", "agent_id:7"}, 4: {"agent_id:7"}, 5: set()}
    assert sorted(call_groups([1, 2, 3, 4, 5], people)) == [[1, 3, 4], [2], [5]]


def test_stratified_on_labels_and_close_to_the_ratios():
    # 60 single-call groups: a third mostly "anger", the rest mostly "calm", of uneven sizes.
    counts = {}
    for c in range(60):
        turns = 5 + c % 7
        label = "anger" if c % 3 == 0 else "calm"
        counts[c] = Counter({"": turns, label: turns})
    groups = [[c] for c in range(60)]
    result = assign_splits(groups, counts, (0.8, 0.1, 0.1), seed=3)
    totals = {s: Counter() for s in SPLITS}
    for c, split in result.items():
        totals[split].update(counts[c])
    all_turns = sum(t[""] for t in totals.values())
    for split, share in zip(SPLITS, (0.8, 0.1, 0.1), strict=True):
        assert abs(totals[split][""] / all_turns - share) < 0.03, (split, totals[split])
        # Each split holds both labels, in about the overall proportion (1/3 anger).
        assert abs(totals[split]["anger"] / totals[split][""] - 1 / 3) < 0.07, (split, totals[split])


def test_same_seed_same_split():
    counts = {c: Counter({"": 3 + c % 4, "x" if c % 2 else "y": 2}) for c in range(40)}
    groups = [[c] for c in range(40)]
    first = assign_splits(groups, counts, (0.7, 0.15, 0.15), seed=11)
    assert first == assign_splits(groups, counts, (0.7, 0.15, 0.15), seed=11)
    assert assign_splits(list(reversed(groups)), counts, (0.7, 0.15, 0.15), seed=11) == first


@pytest.mark.parametrize(
    ("value", "ok"), [("0.8,0.1,0.1", True), ("8,1,1", True), ("0.5,0.5", False), ("a,b,c", False)]
)
def test_ratio_parsing(value, ok):
    if ok:
        assert parse_ratios(value) == (0.8, 0.1, 0.1)
    else:
        with pytest.raises(ValueError, match="split: give three"):
            parse_ratios(value)
    assert parse_ratios("") is None


@pytest.mark.parametrize(
    ("value", "ratios"),
    [
        ("0.33,0.33,0.33", (1 / 3, 1 / 3, 1 / 3)),  # rounded thirds
        ("0.333,0.333,0.334", (0.333, 0.333, 0.334)),
        ("80,10,10", (0.8, 0.1, 0.1)),  # percentages
        ([0.7, 0.2, 0.1], (0.7, 0.2, 0.1)),
    ],
)
def test_shares_that_add_up_are_read(value, ratios):
    assert parse_ratios(value) == pytest.approx(ratios, abs=1e-6)


@pytest.mark.parametrize(
    ("value", "total"),
    [("0.5,0.5,0.5", "1.5"), ([0.5, 0.5, 0.5], "1.5"), ("0.6,0.1,0.1", "0.8"), ("5,5,5", "15"), ("50,10,10", "70")],
)
def test_shares_that_do_not_add_up_are_refused_not_rescaled(value, total):
    """ "0.5,0.5,0.5" made a snapshot of thirds, silently: a share that is not what was asked for."""
    with pytest.raises(ValueError, match=f"split: the train, dev and test shares add up to {total}; give shares"):
        parse_ratios(value)


@pytest.mark.django_db
def test_no_call_and_no_speaker_leaks_between_splits(project, make_user):
    names = ["Ana", "Ben", "ana ", "Cleo", "Dev", "Ben", "Eve", "Finn", "Gus", "Hal"]
    built = build_calls(project, make_user, calls=10, turns=2, agent_names=names, audio=False)
    ids = [c.pk for c in built.calls]
    splits = project_splits(ids, (0.6, 0.2, 0.2), seed=5)
    assert set(splits) == set(ids)
    assert splits[ids[0]] == splits[ids[2]]  # "Ana" and "ana " are one person
    assert splits[ids[1]] == splits[ids[5]]
    assert len(set(splits.values())) == 3
    records = list(iter_records(project, ExportFilters(), splits=splits))
    per_call = {}
    per_person = {}
    for r in records:
        per_call.setdefault(r["call"], set()).add(r["split"])
        person = names[ids.index(r["call"])].strip().lower()
        if r["speaker_role"] == "agent":
            per_person.setdefault(person, set()).add(r["split"])
    assert all(len(s) == 1 for s in per_call.values())
    assert all(len(s) == 1 for s in per_person.values())
    assert project_splits(ids, (0.6, 0.2, 0.2), seed=5) == splits


@pytest.mark.django_db
def test_call_metadata_ids_link_calls(project, make_user):
    from annotation.models import Call

    built = build_calls(project, make_user, calls=6, turns=2, audio=False)
    ids = [c.pk for c in built.calls]
    Call.objects.filter(pk__in=[ids[0], ids[4]]).update(metadata={"customer_id": "C-9"})
    for seed in range(5):
        splits = project_splits(ids, (0.5, 0.25, 0.25), seed=seed)
        assert splits[ids[0]] == splits[ids[4]]


def test_no_requested_split_is_left_empty_when_it_can_be_filled():
    counts = {c: Counter({"": 10, "a": 10}) for c in range(3)}
    result = assign_splits([[0], [1], [2]], counts, (0.6, 0.2, 0.2), seed=0)
    assert sorted(result.values()) == ["dev", "test", "train"]
    # Two groups, three splits: one stays empty; a zero share is never filled.
    assert sorted(assign_splits([[0], [1]], counts, (0.5, 0.5, 0.0), seed=0).values()) == ["dev", "train"]
