from .roles import ROLE_NAMES, user_role


def roles(request) -> dict:
    role = user_role(getattr(request, "user", None))
    return {"user_role": role, "user_role_name": ROLE_NAMES.get(role, "")}
