from crm.batches import AccountBatchCommand
from journeys.services import BACKFILL_JOB, journeys_backfill, stage_norms_refresh


class Command(AccountBatchCommand):
    help = (
        "Put every account that is not on a journey yet on one, with the stage moves its history implies "
        "(DOMAIN §7), in batches of accounts. Stopped halfway, the next run goes on from the last batch."
    )
    job = BACKFILL_JOB

    def run(self, **kwargs) -> dict:
        return {**journeys_backfill(**kwargs), "norms": stage_norms_refresh()}

    def report(self, summary: dict) -> str:
        return (
            f"{summary['accounts']} accounts read (from account id {summary['resumed_from']}): "
            f"{summary['placed']} put on a journey with {summary['transitions']} stage moves; "
            f"{summary['norms']} stage norms updated."
        )
