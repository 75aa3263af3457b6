"""Web-to-lead (issue 20, part 2): a site's form makes a prospect with its campaign, or a new touch of a known
person; spam is kept out by a signed form token, a honeypot and a per-address limit; nothing is made twice."""

import time

import pytest
from django.core import signing

from crm.models import Account, ContactConsent, Industry, Interaction, LeadSource, Task
from crm.names import person_name_split
from crm.webleads import services
from crm.webleads.models import LeadRoute, WebLead
from crm.webleads.services import web_leads_process
from journeys.models import AccountJourney
from tests.commit import committed
from tests.crm.factories import AccountFactory, ContactFactory, PhoneFactory

pytestmark = pytest.mark.django_db
URL = "/forms/lead/"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    """A person takes more than 2 s to fill in a form; the tests do not wait for it (one test checks the rule)."""
    monkeypatch.setattr(services, "TOKEN_MIN_AGE", 0)


def lead(**fields):
    return {
        "token": services.web_form_token(),
        "name": "Сидоров Пётр Алексеевич",
        "company": "ООО «Вектор»",
        "phone": "8 (912) 345-67-89",
        "email": "petr@vector.example",
        "comment": "Нужен расчёт на 20 станков",
        "consent": True,
        "utm_source": "yandex",
        "utm_medium": "cpc",
        "utm_campaign": "spring-presses",
        "referrer": "https://yandex.ru/search/?text=пресс",
        "landing_page": "https://factory.example/presses?utm_source=yandex",
        "ym_client_id": "1701234567890123456",
        "ga_client_id": "123456789.1701234567",
        **fields,
    }


def test_a_new_visitor_becomes_a_prospect_with_the_campaign_as_its_source(client):
    answer = client.post(URL, lead(), content_type="application/json")
    assert answer.status_code == 201, answer.content
    assert answer.json()["status"] == "received" and not Account.objects.exists()  # made by the worker, next

    with committed():
        assert web_leads_process() == 1
    web = WebLead.objects.get()
    assert web.processed_at is not None
    account = web.account
    assert account.name == "ООО «Вектор»" and account.status == Account.Status.PROSPECT and account.manager is None
    assert account.lead_source.name == "yandex / cpc / spring-presses"
    assert (account.lead_source.utm_source, account.lead_source.utm_campaign) == ("yandex", "spring-presses")
    person = account.contacts.get()
    assert (person.last_name, person.first_name, person.patronymic) == ("Сидоров", "Пётр", "Алексеевич")
    assert person.phones.get().number == "+79123456789" and person.email == "petr@vector.example"
    consent = ContactConsent.objects.get(contact=person)
    assert consent.granted and "factory.example/presses" in consent.source and consent.changed_at
    assert web.ym_client_id == "1701234567890123456" and web.ga_client_id == "123456789.1701234567"
    assert web.referrer.startswith("https://yandex.ru/") and web.new_account
    touch = Interaction.objects.get(account=account)
    assert touch.notes == "Нужен расчёт на 20 станков" and touch.direction == "inbound"
    assert Task.objects.get(account=account).priority == Task.Priority.HIGH
    journey = AccountJourney.objects.get(account=account)  # the journey's first stage, at its website-form touch
    assert journey.stage.position == min(journey.journey.stages.values_list("position", flat=True))


def test_the_same_tags_find_the_same_source_and_no_tags_mean_the_site(client):
    client.post(URL, lead(), content_type="application/json")
    client.post(URL, lead(phone="+7 913 000-00-01", email="b@b.example"), content_type="application/json")
    client.post(
        URL,
        lead(phone="", email="c@c.example", utm_source="", utm_medium="", utm_campaign=""),
        content_type="application/json",
    )
    web_leads_process()

    assert LeadSource.objects.filter(utm_campaign="spring-presses").count() == 1
    assert Account.objects.filter(lead_source__utm_campaign="spring-presses").count() == 2
    assert Account.objects.get(contacts__email="c@c.example").lead_source.name == services.SITE_SOURCE


