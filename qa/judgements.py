"""Reading a project's judgements for the agreement report, as numpy arrays.

What counts: ``TurnAnnotation.objects.judgements()`` (a label decision, not skipped, call not
skipped), the one definition of "tagged" that progress and exports use too.

Taxonomy versions: every row is stored with the version its labels belong to. A report is read
in one version (default: the project's current one) and every row of an earlier version is
mapped into it through the project's recorded ``TaxonomyChange`` mappings (renames, merges,
splits; a dropped label disappears). Rows of versions that do not lead to the report's version
are left out and counted. So are rows whose chosen labels were all dropped on the way
(``labels_removed_by_change``): they are no judgement in the report's version, and read as "no
label" they would agree with every explicit "no emotion" and disagree with every label. The
report lists the versions it pooled and how many rows each gave.

Speed: the rows are read in one query with their JSON columns as text; the label lists are
decoded by one regular expression over all rows (or one ``json.loads``), never row by row.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import TextField
from django.db.models.functions import Cast, Substr

from annotation.models import AnnotatorProfile, Assignment, Project, Suggestion, TurnAnnotation
from annotation.taxonomy_versions import (  # noqa: F401 - qa reads them from here
    current_mappings,
    labels_in_version,
    labels_removed_by_change,
    shifts_in_version,
    version_mappings,
)
from taxonomy.models import Taxonomy

MAX_VERSION = 2**31 - 1  # a taxonomy version is a PositiveIntegerField


@dataclass(frozen=True)
class ReportFilters:
    language: str = ""
    locale: str = ""
    culture: str = ""
    speaker_role: str = ""
    taxonomy_version: int | None = None  # the version the report is read in; None = the current one

    @classmethod
    def from_mapping(cls, data) -> ReportFilters:
        version = data.get("taxonomy_version") or None
        if version not in (None, "") and not 1 <= int(version) <= MAX_VERSION:
            raise ValueError(f"taxonomy_version must be between 1 and {MAX_VERSION}.")
        return cls(
            language=(data.get("language") or "").strip().lower(),
            locale=(data.get("locale") or "").strip().lower(),
            culture=(data.get("culture") or "").strip().lower(),
            speaker_role=(data.get("speaker_role") or "").strip(),
            taxonomy_version=int(version) if version not in (None, "") else None,
        )

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in ("", None)}


def culture_of(locales) -> str:
    """An annotator's culture: their first (primary) locale, lower-cased. The culture filter and
    the within/across split both use this, so they always agree."""
    return (locales[0] if locales else "").strip().lower()


def annotator_cultures(user_ids) -> dict[int, str]:
    return {
        user_id: culture_of(locales)
        for user_id, locales in AnnotatorProfile.objects.filter(user_id__in=list(user_ids)).values_list(
            "user_id", "locales"
        )
    }


def report_taxonomy(project: Project, filters: ReportFilters) -> Taxonomy:
    """The version a report is read in; ValueError when the project never used that version."""
    if filters.taxonomy_version is None:
        return project.taxonomy
    found = Taxonomy.objects.filter(slug=project.taxonomy.slug, version=filters.taxonomy_version).first()
    if found is None:
        raise ValueError(f"{project.taxonomy.name} has no version {filters.taxonomy_version}.")
    return found


def report_rows(project: Project, filters: ReportFilters):
    """The judgements a report with these filters reads (every taxonomy version)."""
    rows = TurnAnnotation.objects.judgements().filter(assignment__call__project=project)
    if filters.language:
        rows = rows.filter(turn__language=filters.language)
    if filters.locale:
        rows = rows.filter(assignment__call__locale__iexact=filters.locale)
    if filters.speaker_role:
        rows = rows.filter(turn__speaker__role=filters.speaker_role)
    if filters.culture:
        wanted = filters.culture.strip().lower()
        annotators = [
            user_id
            for user_id, locales in AnnotatorProfile.objects.values_list("user_id", "locales")
            if culture_of(locales) == wanted
        ]
        rows = rows.filter(assignment__annotator_id__in=annotators)
    return rows


@dataclass
class Judgements:
    """Every judgement of a report as arrays: one row per TurnAnnotation, one item per chosen label."""

    turn_ids: np.ndarray  # distinct turn ids, sorted; ``turn`` indexes it
    annotator_ids: np.ndarray
    turn: np.ndarray
    annotator: np.ndarray
    assignment: np.ndarray
    call: np.ndarray
    blind: np.ndarray
    saved_at: np.ndarray  # seconds since the epoch
    valence: np.ndarray  # nan = not given
    arousal: np.ndarray
    item_row: np.ndarray  # per chosen label: its annotation row
    item_label: np.ndarray  # index into the report version's labels
    item_intensity: np.ndarray  # nan = not given
    shifts: dict[int, list[list[float]]]  # turn index -> shift times of each row that has any
    actions: list[dict]  # suggestion_actions of the non-blind rows that have any
    versions: list[dict]  # [{version, rows, mapped}] pooled into the report
    left_out: int  # rows of versions that do not lead to the report's version
    labels_removed: int = 0  # rows left out: a taxonomy change dropped all their labels

    @property
    def rows(self) -> int:
        return len(self.turn)


def _seconds(values) -> np.ndarray:
    """Epoch seconds from timestamps read as text ("YYYY-MM-DD HH:MM:SS..." on SQLite and
    PostgreSQL alike); whole seconds are all that speed and drift need."""
    if not values:
        return np.zeros(0)
    return np.array(values, dtype="datetime64[s]").astype(np.int64).astype(np.float64)


# What the annotation service writes ({"label": key, "intensity": n|null}, keys in this order on
# SQLite and in PostgreSQL's jsonb alike): read with one regular expression over all rows.
_LABEL_ITEM = re.compile(r'\{"label":\s*"((?:[^"\\]|\\.)*)",\s*"intensity":\s*(null|-?\d+(?:\.\d+)?)\}')


def _label_items(texts) -> tuple[np.ndarray, list, list]:
    """(annotation row, label key, intensity) of every chosen label. Fast path: one regex pass
    over all label lists, used only when it accounts for every item of every row; otherwise
    one ``json.loads`` over all rows at once."""
    per_row = [text.count('"label"') for text in texts]
    joined = "\n".join(texts)
    found = _LABEL_ITEM.findall(joined) if "\\" not in joined else []  # escapes: leave them to json
    if len(found) == sum(per_row):
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), per_row)
        return rows, [key for key, _ in found], [None if v == "null" else float(v) for _, v in found]
    decoded = json.loads("[" + ",".join(texts) + "]") if texts else []
    flat = [item for chosen in decoded for item in chosen]
    rows = np.repeat(np.arange(len(decoded), dtype=np.int64), [len(chosen) for chosen in decoded])
    return rows, [item.get("label") for item in flat], [item.get("intensity") for item in flat]


def _mapped_items(item_row, keys, intensities, item_taxonomy, mappings, labels):
    """Label items in the report version's terms: (row, label index, intensity) arrays. Items of
    rows in the report's own version are looked up directly; older ones go through their
    mapping (a split gives every target, a merge keeps the highest intensity once)."""
    index = {label: k for k, label in enumerate(labels)}
    if all(mappings.get(t) is None for t in set(item_taxonomy)):  # every row in the report's version
        found = np.array([index.get(key, -1) for key in keys], dtype=np.int64)
        strength = np.array(intensities, dtype=np.float64)  # None -> nan
        known = found >= 0  # labels outside the version are not counted
        return item_row[known], found[known], strength[known]
    rows, found, strengths = [], [], []
    for row, key, intensity, taxonomy_id in zip(item_row.tolist(), keys, intensities, item_taxonomy, strict=True):
        mapping = mappings.get(taxonomy_id)
        for target in [key] if mapping is None else mapping.get(key, []):
            if target in index:
                rows.append(row)
                found.append(index[target])
                strengths.append(np.nan if intensity is None else float(intensity))
    row_a = np.array(rows, dtype=np.int64)
    label_a = np.array(found, dtype=np.int64)
    intensity_a = np.array(strengths, dtype=np.float64)
    if len(row_a):
        order = np.lexsort((np.nan_to_num(intensity_a, nan=-1.0), label_a, row_a))
        row_a, label_a, intensity_a = row_a[order], label_a[order], intensity_a[order]
        last = np.ones(len(row_a), dtype=bool)
        last[:-1] = (row_a[1:] != row_a[:-1]) | (label_a[1:] != label_a[:-1])
        row_a, label_a, intensity_a = row_a[last], label_a[last], intensity_a[last]
    return row_a, label_a, intensity_a


def _rows_labels_removed(n_rows, chosen_row, kept_row, row_taxonomy, no_emotion, mappings) -> np.ndarray:
    """``labels_removed_by_change`` over all rows at once (booleans per row): a row of a mapped
    version that chose labels (``chosen_row``: the row of each item as saved), kept none in the
    report's version (``kept_row``: of each mapped item) and is not an explicit "no emotion"."""
    chose = np.bincount(chosen_row, minlength=n_rows)[:n_rows] > 0
    kept = np.bincount(kept_row, minlength=n_rows)[:n_rows] > 0
    mapped = np.isin(row_taxonomy, [t for t, mapping in mappings.items() if mapping is not None])
    return chose & ~kept & mapped & ~no_emotion


