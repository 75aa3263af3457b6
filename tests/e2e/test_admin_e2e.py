"""A manager, in a real headless Chromium, against a live server."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connections

from crm.services.roles import ACCOUNT_MANAGERS
from tests.crm.factories import AccountFactory, ContactFactory, PhoneFactory, UserFactory

CHROMIUM = os.environ.get("CRM_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(monkeypatch):
    # Playwright's sync API keeps an event loop in this thread; the ORM calls here are plain test setup.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (CI installs it).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
        # The test's queries ran while Playwright's event loop was running here: Django kept their connections
        # apart from the ones pytest-django closes, and one left open keeps the test database from being dropped.
        connections.close_all()


def _manager(username):
    user = UserFactory(username=username, language="en")
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return user


def _log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "secret-password")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_a_manager_logs_an_interaction_from_the_card_and_another_manager_cannot_open_it(live_server, browser):
    manager, other = _manager("anna"), _manager("boris")
    account = AccountFactory(manager=manager, name="ООО «Ромашка»")
    PhoneFactory(contact=ContactFactory(account=account), number="+79161234567")
    AccountFactory(manager=other, name="АО «Чужая»")
    screenshots = Path(settings.VAR_DIR) / "e2e"
    screenshots.mkdir(exist_ok=True)

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _log_in(page, live_server, "anna")

    assert "/admin/crm/account/" in page.url
    assert page.get_by_text("ООО «Ромашка»").count() >= 1
    assert page.get_by_text("АО «Чужая»").count() == 0

    page.get_by_role("link", name="ООО «Ромашка»").first.click()
    page.wait_for_selector("[data-testid=client-card]")
    assert page.get_by_text("Сидоров Иван Петрович").count() == 1
    page.screenshot(path=str(screenshots / "client-card.png"), full_page=True)

    page.click("[data-testid=log-interaction]")
    page.select_option("select[name=channel]", "phone")
    page.select_option("select[name=direction]", "inbound")
    page.fill("input[name=subject]", "Клиент спросил о сроках поставки")
    page.click("button[name=_save]")
    page.wait_for_selector("[data-testid=timeline]")

    assert f"/admin/crm/account/{account.pk}/change/" in page.url
    timeline = page.locator("[data-testid=timeline]")
    assert "Клиент спросил о сроках поставки" in timeline.inner_text()

    other_page = browser.new_page()
    _log_in(other_page, live_server, "boris")
    other_page.goto(f"{live_server.url}/admin/crm/account/{account.pk}/change/")
    assert other_page.locator("[data-testid=client-card]").count() == 0
    assert "ООО «Ромашка»" not in other_page.content()


def test_the_caller_card_pops_up_on_the_managers_screen_while_the_phone_rings(live_server, browser):
    from crm.telephony.services import call_register, telephony_connection_create

    manager = _manager("anna")
    _manager("boris")  # another manager, watching their own screen
    manager.phone_extension = "101"
    manager.save()
    account = AccountFactory(manager=manager, name="ООО «Ромашка»", behaviour_type=3)
    PhoneFactory(contact=ContactFactory(account=account), number="+79161234567")
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    screenshots = Path(settings.VAR_DIR) / "e2e"
    screenshots.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _log_in(page, live_server, "anna")
    bystander = browser.new_page(viewport={"width": 1400, "height": 1000})
    _log_in(bystander, live_server, "boris")

    call_register(connection=pbx, call_id="c-e2e", direction="inbound", from_number="8 916 123-45-67")

    pop = page.wait_for_selector("[data-testid=screen-pop]", timeout=10_000)
    assert "Иван Петрович · ООО «Ромашка»" in pop.inner_text()
    assert "guarantees" in pop.inner_text()
    page.screenshot(path=str(screenshots / "screen-pop.png"))
    bystander.wait_for_timeout(4000)  # more than one polling interval
    assert bystander.query_selector("[data-testid=screen-pop]") is None

    page.get_by_role("link", name="Open the client card").click()
    page.wait_for_selector("[data-testid=client-card]")
    assert f"/admin/crm/account/{account.pk}/change/" in page.url
