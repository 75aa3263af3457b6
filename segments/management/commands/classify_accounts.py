from django.core.management.base import BaseCommand
from tqdm import tqdm

from crm.models import Account
from segments.services.levels import levels_classify
from segments.services.zones import zones_classify


class Command(BaseCommand):
    help = "Recompute every account's zone (DOMAIN §4) and then its base level (DOMAIN §6)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, quiet=False, **options):
        last = Account.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for label, classify in (("Zones", zones_classify), ("Levels", levels_classify)):
            with tqdm(total=last, unit="account", unit_scale=True, desc=label, disable=quiet) as bar:
                report = classify(progress=bar.update)
            self.stdout.write(self.style.SUCCESS(str(report)))
