"""Writes for taxonomies: import from JSON (validated in full before anything is written)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from annotera.audit import audit_record
from annotera.names import display_name_problem

from .defaults import DEFAULT_TAXONOMY
from .models import Dimension, Label, Taxonomy


def _require(obj: dict, field: str, kind: type | tuple[type, ...], where: str, errors: list[str]) -> Any:
    if field not in obj:
        errors.append(f"{where}: '{field}' is missing.")
        return None
    value = obj[field]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        wanted = " or ".join(dict.fromkeys(_json_kind(k) for k in (kind if isinstance(kind, tuple) else (kind,))))
        errors.append(f"{where}: '{field}' must be {wanted}, not {_json_kind(type(value))} ({json.dumps(value)[:40]}).")
        return None
    return value


def _json_kind(kind: type) -> str:
    """A Python type as JSON calls it: the person wrote JSON, not Python."""
    names = {bool: "true or false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return "null" if kind is type(None) else names.get(kind, kind.__name__)


def hotkey_reserved_problem(hotkey: str) -> str | None:
    """Why a one-character label hotkey clashes with the workspace's own keys, or None."""
    if not hotkey.isalpha() or hotkey.isupper():
        return (
            f"hotkey '{hotkey}' is reserved by the workspace; use a lower-case letter "
            "(digits set intensity, Space/Enter/[ ]/+ -/? and Shift+letter are workspace commands)."
        )
    return None


def taxonomy_validate_data(data: Any) -> list[str]:
    """Every problem in a taxonomy document, as sentences a person can act on. Empty means valid."""
    errors: list[str] = []
    if not isinstance(data, dict):
        return ["The taxonomy must be a JSON object with 'slug', 'name', 'labels' and 'dimensions'."]
    _require(data, "slug", str, "taxonomy", errors)
    name = _require(data, "name", str, "taxonomy", errors)
    if name is not None and (problem := display_name_problem(name, what="its name")):
        errors.append(f"taxonomy: {problem}")
    labels = _require(data, "labels", list, "taxonomy", errors) or []
    dimensions = data.get("dimensions", [])
    if not isinstance(dimensions, list):
        errors.append("taxonomy: 'dimensions' must be a list.")
        dimensions = []
    if not labels and not errors:
        errors.append("taxonomy: at least one label is needed.")

    keys: dict[str, dict] = {}
    hotkeys: dict[str, str] = {}
    for i, label in enumerate(labels):
        where = f"label #{i + 1}"
        if not isinstance(label, dict):
            errors.append(f"{where}: must be an object.")
            continue
        key = _require(label, "key", str, where, errors)
        label_name = _require(label, "name", str, where, errors)
        if label_name is not None and (problem := display_name_problem(label_name, what="its name")):
            errors.append(f"{where}: {problem}")
        _require(label, "definition", str, where, errors)
        if key is None:
            continue
        where = f"label '{key}'"
        try:
            Label._meta.get_field("key").run_validators(key)
        except ValidationError as exc:
            errors.append(f"{where}: {' '.join(exc.messages)}")
        if key in keys:
            errors.append(f"{where}: the key is used twice; keys must be unique.")
        keys[key] = label
        hotkey = label.get("hotkey", "")
        if hotkey:
            if not isinstance(hotkey, str) or len(hotkey) != 1:
                errors.append(f"{where}: the hotkey must be a single character.")
            elif hotkey.lower() in hotkeys:
                errors.append(f"{where}: hotkey '{hotkey}' is already used by label '{hotkeys[hotkey.lower()]}'.")
            elif problem := hotkey_reserved_problem(hotkey):
                errors.append(f"{where}: {problem}")
            else:
                hotkeys[hotkey.lower()] = key
        examples = label.get("examples", [])
        if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
            errors.append(f"{where}: 'examples' must be a list of strings.")
        colour = label.get("colour", "#888888")
        try:
            Label._meta.get_field("colour").run_validators(colour)
        except ValidationError as exc:
            errors.append(f"{where}: {' '.join(exc.messages)}")

    for key, label in keys.items():
        parent = label.get("parent")
        if parent in (None, ""):
            continue
        if parent not in keys:
            errors.append(f"label '{key}': parent '{parent}' is not a label in this taxonomy.")
            continue
        seen = [key]  # in order: the message walks the chain as written
        node = parent
        while node not in (None, ""):
            if node in seen:
                errors.append(f"label '{key}': its parents form a cycle ({' -> '.join([*seen, node])}).")
                break
            seen.append(node)
            node = keys.get(node, {}).get("parent")

    errors += _evidence_map_errors(data.get("evidence_map", {}), set(keys))

    dim_keys: set[str] = set()
    for i, dim in enumerate(dimensions):
        where = f"dimension #{i + 1}"
        if not isinstance(dim, dict):
            errors.append(f"{where}: must be an object.")
            continue
        key = _require(dim, "key", str, where, errors)
        kind = _require(dim, "kind", str, where, errors)
        low = _require(dim, "minimum", (int, float), where, errors)
        high = _require(dim, "maximum", (int, float), where, errors)
        if key:
            where = f"dimension '{key}'"
            if key in dim_keys:
                errors.append(f"{where}: the key is used twice.")
            dim_keys.add(key)
        if kind and kind not in Dimension.Kind.values:
            errors.append(f"{where}: kind must be one of {', '.join(Dimension.Kind.values)}.")
        if dim.get("scope", "turn") not in Dimension.Scope.values:
            errors.append(f"{where}: scope must be one of {', '.join(Dimension.Scope.values)}.")
        if low is not None and high is not None and high <= low:
            errors.append(f"{where}: maximum must be above minimum.")
        step = dim.get("step", 1)
        if not isinstance(step, (int, float)) or isinstance(step, bool) or step <= 0:
            errors.append(f"{where}: step must be a positive number.")
    return errors


