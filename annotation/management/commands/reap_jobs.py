from django.core.management.base import BaseCommand

from annotation.jobs import jobs_reap_stale


class Command(BaseCommand):
    help = "Re-queue machine-pass jobs whose worker died (the Celery beat in the worker runs this periodically)."

    def handle(self, *args, **options):
        acted = jobs_reap_stale()
        self.stdout.write(f"re-queued or failed {len(acted)} stale job(s): {acted}")
