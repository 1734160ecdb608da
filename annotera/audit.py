"""Write audit events. Call inside the transaction that makes the change."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import AuditEvent


def audit_record(
    *,
    action: str,
    obj,
    actor=None,
    actor_id: int | None = None,
    project=None,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Record one change to ``obj`` by ``actor`` (a user, or give ``actor_id``). Must run inside
    the change's own transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction that makes the change.")
    return AuditEvent.objects.create(
        actor_id=actor.pk if getattr(actor, "is_authenticated", False) else actor_id,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        project=project,
        before=before,
        after=after,
    )
