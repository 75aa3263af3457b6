from crm.batches import AccountBatchCommand
from segments.services.behaviour import SUGGEST_ALL_JOB, behaviour_suggest_all


class Command(AccountBatchCommand):
    help = (
        "Suggest everyone's behaviour axes (DOMAIN §5) from interaction notes and open survey answers, in "
        "batches of accounts. Stopped halfway, the next run goes on from the last batch."
    )
    job = SUGGEST_ALL_JOB

    def run(self, **kwargs) -> dict:
        return behaviour_suggest_all(**kwargs)

    def report(self, summary: dict) -> str:
        return (
            f"{summary['accounts']} accounts read (from account id {summary['resumed_from']}), "
            f"{summary['suggested']} people with a suggestion."
        )
