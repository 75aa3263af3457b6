"""A type 3 client opens their page on a phone in a real headless Chromium, reads the on-time figure and
downloads the PDF; the CSP the page sends lets nothing run and the page still reads whole."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pypdf
import pytest
from django.utils import timezone

from crm.portal.services import client_page_link_create
from tests.crm.factories import AccountFactory, ContactFactory, OrderFactory
from tests.e2e.test_admin_e2e import browser  # noqa: F401  (the fixture)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
MSK = ZoneInfo("Europe/Moscow")


def test_a_client_reads_the_on_time_share_on_a_phone_and_downloads_the_pdf(live_server, browser):  # noqa: F811
    account = AccountFactory(name="ООО «Надёжный Заказчик»", behaviour_type=3)
    person = ContactFactory(account=account, first_name="Ольга", patronymic="Сергеевна", language="ru")
    day = timezone.localdate() - timedelta(days=30)
    for index, late_days in enumerate((0, 0, 0, 2)):  # three of four on time: 75 %
        OrderFactory(
            account=account,
            number=f"E2E-{index}",
            status="delivered",
            ordered_at=timezone.now() - timedelta(days=60),
            promised_delivery_date=day,
            delivered_at=datetime.combine(day + timedelta(days=late_days), datetime.min.time(), tzinfo=MSK)
            + timedelta(hours=10),
        )
    _link, token = client_page_link_create(contact=person)
    errors, failed = [], []

    page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)  # a phone
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 and "favicon" not in r.url else None)
    page.goto(f"{live_server.url}/c/{token}/")

    figure = page.locator("[data-testid=section-on_time] [data-testid=figure] strong").inner_text()
    assert figure.replace("\xa0", " ") == "75 %"
    assert page.locator("[data-testid=chart] rect.bar, [data-testid=chart] rect.bar--low").count() == 1
    # The page fits the phone: nothing but the tables' own scrolling box is wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert errors == [] and failed == []  # the stylesheet loads under the strict policy; nothing was refused
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(245, 245, 247)"

    with page.expect_download() as download_info:
        page.click("[data-testid=download-pdf]")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(download.path()).pages)
    assert "ООО «Надёжный Заказчик»: покупки, поставки и качество" in text
    assert "Доставлено не позже первой обещанной даты: 75 % (n = 4)" in text.replace("\xa0", " ")