def test_a_known_person_by_phone_or_email_gets_a_touch_not_a_second_account(client, manager):
    account = AccountFactory(manager=manager)
    known = ContactFactory(account=account, email="Known@Client.example")
    PhoneFactory(contact=known, raw="+7 912 345-67-89", number="+79123456789")

    assert client.post(URL, lead(), content_type="application/json").status_code == 201
    assert (
        client.post(URL, lead(phone="", email="known@client.example"), content_type="application/json").status_code
        == 201
    )
    web_leads_process()

    assert Account.objects.count() == 1
    assert Interaction.objects.filter(account=account, source="web-lead").count() == 2
    task = Task.objects.filter(account=account).first()
    assert task.assignee == manager
    assert list(WebLead.objects.values_list("new_account", flat=True)) == [False, False]


def test_routing_rules_give_the_prospect_a_manager(client, manager, other_manager):
    metals = Industry.objects.create(name="Металлургия")
    LeadRoute.objects.create(position=1, industry=metals, region="Урал", manager=other_manager)
    LeadRoute.objects.create(position=2, region="москва", manager=manager)

    client.post(URL, lead(industry="металлургия", region="Урал"), content_type="application/json")
    client.post(URL, lead(phone="+79130000002", email="m@m.example", region="Москва"), content_type="application/json")
    client.post(URL, lead(phone="+79130000003", email="x@x.example", region="Сибирь"), content_type="application/json")
    web_leads_process()

    managers = dict(WebLead.objects.values_list("region", "account__manager__username"))
    assert managers == {"Урал": "other", "Москва": "manager", "Сибирь": None}
    assert Account.objects.get(manager=other_manager).industry == metals


