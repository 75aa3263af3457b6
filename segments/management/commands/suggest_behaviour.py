from django.core.management.base import BaseCommand
from tqdm import tqdm

from crm.batches import account_batches_done
from crm.models import Account
from segments.services.behaviour import SUGGEST_ALL_JOB, behaviour_suggest_all


class Command(BaseCommand):
    help = (
        "Suggest everyone's behaviour axes (DOMAIN §5) from interaction notes and open survey answers, in "
        "batches of accounts. Stopped halfway, the next run goes on from the last batch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--restart", action="store_true", help="Start from the first account again")
        parser.add_argument("--batch", type=int, default=2000, help="Accounts per batch (default 2000)")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, restart=False, batch=2000, quiet=False, **options):
        done = 0 if restart else account_batches_done(job=SUGGEST_ALL_JOB)
        with tqdm(total=Account.objects.count(), initial=done, unit="account", unit_scale=True, disable=quiet) as bar:
            summary = behaviour_suggest_all(batch_accounts=batch, restart=restart, progress=bar.update)
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary['accounts']} accounts read (from account id {summary['resumed_from']}), "
                f"{summary['suggested']} people with a suggestion."
            )
        )
