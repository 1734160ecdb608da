from django.apps import AppConfig


class AnnotationConfig(AppConfig):
    name = "annotation"
    verbose_name = "Annotation"

    def ready(self) -> None:
        # Imported here, not at the top: models can only be imported once the app registry is ready.
        from taxonomy.selectors import taxonomy_scope_register  # in ready(): models are loaded only now

        from . import checks, stages  # noqa: F401  (in ready(): registers the machine-pass stages and the settings checks)
        from .selectors import taxonomies_pinned_for  # in ready(): models are loaded only now

        # Taxonomy sits below annotation, so it learns which versions projects pin from here.
        taxonomy_scope_register(taxonomies_pinned_for)
