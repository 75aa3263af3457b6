"""Answers from Google Forms and Yandex Forms exports (tests/surveys/exports/): columns matched to our questions by
their text, scales converted, respondents found by e-mail or phone, the unknown ones reported, nothing twice, and
the answers counted in the metrics at their own dates."""

from datetime import datetime
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django.utils.timezone import localtime

from surveys import metrics
from surveys.models import Answer, Response, Survey
from tests.crm.factories import PhoneFactory

EXPORTS = Path(__file__).parent / "exports"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.CRM_MOVE_IN_DIR = str(tmp_path)


def test_a_google_forms_export_is_matched_by_text_and_counts_at_its_dates(person, superuser, capsys):
    call_command("import_survey_responses", "--survey", "nps", str(EXPORTS / "google_forms_nps_ru.csv"))
    check = capsys.readouterr()
    assert not Response.objects.exists()  # the check imports nothing
    assert "“Насколько вероятно, что вы порекомендуете нас коллеге?” → recommend" in check.out
    assert "“Что больше всего повлияло на вашу оценку?” → reason" in check.out
    assert "2 response(s) would be imported, 0 already there, 1 respondent(s) not found, 1 row(s) failed" in check.out

    call_command("import_survey_responses", "--survey", "nps", str(EXPORTS / "google_forms_nps_ru.csv"), "--yes")
    done = capsys.readouterr()
    call_command("import_survey_responses", "--survey", "nps", str(EXPORTS / "google_forms_nps_ru.csv"), "--yes")
    again = capsys.readouterr()

    assert "2 response(s) imported, 0 already there, 1 respondent(s) not found, 1 row(s) failed" in done.out
    assert "row 4: no person of ours is “stranger@example.com”" in done.err
    assert "row 5: recommend: Expected a whole number from 0 to 10." in done.err
    assert "0 response(s) imported, 2 already there" in again.out
    responses = Response.objects.order_by("submitted_at")
    assert [f"{localtime(r.submitted_at):%d.%m.%Y %H:%M}" for r in responses] == [
        "02.11.2026 14:03",
        "03.11.2026 09:15",
    ]
    assert list(Answer.objects.filter(question__code="reason").exclude(text="").values_list("text", flat=True)) == [
        "Быстрая доставка"
    ]
    november = metrics.MetricFilters(
        user=superuser, start=timezone.make_aware(datetime(2026, 11, 1)), end=timezone.make_aware(datetime(2026, 12, 1))
    )
    assert metrics.nps(november)["n"] == 2 and metrics.nps(november)["value"] == 100.0
    october = metrics.MetricFilters(user=superuser, end=timezone.make_aware(datetime(2026, 11, 1)))
    assert metrics.nps(october)["n"] == 0  # at their own dates, not the day of the import


def test_a_column_can_be_matched_by_hand_and_a_stars_scale_converted(person, capsys):
    PhoneFactory(contact=person, raw="+7 916 123-45-67")
    file = str(EXPORTS / "yandex_forms_stars.xlsx")

    call_command(
        "import_survey_responses",
        "--survey",
        "nps",
        file,
        "--time-column",
        "Время создания",
        "--column",
        "Комментарий=reason",
        "--scale",
        "recommend=1-5",
        "--yes",
    )

    assert "2 response(s) imported" in capsys.readouterr().out  # the respondent found by phone, written two ways
    assert sorted(Answer.objects.filter(question__code="recommend").values_list("score", flat=True)) == [0, 10]
    assert list(Answer.objects.filter(question__code="reason").exclude(text="").values_list("text", flat=True)) == [
        "Всё отлично"
    ]


def test_a_file_without_a_time_column_is_refused_with_what_it_should_be(person, tmp_path):
    file = tmp_path / "answers.csv"
    file.write_text("Адрес электронной почты,Оценка\nivan@romashka.ru,9\n", encoding="utf-8")

    with pytest.raises(CommandError, match="has no column “Отметка времени / Timestamp”: name the column"):
        call_command("import_survey_responses", "--survey", "nps", str(file), "--yes")
    with pytest.raises(CommandError, match="has no column “Время”"):
        call_command("import_survey_responses", "--survey", "nps", str(file), "--time-column", "Время", "--yes")
    assert not Response.objects.exists()


def test_the_admin_page_checks_lets_the_columns_be_changed_and_imports(client, superuser, person):
    PhoneFactory(contact=person, raw="+7 916 123-45-67")
    client.force_login(superuser)
    url = reverse("admin:surveys_forms_import")
    survey = Survey.objects.get(slug="nps")
    content = (EXPORTS / "yandex_forms_stars.xlsx").read_bytes()

    page = client.post(
        url,
        {"survey": survey.pk, "time_column": "Время создания", "answers_file": SimpleUploadedFile("a.xlsx", content)},
    )
    html = page.content.decode()
    assert page.status_code == 200 and "Would import 2 responses" in html
    read = page.context["read"]
    stars = next(column for column in read.columns if column.header.startswith("Насколько"))
    assert stars.question.code == "recommend" and stars.seen == (1, 5)

    form = {"token": page.context["token"], "survey_id": survey.pk, "time_column": "Время создания", "import": "1"}
    form.update({f"column-{column.index}": column.question.code if column.question else "" for column in read.columns})
    form[f"scale-{stars.index}"] = "1-5"
    done = client.post(url, form)

    assert "Imported 2 responses" in done.content.decode()
    assert sorted(Answer.objects.filter(question__code="recommend").values_list("score", flat=True)) == [0, 10]
    assert client.post(url, form).status_code == 302  # the upload is gone once imported: choose the file again


def test_a_forged_upload_token_names_no_file(client, superuser):
    client.force_login(superuser)
    page = client.post(reverse("admin:surveys_forms_import"), {"token": "../../etc:forged", "survey_id": 1})
    assert page.status_code == 302 and not Response.objects.exists()
