from django.apps import AppConfig
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_migrate


def _roles_after_migrate(sender, **kwargs) -> None:
    from .roles import ensure_role_groups  # after app loading: roles imports auth's models

    ensure_role_groups()


class AnnoteraConfig(AppConfig):
    name = "annotera"
    verbose_name = "Annotera"

    def ready(self) -> None:
        # Runs after every app's migrations (and their permissions) on each migrate.
        post_migrate.connect(_roles_after_migrate, dispatch_uid="annotera-role-groups")
        from .credentials import on_login_failed  # in ready(): credentials imports auth's models, loaded only now

        user_login_failed.connect(on_login_failed, dispatch_uid="annotera-credential-failures")
