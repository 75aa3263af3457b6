"""Long jobs over every account, in batches by id, that a second run continues instead of starting again."""

from collections import Counter
from collections.abc import Callable

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from crm.models import Account, BatchCheckpoint


def account_batches_run(
    *,
    job: str,
    work: Callable[[list[int]], Counter],
    batch_accounts: int = 2000,
    restart: bool = False,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Call `work` with each batch of account ids, in id order. A batch's work commits together with the job's
    checkpoint, so a run that stops (a deploy, a killed worker) goes on from its last batch next time; a finished
    job, or `restart`, starts from the first account. Returns the work's counts summed, with "accounts" read and
    "resumed_from" (the account id it started after)."""
    checkpoint, _created = BatchCheckpoint.objects.get_or_create(name=job)
    if restart or checkpoint.finished_at:
        BatchCheckpoint.objects.filter(pk=checkpoint.pk).update(position=0, started_at=timezone.now(), finished_at=None)
        checkpoint.position = 0
    totals, position = Counter(), checkpoint.position
    resumed_from = position
    while ids := list(
        Account.objects.filter(id__gt=position).order_by("id").values_list("id", flat=True)[:batch_accounts]
    ):
        with transaction.atomic():
            totals += work(ids)
            BatchCheckpoint.objects.filter(pk=checkpoint.pk).update(position=ids[-1])
        position = ids[-1]
        totals["accounts"] += len(ids)
        if progress:
            progress(len(ids))
    BatchCheckpoint.objects.filter(pk=checkpoint.pk).update(finished_at=timezone.now())
    return {"accounts": 0, **totals, "resumed_from": resumed_from}


def account_batches_done(*, job: str) -> int:
    """How many accounts an unfinished run of the job has done: where a progress bar starts."""
    checkpoint = BatchCheckpoint.objects.filter(name=job, finished_at__isnull=True).first()
    return Account.objects.filter(id__lte=checkpoint.position).count() if checkpoint else 0


class AccountBatchCommand(BaseCommand):
    """A management command around a resumable job: --restart, --batch, --quiet and a progress bar that starts
    where an unfinished run stopped. Subclasses set `job` and define `run(*, batch_accounts, restart, progress)`,
    which returns the job's summary, and `report(summary)`, the line printed at the end."""

    job: str

    def add_arguments(self, parser):
        parser.add_argument("--restart", action="store_true", help="Start from the first account again")
        parser.add_argument("--batch", type=int, default=2000, help="Accounts per batch (default 2000)")
        parser.add_argument("--quiet", action="store_true", help="No progress bar")

    def handle(self, *args, restart=False, batch=2000, quiet=False, **options):
        done = 0 if restart else account_batches_done(job=self.job)
        with tqdm(total=Account.objects.count(), initial=done, unit="account", unit_scale=True, disable=quiet) as bar:
            summary = self.run(batch_accounts=batch, restart=restart, progress=bar.update)
        self.stdout.write(self.style.SUCCESS(self.report(summary)))
