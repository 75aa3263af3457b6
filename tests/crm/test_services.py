from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from crm.demo.seed import demo_inn
from crm.models import Account, Contact, Interaction, Level, Order, Phone, Task, Zone
from crm.selectors import account_last_delivery_move
from crm.services.accounts import contact_create
from crm.services.activity import commitments_overdue_remind, interaction_log, service_request_create
from crm.services.orders import order_delivery_date_change
from tests.crm.factories import CommitmentFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_each_overdue_promise_gives_its_owner_one_task_however_often_the_job_runs(account, manager):
    overdue = CommitmentFactory(account=account, due_at=timezone.now() - timedelta(hours=1))
    CommitmentFactory(account=account, due_at=timezone.now() + timedelta(hours=1))
    CommitmentFactory(account=account, due_at=timezone.now() - timedelta(hours=1), status="broken")

    assert commitments_overdue_remind() == 1
    assert commitments_overdue_remind() == 0

    task = Task.objects.get()
    assert (task.assignee, task.commitment, task.created_by_rule) == (manager, overdue, "commitment_overdue")
    assert task.priority == Task.Priority.HIGH


def test_the_card_knows_the_last_time_a_delivery_was_moved(account, manager):
    first, second = OrderFactory(account=account), OrderFactory(account=account)
    order_delivery_date_change(order=first, new_date=first.promised_delivery_date + timedelta(days=1), reason="A")
    order_delivery_date_change(
        order=second, new_date=second.promised_delivery_date + timedelta(days=3), reason="B", acting_user=manager
    )

    last = account_last_delivery_move(account=account)

    assert (last.order, last.reason, last.days_moved, last.acting_user) == (second, "B", 3, manager)


def test_moving_a_delivery_without_a_reason_is_refused(account):
    order = OrderFactory(account=account)

    with pytest.raises(ValidationError):
        order_delivery_date_change(order=order, new_date=order.promised_delivery_date + timedelta(days=1), reason=" ")
    assert not order.delivery_date_changes.exists()


def test_two_racing_deliveries_of_one_event_record_one_interaction(account):
    first, created_first = interaction_log(
        account=account, channel="phone", direction="inbound", source="pbx", external_id="abc"
    )
    second, created_second = interaction_log(
        account=account, channel="phone", direction="inbound", source="pbx", external_id="abc"
    )

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert Interaction.objects.count() == 1


def test_a_contact_with_a_bad_phone_is_not_half_written(account):
    with pytest.raises(ValidationError) as error:
        contact_create(account=account, first_name="Иван", phones=["8 916 123-45-67", "12"])

    assert "phones" in error.value.message_dict
    assert not Contact.objects.exists() and not Phone.objects.exists()


@pytest.mark.parametrize(
    ("channel", "minutes"), [("email", 24 * 60), ("web_form", 24 * 60), ("social", 60), ("phone", 3), ("chat", 1)]
)
def test_first_response_deadline_follows_the_channel_target(account, channel, minutes):
    created = timezone.now()

    request = service_request_create(account=account, channel=channel, subject="?", created_at=created)

    assert request.first_response_due_at - created == timedelta(minutes=minutes)


def test_seed_demo_is_deterministic_and_never_duplicates():
    call_command("seed_demo", accounts=12, seed=3, verbosity=0)
    first = sorted(Account.objects.values_list("inn", "name"))
    contacts = Contact.objects.count()

    call_command("seed_demo", accounts=12, seed=3, verbosity=0)
    assert sorted(Account.objects.values_list("inn", "name")) == first
    assert Contact.objects.count() == contacts

    call_command("seed_demo", accounts=15, seed=3, verbosity=0)
    assert Account.objects.count() == 15
    assert {inn for inn, _name in first} == {demo_inn(seed=3, index=i) for i in range(12)}
    assert Contact.objects.exclude(patronymic="").exists()
    assert Interaction.objects.filter(occurred_at__lt=timezone.now() - timedelta(days=365)).exists()
    assert Phone.objects.exclude(raw__startswith="+").exists()


def test_after_the_demo_seed_each_level_and_zone_is_what_the_accounts_orders_and_answers_give():
    """The seed writes orders and answers in bulk: it must leave no buyer a "lead" and no answered account unzoned."""
    call_command("seed_demo", accounts=30, seed=5, verbosity=0)

    purchases = Count("orders", filter=~Q(orders__status=Order.Status.CANCELLED))
    accounts = Account.objects.annotate(purchases=purchases)
    assert accounts.filter(purchases__gte=2).exists()
    referrers = set(Account.objects.filter(referred_by__isnull=False).values_list("referred_by_id", flat=True))
    for account in accounts:
        expected = {0: {Level.LEAD}, 1: {Level.FIRST_TIME}}.get(account.purchases, {Level.REPEAT, Level.CORE})
        if account.pk in referrers:  # DOMAIN §6: a client who brought another and is green is an advocate at any count
            expected = expected | {Level.ADVOCATE}
        assert account.level in expected, (account.pk, account.purchases, account.level)
    assert set(Account.objects.values_list("zone", flat=True)) > {Zone.GREY}


def test_issue_api_token_prints_a_working_token_once(capsys, manager, api_client):
    call_command("issue_api_token", user=manager.username, name="PBX", scopes="contacts:read")
    raw = capsys.readouterr().out.strip()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api_client.get("/api/v1/contacts/").status_code == 200
    assert api_client.get("/api/v1/accounts/").status_code == 403
