"""The client's own page (crm/portal): one account's orders, on-time delivery, service, promises and feedback,
opened by a signed per-person link; its downloads; bad, expired, revoked and foreign links."""

import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pypdf
import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from crm.models import (
    ClientPageLink,
    Commitment,
    DeliveryDateChange,
    Interaction,
    MessageKind,
    OutboundMessage,
    ServiceRequest,
)
from crm.outreach.services import outbox_send_batch
from crm.portal.services import client_page_link_create, client_page_send
from surveys.models import FeedbackItem
from tests.crm.factories import AccountFactory, CommitmentFactory, ContactFactory, OrderFactory
from tests.crm.test_outbox import working_hours

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture
def person(account):
    return ContactFactory(
        account=account, first_name="Иван", patronymic="Петрович", email="ivan@romashka.ru", language="ru"
    )


def page(token):
    return reverse("client_page", args=[token])


def delivered(account, number, *, promised, arrived, moved_from=None):
    order = OrderFactory(
        account=account,
        number=number,
        status="delivered",
        ordered_at=datetime.combine(promised - timedelta(days=20), datetime.min.time(), tzinfo=MSK),
        promised_delivery_date=promised,
        delivered_at=datetime.combine(arrived, datetime.min.time(), tzinfo=MSK) + timedelta(hours=12),
    )
    if moved_from is not None:
        DeliveryDateChange.objects.create(order=order, old_date=moved_from, new_date=promised, reason="Задержка сырья")
    return order


def test_the_page_shows_the_on_time_share_worked_out_by_hand_and_only_this_accounts_rows(client, account, person):
    today = timezone.localdate()
    month_ago = today - timedelta(days=40)
    # On time: arrived before, on the day. Late: arrived after. Moved: promised the 10th, moved to the 20th and
    # arrived the 15th: late against the first promise, though before the new date. 2 of 4 = 50 %.
    delivered(account, "A-1", promised=month_ago, arrived=month_ago - timedelta(days=1))
    delivered(account, "A-2", promised=month_ago, arrived=month_ago)
    delivered(account, "A-3", promised=month_ago, arrived=month_ago + timedelta(days=2))
    delivered(
        account,
        "A-4",
        promised=month_ago + timedelta(days=10),
        arrived=month_ago + timedelta(days=5),
        moved_from=month_ago,
    )
    OrderFactory(account=account, number="A-5")  # not delivered: not in the share
    other = AccountFactory(name="ООО «Чужие»")
    delivered(other, "X-1", promised=month_ago, arrived=month_ago)
    CommitmentFactory(account=other, owner=account.manager, description="Чужое обещание")
    _link, token = client_page_link_create(contact=person)

    response = client.get(page(token))

    html = response.content.decode()
    assert response.status_code == 200
    on_time = html[html.index('data-testid="section-on_time"') :]
    assert "50 %" in on_time[: on_time.index("</ul>")] and "n = 4" in on_time[: on_time.index("</ul>")]
    assert "Задержка сырья" in html and "A-5" in html
    assert "X-1" not in html and "Чужое обещание" not in html and "Чужие" not in html
    assert "Иван Петрович, здесь ваши покупки" in html  # in the person's language, addressed by name
    assert "Доставлено не позже первой обещанной даты" in html


def test_the_page_is_private_and_strict(client, person):
    _link, token = client_page_link_create(contact=person)

    response = client.get(page(token))

    policy = response["Content-Security-Policy"]
    assert "script-src 'none'" in policy and "default-src 'none'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "no-referrer"
    assert "<script" not in response.content.decode() and " style=" not in response.content.decode()


def test_forged_unknown_and_foreign_tokens_are_404_and_say_nothing(client, person):
    from surveys import links as survey_links

    _link, token = client_page_link_create(contact=person)
    foreign = survey_links.invitation_token(survey_id=1, contact_id=person.id, round="r1")  # another kind's token

    for bad in ("x", token[:-1] + ("A" if token[-1] != "A" else "B"), foreign, "a" * 5000):
        response = client.get(page(bad))
        assert response.status_code == 404
        assert "Romashka" not in response.content.decode() and "Ромашка" not in response.content.decode()
    assert client.get(reverse("client_page_download", args=[token, "exe"])).status_code == 404


