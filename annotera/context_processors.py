from django.conf import settings

from .roles import ROLE_NAMES, user_role


def roles(request) -> dict:
    role = user_role(getattr(request, "user", None))
    return {"user_role": role, "user_role_name": ROLE_NAMES.get(role, "")}


def upload_limits(request) -> dict:
    """The server's upload limits, for the page to check files against before sending them (a
    refusal after the browser sent 600 MB arrives as a reset connection, not as a message)."""
    return {"upload_max_file": settings.AUDIO_MAX_BYTES, "upload_max_request": settings.UPLOAD_MAX_REQUEST_BYTES}
