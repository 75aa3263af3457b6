"""Move a company's data in from Bitrix24 or amoCRM exports, with the check printed and a progress bar.

    manage.py move_in --from bitrix24 --user admin companies.csv contacts.csv deals.xls
    manage.py move_in --from amocrm --user admin contacts.xlsx leads.csv --stage "Переговоры=decision" --yes

Without --yes it prints what the import would do and stops. The same files again update what they made.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from crm.models import MoveIn, User
from crm.moving_in.services import PASSES, move_in_confirm, move_in_create, move_in_run, stage_targets


class Command(BaseCommand):
    help = "Import Bitrix24 or amoCRM exports (companies, contacts, deals): checked first, then imported."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="The exported files: .csv, .xls (Bitrix24) or .xlsx")
        parser.add_argument("--from", dest="system", required=True, choices=[choice.value for choice in MoveIn.System])
        parser.add_argument("--user", required=True, help="Username of the person importing (sees every account)")
        parser.add_argument(
            "--stage",
            action="append",
            default=[],
            metavar="SOURCE=TARGET",
            help="Map a source deal stage (as the check lists it) to a journey stage code, 'order' or '' (nothing)",
        )
        parser.add_argument("--yes", action="store_true", help="Import after the check, without asking")

    def handle(self, *args, files, system, user, stage, yes, **options):
        acting_user = User.objects.filter(username=user, is_active=True).first()
        if acting_user is None:
            raise CommandError(f"No active user “{user}”.")
        for file in files:
            if not Path(file).is_file():
                raise CommandError(f"No file {file}")
        try:
            move_in = move_in_create(
                system=system, uploads=[Path(file) for file in files], acting_user=acting_user, check_now=True
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        if move_in.status == MoveIn.Status.FAILED:
            raise CommandError(move_in.failure)
        self._preview(move_in)
        mapping = dict(move_in.stage_map)
        for pair in stage:
            source, _sep, target = pair.partition("=")
            mapping[source.strip()] = target.strip()
        if not yes:
            self.stdout.write("Nothing imported: run again with --yes to import.")
            return
        try:
            move_in = move_in_confirm(move_in=move_in, stage_map=mapping, acting_user=acting_user)
        except ValidationError as error:
            raise CommandError(
                " ".join(error.messages) + f" Targets: {', '.join(map(repr, stage_targets()))}"
            ) from None
        total = sum(described.get("rows", 0) for described in move_in.preview["files"]) + sum(
            described.get("refused", 0) for described in move_in.preview["files"]
        )
        with tqdm(total=total, desc="Importing", unit="row", disable=None) as bar:
            move_in = move_in_run(move_in_id=move_in.pk, progress=bar.update)
        if move_in.status != MoveIn.Status.DONE:
            raise CommandError(move_in.failure or f"The import stopped: {move_in.get_status_display()}")
        report = move_in.report
        kinds = [kind for kind in PASSES if kind in report["created"]]
        counts = lambda what: ", ".join(f"{report[what].get(kind, 0)} {kind}" for kind in kinds)  # noqa: E731
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {counts('created')}; updated {counts('updated')}; {report['refused']} refused."
            )
        )

    def _preview(self, move_in: MoveIn) -> None:
        preview = move_in.preview
        for described in preview["files"]:
            self.stdout.write(
                f"{described['name']} ({described['kind']}): {described.get('rows', 0)} rows — "
                f"{described.get('create', 0)} new, {described.get('update', 0)} already here, "
                f"{described.get('merged', 0)} merged as duplicates, {described.get('refused', 0)} refused"
            )
        for error in preview["errors"][:30]:
            self.stderr.write(f"{error['file']} row {error['row']}, {error['column']}: {error['reason']}")
        for name, rows in preview["unknown_managers"].items():
            self.stdout.write(f"No user “{name}” ({rows} rows): those go to the unassigned queue.")
        for source, target in move_in.stage_map.items():
            self.stdout.write(f"Stage “{source}” ({preview['stages'].get(source, 0)} deals) → {target or 'nothing'}")
