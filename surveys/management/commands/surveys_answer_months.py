"""Install the monthly answer counts anew (PostgreSQL): after TIME_ZONE changed, the months are the new zone's.
Until then the dashboard reads the answers themselves, which is right, only slower."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from surveys import answer_months


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The monthly counts are PostgreSQL's: on SQLite the dashboard reads the answers.")
        self.stdout.write(f"Counting the answers by month in {settings.TIME_ZONE} (writers wait until it is done) ...")
        started = time.monotonic()
        with transaction.atomic():
            answer_months.install()
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
