"""Answers collected in Google Forms or Yandex Forms, from their export, into one of our surveys.

Those exports are one row per response: a timestamp column («Отметка времени» / "Timestamp"), the respondent's
e-mail when the form collected it (or any column of e-mails or phones), then one column per question headed by the
question's text. Columns are matched to our questions by their text (suggested, then confirmed or changed), a scale
of another range (1-5 stars for our 0-10) is converted, respondents are found by e-mail or phone, and those we
cannot find are reported, not guessed. Each response is keyed by its content, so importing a file twice adds nothing.
The answers count at their own dates, as any answer does.
"""

import hashlib
import json
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from crm.models import Contact
from crm.moving_in.files import table_open
from crm.moving_in.formats import header_key, moment
from crm.phones import phone_try_normalize
from surveys.models import Question, Response, Survey
from surveys.services.responses import answers_clean, survey_response_record

# Google Forms' time column, in a Russian and an English account. Another service's (Yandex Forms') is named by the
# person importing: its export's headers could not be confirmed, and a guessed column would date answers wrongly.
TIMESTAMP_HEADERS = {"отметка времени", "timestamp"}
RESPONDENT_WORDS = ("адрес электронной почты", "email address", "e-mail", "email", "почта", "телефон", "phone")
MATCH_AT_LEAST = 0.6  # how alike a header and a question's text must be for the match to be suggested
REPORT_KEPT = 200


@dataclass
class Column:
    index: int
    header: str
    question: Question | None = None
    scale: tuple[int, int] | None = None  # the file's scale, when it is not the question's
    seen: tuple[int, int] | None = None  # the lowest and highest numbers in the column

    @property
    def scale_text(self) -> str:
        return f"{self.scale[0]}-{self.scale[1]}" if self.scale else ""


@dataclass
class FormsFile:
    path: Path
    headers: list[str]
    timestamp: int
    respondent: int | None
    columns: list[Column]
    rows: int = 0


@dataclass
class FormsReport:
    created: int = 0
    already: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, who the row says answered)
    failed: list[tuple[int, str]] = field(default_factory=list)  # (row, why)


def _question_texts(question: Question) -> list[str]:
    return [header_key(text) for text in (question.text_ru, question.text_en, question.code) if text]


def forms_file_read(*, survey: Survey, path: Path, name: str = "", time_column: str = "") -> FormsFile:
    """The file's columns, each with the question its header suggests and the range of numbers in it.
    `time_column`: the header of the column with each response's time, when it is not Google Forms' own."""
    table = table_open(path, name=name)
    rows = table.rows()
    headers = next(rows, [])
    keys = [header_key(header) for header in headers]
    names = {header_key(time_column)} if time_column.strip() else TIMESTAMP_HEADERS
    timestamp = next((index for index, key in enumerate(keys) if key in names), None)
    if timestamp is None:
        raise ValidationError(
            _(
                "The file has no column “%(time)s”: name the column that holds each response's time, as its header "
                "reads (Google Forms' is «Отметка времени» or “Timestamp”; in this file: %(headers)s)."
            )
            % {"time": time_column.strip() or "Отметка времени / Timestamp", "headers": ", ".join(headers[:6])}
        )
    respondent = next(
        (
            index
            for index, key in enumerate(keys)
            if index != timestamp and any(word in key for word in RESPONDENT_WORDS)
        ),
        None,
    )
    questions = list(survey.questions.order_by("position", "id"))
    columns = [
        Column(index=index, header=header, question=_best_question(header_key(header), questions))
        for index, header in enumerate(headers)
        if index not in (timestamp, respondent) and header.strip()
    ]
    forms = FormsFile(path=path, headers=headers, timestamp=timestamp, respondent=respondent, columns=columns)
    for row in rows:
        forms.rows += 1
        for column in columns:
            value = row[column.index] if column.index < len(row) else ""
            if value.strip().lstrip("-").isdigit():
                number = int(value)
                low, high = column.seen or (number, number)
                column.seen = (min(low, number), max(high, number))
    for column in columns:
        column.scale = scale_suggest(column.question, column.seen)
    return forms


