from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm.demo.seed import DEMO_MANAGER_PASSWORD, demo_seed
from journeys.demo import journeys_demo_seed
from journeys.services import stage_norms_refresh
from segments.demo import segments_demo_seed
from segments.services.behaviour import behaviour_suggest_all
from surveys.demo import surveys_demo_seed


class Command(BaseCommand):
    help = "Load realistic, deterministic demo data. Running it again adds only what is missing."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300, help="How many client companies (default 300).")
        parser.add_argument("--seed", type=int, default=1, help="The same seed always gives the same data.")

    def handle(self, *args, accounts, seed, **options):
        if accounts < 0:
            raise CommandError("--accounts must be zero or more.")
        with tqdm(total=accounts, unit="account", desc="Demo data", disable=options["verbosity"] == 0) as bar:
            result = demo_seed(accounts=accounts, seed=seed, progress=bar.update)
        result.counts |= journeys_demo_seed(seed=seed)  # first: the survey answers then move accounts on
        result.counts |= surveys_demo_seed(seed=seed)
        result.counts["behaviour suggestions"] = behaviour_suggest_all()["suggested"]
        result.counts |= segments_demo_seed()
        result.counts["stage norms"] = stage_norms_refresh()  # after the answers that moved accounts on
        counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} accounts created ({counts or 'nothing else'}); {result.existing} were already there."
            )
        )
        self.stdout.write(
            f"Demo managers log in as ivanova, petrov, kuznetsov... with password “{DEMO_MANAGER_PASSWORD}”."
        )
