"""Account deactivation (audited; a deactivated person's annotations stay). Annotator profiles
live in ``annotation.profiles``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from annotation.profiles import annotator_profile_update, profile_needs_filling
from annotera import roles
from annotera.audit import audit_record

__all__ = ["annotator_profile_update", "profile_needs_filling", "user_set_active"]


def user_set_active(*, user, active: bool, actor):
    """Deactivate (or reactivate) an account. Nothing is deleted: annotations, adjudications and
    audit rows keep pointing at the user; a deactivated user cannot log in or be assigned."""
    if user.pk == actor.pk and not active:
        raise ValidationError("You cannot deactivate your own account.")
    if user.is_superuser and roles.user_role(actor) != roles.ADMIN:
        raise ValidationError("Only an admin can change an admin's account.")
    with transaction.atomic():
        before = user.is_active
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit_record(
            actor=actor, action="user.activate" if active else "user.deactivate", obj=user,
            before={"is_active": before}, after={"is_active": active},
        )  # fmt: skip
    return user
