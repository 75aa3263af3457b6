"""The core announces, the apps listen (crm/events.py): after the commit, in a stated order, each listener alone."""

import logging
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from crm import events as events_module
from crm.events import (
    JOURNEYS,
    LEVELS,
    OUTREACH,
    SUGGESTIONS,
    ZONES,
    AccountManagerChanged,
    AccountStatusChanged,
    OrderPlaced,
    PersonErased,
    ProposalOpened,
    Subscription,
    subscriptions,
)
from crm.models import Account, Level
from crm.outreach.proposals import proposal_send, tracked_link_open
from crm.services.accounts import account_update
from crm.services.orders import order_create
from crm.services.privacy import contact_erase
from journeys.models import AccountJourney, Journey, Stage, TransitionRule
from segments.models import LevelChange, Segment
from surveys.events import ResponseCompleted
from tests.commit import committed
from tests.crm.factories import AccountFactory, ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


def place_order(account, number="E-1"):
    return order_create(account=account, number=number, amount=Decimal("100"), ordered_at=timezone.now())


def test_the_listeners_run_in_their_stated_order_zones_levels_journeys_suggestions():
    answered = [(listener.order, listener.name) for listener in subscriptions(ResponseCompleted)]
    ordered = [(listener.order, listener.name) for listener in subscriptions(OrderPlaced)]

    assert [order for order, _name in answered] == [ZONES, JOURNEYS, SUGGESTIONS]
    assert answered[0][1] == "segments.receivers.zone_after_answer"
    assert ordered == [
        (LEVELS, "segments.receivers.level_after_order"),
        (JOURNEYS, "journeys.receivers.journey_after_order"),
        (OUTREACH, "crm.outreach.receivers.confirm_the_order"),
    ]


def test_a_first_order_puts_the_client_on_the_journey_of_the_level_it_reaches(manager):
    """The journey is chosen by a saved segment of first-time buyers: it works only if the level is kept first."""
    first_timers = Segment.objects.create(name="First-time buyers", filters={"level": [Level.FIRST_TIME]})
    onboarding = Journey.objects.create(name_ru="Онбординг", name_en="Onboarding", segment=first_timers)
    welcome = Stage.objects.create(journey=onboarding, code="welcome", position=1, name_ru="Приветствие", name_en="Hi")
    TransitionRule.objects.create(journey=onboarding, event="order", to_stage=welcome)
    account = AccountFactory(manager=manager)

    with committed():
        place_order(account)

    account.refresh_from_db()
    assert account.level == Level.FIRST_TIME
    assert AccountJourney.objects.get(account=account).stage == welcome


def test_nothing_is_announced_for_a_change_that_was_rolled_back(manager):
    account = AccountFactory(manager=manager)

    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        place_order(account)
        raise RuntimeError("the request failed after the order was written")

    account.refresh_from_db()
    assert account.level == Level.LEAD and not LevelChange.objects.exists()
    assert not AccountJourney.objects.filter(account=account).exists()


def test_a_failing_listener_is_logged_once_and_neither_the_order_nor_the_others_suffer(manager, monkeypatch, caplog):
    def broken(event):
        raise ValueError("a bug in one app")

    listeners = subscriptions(OrderPlaced)
    monkeypatch.setattr(
        "crm.events._SUBSCRIPTIONS",
        {OrderPlaced: [Subscription(event=OrderPlaced, order=LEVELS - 1, receiver=broken), *listeners]},
    )
    account = AccountFactory(manager=manager)

    with committed(), caplog.at_level(logging.ERROR, logger="crm.events"):
        order = place_order(account)

    account.refresh_from_db()
    assert account.orders.get() == order
    assert account.level == Level.FIRST_TIME  # the listeners after the broken one ran
    assert AccountJourney.objects.get(account=account).stage.code == "purchase"
    failures = [record for record in caplog.records if record.exc_info]
    assert len(failures) == 1 and "broken" in failures[0].getMessage()


@pytest.fixture
def heard(monkeypatch):
    """Every event of the given kinds that reaches a listener, in order."""
    events = []
    kinds = (AccountManagerChanged, AccountStatusChanged, PersonErased, ProposalOpened)
    table = {kind: [*subscriptions(kind), Subscription(event=kind, order=99, receiver=events.append)] for kind in kinds}
    monkeypatch.setattr("crm.events._SUBSCRIPTIONS", {**events_module._SUBSCRIPTIONS, **table})
    return events


def test_a_new_manager_and_status_are_announced_after_the_commit_with_what_they_were(manager, heard):
    account = AccountFactory(manager=manager, status=Account.Status.PROSPECT)
    successor = UserFactory()

    with committed():
        account_update(account=account, manager=successor, status=Account.Status.ACTIVE, reason="handover")
        assert heard == []  # not before the commit

    assert heard == [
        AccountManagerChanged(account_id=account.id, old_manager_id=manager.id, new_manager_id=successor.id),
        AccountStatusChanged(
            account_id=account.id, old_status=Account.Status.PROSPECT, new_status=Account.Status.ACTIVE
        ),
    ]


def test_a_first_opening_of_a_proposal_and_an_erasure_are_announced_once(manager, heard):
    person = ContactFactory(account=AccountFactory(manager=manager))
    with committed():
        link = proposal_send(contact=person, title="КП", target_url="https://files.example/kp.pdf")
    opened_at = timezone.now()

    with committed():
        tracked_link_open(token=link.token, now=opened_at)
        tracked_link_open(token=link.token)  # opened again: nothing new to announce
    with committed():
        contact_erase(contact=person, reason="The person's request")

    assert heard == [
        ProposalOpened(account_id=person.account_id, link_id=link.id, contact_id=person.id, opened_at=opened_at),
        PersonErased(account_id=person.account_id, contact_id=person.id),
    ]
