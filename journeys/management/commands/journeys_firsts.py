"""Take every account's first contact, proposal, order and delivery, and count the journeys' funnel facts and stays,
anew from their rows (PostgreSQL), and install the triggers that keep them. Needed only when rows were written with
the triggers off (a restore with --disable-triggers, say): until it runs, the cycle times, the whole journey's
funnel and its time in stage count from what misses those rows."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from journeys import counts, firsts


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The kept firsts and counts are PostgreSQL's: on SQLite the analytics read the rows.")
        self.stdout.write("Taking each account's firsts and the journeys' counts from the rows (writers wait) ...")
        started = time.monotonic()
        with transaction.atomic():
            firsts.install()
            counts.install()
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