EVIDENCE_CUES = ("pitch_rise", "fast", "long_pauses", "flat", "loud")
EVIDENCE_SIDES = ("negative", "positive")


def _evidence_map_errors(evidence: Any, label_keys: set[str]) -> list[str]:
    """``evidence_map``: {"cues": {cue: [label keys]}, "valence": {"negative"|"positive": [label keys]}}."""
    if evidence in (None, {}):
        return []
    if not isinstance(evidence, dict) or not set(evidence) <= {"cues", "valence"}:
        return ["evidence_map: must be an object with 'cues' and/or 'valence'."]
    errors = []
    for section, allowed in (("cues", EVIDENCE_CUES), ("valence", EVIDENCE_SIDES)):
        mapping = evidence.get(section, {})
        if not isinstance(mapping, dict):
            errors.append(f"evidence_map.{section}: must be an object.")
            continue
        for name, targets in mapping.items():
            if name not in allowed:
                errors.append(f"evidence_map.{section}: '{name}' is not one of {', '.join(allowed)}.")
            elif not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
                errors.append(f"evidence_map.{section}.{name}: must be a list of label keys.")
            else:
                errors += [
                    f"evidence_map.{section}.{name}: '{t}' is not a label." for t in targets if t not in label_keys
                ]
    return errors


def _audit(*, actor, action: str, taxonomy: Taxonomy, before: Any, after: Any) -> None:
    audit_record(actor=actor, action=action, obj=taxonomy, before=before, after=after)


@transaction.atomic
def taxonomy_import(*, data: Any, publish: bool = False, actor=None) -> Taxonomy:
    """Create a new version of the taxonomy named by ``data['slug']``.

    Validation covers the whole document first, so an invalid import writes nothing.
    """
    errors = taxonomy_validate_data(data)
    if errors:
        raise ValidationError(errors)
    latest = Taxonomy.objects.filter(slug=data["slug"]).order_by("-version").first()
    taxonomy = Taxonomy(
        slug=data["slug"],
        name=data["name"],
        description=data.get("description", ""),
        evidence_map=data.get("evidence_map") or {},
        version=(latest.version + 1) if latest else 1,
        derived_from=latest,
        status=Taxonomy.Status.PUBLISHED if publish else Taxonomy.Status.DRAFT,
        published_at=timezone.now() if publish else None,
    )
    _clean(taxonomy, "taxonomy")
    taxonomy.save()
    _write_contents(taxonomy, data)
    _audit(actor=actor, action="taxonomy.import", taxonomy=taxonomy, before=None, after=taxonomy_export(taxonomy))
    return taxonomy


def _clean(obj, where: str, exclude: list[str] | None = None) -> None:
    """The model's own validation (lengths, slug and key patterns, blanks), with messages that
    say which item and field are wrong. Raised inside the import's transaction: nothing stays."""
    try:
        obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError(
            [f"{where} {field}: {message}" for field, messages in exc.message_dict.items() for message in messages]
        ) from None


def _write_contents(taxonomy: Taxonomy, data: dict) -> None:
    """(Re)write a taxonomy's labels and dimensions from a validated document.

    Only new or draft versions are written, and no annotation points at a draft's labels, so
    replacing them wholesale is safe.
    """
    Label.objects.filter(taxonomy=taxonomy).update(parent=None)
    Label.objects.filter(taxonomy=taxonomy).delete()
    Dimension.objects.filter(taxonomy=taxonomy).delete()
    labels = {
        item["key"]: Label(
            taxonomy=taxonomy,
            key=item["key"],
            name=item["name"],
            definition=item["definition"],
            examples=item.get("examples", []),
            colour=item.get("colour", "#888888"),
            hotkey=item.get("hotkey", ""),
            notes=item.get("notes", ""),
            order=order,
        )
        for order, item in enumerate(data["labels"])
    }
    created = {}
    for key, label in labels.items():
        _clean(label, f"label {key!r}", exclude=["parent"])
        label.save()
        created[key] = label
    for item in data["labels"]:
        if item.get("parent"):
            Label.objects.filter(pk=created[item["key"]].pk).update(parent=created[item["parent"]])
    dimensions = [
        Dimension(
            taxonomy=taxonomy,
            key=item["key"],
            name=item.get("name", item["key"].title()),
            kind=item["kind"],
            scope=item.get("scope", "turn"),
            minimum=item["minimum"],
            maximum=item["maximum"],
            step=item.get("step", 1),
            anchors=item.get("anchors", {}),
        )
        for item in data.get("dimensions", [])
    ]
    for dimension in dimensions:
        _clean(dimension, f"dimension {dimension.key!r}")
    Dimension.objects.bulk_create(dimensions)


