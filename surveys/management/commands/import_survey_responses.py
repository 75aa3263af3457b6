"""Import answers exported from Google Forms, Yandex Forms or anything else as CSV or XLSX.

Columns: `contact` (email or phone), `submitted_at`, then one column per question code; an optional
`external_id` column names each response. Bad rows are reported with the reason and the rest are
kept. Importing the same file again adds nothing.
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

    def handle(self, *args, survey: str, file: str, **options):
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