def test_the_same_form_sent_twice_is_one_lead(client):
    body = lead()
    assert client.post(URL, body, content_type="application/json").status_code == 201
    again = client.post(URL, body, content_type="application/json")
    web_leads_process()
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert Account.objects.count() == 1 and Interaction.objects.count() == 1 and Task.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"phone": "", "email": ""}, "__all__"),
        ({"phone": "12"}, "phone"),
        ({"email": "not-an-address"}, "email"),
        ({"consent": False}, "consent"),
        ({"website": "http://spam.example"}, "website"),
        ({"token": "forged"}, "token"),
        ({"token": signing.Signer(salt="other").sign("x.1")}, "token"),
        ({"comment": "x" * 5001}, "comment"),
    ],
)
def test_bad_or_robotic_forms_are_refused_with_what_to_fix_and_nothing_is_made(client, change, field):
    answer = client.post(URL, lead(**change), content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"] and answer.json()["error"]
    assert not Account.objects.exists() and not WebLead.objects.exists() and not LeadSource.objects.exists()


def test_a_form_sent_faster_than_a_person_types_or_a_day_later_is_refused(client, monkeypatch):
    monkeypatch.setattr(services, "TOKEN_MIN_AGE", 2)
    fresh = client.post(URL, lead(), content_type="application/json")
    assert fresh.status_code == 400 and "faster" in fresh.json()["error"]
    old = services._SIGNER.sign(f"nonce.{int(time.time()) - 2 * 86400}")
    assert client.post(URL, lead(token=old), content_type="application/json").status_code == 400
    assert not Account.objects.exists()


def test_malformed_bodies_are_refused(client):
    assert client.post(URL, "{oops", content_type="application/json").status_code == 400
    assert client.post(URL, "[1, 2]", content_type="application/json").status_code == 400
    assert client.post(URL, lead(comment="x" * 40_000), content_type="application/json").status_code == 413


def test_an_address_sending_many_forms_is_slowed_down(client, settings):
    settings.CRM_WEB_LEADS_PER_MINUTE = 2
    codes = [
        client.post(
            URL, lead(phone=f"+7913000001{n}", email=f"{n}@x.example"), content_type="application/json"
        ).status_code
        for n in range(4)
    ]
    assert codes == [201, 201, 429, 429]


def test_the_plain_html_form_page_keeps_the_tags_and_thanks_the_visitor(client):
    page = client.get(URL, {"utm_source": "vk", "utm_campaign": "autumn", "page": "https://factory.example/"})
    assert page.status_code == 200 and "X-Frame-Options" not in page  # a site may put it in an iframe
    assert "frame-ancestors *" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert 'value="vk"' in html and 'name="website"' in html
    token = page.context["token"]
    form = {
        "token": token,
        "name": "Анна",
        "phone": "+7 912 000-11-22",
        "consent": "on",
        "utm_source": "vk",
        "utm_campaign": "autumn",
        "website": "",
    }
    thanks = client.post(URL, form)
    web_leads_process()
    assert thanks.status_code == 200 and WebLead.objects.get().utm_source == "vk"
    assert Account.objects.get().lead_source.name == "vk / autumn"

    missing = client.post(URL, {**form, "token": services.web_form_token(), "consent": ""})
    assert missing.status_code == 400 and "Tick the box" in missing.content.decode()


def test_the_script_and_the_token_can_be_used_from_another_site(client):
    script = client.get("/forms/lead.js")
    assert script.status_code == 200 and script["Content-Type"].startswith("text/javascript")
    assert "/forms/lead/token/" in script.content.decode()
    token = client.get("/forms/lead/token/", HTTP_ORIGIN="https://factory.example")
    assert token["Access-Control-Allow-Origin"] == "*" and token.json()["token"]
    preflight = client.options(URL, HTTP_ORIGIN="https://factory.example")
    assert preflight.status_code == 204 and "Content-Type" in preflight["Access-Control-Allow-Headers"]


@pytest.mark.parametrize(
    ("full", "parts"),
    [
        ("Сидоров Пётр Алексеевич", ("Пётр", "Алексеевич", "Сидоров")),
        ("Пётр Алексеевич Сидоров", ("Пётр", "Алексеевич", "Сидоров")),
        ("Пётр Алексеевич", ("Пётр", "Алексеевич", "")),
        ("Анна Смирнова", ("Анна", "", "Смирнова")),
        ("Ivan", ("Ivan", "", "")),
        ("  ", ("", "", "")),
    ],
)
def test_a_full_name_is_split_into_its_parts(full, parts):
    assert tuple(person_name_split(full)) == parts


def test_two_forms_of_one_new_person_make_one_account(client):
    client.post(URL, lead(), content_type="application/json")
    client.post(URL, lead(comment="И ещё вопрос"), content_type="application/json")
    web_leads_process()

    assert Account.objects.count() == 1
    assert Interaction.objects.filter(source="web-lead").count() == 2
    assert list(WebLead.objects.order_by("id").values_list("new_account", flat=True)) == [True, False]


def test_a_lead_that_cannot_be_made_is_kept_and_does_not_stop_the_others(client, monkeypatch):
    client.post(URL, lead(), content_type="application/json")
    client.post(URL, lead(phone="+79130000009", email="ok@x.example"), content_type="application/json")
    real = services._lead_make
    first = WebLead.objects.order_by("id").first()
    monkeypatch.setattr(
        services,
        "_lead_make",
        lambda web: (_ for _ in ()).throw(RuntimeError("boom")) if web.id == first.id else real(web),
    )

    assert web_leads_process() == 2

    assert Account.objects.count() == 1 and WebLead.objects.filter(processed_at__isnull=True).count() == 0
    first.refresh_from_db()
    assert first.account is None and first.name  # kept, with what the visitor wrote


@pytest.mark.django_db(transaction=True)
def test_a_form_sent_ten_times_at_once_over_real_http_is_one_lead(live_server, settings):
    """A double click times ten, through the real server: one stored form, one account."""
    settings.CRM_WEB_LEADS_PER_MINUTE = 100
    from concurrent.futures import ThreadPoolExecutor

    import requests

    body = lead()
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = sorted(
            pool.map(lambda _n: requests.post(f"{live_server.url}{URL}", json=body, timeout=30).status_code, range(10))
        )
    assert statuses == [200] * 9 + [201]
    web_leads_process()
    assert WebLead.objects.count() == 1 and Account.objects.count() == 1