def test_an_expired_or_revoked_link_is_410_in_the_persons_language_and_offers_a_new_one(client, person):
    _expired, expired_token = client_page_link_create(contact=person, now=timezone.now() - timedelta(days=200))
    revoked, revoked_token = client_page_link_create(contact=person)
    ClientPageLink.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())

    gone = client.get(page(expired_token))
    withdrawn = client.get(page(revoked_token))

    assert gone.status_code == 410 and "Срок действия ссылки истёк" in gone.content.decode()
    assert withdrawn.status_code == 410 and "Эту ссылку отозвали" in withdrawn.content.decode()
    assert "Ромашка" not in gone.content.decode()
    # Asking for a new one: the same answer for a known and an unknown address; only the known one gets a link.
    known = client.post(reverse("client_page_request"), {"email": "ivan@romashka.ru", "link": expired_token})
    unknown = client.post(reverse("client_page_request"), {"email": "nobody@example.com", "link": expired_token})
    again = client.post(reverse("client_page_request"), {"email": "ivan@romashka.ru", "link": expired_token})
    assert known.content == unknown.content == again.content and known.status_code == 200
    [sent] = OutboundMessage.objects.filter(kind=MessageKind.CLIENT_PAGE)
    assert sent.contact == person
    assert client.post(reverse("client_page_request"), {"email": "no-at-sign"}).status_code == 400


def body_of(email) -> str:
    return email.get_body(preferencelist=("plain",)).get_content()


def test_the_link_is_sent_through_the_outbox_filled_in_only_when_it_goes(client, person, smtp_server):
    message = client_page_send(contact=person)
    assert "[client-page-link]" in message.body  # the outbox never holds a live link

    outbox_send_batch(now=working_hours())

    [email] = smtp_server.messages
    url = next(word for word in body_of(email).split() if "/c/" in word)
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert client.get(page(token)).status_code == 200
    OutboundMessage.objects.filter(pk=message.pk).update(status="queued")
    assert "[client-page-link]" in OutboundMessage.objects.get(pk=message.pk).body


def test_opening_is_on_the_timeline_once_a_day_in_the_managers_language(client, person, manager):
    manager.language = "en"
    manager.save()
    _link, token = client_page_link_create(contact=person)

    client.get(page(token))
    client.get(page(token))

    link = ClientPageLink.objects.get()
    assert link.open_count == 2 and link.last_opened_at is not None
    [opened] = Interaction.objects.filter(source="client_page")
    assert opened.subject == "Иван Петрович opened the client page"
    assert opened.channel == "portal" and opened.account == person.account


def test_service_promises_and_you_asked_we_did(client, account, person):
    now = timezone.now()
    ServiceRequest.objects.create(
        account=account,
        channel="email",
        subject="Не работает станок",
        first_response_due_at=now - timedelta(hours=1),
        first_response_at=now - timedelta(hours=2),
        created_at=now - timedelta(hours=5),
    )
    CommitmentFactory(
        account=account,
        description="Прислать акт сверки",
        due_at=now - timedelta(days=1),
        status=Commitment.Status.KEPT,
        fulfilled_at=now - timedelta(days=2),
    )
    from surveys.models import Response, Survey

    survey = Survey.objects.get(slug="relationship")
    response = Response.objects.create(survey=survey, account=account, contact=person, submitted_at=now, completed=True)
    FeedbackItem.objects.create(
        account=account,
        contact=person,
        response=response,
        question_code="fix_three",
        text="Быстрее отвечать на почту",
        status="done",
        done_note="Ответ за 4 часа",
        done_at=now,
    )
    FeedbackItem.objects.create(
        account=account, contact=person, response=response, question_code="like_three", text="Вежливые менеджеры"
    )
    _link, token = client_page_link_create(contact=person)

    html = client.get(page(token)).content.decode()

    assert "Не работает станок" in html and "Прислать акт сверки" in html
    assert "Быстрее отвечать на почту" in html and "Ответ за 4 часа" in html
    assert "Вежливые менеджеры" not in html  # a compliment is not a request to act on
    you_asked = html[html.index('data-testid="section-you_asked"') :]
    assert "100 %" in you_asked and "n = 1" in you_asked


