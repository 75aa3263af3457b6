from django.core.management.base import BaseCommand
from tqdm import tqdm

from crm.models import Account
from segments.services import zones_classify


class Command(BaseCommand):
    help = "Recompute every account's zone from the relationship-survey answers in the window (DOMAIN §4)."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, quiet=False, **options):
        last = Account.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with tqdm(total=last, unit="account", unit_scale=True, desc="Zones", disable=quiet) as bar:
            report = zones_classify(progress=bar.update)
        self.stdout.write(self.style.SUCCESS(str(report)))
