import time

from django.core.management.base import BaseCommand, CommandError

from portal.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; names the first changed, deleted, inserted or reordered event."

    def handle(self, *args, **options):
        started = time.monotonic()
        result = verify_chain()
        elapsed = time.monotonic() - started
        if not result.ok:
            raise CommandError(f"{result.message} (after {result.checked} good events, {elapsed:.1f} s)")
        self.stdout.write(f"{result.message} ({elapsed:.1f} s)")
