"""The caller card reads its rows with one SQL statement on PostgreSQL and with the ORM elsewhere:
both must give the same card, order and limits included."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Commitment, Order, ServiceRequest
from crm.services.orders import order_delivery_date_change
from crm.telephony.card import caller_card, card_rows_orm, card_rows_postgresql
from surveys.models import Survey
from surveys.services.responses import survey_response_record
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import (
    CommitmentFactory,
    ContactFactory,
    InteractionFactory,
    OrderFactory,
    ServiceRequestFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_client(account):
    """An account with more of everything than the card lists, ties in the orderings, and closed rows."""
    now = timezone.now().replace(microsecond=120000)  # PostgreSQL trims the zeros of fractions in JSON
    contact = ContactFactory(account=account, is_decision_maker=True)
    for n in range(12):
        CommitmentFactory(account=account, description=f"promise {n}", due_at=now + timedelta(hours=n % 5 - 2))
    CommitmentFactory(account=account, description="kept", status=Commitment.Status.KEPT, fulfilled_at=now)
    for n in range(12):
        order = OrderFactory(
            account=account,
            promised_delivery_date=None if n == 3 else (now + timedelta(days=n % 4)).date(),
            extra_confirmation=n % 2 == 0,
        )
        if n % 3 == 0:
            order_delivery_date_change(order=order, new_date=(now + timedelta(days=9 + n)).date(), reason=f"move {n}")
    OrderFactory(account=account, status=Order.Status.DELIVERED)
    for n in range(11):
        ServiceRequestFactory(
            account=account, subject=f"request {n}", first_response_due_at=now + timedelta(hours=n % 3)
        )
    ServiceRequestFactory(account=account, subject="done", status=ServiceRequest.Status.RESOLVED)
    for n in range(7):
        InteractionFactory(
            account=account, contact=contact, subject=f"talk {n}", occurred_at=now - timedelta(days=n // 2)
        )
    nps = Survey.objects.get(slug="nps")
    for days, score in ((9, 10), (2, 4)):
        survey_response_record(
            survey=nps,
            contact=contact,
            submitted_at=now - timedelta(days=days),
            external_id=f"nps-{days}",
            answers={"recommend": score},
        )
    return contact


def test_the_one_statement_card_equals_the_orm_card(busy_client, account):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: the one-statement card is PostgreSQL's")

    assert card_rows_postgresql(account) == card_rows_orm(account)


def test_an_account_with_nothing_open_has_empty_lists_not_errors(account):
    contact = ContactFactory(account=account)

    card = caller_card(contact=contact, number="+79161234567")

    assert (card["promises"], card["orders"], card["service_requests"], card["last_interactions"]) == ([], [], [], [])
    assert card["last_delivery_move"] is None and card["last_nps"] is None


def test_the_card_lists_what_is_open_soonest_first_within_its_limits(busy_client, account):
    card = caller_card(contact=busy_client, number="+79161234567")

    assert len(card["promises"]) == 10 and "kept" not in [p["description"] for p in card["promises"]]
    assert [p["due_at"] for p in card["promises"]] == sorted(p["due_at"] for p in card["promises"])
    assert sum(p["overdue"] for p in card["promises"]) > 0
    assert len(card["orders"]) == 10 and all(o["status"] != "delivered" for o in card["orders"])
    assert [o["moved"] for o in card["orders"]].count(True) >= 1
    assert card["last_delivery_move"]["reason"] == "move 9"  # the latest move
    assert len(card["service_requests"]) == 10 and "done" not in [r["subject"] for r in card["service_requests"]]
    assert [i["subject"] for i in card["last_interactions"]][:1] == ["talk 1"]  # newest first, ties by id
    assert len(card["last_interactions"]) == 5
    assert (card["last_nps"]["score"], card["last_nps"]["of"]) == (4, 10)


def test_the_caller_lookup_is_one_prepared_statement_and_counts_in_the_query_log(busy_client, account):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: prepared statements are PostgreSQL's")
    if "prepare_threshold" not in connection.settings_dict["OPTIONS"]:
        pytest.skip(f"{NOT_APPLICABLE}: prepared statements are off (behind a transaction pooler)")
    from django.test.utils import CaptureQueriesContext

    from crm.models import Phone
    from crm.telephony.services import caller_lookup, telephony_connection_create

    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    Phone.objects.create(contact=busy_client, raw="8 916 000-11-22", number="+79160001122")

    caller_lookup(connection=pbx, number="8 916 000-11-22")
    with CaptureQueriesContext(connection) as queries:
        lookup = caller_lookup(connection=pbx, number="+7 916 000 11 22")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%crm_phone%"])
        prepared = cursor.fetchone()[0]

    assert lookup.contact == busy_client and len(lookup.card["promises"]) == 10
    assert prepared == 1  # planned once for this database connection, whatever the number
    assert any("crm_phone" in query["sql"] and "+79160001122" in query["sql"] for query in queries)