def taxonomy_get_or_create_default() -> Taxonomy:
    existing = (
        Taxonomy.objects.filter(slug=DEFAULT_TAXONOMY["slug"], status=Taxonomy.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    return existing or taxonomy_import(data=DEFAULT_TAXONOMY, publish=True)


def taxonomy_export(taxonomy: Taxonomy) -> dict:
    """The taxonomy as a JSON document in the import schema (round-trips through taxonomy_import)."""
    labels = list(taxonomy.labels.select_related("parent").order_by("order", "key"))
    return {
        "slug": taxonomy.slug,
        "name": taxonomy.name,
        "description": taxonomy.description,
        "version": taxonomy.version,
        "evidence_map": taxonomy.evidence_map,
        "labels": [
            {
                "key": label.key,
                "name": label.name,
                "parent": label.parent.key if label.parent else None,
                "definition": label.definition,
                "examples": label.examples,
                "colour": label.colour,
                "hotkey": label.hotkey,
                "notes": label.notes,
            }
            for label in labels
        ],
        "dimensions": [
            {
                "key": d.key,
                "name": d.name,
                "kind": d.kind,
                "scope": d.scope,
                "minimum": d.minimum,
                "maximum": d.maximum,
                "step": d.step,
                "anchors": d.anchors,
            }
            for d in taxonomy.dimensions.order_by("key")
        ],
    }


def taxonomy_draft_for_edit(*, taxonomy: Taxonomy, actor=None) -> Taxonomy:
    """The draft to edit: the taxonomy itself if it is a draft, else the slug's open draft, else
    a new draft version copied from it. Published versions are never changed."""
    if not taxonomy.is_published:
        return taxonomy
    newer_draft = (
        Taxonomy.objects.filter(slug=taxonomy.slug, status=Taxonomy.Status.DRAFT, version__gt=taxonomy.version)
        .order_by("-version")
        .first()
    )
    if newer_draft is not None:
        return newer_draft
    document = taxonomy_export(taxonomy)
    draft = taxonomy_import(data=document, actor=actor)
    Taxonomy.objects.filter(pk=draft.pk).update(derived_from=taxonomy)
    draft.refresh_from_db()
    return draft


def _require_draft(taxonomy: Taxonomy) -> None:
    if taxonomy.is_published:
        raise ValidationError(f"{taxonomy} is published and frozen; edit it to make a new draft version instead.")


@transaction.atomic
def taxonomy_replace_from_document(*, taxonomy: Taxonomy, data: Any, actor=None) -> Taxonomy:
    """Apply an edited document to a draft in full (validated first; nothing changes on error)."""
    _require_draft(taxonomy)
    if isinstance(data, dict):
        data = {**data, "slug": taxonomy.slug}
    errors = taxonomy_validate_data(data)
    if errors:
        raise ValidationError(errors)
    before = taxonomy_export(taxonomy)
    taxonomy.name = data["name"]
    taxonomy.description = data.get("description", "")
    taxonomy.evidence_map = data.get("evidence_map", taxonomy.evidence_map) or {}
    _clean(taxonomy, "taxonomy")
    taxonomy.save(update_fields=["name", "description", "evidence_map"])
    _write_contents(taxonomy, data)
    _audit(actor=actor, action="taxonomy.edit", taxonomy=taxonomy, before=before, after=taxonomy_export(taxonomy))
    return taxonomy


@transaction.atomic
def taxonomy_publish(*, taxonomy: Taxonomy, actor=None) -> Taxonomy:
    _require_draft(taxonomy)
    errors = taxonomy_validate_data(taxonomy_export(taxonomy))
    if errors:
        raise ValidationError(errors)
    before = {"status": taxonomy.status}
    taxonomy.status = Taxonomy.Status.PUBLISHED
    taxonomy.published_at = timezone.now()
    taxonomy.save(update_fields=["status", "published_at"])
    _audit(
        actor=actor,
        action="taxonomy.publish",
        taxonomy=taxonomy,
        before=before,
        after={"status": taxonomy.status, "published_at": taxonomy.published_at.isoformat()},
    )
    return taxonomy
