"""A client answers on a phone-sized screen in a real headless Chromium; a head reads the dashboard."""

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys import links
from surveys.models import Response, Survey
from surveys.services.invitations import survey_invite
from tests.crm.factories import AccountFactory, ContactFactory, UserFactory
from tests.e2e.test_admin_e2e import browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_client_clicks_a_score_in_the_email_and_finishes_on_the_phone(live_server, browser):  # noqa: F811
    survey = Survey.objects.create(slug="e2e-nps", kind="nps", title_ru="Порекомендуете ли вы нас?", title_en="x")
    survey.questions.create(
        code="recommend",
        type="scale",
        metric="nps",
        scale_min=0,
        scale_max=10,
        position=0,
        text_ru="Насколько вероятно, что вы порекомендуете нас коллеге?",
        text_en="x",
    )
    survey.questions.create(code="reason", type="text", position=1, text_ru="Почему?", text_en="Why?")
    account = AccountFactory(created_at=timezone.now() - timedelta(days=400))
    person = ContactFactory(account=account, language="ru")
    survey_invite(survey=survey, people=[(person, "r1")])
    token = links.invitation_token(survey_id=survey.id, contact_id=person.id, round="r1")

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    saves = []  # the statuses of the page's own draft save
    page.on("response", lambda r: saves.append(r.status) if r.request.method == "POST" else None)
    page.goto(f"{live_server.url}/s/{token}/?recommend=9")
    for _ in range(50):
        if saves:
            break
        page.wait_for_timeout(100)

    assert page.locator("input[name=q_recommend][value='9']").is_checked()
    assert saves == [200]
    draft = Response.objects.get()
    assert draft.completed is False and draft.answers.get(question__code="recommend").score == 9

    page.fill("textarea[name=q_reason]", "Быстро привезли")
    page.click("button[value=send]")

    assert page.get_by_role("heading", name="Спасибо!").count() == 1
    response = Response.objects.get()
    assert response.completed
    assert response.answers.get(question__code="reason").text == "Быстро привезли"


def test_the_dashboard_draws_its_charts(live_server, browser):  # noqa: F811
    UserFactory(username="boss", is_superuser=True, is_staff=True, language="en")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "secret-password")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/feedback/dashboard/")

    page.wait_for_selector("[data-testid=feedback-dashboard]")
    drawn = page.evaluate("() => [...document.querySelectorAll('canvas.chart')].filter(c => c.width > 0).length")
    assert drawn == 4  # NPS, CSAT and CES by month, and CSAT per score; the few-row breakdowns are tables
