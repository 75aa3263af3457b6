"""The client card and the caller card are assembled from what each app registers (crm/panels.py,
crm/telephony/card.py), in a declared order; the demo data too (crm/demo/registry.py)."""

import pytest
from django.urls import reverse

from crm.demo.registry import demo_steps
from crm.panels import ADVICE, FACTS, PANELS, card_panels
from crm.telephony.card import caller_card, caller_card_parts, card_lists
from tests.crm.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_each_app_has_its_panels_on_the_card_in_the_declared_order():
    placed = [(panel.place, panel.name) for panel in card_panels()]

    assert placed == [
        (ADVICE, "playbooks"),
        (FACTS, "level"),
        (FACTS, "zone"),
        (FACTS, "behaviour"),
        (FACTS, "journey"),
        (PANELS, "feedback"),
    ]


def test_the_card_shows_every_panel_in_its_place_and_order(client, manager):
    account = AccountFactory(manager=manager)
    client.force_login(manager)

    page = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()

    header = page.index('data-testid="level"'), page.index('data-testid="zone"')
    header += page.index('data-testid="behaviour-type"'), page.index('data-testid="journey-stage"')
    assert list(header) == sorted(header)  # level, zone, type, journey: as the header always read
    assert page.index('data-testid="journey-stage"') < page.index('data-testid="playbooks"')
    assert page.index("Promises") < page.index('data-testid="feedback"') < page.index('data-testid="timeline"')


def test_the_caller_card_has_every_apps_part_in_its_one_statement(manager):
    contact = ContactFactory(account=AccountFactory(manager=manager))
    lists, count = card_lists(account="a.id")

    card = caller_card(contact=contact, number="+79160000000")

    for part in caller_card_parts():
        assert part.key in card
        assert part.sql.format(account="a.id") in lists
    assert [part.key for part in caller_card_parts()] == ["last_nps"]
    assert count == 5 + len(caller_card_parts())


def test_each_app_seeds_its_own_demo_data_in_the_order_they_read_each_other():
    assert [step.name for step in demo_steps()] == [
        "journeys",
        "surveys",
        "zones and levels",
        "behaviour suggestions",
        "segments",
        "stage norms",
    ]