def load_judgements(project: Project, filters: ReportFilters, target: Taxonomy, labels: list[str]) -> Judgements:
    """One query for the judgements (JSON as text, eight columns), one for the project's
    assignments, and small ones for the rows that have shifts or suggestion actions."""
    mappings = version_mappings(project, target)
    rows = report_rows(project, filters)
    sql, params = (
        rows.annotate(
            labels_text=Cast("labels", TextField()), saved_text=Substr(Cast("updated_at", TextField()), 1, 19)
        )
        .values_list(
            "turn_id", "assignment_id", "valence", "arousal", "labels_text", "saved_text", "taxonomy_id", "no_emotion"
        )
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    columns = list(zip(*fetched, strict=True)) if fetched else [()] * 8
    row_taxonomy = np.asarray(columns[6], dtype=np.int64)
    known_version = np.isin(row_taxonomy, list(mappings)) if len(row_taxonomy) else np.zeros(0, dtype=bool)
    left_out = int((~known_version).sum())
    if left_out:
        columns = [[value for value, keep in zip(column, known_version, strict=True) if keep] for column in columns]
        row_taxonomy = row_taxonomy[known_version]
    label_texts = list(columns[4])
    chosen_row, keys, intensities = _label_items(label_texts)
    item_taxonomy = row_taxonomy[chosen_row].tolist() if len(chosen_row) else []
    item_row, item_label, item_intensity = _mapped_items(chosen_row, keys, intensities, item_taxonomy, mappings, labels)
    # Rows whose labels a taxonomy change all dropped are no judgement in this version: left out.
    removed = _rows_labels_removed(
        len(label_texts), chosen_row, item_row, row_taxonomy, np.asarray(columns[7], dtype=bool), mappings
    )
    labels_removed = int(removed.sum())
    removed_rows: set[tuple[int, int]] = set()  # (assignment, turn): their shifts and actions go too
    if labels_removed:
        kept = ~removed
        removed_rows = {(int(a), int(t)) for t, a, gone in zip(columns[0], columns[1], removed, strict=True) if gone}
        item_row = (np.cumsum(kept) - 1)[item_row]  # a removed row has no mapped item
        columns = [[value for value, keep in zip(column, kept, strict=True) if keep] for column in columns]
        row_taxonomy = row_taxonomy[kept]
    turn_raw, assignment_raw, valence, arousal, _, saved, _, _ = columns
    turn_ids, turn = np.unique(np.asarray(turn_raw, dtype=np.int64), return_inverse=True)
    assignment = np.asarray(assignment_raw, dtype=np.int64)
    # Who, which call and whether blind: per assignment, spread to the rows by position.
    known_assignments = np.array(
        list(Assignment.objects.filter(call__project=project).values_list("pk", "annotator_id", "call_id", "blind")),
        dtype=np.int64,
    ).reshape(-1, 4)
    known_assignments = known_assignments[np.argsort(known_assignments[:, 0])]
    at = np.searchsorted(known_assignments[:, 0], assignment)
    annotator_ids, annotator = np.unique(known_assignments[at, 1], return_inverse=True)
    position = {int(t): i for i, t in enumerate(turn_ids)} if len(turn_ids) else {}
    shifts: dict[int, list[list[float]]] = defaultdict(list)
    for turn_id, assignment_id, taxonomy_id, marks in (
        rows.annotate(shifts_text=Cast("shifts", TextField()))
        .exclude(shifts_text="[]")
        .values_list("turn_id", "assignment_id", "taxonomy_id", "shifts")
    ):
        if taxonomy_id in mappings and (assignment_id, turn_id) not in removed_rows:
            shifts[position[turn_id]].append([s.get("at") for s in marks or [] if s.get("at") is not None])
    actions = [
        row_actions
        for assignment_id, turn_id, row_actions in (
            rows.filter(assignment__blind=False, taxonomy_id__in=list(mappings))
            .annotate(actions_text=Cast("suggestion_actions", TextField()))
            .exclude(actions_text="{}")
            .values_list("assignment_id", "turn_id", "suggestion_actions")
        )
        if (assignment_id, turn_id) not in removed_rows
    ]
    versions_by_id = dict(Taxonomy.objects.filter(pk__in=list(mappings)).values_list("pk", "version"))
    counts = np.bincount(np.searchsorted(sorted(mappings), row_taxonomy), minlength=len(mappings))
    versions = [
        {"version": versions_by_id[taxonomy_id], "rows": int(n), "mapped": taxonomy_id != target.pk}
        for taxonomy_id, n in zip(sorted(mappings), counts.tolist(), strict=True)
        if n
    ]
    return Judgements(
        turn_ids=turn_ids,
        annotator_ids=annotator_ids,
        turn=turn.astype(np.int64),
        annotator=annotator.astype(np.int64),
        assignment=assignment,
        call=known_assignments[at, 2],
        blind=known_assignments[at, 3].astype(bool),
        saved_at=_seconds(list(saved)),
        valence=np.array(valence, dtype=np.float64),  # None becomes nan
        arousal=np.array(arousal, dtype=np.float64),
        item_row=item_row,
        item_label=item_label,
        item_intensity=item_intensity,
        shifts=dict(shifts),
        actions=actions,
        versions=sorted(versions, key=lambda v: v["version"]),
        left_out=left_out,
        labels_removed=labels_removed,
    )


def newest_label_matrix(rows, turn_ids: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(turns x labels) booleans of each turn's newest row, and which turns have one. ``rows``:
    (turn_id, labels) pairs ordered newest first within each turn."""
    index = {label: k for k, label in enumerate(labels)}
    chosen = np.zeros((len(turn_ids), len(labels)), dtype=bool)
    has = np.zeros(len(turn_ids), dtype=bool)
    if not len(turn_ids):
        return chosen, has
    position = {int(t): i for i, t in enumerate(turn_ids)}
    seen: set[int] = set()
    for turn_id, row_labels in rows:
        if turn_id in seen or turn_id not in position:
            continue
        seen.add(turn_id)
        has[position[turn_id]] = True
        for item in row_labels or []:
            if item.get("label") in index:
                chosen[position[turn_id], index[item["label"]]] = True
    return chosen, has


def machine_choices(project: Project, turn_ids: np.ndarray, labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The newest machine suggestion of each turn as (turns x labels) booleans, and which turns
    have one."""
    rows = (
        Suggestion.objects.filter(turn__call__project=project)
        .order_by("turn_id", "-created_at", "-pk")
        .values_list("turn_id", "labels")
    )
    return newest_label_matrix(rows, turn_ids, labels)
