"""The admin pages and the metrics API: what managers and heads open every day."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys.models import Case, FeedbackItem, Invitation
from surveys.services.responses import survey_response_record
from tests.crm.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db
METRICS = [
    "nps",
    "csat",
    "ces",
    "churn",
    "clv",
    "first-response",
    "fcr",
    "resolution-time",
    "repeat-purchase",
    "kept-promises",
    "roi",
]


def answered(surveys, contact, slug, answers, days_ago=1, key=[0]):  # noqa: B006
    key[0] += 1
    return survey_response_record(
        survey=surveys[slug],
        contact=contact,
        submitted_at=timezone.now() - timedelta(days=days_ago),
        external_id=f"p{key[0]}",
        answers=answers,
    )[0]


@pytest.mark.parametrize("name", METRICS)
def test_every_metric_answers_with_its_sample_size_and_the_not_enough_data_flag(manager_api, name):
    response = manager_api.get(f"/api/v1/metrics/{name}/", {"from": "2026-01-01", "to": "2027-01-01"})

    assert response.status_code == 200, response.json()
    assert response.json()["n"] == 0 and response.json()["enough_data"] is False


def test_the_nps_endpoint_reports_the_definition_filtered(manager_api, surveys, person):
    for score in (10, 9, 8, 2):
        answered(surveys, person, "nps", {"recommend": score})

    body = manager_api.get("/api/v1/metrics/nps/", {"survey": "nps", "account": person.account_id}).json()

    assert (body["value"], body["n"], body["promoters"], body["passives"], body["detractors"]) == (25.0, 4, 2, 1, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "01.02.2026"}, "from_"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
        ({"manager": "999999"}, "manager"),
        ({"survey": "nope"}, "survey"),
        ({"account": "x"}, "account"),
    ],
)
def test_bad_metric_filters_get_a_400_naming_the_filter(manager_api, query, field):
    response = manager_api.get("/api/v1/metrics/nps/", query)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_metrics_need_the_metrics_scope(token_client, manager):
    assert token_client(manager, ["surveys:read"]).get("/api/v1/metrics/nps/").status_code == 403
    assert token_client(manager, ["metrics:read"]).get("/api/v1/metrics/nps/").status_code == 200


def test_the_dashboard_shows_headline_metrics_charts_and_the_funnel(client, superuser, surveys, person, invite):
    invite(person, "csat")
    for score in (5, 4, 1):
        answered(surveys, person, "csat", {"satisfaction": score}, days_ago=40)
    client.force_login(superuser)

    response = client.get("/admin/feedback/dashboard/")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="headline-csat"' in html and "66.7 %" in html
    assert 'data-type="line"' in html and 'data-type="bar"' in html
    assert "Not enough data" in html
    funnel = html.split('data-testid="funnel"')[1].split("</section>")[0]
    assert "<td>Invited</td><td>1</td>" in funnel and "100 %" in funnel


def test_a_month_with_too_few_answers_is_a_hollow_point_off_the_line_and_the_page_says_so(
    client, superuser, surveys, person, settings
):
    settings.CRM_METRICS_MIN_SAMPLE = 3
    for score in (5, 4, 5):
        answered(surveys, person, "csat", {"satisfaction": score}, days_ago=70)
    answered(surveys, person, "csat", {"satisfaction": 1}, days_ago=5)  # this month: one answer
    client.force_login(superuser)

    response = client.get("/admin/feedback/dashboard/")

    chart = json.loads(response.context["month_charts"]["csat"]["data"])
    line, thin = chart["datasets"]
    assert len(chart["labels"]) == 2
    assert line["data"][0] == 100.0 and line["data"][1] is None  # the month of three answers is on the line
    assert thin["data"][0] is None and thin["data"][1] == 0.0  # the month of one is drawn apart
    assert thin["showLine"] is False and "not enough data" in thin["label"]
    assert 'data-testid="thin-months"' in response.content.decode()


def test_the_monthly_review_lists_what_came_in_by_zone_and_overdue_cases(client, manager, surveys, person):
    answered(surveys, person, "relationship", {"result": 3, "recommend": 4, "fix_three": "Меньше бумаг"}, days_ago=0)
    Case.objects.update(due_at=timezone.now() - timedelta(hours=1))
    client.force_login(manager)

    html = client.get("/admin/feedback/review/").content.decode()

    assert "Меньше бумаг" in html
    red = html.split('data-testid="zone-red"')[1].split("</section>")[0]
    assert "Меньше бумаг" in red
    overdue = html.split('data-testid="overdue-cases"')[1].split("</section>")[0]
    assert person.full_name in overdue


def test_a_manager_sees_only_their_own_clients_cases_items_and_responses(client, manager, other_manager, surveys):
    old = timezone.now() - timedelta(days=400)
    theirs = ContactFactory(account=AccountFactory(manager=other_manager, created_at=old))
    answered(surveys, theirs, "relationship", {"result": 2, "fix_three": "Чужой отзыв"}, days_ago=0)
    client.force_login(manager)

    for url in (
        "/admin/surveys/case/",
        "/admin/surveys/feedbackitem/",
        "/admin/surveys/response/",
        "/admin/feedback/review/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Чужой отзыв" not in response.content.decode() and theirs.last_name not in response.content.decode()
    item = FeedbackItem.objects.get()
    assert client.get(f"/admin/surveys/feedbackitem/{item.id}/change/").status_code == 302  # not found for them


def test_send_a_survey_from_the_account_list(client, manager, person, surveys):
    client.force_login(manager)
    selected = {"action": "send_survey", "_selected_action": [person.account_id]}

    form = client.post("/admin/crm/account/", selected)
    done = client.post(
        "/admin/crm/account/", {**selected, "survey": surveys["nps"].id, "round": "2026-q4"}, follow=True
    )

    assert "round" in form.content.decode()
    assert "1 invited" in done.content.decode()
    assert Invitation.objects.get().round == "manual-2026-q4"


def test_marking_a_wish_done_without_saying_what_was_done_is_refused(client, manager, surveys, person):
    answered(surveys, person, "relationship", {"result": 9, "fix_three": "Личный кабинет"}, days_ago=0)
    item = FeedbackItem.objects.get()
    client.force_login(manager)

    response = client.post(
        f"/admin/surveys/feedbackitem/{item.id}/change/",
        {"status": "done", "urgency": 2, "tags": "", "done_note": "", "tell_client": "on"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "Write what was done" in response.content.decode()
    item.refresh_from_db()
    assert item.status == "new"


def test_list_pages_make_a_constant_number_of_queries(client, superuser, surveys, manager):
    old = timezone.now() - timedelta(days=400)
    client.force_login(superuser)

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [
        "/admin/surveys/response/",
        "/admin/surveys/case/",
        "/admin/surveys/feedbackitem/",
        "/admin/surveys/invitation/",
    ]
    contact = ContactFactory(account=AccountFactory(manager=manager, created_at=old))
    answered(surveys, contact, "relationship", {"result": 2, "fix_three": "a"}, days_ago=0)
    before = {url: queries(url) for url in urls}
    for _ in range(4):
        contact = ContactFactory(account=AccountFactory(manager=manager, created_at=old))
        answered(surveys, contact, "relationship", {"result": 2, "fix_three": "a"}, days_ago=0)
    after = {url: queries(url) for url in urls}

    assert after == before


def test_the_client_card_and_the_caller_card_show_the_last_score_and_open_cases(client, manager, surveys, person):
    from crm.telephony.card import caller_card

    answered(surveys, person, "nps", {"recommend": 9}, days_ago=20)
    answered(surveys, person, "nps", {"recommend": 2, "reason": "Долго везли"}, days_ago=0)
    client.force_login(manager)

    html = client.get(f"/admin/crm/account/{person.account_id}/change/").content.decode()
    card = caller_card(contact=person, number="+79161234567")

    feedback = html.split('data-testid="feedback"')[1].split("</section>")[0]
    assert "2 of 10" in feedback
    assert "Долго везли" in feedback and person.full_name in feedback  # the wish, and the case about it
    assert (card["last_nps"]["score"], card["last_nps"]["of"]) == (2, 10)
