"""Creating a project from scratch: the browser, the API and ``manage.py create_project`` all
call ``project_setup``. Later rule edits: ``annotation.services.project_rule_update`` (audited)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotera import roles
from annotera.audit import audit_record
from annotera.names import display_name_problem
from taxonomy.models import Taxonomy
from taxonomy.services import taxonomy_import

from .models import Project, ProjectMembership
from .pipeline.whisper_languages import parse_languages

RULE_FIELDS = ("overlap_k", "blind_share", "required_proficiency", "locale_match", "channel_layout", "spoken_languages")
TAXONOMY_FIELDS = {"slug", "name", "description", "version", "labels", "dimensions", "evidence_map"}
LABEL_FIELDS = {"key", "name", "parent", "definition", "examples", "colour", "hotkey", "notes"}
DIMENSION_FIELDS = {"key", "name", "kind", "scope", "minimum", "maximum", "step", "anchors"}


def taxonomy_unknown_fields(data: Any) -> list[str]:
    """Keys the taxonomy schema (docs/taxonomy-schema.md) does not know: usually a typo such as
    'lables' or 'hot_key', which would otherwise be dropped without a word."""
    if not isinstance(data, dict):
        return []
    errors = [f"taxonomy: unknown key '{k}'." for k in sorted(set(data) - TAXONOMY_FIELDS)]
    for kind, allowed in (("labels", LABEL_FIELDS), ("dimensions", DIMENSION_FIELDS)):
        items = data.get(kind)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                name = item.get("key") if isinstance(item.get("key"), str) else f"#{i + 1}"
                errors += [f"{kind[:-1]} '{name}': unknown key '{k}'." for k in sorted(set(item) - allowed)]
    return errors


def languages_declared(written: str | Sequence[str]) -> list[str]:
    """A project's declared languages as Whisper codes, from "en, es-MX, Hindi" or a list;
    a ValidationError on ``spoken_languages`` names any it does not know."""
    try:
        return parse_languages(written)
    except ValueError as exc:
        raise ValidationError({"spoken_languages": str(exc)}) from None


def taxonomy_for_project(*, taxonomy: Taxonomy | int | str | None, taxonomy_json: Any = None, actor=None) -> Taxonomy:
    """The published version a new project pins: one picked (object, id or slug = its newest
    published version), or one imported from JSON on the spot (published as it is imported)."""
    if taxonomy_json is not None and taxonomy not in (None, ""):
        raise ValidationError({"taxonomy": "Pick a published taxonomy or import one, not both."})
    if taxonomy_json is not None:
        errors = taxonomy_unknown_fields(taxonomy_json)
        if errors:
            raise ValidationError({"taxonomy_json": errors})
        try:
            return taxonomy_import(data=taxonomy_json, publish=True, actor=actor)
        except ValidationError as exc:
            raise ValidationError({"taxonomy_json": exc.messages}) from None
    if isinstance(taxonomy, Taxonomy):
        found = taxonomy
    elif taxonomy in (None, ""):
        raise ValidationError({"taxonomy": "Pick a published taxonomy or import one as JSON."})
    elif str(taxonomy).isdigit():
        found = Taxonomy.objects.filter(pk=int(taxonomy)).first()
    else:
        found = (
            Taxonomy.objects.filter(slug=str(taxonomy), status=Taxonomy.Status.PUBLISHED).order_by("-version").first()
        )
    if found is None:
        raise ValidationError({"taxonomy": f"No taxonomy '{taxonomy}'. Pick one from the list or import JSON."})
    if not found.is_published:
        raise ValidationError({"taxonomy": f"{found} is a draft; a project can only pin a published version."})
    return found


def project_setup(
    *,
    name: str,
    slug: str,
    created_by=None,
    description: str = "",
    taxonomy: Taxonomy | int | str | None = None,
    taxonomy_json: Any = None,
    overlap_k: int = 3,
    blind_share: float = 0.1,
    required_proficiency: str = Project.Proficiency.FLUENT,
    locale_match: str = Project.LocaleMatch.PREFERRED,
    channel_layout: str = Project.ChannelLayout.AGENT_LEFT,
    spoken_languages: str | Sequence[str] = (),
) -> Project:
    """Create a project with its taxonomy and rules; its creator becomes its manager. All or
    nothing: an invalid field leaves no project and no imported taxonomy behind."""
    if created_by is not None and roles.user_role(created_by) not in (roles.ADMIN, roles.PROJECT_MANAGER):
        raise ValidationError("Only admins and project managers create projects.")
    name = (name or "").strip()
    problem = display_name_problem(name)
    if problem:
        raise ValidationError({"name": problem})
    try:
        with transaction.atomic():
            project = Project(
                name=name,
                slug=(slug or "").strip(),
                description=description or "",
                overlap_k=overlap_k,
                blind_share=blind_share,
                required_proficiency=required_proficiency,
                locale_match=locale_match,
                channel_layout=channel_layout,
                spoken_languages=languages_declared(spoken_languages),
            )
            # Check the project's own fields before importing anything, then the taxonomy.
            project.full_clean(exclude=["taxonomy"])
            project.taxonomy = taxonomy_for_project(taxonomy=taxonomy, taxonomy_json=taxonomy_json, actor=created_by)
            project.save()
            if created_by is not None:
                ProjectMembership.objects.create(project=project, user=created_by, role=ProjectMembership.Role.MANAGER)
            audit_record(
                actor=created_by,
                action="project.create",
                obj=project,
                project=project,
                after={"slug": project.slug, "taxonomy": project.taxonomy_id, **_rules(project)},
            )
    except IntegrityError:
        raise ValidationError({"slug": f"A project with slug '{slug}' already exists."}) from None
    return project


def _rules(project: Project) -> dict:
    return {f: getattr(project, f) for f in RULE_FIELDS}
