from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm.demo.registry import demo_steps
from crm.demo.seed import DEMO_MANAGER_PASSWORD, demo_seed


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
        for step in demo_steps():  # each app's own demo data (crm/demo/registry.py)
            result.counts |= step.run(seed)
        counts = ", ".join(f"{count} {name}" for name, count in result.counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} accounts created ({counts or 'nothing else'}); {result.existing} were already there."
            )
        )
        self.stdout.write(
            f"Demo managers log in as ivanova, petrov, kuznetsov... with password “{DEMO_MANAGER_PASSWORD}”."
        )
