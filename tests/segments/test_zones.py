"""Zones (DOMAIN §4): the relationship-survey mean in the window, kept with its history, alerting on a fall."""

from datetime import timedelta
from itertools import count

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from crm.models import Account, Contact, MessageKind, OutboundMessage, Zone
from crm.telephony.card import caller_card
from segments.checks import zone_thresholds_check
from segments.models import ZoneChange
from segments.services.zones import zones_classify
from surveys.models import Case, Survey
from surveys.services.responses import survey_response_record
from tests.commit import committed
from tests.crm.factories import AccountFactory, ContactFactory
from tests.segments.meanwhile import meanwhile

pytestmark = pytest.mark.django_db
_keys = count()


def answer(contact, scores, *, days_ago=1):
    """A relationship-survey response with these four closed scores (result, understanding, quality, recommend)."""
    codes = ["result", "understanding", "service_quality", "recommend"]
    with committed():
        return survey_response_record(
            survey=Survey.objects.get(slug="relationship"),
            contact=contact,
            submitted_at=timezone.now() - timedelta(days=days_ago),
            external_id=f"z{next(_keys)}",
            answers=dict(zip(codes, scores, strict=True)),
        )[0]


def client_with(manager, name="Client"):
    account = AccountFactory(manager=manager, name=name, created_at=timezone.now() - timedelta(days=400))
    return account, ContactFactory(account=account, is_decision_maker=True, first_name="Иван", patronymic="Петрович")


def zone_of(account):
    account.refresh_from_db()
    return account.zone


def test_zones_by_hand_from_the_answers_in_the_window(manager):
    green, g = client_with(manager, "Green")
    yellow, y = client_with(manager, "Yellow")
    red, r = client_with(manager, "Red")
    stale, s = client_with(manager, "Stale")
    silent, _nobody = client_with(manager, "Silent")
    answer(g, [10, 9, 9, 8])  # mean 9.0: green from 9.0
    answer(y, [8, 7, 7, 8])  # 7.5
    answer(r, [5, 6, 8, 3])  # 5.5
    answer(s, [10, 10, 10, 10], days_ago=50)  # outside the 45-day window

    assert [zone_of(a) for a in (green, yellow, red, stale, silent)] == ["green", "yellow", "red", "grey", "grey"]
    assert zones_classify().changed == {}  # the answers already set them; a bulk run agrees and changes nothing


def test_every_change_is_history_and_answers_leaving_the_window_turn_the_zone_grey(manager):
    account, person = client_with(manager)
    answer(person, [9, 9, 9, 9], days_ago=40)

    report = zones_classify(now=timezone.now() + timedelta(days=10))  # the answer is 50 days old now

    assert report.changed == {"grey": 1}
    assert zone_of(account) == Zone.GREY
    history = list(
        ZoneChange.objects.filter(account=account)
        .order_by("created_at")
        .values_list("from_zone", "to_zone", "trigger", "answers")
    )
    assert history == [("grey", "green", "response", 4), ("green", "grey", "reclassification", 0)]


def test_a_fall_into_red_alerts_the_manager_and_their_head_once_and_opens_one_case(manager, head):
    account, person = client_with(manager)
    answer(person, [10, 10, 9, 10])
    assert zone_of(account) == Zone.GREEN

    answer(person, [2, 3, 2, 1])  # mean of the eight answers: 5.9
    zones_classify()

    assert zone_of(account) == Zone.RED
    change = ZoneChange.objects.get(account=account, to_zone=Zone.RED)
    assert (change.from_zone, str(change.mean), change.answers) == ("green", "5.88", 8)
    alerts = OutboundMessage.objects.filter(kind=MessageKind.ZONE_RED)
    assert sorted(alerts.values_list("recipient_user__username", flat=True)) == ["head", "manager"]
    assert account.name in alerts.first().subject
    assert Case.objects.filter(account=account, reason="red_relationship", closed_at__isnull=True).count() == 1


def test_from_unknown_straight_to_red_is_not_a_fall_and_alerts_nobody(manager, head):
    account, person = client_with(manager)

    answer(person, [3, 3, 3, 3])

    assert zone_of(account) == Zone.RED
    assert not OutboundMessage.objects.filter(kind=MessageKind.ZONE_RED).exists()


def test_the_api_filters_by_zone_and_shows_the_history_only_to_whoever_may_see_the_account(
    manager_api, manager, other_manager, token_client
):
    account, person = client_with(manager)
    answer(person, [10, 10, 10, 10])
    answer(person, [1, 1, 1, 1])

    listed = manager_api.get("/api/v1/accounts/", {"zone": "red"}).json()["results"]  # mean 5.5
    history = manager_api.get(f"/api/v1/accounts/{account.pk}/zone-history/")
    stranger = token_client(other_manager, ["accounts:read"]).get(f"/api/v1/accounts/{account.pk}/zone-history/")

    assert [row["id"] for row in listed] == [account.pk] and listed[0]["zone"] == "red"
    assert [(row["from_zone"], row["to_zone"]) for row in history.json()] == [("green", "red"), ("grey", "green")]
    assert stranger.status_code == 404


