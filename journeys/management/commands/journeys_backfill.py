from django.core.management.base import BaseCommand
from tqdm import tqdm

from crm.batches import account_batches_done
from crm.models import Account
from journeys.services import BACKFILL_JOB, journeys_backfill, stage_norms_refresh


class Command(BaseCommand):
    help = (
        "Put every account that is not on a journey yet on one, with the stage moves its history implies "
        "(DOMAIN §7), in batches of accounts. Stopped halfway, the next run goes on from the last batch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--restart", action="store_true", help="Start from the first account again")
        parser.add_argument("--batch", type=int, default=2000, help="Accounts per batch (default 2000)")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, restart=False, batch=2000, quiet=False, **options):
        done = 0 if restart else account_batches_done(job=BACKFILL_JOB)
        with tqdm(total=Account.objects.count(), initial=done, unit="account", unit_scale=True, disable=quiet) as bar:
            summary = journeys_backfill(batch_accounts=batch, restart=restart, progress=bar.update)
        norms = stage_norms_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary['accounts']} accounts read (from account id {summary['resumed_from']}): "
                f"{summary['placed']} put on a journey with {summary['transitions']} stage moves; "
                f"{norms} stage norms updated."
            )
        )
