"""Take every account's first contact, proposal, order and delivery anew from their rows (PostgreSQL), and install
the triggers that keep them. Needed only when the rows were written with the triggers off (a restore with
--disable-triggers, say): until it runs, the cycle times count from firsts that miss those rows."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from journeys import firsts


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The kept firsts are PostgreSQL's: on SQLite the cycle times read the rows.")
        self.stdout.write("Taking each account's firsts from its rows (writers wait until it is done) ...")
        started = time.monotonic()
        with transaction.atomic():
            firsts.install()
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f} s."))
