"""Finding an account by what a manager types: a user name or an email address."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q


def user_by_name_or_email(text: str):
    text = (text or "").strip()
    if not text:
        return None
    return get_user_model().objects.filter(Q(username__iexact=text) | Q(email__iexact=text)).first()
