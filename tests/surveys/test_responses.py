"""Answering: the respondent's page, the ingestion API and file imports, with bad input refused whole."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crm.models import ContactConsent
from crm.services.accounts import contact_consent_set
from surveys.models import Answer, Invitation, Response
from tests.crm.factories import AccountFactory, ContactFactory, PhoneFactory

pytestmark = pytest.mark.django_db


def page(token):
    return f"/s/{token}/"


# The page ------------------------------------------------------------------------------------------


def test_the_page_asks_in_the_persons_language_and_a_clicked_score_is_preselected(client, person, invite):
    token = invite(person, "nps")

    response = client.get(page(token) + "?recommend=9")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Насколько вероятно, что вы порекомендуете нас коллеге?" in html
    assert 'value="9" checked' in html
    assert Invitation.objects.get().opened_at is not None
    assert Response.objects.count() == 0  # a mail scanner fetching the link answers nothing


def test_sending_the_form_records_one_response_and_skips_are_kept_as_skips(client, person, invite):
    token = invite(person, "relationship")
    form = {"q_result": "8", "q_understanding": "9", "q_fix_three": "Быстрее отвечать", "action": "send"}

    first = client.post(page(token), form)
    second = client.post(page(token), form)  # a double click

    assert first.status_code == 200 and "Спасибо" in first.content.decode()
    assert second.status_code == 200 and "уже ответили" in second.content.decode()
    response = Response.objects.get()
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    assert response.completed and Invitation.objects.get().answered_at is not None
    assert (answers["result"].score, answers["understanding"].score) == (8, 9)
    assert answers["service_quality"].skipped and answers["recommend"].skipped
    assert answers["talk_to_owner"].yes is False  # an unticked box, sent
    assert answers["fix_three"].text == "Быстрее отвечать"


def test_partial_answers_are_saved_and_shown_again(client, person, invite):
    token = invite(person, "relationship")

    saved = client.post(page(token), {"q_result": "7", "action": "save"}, HTTP_ACCEPT="application/json")
    again = client.get(page(token))

    assert saved.json() == {"saved": True}
    assert 'name="q_result" value="7" checked' in again.content.decode()
    assert Response.objects.get().completed is False


def test_an_out_of_range_score_is_refused_with_the_reason_and_nothing_is_stored(client, person, invite):
    token = invite(person, "nps")

    response = client.post(page(token), {"q_recommend": "11", "action": "send"})

    assert response.status_code == 400
    assert "от 0 до 10" in response.content.decode()
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_a_forged_an_expired_and_a_closed_link_are_refused(client, person, invite, surveys):
    token = invite(person, "nps")
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")

    assert client.get(page(forged)).status_code == 404
    assert client.get(page("not-a-token")).status_code == 404
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    assert client.post(page(token), {"q_recommend": "9"}).status_code == 410
    Invitation.objects.update(expires_at=timezone.now() + timedelta(days=1))
    surveys["nps"].__class__.objects.filter(slug="nps").update(is_active=False)
    assert client.post(page(token), {"q_recommend": "9"}).status_code == 410
    assert Response.objects.count() == 0


def test_a_person_who_opted_out_cannot_answer(client, person, invite):
    token = invite(person, "nps")
    contact_consent_set(contact=person, purpose=ContactConsent.Purpose.SURVEYS, granted=False)

    response = client.post(page(token), {"q_recommend": "9", "action": "send"})

    assert response.status_code == 403
    assert Response.objects.count() == 0


# The API -------------------------------------------------------------------------------------------


def payload(person, **overrides):
    return {
        "contact": person.id,
        "submitted_at": "2026-05-01T10:00:00+03:00",
        "external_id": "gforms-1",
        "answers": {"recommend": 9, "reason": "Быстрая поставка"},
        **overrides,
    }


def test_the_api_records_a_response_once_per_external_id(manager_api, person):
    first = manager_api.post("/api/v1/surveys/nps/responses/", payload(person), format="json")
    again = manager_api.post("/api/v1/surveys/nps/responses/", payload(person), format="json")

    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert {a["question"]: a["score"] for a in first.json()["answers"]} == {"recommend": 9, "reason": None}
    response = Response.objects.get()
    assert response.submitted_at.isoformat() == "2026-05-01T07:00:00+00:00"  # counts at submitted_at
    assert response.source == "api"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"answers": {"recommend": 11}}, "recommend"),
        ({"answers": {"recommend": "9.5"}}, "recommend"),
        ({"answers": {"recommend": True}}, "recommend"),
        ({"answers": {"nonsense": 1, "recommend": 9}}, "nonsense"),
        ({"answers": {}}, "answers"),
        ({"answers": "9"}, "answers"),
        ({"submitted_at": "yesterday"}, "submitted_at"),
        ({"submitted_at": "2999-01-01T00:00:00Z"}, "submitted_at"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_the_api_refuses_bad_answers_with_a_clear_400_and_stores_nothing(manager_api, person, overrides, field):
    response = manager_api.post("/api/v1/surveys/nps/responses/", payload(person, **overrides), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_the_api_refuses_unknown_surveys_other_managers_clients_and_opted_out_people(
    manager_api, person, other_manager
):
    theirs = ContactFactory(account=AccountFactory(manager=other_manager))
    opted_out = ContactFactory(account=person.account)
    contact_consent_set(contact=opted_out, purpose=ContactConsent.Purpose.SURVEYS, granted=False)

    assert manager_api.post("/api/v1/surveys/nope/responses/", payload(person), format="json").status_code == 404
    assert manager_api.post("/api/v1/surveys/nps/responses/", payload(theirs), format="json").status_code == 404
    refused = manager_api.post("/api/v1/surveys/nps/responses/", payload(opted_out), format="json")
    assert refused.status_code == 400 and "opted out" in refused.json()["error"]["message"]
    assert Response.objects.count() == 0


def test_a_token_needs_the_surveys_scope(token_client, manager, person):
    without = token_client(manager, ["contacts:read"])
    with_scope = token_client(manager, ["surveys:write"])

    assert without.post("/api/v1/surveys/nps/responses/", payload(person), format="json").status_code == 403
    assert with_scope.post("/api/v1/surveys/nps/responses/", payload(person), format="json").status_code == 201


# Imports -------------------------------------------------------------------------------------------


def test_an_import_keeps_the_good_rows_reports_the_bad_ones_and_adds_nothing_the_second_time(tmp_path, person, capsys):
    PhoneFactory(contact=person, raw="+7 916 123-45-67")
    file = tmp_path / "answers.csv"
    file.write_text(
        "contact,submitted_at,recommend,reason\n"
        "ivan@romashka.ru,2026-04-01 10:00,10,Отлично\n"
        "8 (916) 123-45-67,2026-04-02 11:00,3,\n"
        "nobody@example.com,2026-04-03 10:00,9,\n"
        "ivan@romashka.ru,2026-04-04 10:00,12,\n"
        "ivan@romashka.ru,someday,9,\n",
        encoding="utf-8",
    )

    call_command("import_survey_responses", "--survey", "nps", str(file))
    first = capsys.readouterr()
    call_command("import_survey_responses", "--survey", "nps", str(file))
    second = capsys.readouterr()

    assert "2 response(s) imported, 0 already there, 3 row(s) failed" in first.out
    assert "row 4: no person with “nobody@example.com”" in first.err
    assert "row 5: recommend: Expected a whole number from 0 to 10." in first.err
    assert "row 6: submitted_at" in first.err
    assert "0 response(s) imported, 2 already there" in second.out
    assert sorted(Answer.objects.filter(score__isnull=False).values_list("score", flat=True)) == [3, 10]


def test_an_xlsx_export_imports_too(tmp_path, person):
    import tablib

    data = tablib.Dataset(headers=["contact", "submitted_at", "satisfaction"])
    data.append(["ivan@romashka.ru", "2026-04-01 10:00", 4.0])
    file = tmp_path / "answers.xlsx"
    file.write_bytes(data.export("xlsx"))

    call_command("import_survey_responses", "--survey", "csat", str(file))

    assert Answer.objects.get(question__code="satisfaction").score == 4


def test_an_import_with_an_unknown_column_is_refused_before_any_row(tmp_path, person):
    file = tmp_path / "answers.csv"
    file.write_text("contact,submitted_at,recomend\nivan@romashka.ru,2026-04-01 10:00,10\n", encoding="utf-8")

    with pytest.raises(CommandError, match="Unknown column"):
        call_command("import_survey_responses", "--survey", "nps", str(file))


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_posts_of_one_answer_record_it_once_and_each_gets_it_back(live_server, manager):
    """On PostgreSQL, nine of ten such posts were 500s (IntegrityError on the unique external id)."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    from crm.services.tokens import api_token_issue
    from surveys.models import Survey

    survey = Survey.objects.create(slug="storm-nps", kind="nps", title_ru="Оценка", title_en="Score")
    survey.questions.create(code="recommend", type="scale", metric="nps", scale_min=0, scale_max=10, position=0)
    person = ContactFactory(account=AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=400)))
    _token, raw = api_token_issue(user=manager, name="forms", scopes=["*"])
    body = {**payload(person), "answers": {"recommend": 9}}

    def post(_n):
        response = requests.post(
            f"{live_server.url}/api/v1/surveys/storm-nps/responses/",
            json=body,
            headers={"Authorization": f"Bearer {raw}"},
            timeout=30,
        )
        return response.status_code, response.json().get("id")

    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(post, range(10)))

    assert sorted(status for status, _id in answers) == [200] * 9 + [201]
    assert {response_id for _status, response_id in answers} == {Response.objects.get().id}
    assert Answer.objects.count() == 1