def test_the_xlsx_has_every_order_and_the_pdf_embeds_a_cyrillic_font(client, account, person):
    for index in range(130):  # more than the page shows
        OrderFactory(account=account, number=f"Z-{index:03d}", amount=Decimal("1250000.50"))
    _link, token = client_page_link_create(contact=person)

    page_html = client.get(page(token)).content.decode()
    xlsx = client.get(reverse("client_page_download", args=[token, "xlsx"]))
    pdf = client.get(reverse("client_page_download", args=[token, "pdf"]))

    assert "Последние 100 из 130" in page_html
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    orders = [row for row in book["Заказы"].iter_rows(values_only=True) if row and str(row[0]).startswith("Z-")]
    assert len(orders) == 130 and (orders[0][3], orders[0][4]) == (1250000.5, "RUB")
    assert orders[0][1].date() == timezone.localdate(
        OrderFactory._meta.model.objects.get(number=orders[0][0]).ordered_at
    )
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    reader = pypdf.PdfReader(io.BytesIO(pdf.content))
    text = "".join(p.extract_text() for p in reader.pages)
    assert "Поставки в срок" in text and "Z-129" in text and "Сформировано" in text
    fonts = {str(font.get_object()["/BaseFont"]) for p in reader.pages for font in p["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in font for font in fonts)


def test_the_page_makes_a_fixed_number_of_queries(client, account, person, django_assert_max_num_queries):
    for index in range(20):
        order = OrderFactory(account=account, number=f"Q-{index}")
        DeliveryDateChange.objects.create(
            order=order, old_date=timezone.localdate(), new_date=timezone.localdate(), reason="r"
        )
        CommitmentFactory(account=account)
    _link, token = client_page_link_create(contact=person)
    client.get(page(token))  # warm what is cached per process

    with django_assert_max_num_queries(22):
        assert client.get(page(token)).status_code == 200


def test_the_manager_sends_the_link_from_the_card_and_a_stranger_cannot(client, account, person, other_manager):
    client.force_login(account.manager)
    response = client.post(reverse("admin:crm_client_page_send", args=[person.pk]))
    assert response.status_code == 302
    assert OutboundMessage.objects.filter(kind=MessageKind.CLIENT_PAGE, contact=person).count() == 1

    client.force_login(other_manager)
    assert client.post(reverse("admin:crm_client_page_send", args=[person.pk])).status_code == 404
    card = client.get(reverse("admin:crm_account_change", args=[account.pk]))
    assert card.status_code in (302, 403, 404)


def test_a_type_3_clients_weekly_note_carries_their_page(person, account, smtp_server):
    from crm.outreach.jobs import orders_on_track_plan

    account.behaviour_type = 3
    account.save()
    OrderFactory(
        account=account,
        ordered_at=timezone.now() - timedelta(days=8),
        promised_delivery_date=timezone.localdate() + timedelta(days=10),
    )

    orders_on_track_plan()
    outbox_send_batch(now=working_hours())

    [email] = [m for m in smtp_server.messages if "/c/" in body_of(m)]
    assert "Все ваши заказы, сроки и качество нашей работы" in body_of(email)
    assert ClientPageLink.objects.filter(contact=person).count() == 1


def test_the_xlsx_writer_round_trips_text_numbers_and_dates_through_openpyxl():
    from datetime import date

    from crm.portal import xlsx

    rows = [("A-1 <&> \x07", Decimal("1250000.50"), date(2026, 3, 1)), (None, 3, None)]
    content = xlsx.workbook(
        [
            xlsx.Sheet(
                title="Заказы: [все]/итог",
                lines=[[xlsx.Bold("Заказы")], [], [xlsx.Bold("номер"), xlsx.Bold("сумма"), xlsx.Bold("дата")]],
                types=[xlsx.TEXT, xlsx.NUMBER, xlsx.DATE],
                rows=rows,
            ),
            xlsx.Sheet(title="Заказы: [все]/итог", lines=[["второй лист с тем же именем"]], types=[], rows=[]),
        ]
    )

    book = load_workbook(io.BytesIO(content))
    first, second = book.worksheets
    assert first.title == "Заказы   все  итог" and second.title != first.title
    assert first["A1"].value == "Заказы" and first["A1"].font.b and first["A3"].value == "номер"
    assert first["A4"].value == "A-1 <&>  " and first["B4"].value == 1250000.5
    assert first["C4"].value.date() == date(2026, 3, 1) and first["C4"].is_date
    assert first["A5"].value is None and first["B5"].value == 3 and first["C5"].value is None
    assert second["A1"].value == "второй лист с тем же именем"


def test_erasing_the_person_closes_their_way_in(client, person):
    from crm.services.privacy import contact_data_export, contact_erase

    _link, token = client_page_link_create(contact=person)
    assert len(contact_data_export(contact=person)["client_page_links"]) == 1

    contact_erase(contact=person, reason="the person's request of 2026-12-01")

    assert client.get(page(token)).status_code == 404


def test_the_page_and_the_new_link_form_are_rate_limited_per_address(client, person, settings):
    settings.CRM_PUBLIC_REQUESTS_PER_MINUTE = 3
    _link, token = client_page_link_create(contact=person)

    pages = [client.get(page(token)).status_code for _ in range(4)]
    asks = [client.post(reverse("client_page_request"), {"email": "x@example.com"}).status_code for _ in range(4)]

    assert pages == [200, 200, 200, 429] and asks == [200, 200, 200, 429]
    assert client.get(page(token), REMOTE_ADDR="10.0.0.9").status_code == 200  # another address still gets in


def test_names_with_markup_characters_print_as_they_are(client, person, account):
    account.name = "ООО «A & B <Запад>»"
    account.save()
    OrderFactory(account=account, number="<b>&-1")
    _link, token = client_page_link_create(contact=person)

    pdf = client.get(reverse("client_page_download", args=[token, "pdf"]))
    html = client.get(page(token)).content.decode()

    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert pdf.status_code == 200 and "ООО «A & B <Запад>»" in text and "<b>&-1" in text
    assert "&lt;b&gt;&amp;-1" in html and "<b>&-1" not in html  # escaped on the page
