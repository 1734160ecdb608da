from django.apps import AppConfig


class QaConfig(AppConfig):
    name = "qa"
    verbose_name = "Quality assurance"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (in ready(): connects the stale-marking receivers once models are loaded)
