"""Turns from a Label Studio task (plain Python, no Django).

A task is one call. Its turns are the regions labelled in a ``speaker`` control of ONE result
list: the newest annotation (``updated_at``, else ``created_at``, else its place in the list)
that has speaker regions, not cancelled; failing that the newest prediction with speaker
regions. Annotations and predictions are never merged: a task whose predicted speakers someone
corrected holds both, and the correction is what counts. A ``textarea`` result with the same
region id is the turn's text.

Every field is type-checked, so a malformed task is refused with the place and the reason
("annotations[1] result 2: from_name must be a text, found null"), never a server error.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from .read_problems import FileProblems, finite_number

SPEAKER_CONTROLS = ("speaker", "speakers")
SOURCES = ("annotations", "completions", "predictions")  # "completions": Label Studio before 1.0


# How a kind of result is counted when it is not imported: "24 emotion labels", "3 sentiment choices".
RESULT_NOUNS = {
    "labels": "labels",
    "choices": "choices",
    "taxonomy": "taxonomy choices",
    "textarea": "texts",
    "number": "numbers",
    "rating": "ratings",
}


class LabelStudioError(FileProblems):
    """A task refused; ``errors`` names each problem and where it is."""


@dataclass(frozen=True)
class Region:
    speaker: str
    start: float
    end: float
    text: str
    where: str


@dataclass(frozen=True)
class LabelStudioTask:
    """The turns' regions, and what else the task holds that the turns do not bring in: a count
    per control and kind ("emotion labels": 24), for the person importing to be told."""

    regions: list[Region]
    left_out: dict[str, int]


def _kind(value) -> str:
    if value is None:
        return "null"
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a text",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _time(value, what: str, where: str, errors: list[str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.append(f"{where}: {what} {json.dumps(value)} is not a number")
        return None
    return finite_number(value, what, where, errors)


def _regions(results: list, place: str, errors: list[str]) -> list[Region]:
    """The speaker regions of one result list (with their texts); type errors go to ``errors``."""
    texts: dict[str, str] = {}
    found: list[tuple[str, str, dict, str]] = []
    for k, result in enumerate(results, start=1):
        at = f"{place} result {k}"
        if not isinstance(result, dict):
            errors.append(f"{at}: expected an object, found {_kind(result)}")
            continue
        value, kind, control = result.get("value"), result.get("type"), result.get("from_name")
        if not isinstance(value, dict):
            errors.append(f"{at}: value must be an object, found {_kind(value)}")
            continue
        for name, field in (("type", kind), ("from_name", control)):
            if not isinstance(field, str):
                errors.append(f"{at}: {name} must be a text, found {_kind(field)}")
        if not isinstance(kind, str) or not isinstance(control, str):
            continue
        rid = result.get("id")
        if rid is not None and not isinstance(rid, str | int):
            errors.append(f"{at}: id must be a text, found {_kind(rid)}")
            continue
        rid = str(rid) if rid is not None else f"#{k}"
        if kind == "textarea":
            text = value.get("text", [])
            if isinstance(text, str):
                text = [text]
            if not isinstance(text, list) or not all(isinstance(t, str) for t in text):
                errors.append(f"result {rid}: text must be a list of texts, found {_kind(text)}")
                continue
            texts[rid] = " ".join(text)
        elif kind == "labels" and control.lower() in SPEAKER_CONTROLS:
            found.append((rid, at, value, control))
    regions = []
    for rid, _at, value, _control in found:
        where = f"result {rid}"
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            errors.append(f"{where}: a speaker region needs exactly one speaker label, found {json.dumps(labels)}")
            continue
        start = _time(value.get("start"), "start", where, errors)
        end = _time(value.get("end"), "end", where, errors)
        if start is not None and end is not None:
            regions.append(Region(labels[0], start, end, texts.get(rid, ""), where))
    return regions


def _newest(entries: list[tuple[int, dict, list[Region]]]) -> tuple[int, dict, list[Region]] | None:
    def when(item):
        index, entry, _ = item
        stamp = entry.get("updated_at") or entry.get("created_at") or ""
        return (stamp if isinstance(stamp, str) else "", index)

    with_regions = [e for e in entries if e[2]]
    return max(with_regions, key=when) if with_regions else None


MAX_INT_DIGITS = 1000  # far past any time; Python refuses to read integers over 4,300 digits


def _json_int(digits: str) -> int | str:
    """A JSON integer; a longer one than any time stays text, so the field that holds it is
    refused by name ("start '1111…' is too large to be a time in seconds"), not the whole file
    with Python's words."""
    return int(digits) if len(digits) <= MAX_INT_DIGITS else digits


