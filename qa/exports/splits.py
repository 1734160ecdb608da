"""Train/dev/test splits with no call and no speaker in two splits, stratified on labels.

Calls are the atoms. Two calls that share a known person (a speaker ``name``, or an
``agent_id``/``customer_id`` in the call's metadata) are joined into one group, so a person's
voice never lands in two splits; anonymous diarised speakers (SPEAKER_00) exist in one call only.
Groups are then placed greedily, largest first, in the split where they bring the turn counts
and per-label counts closest to the target ratios. Ties are broken by a seeded shuffle, so the
same seed and data give the same split.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

from annotation.models import Call, Speaker, TurnAnnotation

from ..judgements import current_mappings, labels_in_version
from .records import ExportError

SPLITS = ("train", "dev", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
IDENTITY_KEYS = ("agent_id", "customer_id")


# What three shares may add up to: fractions (0.8,0.1,0.1), tenths (8,1,1) or percentages
# (80,10,10); each within SHARE_SUM_TOLERANCE of it, so rounded thirds (0.33,0.33,0.33) pass.
SHARE_SUMS = (1.0, 10.0, 100.0)
SHARE_SUM_TOLERANCE = 0.015


def parse_ratios(value) -> tuple[float, float, float] | None:
    """ "0.8,0.1,0.1" (or tenths "8,1,1", percentages "80,10,10", or a sequence) -> the ratios,
    rounded to add up to 1; "" / None / [] -> no split. Shares that add up to none of those
    (0.5,0.5,0.5) are refused, naming their sum, rather than silently rescaled."""
    if value in (None, "", [], ()):
        return None
    parts = [p for p in str(value).split(",")] if isinstance(value, str) else list(value)
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError) as exc:
        raise ExportError("give three shares for train, dev and test, e.g. 0.8,0.1,0.1.", field="split") from exc
    if len(numbers) != 3 or any(not math.isfinite(n) or n < 0 for n in numbers) or sum(numbers) <= 0:
        raise ExportError("give three non-negative shares for train, dev and test, e.g. 0.8,0.1,0.1.", field="split")
    total = sum(numbers)
    if not any(abs(total / whole - 1) <= SHARE_SUM_TOLERANCE for whole in SHARE_SUMS):
        raise ExportError(
            f"the train, dev and test shares add up to {round(total, 6):g}; give shares that add up to 1 "
            "(e.g. 0.8,0.1,0.1) or percentages that add up to 100 (e.g. 80,10,10).",
            field="split",
        )
    return tuple(round(n / total, 6) for n in numbers)  # type: ignore[return-value]


def speaker_identities(call_ids: Sequence[int]) -> dict[int, set[str]]:
    """Call id -> the people known to speak in it (beyond the call)."""
    people: dict[int, set[str]] = defaultdict(set)
    for call_id, name in Speaker.objects.filter(call_id__in=call_ids).exclude(name="").values_list("call_id", "name"):
        people[call_id].add("name:" + " ".join(name.casefold().split()))
    for call_id, metadata in Call.objects.filter(pk__in=call_ids).values_list("pk", "metadata"):
        for key in IDENTITY_KEYS:
            value = (metadata or {}).get(key)
            if value not in (None, ""):
                people[call_id].add(f"{key}:{value}")
    return people


def call_groups(call_ids: Iterable[int], people: Mapping[int, set[str]]) -> list[list[int]]:
    """Connected components of calls linked by a shared person (union-find)."""
    parent = {c: c for c in call_ids}

    def find(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    first_call: dict[str, int] = {}
    for call_id in sorted(parent):
        for person in sorted(people.get(call_id, ())):
            if person in first_call:
                a, b = find(first_call[person]), find(call_id)
                if a != b:
                    parent[max(a, b)] = min(a, b)
            else:
                first_call[person] = call_id
    groups: dict[int, list[int]] = defaultdict(list)
    for call_id in sorted(parent):
        groups[find(call_id)].append(call_id)
    return list(groups.values())


def call_label_counts(call_ids: Sequence[int]) -> dict[int, Counter]:
    """Per call: turns (key "") and annotator votes per label, the strata to balance. Votes are
    counted in the project's current taxonomy version, older rows read through the recorded
    mappings as the agreement report reads them (a split label is a vote for each new label,
    merged labels count once, a dropped one not at all); rows of versions that do not lead
    there are not counted."""
    counts: dict[int, Counter] = defaultdict(Counter)
    rows = (
        TurnAnnotation.objects.judgements()
        .filter(turn__call_id__in=call_ids)
        .values_list("turn__call_id", "turn__call__project_id", "taxonomy_id", "labels")
    )
    mappings = current_mappings(Call.objects.filter(pk__in=call_ids).values_list("project_id", flat=True).distinct())
    for call_id, project_id, taxonomy_id, labels in rows.iterator():
        known = mappings.get(project_id, {})
        if taxonomy_id not in known:
            continue
        for item in labels_in_version(labels, known[taxonomy_id]):
            counts[call_id][item["label"]] += 1
    for call_id, turns in Call.objects.filter(pk__in=call_ids).values_list("pk", "turns__id"):
        if turns is not None:
            counts[call_id][""] += 1
    return counts


def _tiebreak(seed: int, group: list[int]) -> str:
    return hashlib.sha256(f"{seed}:{group[0]}".encode()).hexdigest()


def assign_splits(
    groups: list[list[int]],
    counts: Mapping[int, Counter],
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
) -> dict[int, str]:
    """Call id -> split name; every call of a group in the same split."""
    group_counts = [sum((counts.get(c, Counter()) for c in g), Counter()) for g in groups]
    keys = sorted({k for gc in group_counts for k in gc})
    totals = {k: sum(gc[k] for gc in group_counts) for k in keys}
    order = sorted(range(len(groups)), key=lambda i: _tiebreak(seed, groups[i]))
    order.sort(key=lambda i: -(group_counts[i][""] or len(groups[i])))
    current = [Counter() for _ in SPLITS]
    result: dict[int, str] = {}
    for i in order:
        best, best_cost = 0, None
        for s in range(len(SPLITS)):
            if ratios[s] <= 0:
                continue
            cost = 0.0
            for k in keys:
                if not totals[k]:
                    continue
                weight = 4.0 if k == "" else 1.0  # turn volume first, label balance second
                for t in range(len(SPLITS)):
                    have = current[t][k] + (group_counts[i][k] if t == s else 0)
                    cost += weight * ((have - ratios[t] * totals[k]) / totals[k]) ** 2
            if best_cost is None or cost < best_cost - 1e-12:
                best, best_cost = s, cost
        current[best].update(group_counts[i])
        for call_id in groups[i]:
            result[call_id] = SPLITS[best]
    # A split that was asked for should not come out empty while another holds several groups:
    # give it the smallest group of the split with the most groups.
    placed = {s: [i for i in order if result[groups[i][0]] == s] for s in SPLITS}
    for k, split in enumerate(SPLITS):
        if ratios[k] <= 0 or placed[split]:
            continue
        donor = max(SPLITS, key=lambda s: (len(placed[s]), -SPLITS.index(s)))
        if len(placed[donor]) < 2:
            continue
        smallest = min(placed[donor], key=lambda i: (group_counts[i][""] or len(groups[i]), _tiebreak(seed, groups[i])))
        placed[donor].remove(smallest)
        placed[split].append(smallest)
        for call_id in groups[smallest]:
            result[call_id] = split
    return result


def project_splits(call_ids: Sequence[int], ratios: Sequence[float], seed: int) -> dict[int, str]:
    ids = sorted(set(call_ids))
    return assign_splits(call_groups(ids, speaker_identities(ids)), call_label_counts(ids), ratios, seed)
