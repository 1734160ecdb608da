"""Reading labels saved under one taxonomy version in another's keys.

A project moves between taxonomy versions with an explicit mapping (``TaxonomyChange``: old key
-> new keys; [] = dropped). Annotations keep the version they were made in; these functions read
them in a target version: the agreement report, consensus and exports (qa) and the suggestion
calibration (annotation) all read through them, so they agree on what a label became.
"""

from __future__ import annotations

from taxonomy.models import Taxonomy

from .models import Project, TaxonomyChange


def version_mappings(project: Project, target: Taxonomy) -> dict[int, dict[str, list[str]] | None]:
    """For each taxonomy version that leads to ``target`` through the project's recorded changes:
    old key -> keys in ``target`` (None: the target itself, keys read as they are)."""
    mappings: dict[int, dict[str, list[str]] | None] = {target.pk: None}
    changes = list(TaxonomyChange.objects.filter(project=project).order_by("-created_at", "-pk"))
    grew = True
    while grew:
        grew = False
        for change in changes:
            if change.from_taxonomy_id in mappings or change.to_taxonomy_id not in mappings:
                continue
            onward = mappings[change.to_taxonomy_id]
            mappings[change.from_taxonomy_id] = {
                old: sorted({final for new in targets for final in ([new] if onward is None else onward.get(new, []))})
                for old, targets in change.mapping.items()
            }
            grew = True
    return mappings


def current_mappings(project_ids) -> dict[int, dict[int, dict[str, list[str]] | None]]:
    """``version_mappings`` into each project's current taxonomy version, per project id (for
    readers that are given turns or calls rather than a project)."""
    return {
        project.pk: version_mappings(project, project.taxonomy)
        for project in Project.objects.filter(pk__in=set(project_ids)).select_related("taxonomy")
    }


def _stronger(intensity, than) -> bool:
    """Whether ``intensity`` beats ``than`` (no intensity counts below any given one)."""
    return intensity is not None and (than is None or float(intensity) > float(than))


def labels_in_version(items, mapping: dict[str, list[str]] | None) -> list[dict]:
    """One judgement's (or adjudication's) label items, [{"label", "intensity"}], in the target
    version's terms through ``mapping`` (a value of ``version_mappings``; None: already in it).
    The report's rule (``_mapped_items``): a split gives every target label with the item's
    intensity, a merge keeps its highest intensity once, a dropped label is gone."""
    if mapping is None:
        return [dict(item) for item in items or []]
    found: dict[str, dict] = {}
    for item in items or []:
        for target in mapping.get(item.get("label"), []):
            kept = found.get(target)
            if kept is None or _stronger(item.get("intensity"), kept["intensity"]):
                found[target] = {"label": target, "intensity": item.get("intensity")}
    return list(found.values())


def labels_removed_by_change(items, mapping: dict[str, list[str]] | None, no_emotion: bool = False) -> bool:
    """Whether a judgement is no judgement in the target version: it chose labels, a taxonomy
    change on the way (``mapping``, a value of ``version_mappings``) dropped every one of them,
    and it is not an explicit "no emotion" decision. Agreement, consensus, the disagreement queue
    and exports leave such a row out (and count it) rather than read it as "no label"."""
    return mapping is not None and bool(items) and not no_emotion and not labels_in_version(items, mapping)


def shifts_in_version(shifts, mapping: dict[str, list[str]] | None) -> list[dict]:
    """Shift marks ({at, from, to}) in the target version's terms: a side whose label became one
    label is renamed; a side whose label was split or dropped is None (the time still holds, the
    emotion has no single name in the target version)."""
    if mapping is None:
        return [dict(shift) for shift in shifts or []]

    def side(key):
        targets = mapping.get(key, [])
        return targets[0] if len(targets) == 1 else None

    return [{**shift, "from": side(shift.get("from")), "to": side(shift.get("to"))} for shift in shifts or []]


def suggestion_in_version(labels, shifts, mapping: dict[str, list[str]]) -> tuple[list[dict], list[dict]]:
    """A machine suggestion's labels ([{label, intensity, confidence}]) and shifts in a new
    version's keys, by the rules of ``labels_in_version`` and ``shifts_in_version`` (a key the
    mapping does not name is no label of the old version: gone), except that merged labels keep
    the surer suggestion's confidence and intensity, and a shift whose side no longer names one
    emotion is left out (a suggestion has no time-only mark to keep)."""
    found: dict[str, dict] = {}
    for item in labels or []:
        for target in mapping.get(item.get("label"), []):
            kept = found.get(target)
            if kept is None or float(item.get("confidence") or 0) > float(kept.get("confidence") or 0):
                found[target] = {**item, "label": target}
    moved = shifts_in_version(shifts, mapping)
    return list(found.values()), [shift for shift in moved if shift["from"] and shift["to"]]
