"""The Celery app. Tasks are thin: they take ids and call services."""

import os

from celery import Celery
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "annotera.settings")

app = Celery("annotera")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def celery_task(name: str):
    """A registered task, by name. Services enqueue with it (``celery_task("qa.x").delay_on_commit(id)``)
    instead of importing their app's tasks module: tasks import services, so the reverse import
    would be a cycle."""
    if name not in app.tasks:
        app.loader.import_default_modules()  # autodiscovery: imports each installed app's tasks module
    return app.tasks[name]


@app.on_after_configure.connect
def _prepare_embedded_broker(sender: Celery, **kwargs: object) -> None:
    # kombu's filesystem transport needs its folders to exist before the first message.
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            os.makedirs(options[key], exist_ok=True)


@app.on_after_finalize.connect
def _schedule_reaper(sender: Celery, **kwargs: object) -> None:
    sender.add_periodic_task(
        settings.REAPER_INTERVAL_SECONDS, sender.signature("annotation.reap_stale_jobs"), name="reap stale jobs"
    )
    sender.add_periodic_task(600.0, sender.signature("annotation.train_due_models"), name="train suggestion models")
    sender.add_periodic_task(
        settings.REAPER_INTERVAL_SECONDS, sender.signature("qa.reap_stale_snapshots"), name="reap stale snapshots"
    )
