"""Reads of taxonomies.

Who sees which taxonomy depends on projects, which live in the annotation app above this one.
So the annotation app registers, in its ``AppConfig.ready()``, the function that says which
taxonomy versions a user's projects pin (``taxonomy_scope_register``); until one is registered,
people without a managing role see none.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

from annotera.roles import ADMIN, PROJECT_MANAGER, user_role

from .models import Dimension, Label, Taxonomy

# user -> the ids of the taxonomy versions that the user's projects pin
PinnedFn = Callable[[object], QuerySet]
_pinned_by_projects: list[PinnedFn] = []


def taxonomy_scope_register(pinned: PinnedFn) -> None:
    _pinned_by_projects[:] = [pinned]


def taxonomies_visible_to(user) -> QuerySet[Taxonomy]:
    """Managers and admins edit every taxonomy; others see the versions their projects pin."""
    if user_role(user) in (ADMIN, PROJECT_MANAGER):
        return Taxonomy.objects.all()
    if not _pinned_by_projects:
        return Taxonomy.objects.none()
    return Taxonomy.objects.filter(pk__in=_pinned_by_projects[0](user))


@dataclass(frozen=True)
class Scales:
    labels: frozenset[str]
    intensity: tuple[float, float]
    valence: tuple[float, float]
    arousal: tuple[float, float]
    valence_step: float = 1.0
    arousal_step: float = 1.0


def taxonomy_scales(taxonomy) -> Scales:
    """The label keys and dimension ranges a taxonomy version accepts."""
    if taxonomy.is_published and taxonomy.published_at:
        # Published versions are frozen, so their scales can be kept (keyed with the publication
        # time too, so a reused id, as in a rolled-back test database, never hits a stale entry).
        return _published_scales(taxonomy.pk, taxonomy.published_at)
    return _scales(taxonomy.pk)


def _scales(taxonomy_id: int, published_at=None) -> Scales:
    dims = {d.key: d for d in Dimension.objects.filter(taxonomy_id=taxonomy_id)}

    def span(key: str, default: tuple[float, float]) -> tuple[float, float]:
        return (dims[key].minimum, dims[key].maximum) if key in dims else default

    return Scales(
        labels=frozenset(Label.objects.filter(taxonomy_id=taxonomy_id).values_list("key", flat=True)),
        intensity=span("intensity", (1, 5)),
        valence=span("valence", (-3, 3)),
        arousal=span("arousal", (1, 5)),
        valence_step=dims["valence"].step if "valence" in dims else 1.0,
        arousal_step=dims["arousal"].step if "arousal" in dims else 1.0,
    )


_published_scales = functools.lru_cache(maxsize=256)(_scales)