def test_the_client_card_says_why_and_the_caller_card_names_the_zone(client, manager):
    account, person = client_with(manager, "Ромашка")
    other = ContactFactory(account=account, first_name="Олег", last_name="Кузнецов")
    answer(person, [9, 9, 8, 9])
    answer(other, [9, 9, 9, 3])  # a 3 from Олег, while the mean stays yellow
    client.force_login(manager)

    html = client.get(f"/admin/crm/account/{account.pk}/change/").content.decode()
    zone = html.split('data-testid="zone"')[1].split("</dd>")[0]
    card = caller_card(contact=Contact.objects.select_related("account__manager").get(pk=person.pk), number="+7916")

    assert "Yellow" in zone or "Жёлтая" in zone
    assert "8.1" in zone  # the mean of the eight answers
    assert "3" in zone and "Кузнецов" in zone  # the lowest score and who gave it
    assert card["zone"] == "yellow" and card["display_name"].endswith("· yellow")


@override_settings(CRM_ZONE_GREEN_FROM=7.0, CRM_ZONE_YELLOW_FROM=8.0)
def test_thresholds_that_overlap_are_refused_by_the_system_check():
    [error] = zone_thresholds_check(None)

    assert error.id == "segments.E001" and "overlap or leave a gap" in error.msg


def test_classify_accounts_prints_a_summary(manager, capsys):
    account, person = client_with(manager)
    answer(person, [9, 9, 9, 9], days_ago=44)
    Account.objects.filter(pk=account.pk).update(zone=Zone.GREY)  # as if classified before the answer counted

    call_command("classify_accounts", "--quiet")

    assert "changes of zone: Green: 1" in capsys.readouterr().out
    assert zone_of(account) == Zone.GREEN


def test_a_manager_sees_the_zone_history_of_their_own_accounts_only(client, manager, other_manager):
    _mine, person = client_with(manager, "Mine")
    _theirs, stranger = client_with(other_manager, "Theirs")
    answer(person, [9, 9, 9, 9])
    answer(stranger, [9, 9, 9, 9])
    client.force_login(manager)

    page = client.get("/admin/segments/zonechange/")

    assert page.status_code == 200
    assert "Mine" in page.content.decode() and "Theirs" not in page.content.decode()


def test_the_daily_digest_lists_each_managers_changes_of_the_day_once(manager, other_manager, head):
    from segments.services.zones import zone_digest_plan

    _mine, person = client_with(manager, "Ромашка")
    _theirs, stranger = client_with(other_manager, "Вектор")
    answer(person, [9, 9, 9, 9])
    answer(stranger, [5, 5, 5, 5])
    today = timezone.localdate()

    planned = zone_digest_plan(day=today)
    again = zone_digest_plan(day=today)
    nothing = zone_digest_plan(day=today - timedelta(days=1))

    digests = OutboundMessage.objects.filter(kind=MessageKind.ZONE_DIGEST).order_by("recipient_user__username")
    assert (planned, again, nothing) == (2, 0, 0)
    assert [d.recipient_user.username for d in digests] == ["manager", "other"]
    mine = digests[0]
    assert "Ромашка" in mine.body and "Вектор" not in mine.body
    assert "→" in mine.body and "9.00" in mine.body


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_answers_of_one_account_at_once_give_one_zone_from_both(manager):
    """Two people of one client answer at the same moment: the second refresh waits for the first, then reads
    both answers. Otherwise each would see only its own answer, both would write a change from the same old zone,
    and the zone left would be the last one written, not the one both answers give."""
    from importlib import import_module

    from django.apps import apps
    from django.db import connection

    from tests.conftest import NOT_APPLICABLE

    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: SQLite's writers take turns")
    # The shipped surveys, which an earlier transactional test's flush may have removed (install skips what exists).
    import_module("surveys.migrations.0002_shipped_surveys").install(apps, None)
    account, first_person = client_with(manager)
    second_person = ContactFactory(account=account)
    meanwhile(
        lambda: answer(first_person, [3, 3, 3, 3]),  # red on its own
        lambda: answer(second_person, [10, 10, 10, 10]),  # green on its own
    )

    assert zone_of(account) == Zone.RED  # the mean of both answers, 6.5
    assert list(ZoneChange.objects.values_list("from_zone", "to_zone")) == [(Zone.GREY, Zone.RED)]
