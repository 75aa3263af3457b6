"""Import survey answers from a CSV or XLSX file: our own layout, or a Google Forms / Yandex Forms export.

Our layout: `contact` (email or phone), `submitted_at`, then one column per question code; an optional
`external_id` column names each response. A forms export (a timestamp column, the respondent's e-mail, one column
per question headed by its text) has its columns matched to the questions by text: the command prints the matches
and what would be imported, and imports with --yes; --column and --scale change a match or a scale. Bad rows are
reported with the reason and the rest are kept. Importing the same file again adds nothing.
"""

import hashlib
import json
from pathlib import Path

import tablib
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from crm.models import Contact
from crm.phones import phone_try_normalize
from surveys.models import Response, Survey
from surveys.services.forms_import import forms_file_read, forms_import
from surveys.services.responses import survey_response_record

_FIXED = {"contact", "submitted_at", "external_id"}


def _contact(value: str) -> Contact:
    value = (value or "").strip()
    if "@" in value:
        contacts = list(Contact.objects.filter(email__iexact=value).select_related("account")[:2])
    else:
        number = phone_try_normalize(value)
        if number is None:
            raise ValidationError(f"“{value}” is neither an email nor a phone number")
        contacts = list(Contact.objects.filter(phones__number=number).select_related("account").distinct()[:2])
    if not contacts:
        raise ValidationError(f"no person with “{value}”")
    if len(contacts) > 1:
        raise ValidationError(f"more than one person has “{value}”: give their email instead")
    return contacts[0]


def _submitted_at(value) -> object:
    if hasattr(value, "year"):  # a spreadsheet cell holding a date-time
        moment = value
    else:
        text = str(value or "").strip().replace(" ", "T", 1)
        moment = parse_datetime(text)
        if moment is None:
            raise ValidationError(f"submitted_at “{value}” is not a date and time (use 2026-05-01 10:00)")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _answer(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)  # spreadsheets store 9 as 9.0
    return value


class Command(BaseCommand):
    help = "Import survey responses from a CSV or XLSX file (contact, submitted_at, one column per question code)."

    def add_arguments(self, parser):
        parser.add_argument("--survey", required=True, help="The survey's slug, e.g. nps")
        parser.add_argument("file", help="A .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="HEADER=CODE",
            help="A forms export: import the column HEADER as the question CODE ('-' to leave it out)",
        )
        parser.add_argument(
            "--scale",
            action="append",
            default=[],
            metavar="CODE=LOW-HIGH",
            help="A forms export: the file's scale for question CODE, e.g. nps=1-5 for stars (converted)",
        )
        parser.add_argument("--yes", action="store_true", help="A forms export: import after printing the check")
        parser.add_argument(
            "--time-column",
            default="",
            metavar="HEADER",
            help="A forms export whose time column is not Google's «Отметка времени» / Timestamp: its header",
        )

    def handle(self, *args, survey: str, file: str, column, scale, yes, time_column, **options):
        survey_obj = Survey.objects.filter(slug=survey).first()
        if survey_obj is None:
            raise CommandError(
                f"No survey “{survey}”. Surveys: {', '.join(Survey.objects.values_list('slug', flat=True))}"
            )
        path = Path(file)
        if not path.exists():
            raise CommandError(f"No file {path}")
        try:
            if path.suffix.lower() == ".xlsx":
                data = tablib.Dataset().load(path.read_bytes(), format="xlsx")
            else:
                data = tablib.Dataset().load(path.read_text(encoding="utf-8-sig"), format="csv")
        except Exception as error:
            raise CommandError(f"Cannot read {path}: {error}") from error
        headers = [str(header or "").strip() for header in data.headers or []]
        if not {"contact", "submitted_at"} & set(headers):
            return self._forms(survey_obj, path, column, scale, yes, time_column)
        missing = {"contact", "submitted_at"} - set(headers)
        if missing:
            raise CommandError(f"The file lacks the column(s): {', '.join(sorted(missing))}")
        codes = set(survey_obj.questions.values_list("code", flat=True))
        unknown = [h for h in headers if h and h not in _FIXED and h not in codes]
        if unknown:
            raise CommandError(
                f"Unknown column(s) {', '.join(unknown)}: "
                f"the survey “{survey}” has questions {', '.join(sorted(codes))}"
            )
        created = already = 0
        failures = []
        for number, row in enumerate(tqdm(data.dict, desc="Importing", unit="row", disable=None), start=2):
            row = {str(key or "").strip(): value for key, value in row.items()}
            answers = {code: _answer(row[code]) for code in codes & row.keys() if row[code] not in (None, "")}
            try:
                contact = _contact(str(row.get("contact") or ""))
                submitted_at = _submitted_at(row.get("submitted_at"))
                external_id = (
                    str(row.get("external_id") or "").strip()
                    or "import:"
                    + hashlib.sha256(
                        json.dumps(
                            [contact.id, submitted_at.isoformat(), answers], sort_keys=True, default=str
                        ).encode()
                    ).hexdigest()[:40]
                )
                _response, was_created = survey_response_record(
                    survey=survey_obj,
                    contact=contact,
                    submitted_at=submitted_at,
                    external_id=external_id,
                    answers=answers,
                    source=Response.Source.IMPORT,
                )
            except ValidationError as error:
                reasons = (
                    [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
                    if hasattr(error, "error_dict")
                    else error.messages
                )
                failures.append((number, "; ".join(reasons)))
                continue
            created += was_created
            already += not was_created
        for number, reason in failures:
            self.stderr.write(f"row {number}: {reason}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} response(s) imported, {already} already there, {len(failures)} row(s) failed."
            )
        )

    def _forms(self, survey: Survey, path: Path, columns: list[str], scales: list[str], yes: bool, time: str) -> None:
        try:
            forms = forms_file_read(survey=survey, path=path, time_column=time)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        questions = {question.code: question for question in survey.questions.all()}
        chosen = dict(pair.partition("=")[::2] for pair in columns)
        for item in forms.columns:
            if item.header in chosen:
                code = chosen[item.header].strip()
                if code != "-" and code not in questions:
                    raise CommandError(f"No question “{code}”. Questions: {', '.join(sorted(questions))}")
                item.question = questions.get(code)
        for pair in scales:
            code, _sep, ends = pair.partition("=")
            low, _dash, high = ends.partition("-")
            if not (low.isdigit() and high.isdigit() and int(low) < int(high)):
                raise CommandError(f"--scale {pair}: write it as CODE=LOW-HIGH, e.g. nps=1-5")
            for item in forms.columns:
                if item.question is not None and item.question.code == code.strip():
                    item.scale = (int(low), int(high))
        for item in forms.columns:
            target = f"{item.question.code}" if item.question else "(not imported)"
            scale = f", the file's scale {item.scale_text} converted" if item.scale else ""
            self.stdout.write(f"“{item.header}” → {target}{scale}")
        try:
            report = forms_import(survey=survey, forms=forms, dry_run=not yes)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        for number, who in report.unmatched:
            self.stderr.write(f"row {number}: no person of ours is “{who}”")
        for number, reason in report.failed:
            self.stderr.write(f"row {number}: {reason}")
        verb = "imported" if yes else "would be imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.created} response(s) {verb}, {report.already} already there, "
                f"{len(report.unmatched)} respondent(s) not found, {len(report.failed)} row(s) failed."
            )
        )
        if not yes:
            self.stdout.write("Nothing imported: run again with --yes to import.")
