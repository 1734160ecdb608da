"""Reads of taxonomies.

Who sees which taxonomy depends on projects, which live in the annotation app above this one.
So the annotation app registers, in its ``AppConfig.ready()``, the function that says which
taxonomy versions a user's projects pin (``taxonomy_scope_register``); until one is registered,
people without a managing role see none.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet

from annotera.roles import ADMIN, PROJECT_MANAGER, user_role

from .models import Taxonomy

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