def _json_min(data: dict) -> bool:
    """Label Studio's JSON-MIN export: each control's regions flattened into the task."""
    return any(
        isinstance(v, list) and v and all(isinstance(r, dict) and "labels" in r for r in v) for v in data.values()
    )


def _left_out(entries: list[tuple[dict, list]], chosen: dict, regions: list[Region]) -> dict[str, int]:
    """Every result of the task that did not become part of a turn, counted by control and
    kind: the chosen entry's other controls (sentiment labels, choices, ratings), and all of
    every other annotation's and prediction's results."""
    used = {r.where.removeprefix("result ") for r in regions}
    counts: Counter[str] = Counter()
    for entry, results in entries:
        for k, result in enumerate(results, start=1):
            if not isinstance(result, dict):
                continue
            value, kind, control = result.get("value"), result.get("type"), result.get("from_name")
            if not isinstance(kind, str):
                continue
            rid = str(result["id"]) if isinstance(result.get("id"), str | int) else f"#{k}"
            turn_part = kind == "textarea" or (
                kind == "labels" and isinstance(control, str) and control.lower() in SPEAKER_CONTROLS
            )
            if entry is chosen and turn_part and rid in used:
                continue
            held = value.get(kind) if isinstance(value, dict) else None
            n = len(held) if kind in ("labels", "choices", "taxonomy") and isinstance(held, list) and held else 1
            name = control if isinstance(control, str) and control else "unnamed"
            counts[f"{name} {RESULT_NOUNS.get(kind, f'{kind} results')}"] += n
    return dict(counts)


def read_labelstudio(text: str) -> list[Region]:
    return read_labelstudio_task(text).regions


def read_labelstudio_task(text: str) -> LabelStudioTask:
    try:
        data = json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise LabelStudioError([f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"]) from exc
    except RecursionError as exc:
        raise LabelStudioError(["not a Label Studio task: the JSON is nested too deeply"]) from exc
    if isinstance(data, list):
        if len(data) != 1:
            raise LabelStudioError([f"expected one Label Studio task (one call), found {len(data)}"])
        data = data[0]
    if isinstance(data, dict) and not any(k in data for k in SOURCES) and _json_min(data):
        raise LabelStudioError(
            [
                "this is Label Studio's JSON-MIN export, which leaves out the regions' ids and texts; "
                "export the project as JSON and import that"
            ]
        )
    if not isinstance(data, dict) or not any(k in data for k in SOURCES):
        raise LabelStudioError(["not a Label Studio task: expected an object with annotations or predictions"])
    errors: list[str] = []
    parsed: dict[str, list[tuple[int, dict, list[Region]]]] = {}
    every: list[tuple[dict, list]] = []  # (entry, its results), cancelled ones included
    for key in SOURCES:
        entries = data.get(key)
        if entries is None:
            continue
        if not isinstance(entries, list):
            errors.append(f"{key} must be a list of objects, found {_kind(entries)}")
            continue
        for n, entry in enumerate(entries, start=1):
            place = f"{key}[{n}]"
            if not isinstance(entry, dict):
                errors.append(f"{place}: expected an object, found {_kind(entry)}")
                continue
            results = entry.get("result", [])
            if not isinstance(results, list):
                errors.append(f"{place}: result must be a list, found {_kind(results)}")
                continue
            every.append((entry, results))
            if entry.get("was_cancelled") is True:
                continue
            bucket = "predictions" if key == "predictions" else "annotations"
            parsed.setdefault(bucket, []).append((n, entry, _regions(results, place, errors)))
    if errors:
        raise LabelStudioError(errors)
    chosen = _newest(parsed.get("annotations", [])) or _newest(parsed.get("predictions", []))
    if chosen is None:
        raise LabelStudioError(["no speaker regions: label each turn's region in a control named 'speaker'"])
    return LabelStudioTask(regions=chosen[2], left_out=_left_out(every, chosen[1], chosen[2]))