def _best_question(header: str, questions: list[Question]) -> Question | None:
    scored = [
        (max(SequenceMatcher(None, header, text).ratio() for text in _question_texts(question)), question)
        for question in questions
    ]
    ratio, question = max(scored, key=lambda pair: pair[0], default=(0, None))
    return question if ratio >= MATCH_AT_LEAST else None


def scale_suggest(question: Question | None, seen: tuple[int, int] | None) -> tuple[int, int] | None:
    """The file's scale when its numbers do not fit the question's: 1-5 (stars), 1-10 or 0-10; else None (the same)."""
    if question is None or question.type != Question.Type.SCALE or seen is None:
        return None
    if question.scale_min <= seen[0] and seen[1] <= question.scale_max:
        return None
    for low, high in ((1, 5), (1, 10), (0, 10)):
        if low <= seen[0] and seen[1] <= high:
            return low, high
    return None


def _converted(value: str, question: Question, scale: tuple[int, int] | None):
    if scale is None or question.type != Question.Type.SCALE or not value.strip().lstrip("-").isdigit():
        return value
    low, high = scale
    number = int(value)
    if not low <= number <= high:
        return value  # refused by the question's own check, with its range
    position = (number - low) / (high - low)
    return int(question.scale_min + position * (question.scale_max - question.scale_min) + 0.5)


def _contact(value: str) -> Contact | None:
    value = value.strip()
    if "@" in value:
        found = list(Contact.objects.filter(email__iexact=value).select_related("account")[:2])
    elif number := phone_try_normalize(value):
        found = list(Contact.objects.filter(phones__number=number).select_related("account").distinct()[:2])
    else:
        found = []
    return found[0] if len(found) == 1 else None


def forms_import(*, survey: Survey, forms: FormsFile, dry_run: bool = False) -> FormsReport:
    """Record each response of the file whose respondent we know; report the others and the rows that fail."""
    report = FormsReport()
    columns = [column for column in forms.columns if column.question is not None]
    if not columns:
        raise ValidationError(_("No column matches a question of this survey: map them first."))
    rows = table_open(forms.path).rows()
    next(rows, None)
    for number, row in enumerate(rows, start=2):
        row += [""] * (len(forms.headers) - len(row))
        cell = lambda index, row=row: row[index] if index is not None else ""  # noqa: E731
        who = cell(forms.respondent)
        contact = _contact(who) if who else None
        if contact is None:
            if len(report.unmatched) < REPORT_KEPT:
                report.unmatched.append((number, who or _("(the form did not ask)")))
            continue
        answers = {
            column.question.code: _converted(cell(column.index), column.question, column.scale) for column in columns
        }
        answers = {code: value for code, value in answers.items() if value not in ("", None)}
        try:
            submitted_at = moment(cell(forms.timestamp))
            if submitted_at is None:
                raise ValueError(_("no time"))
            key = json.dumps([contact.pk, submitted_at.isoformat(), answers], sort_keys=True, default=str)
            if dry_run:
                answers_clean(survey=survey, answers=answers, complete=True)  # what recording would refuse
                exists = Response.objects.filter(survey=survey, external_id=_external_id(key)).exists()
                report.already += exists
                report.created += not exists
                continue
            _response, created = survey_response_record(
                survey=survey,
                contact=contact,
                submitted_at=submitted_at,
                external_id=_external_id(key),
                answers=answers,
                source=Response.Source.IMPORT,
            )
        except (ValidationError, ValueError) as error:
            reasons = (
                [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
                if isinstance(error, ValidationError) and hasattr(error, "error_dict")
                else getattr(error, "messages", [str(error)])
            )
            if len(report.failed) < REPORT_KEPT:
                report.failed.append((number, "; ".join(reasons)))
            continue
        report.created += created
        report.already += not created
    return report


def _external_id(key: str) -> str:
    return "forms:" + hashlib.sha256(key.encode()).hexdigest()[:40]
