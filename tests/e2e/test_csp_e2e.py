"""The Content-Security-Policy is sent by every page and nothing the product itself shows breaks it: the admin, the
survey page and the unsubscribe page in a real Chromium, with every violation the browser reports collected."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from crm.outreach.unsubscribe import unsubscribe_url
from surveys import links
from surveys.models import Survey
from surveys.services.invitations import survey_invite
from tests.crm.factories import AccountFactory, ContactFactory, InteractionFactory, UserFactory
from tests.e2e.test_admin_e2e import browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Recorded before any script of the page runs, so a violation during loading is caught too.
COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def _visit(page, url):
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(500)  # not "networkidle": the screen pop polls for ringing calls on every admin page
    return response, page.evaluate("window.__cspViolations")


def test_the_admin_and_the_public_pages_send_the_policy_and_break_none_of_it(live_server, browser):  # noqa: F811
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True, language="ru")
    account = AccountFactory(manager=boss, name="ООО «Ромашка»", created_at=timezone.now() - timedelta(days=400))
    person = ContactFactory(account=account, language="ru")
    InteractionFactory(account=account, contact=person)
    survey = Survey.objects.create(slug="csp-nps", kind="nps", title_ru="Порекомендуете ли вы нас?", title_en="x")
    survey.questions.create(
        code="recommend", type="scale", metric="nps", scale_min=0, scale_max=10, position=0, text_ru="Оценка?"
    )
    survey_invite(survey=survey, people=[(person, "r1")])
    survey_url = f"/s/{links.invitation_token(survey_id=survey.id, contact_id=person.id, round='r1')}/?recommend=9"
    unsubscribe_path = urlsplit(unsubscribe_url(contact_id=person.id, purpose="greetings", channel="email")).path

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.add_init_script(COLLECT_VIOLATIONS)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", "secret-password")
    page.click("button[type=submit]")
    page.wait_for_load_state()

    pages = [
        "/admin/",
        "/admin/crm/account/",
        f"/admin/crm/account/{account.pk}/change/",
        "/admin/my-day/",
        "/admin/feedback/dashboard/",
        "/admin/journeys/analytics/",
        "/admin/crm/account/export/",
        "/api/docs/",
        survey_url,
        unsubscribe_path,
    ]
    seen = {}
    for path in pages:
        response, violations = _visit(page, f"{live_server.url}{path}")
        seen[path] = (response.status, "default-src 'self'" in response.headers.get("content-security-policy", ""))
        assert violations == [], f"{path}: {violations}"

    assert seen == dict.fromkeys(pages, (200, True))
    # The survey page's own script ran under the policy: the score chosen in the email was saved as a draft.
    assert person.responses.get().answers.get(question__code="recommend").score == 9
