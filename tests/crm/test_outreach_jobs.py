"""The seven scheduled jobs: what they plan, for whom, and that running them again changes nothing."""

from datetime import date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from crm.models import (
    Campaign,
    Industry,
    Interaction,
    MessageKind,
    OutboundMessage,
    ProductCategory,
    ProfessionalHoliday,
    Task,
)
from crm.models.orders import OrderLine, Product
from crm.outreach.jobs import (
    campaign_activate,
    campaigns_plan,
    deliveries_plan,
    greetings_plan,
    maintenance_due_plan,
    orders_on_track_plan,
    promises_remind,
    thanks_plan,
)
from crm.outreach.proposals import proposal_send, tracked_link_open
from crm.services.orders import order_create, order_delivery_date_change
from tests.crm.factories import (
    AccountFactory,
    CommitmentFactory,
    ContactFactory,
    EquipmentFactory,
    OrderFactory,
)


def messages(kind):
    return list(OutboundMessage.objects.filter(kind=kind).order_by("id"))


@pytest.fixture
def decision_maker(account):
    ContactFactory(account=account, first_name="Пётр", patronymic="Ильич", is_decision_maker=False)
    return ContactFactory(account=account, first_name="Иван", patronymic="Петрович", is_decision_maker=True)


@pytest.mark.django_db
def test_maintenance_due_reminds_the_decision_maker_and_tasks_the_manager_once(account, decision_maker, manager):
    due = EquipmentFactory(account=account, next_maintenance_at=timezone.localdate() + timedelta(days=25))
    EquipmentFactory(account=account, next_maintenance_at=timezone.localdate() + timedelta(days=90))  # not yet

    maintenance_due_plan()
    maintenance_due_plan()  # the next hourly tick

    [message] = messages(MessageKind.MAINTENANCE_DUE)
    assert message.contact == decision_maker
    assert message.idempotency_key == f"maintenance:{due.id}:{due.next_maintenance_at.isoformat()}"
    assert "Иван Петрович" in message.body and due.model_name in message.body
    [task] = Task.objects.filter(created_by_rule="maintenance_due")
    assert task.assignee == manager and task.account == account


@pytest.mark.django_db
def test_the_responsible_person_of_the_equipment_gets_the_reminder(account, decision_maker):
    engineer = ContactFactory(account=account, first_name="Сергей", patronymic="Олегович")
    EquipmentFactory(account=account, responsible_contact=engineer)

    maintenance_due_plan()

    assert messages(MessageKind.MAINTENANCE_DUE)[0].contact == engineer


@pytest.mark.django_db
def test_a_moved_delivery_warns_the_client_with_the_new_date_and_reason_and_tasks_the_manager(
    account, decision_maker, manager
):
    order = OrderFactory(account=account, promised_delivery_date=date(2026, 12, 10))
    order_delivery_date_change(order=order, new_date=date(2026, 12, 14), reason="задержка у перевозчика")

    deliveries_plan()
    deliveries_plan()

    [message] = messages(MessageKind.DELIVERY_MOVED)
    assert message.contact == decision_maker
    assert "14 декабря" in message.body and "10 декабря" in message.body
    assert "задержка у перевозчика" in message.body
    assert Task.objects.filter(created_by_rule="delivery_moved", assignee=manager).count() == 1


@pytest.mark.django_db
def test_the_next_order_after_a_moved_one_gets_an_extra_confirmation(account, manager):
    moved = OrderFactory(account=account, promised_delivery_date=date(2026, 12, 10))
    order_delivery_date_change(order=moved, new_date=date(2026, 12, 14), reason="задержка")

    following = order_create(account=account, number="N-2", amount=1, ordered_at=timezone.now())

    assert following.extra_confirmation is True
    task = Task.objects.get(created_by_rule="extra_confirmation")
    assert task.assignee == manager and "N-2" in task.title
    then = order_create(account=account, number="N-3", amount=1, ordered_at=timezone.now() + timedelta(seconds=1))
    assert then.extra_confirmation is False  # N-2 was not moved


@pytest.mark.django_db
def test_an_order_not_shipped_days_before_its_date_is_at_risk(account, decision_maker):
    soon = timezone.localdate() + timedelta(days=2)
    OrderFactory(account=account, promised_delivery_date=soon, status="in_production")
    OrderFactory(account=account, promised_delivery_date=soon, status="shipped")

    deliveries_plan()

    [message] = messages(MessageKind.DELIVERY_AT_RISK)
    assert message.data["promised_date"] == soon.isoformat()
    assert Task.objects.filter(created_by_rule="delivery_at_risk").count() == 1


@pytest.mark.django_db
def test_long_orders_of_type_3_clients_get_one_on_track_message_a_week(decision_maker):
    account = decision_maker.account
    account.behaviour_type = 3
    account.save()
    other = AccountFactory()
    ContactFactory(account=other)
    now = timezone.now()
    for client in (account, other):
        OrderFactory(
            account=client,
            ordered_at=now - timedelta(days=9),
            promised_delivery_date=timezone.localdate() + timedelta(days=20),
        )

    orders_on_track_plan(now=now)
    orders_on_track_plan(now=now + timedelta(days=1))
    assert len(messages(MessageKind.ORDER_ON_TRACK)) == 1  # once a week, type 3 only
    orders_on_track_plan(now=now + timedelta(days=7))
    assert len(messages(MessageKind.ORDER_ON_TRACK)) == 2


@pytest.mark.django_db
def test_clients_who_ask_for_weekly_updates_get_them_whatever_their_type(decision_maker):
    account = decision_maker.account
    account.weekly_order_updates = True
    account.save()
    OrderFactory(
        account=account,
        ordered_at=timezone.now() - timedelta(days=8),
        promised_delivery_date=timezone.localdate() + timedelta(days=20),
    )

    assert orders_on_track_plan() == 1


@pytest.mark.django_db
def test_birthdays_are_greeted_by_name_and_patronymic_once_a_year(account):
    today = timezone.localdate()
    person = ContactFactory(account=account, birthday=today.replace(year=1980))
    ContactFactory(account=account, birthday=(today + timedelta(days=1)).replace(year=1980))

    greetings_plan(today=today)
    greetings_plan(today=today)

    [message] = messages(MessageKind.BIRTHDAY)
    assert message.contact == person
    assert message.subject == "С днём рождения, Иван Петрович!"
    assert message.purpose == "greetings"


@pytest.mark.django_db
def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years(account):
    ContactFactory(account=account, birthday=date(1984, 2, 29))

    assert greetings_plan(today=date(2027, 2, 28)) == 1


@pytest.mark.parametrize(
    ("rule", "year", "expected"),
    [
        ({"month": 7, "week": 3, "weekday": 6}, 2026, date(2026, 7, 19)),  # Metallurgists: third Sunday of July
        ({"month": 8, "week": 2, "weekday": 6}, 2026, date(2026, 8, 9)),  # Builders: second Sunday of August
        ({"month": 5, "week": -1, "weekday": 6}, 2026, date(2026, 5, 31)),  # Chemists: last Sunday of May
        ({"month": 12, "day": 22}, 2026, date(2026, 12, 22)),  # Power engineers
    ],
)
def test_holiday_rules_give_the_right_dates(rule, year, expected):
    assert ProfessionalHoliday(name_ru="x", name_en="x", **rule).date_in(year) == expected


@pytest.mark.django_db
def test_a_professional_holiday_greets_only_its_industry_in_each_persons_language(account):
    metals, food = Industry.objects.create(name="Металлургия"), Industry.objects.create(name="Пищевая")
    account.industry = metals
    account.save()
    russian = ContactFactory(account=account)
    english = ContactFactory(account=account, first_name="John", patronymic="", language="en")
    ContactFactory(account=AccountFactory(industry=food))
    holiday = ProfessionalHoliday.objects.get(name_en="Metallurgists' Day")
    holiday.industries.add(metals)

    greetings_plan(today=date(2026, 7, 19))

    sent = {m.contact: m for m in messages(MessageKind.HOLIDAY)}
    assert set(sent) == {russian, english}
    assert "День металлурга" in sent[russian].subject
    assert "Metallurgists' Day" in sent[english].subject


@pytest.mark.django_db
def test_promises_due_soon_remind_the_owner_and_overdue_ones_alert_the_owner_and_head(account, manager, head):
    now = timezone.now()
    soon = CommitmentFactory(account=account, owner=manager, due_at=now + timedelta(hours=3))
    late = CommitmentFactory(account=account, owner=manager, due_at=now - timedelta(hours=1))
    CommitmentFactory(account=account, owner=manager, due_at=now + timedelta(days=5))  # not yet

    promises_remind(now=now)
    promises_remind(now=now + timedelta(minutes=5))

    [due] = messages(MessageKind.PROMISE_DUE)
    assert (due.recipient_user, due.data["commitment_id"]) == (manager, soon.id)
    overdue = messages(MessageKind.PROMISE_OVERDUE)
    assert {m.recipient_user for m in overdue} == {manager, head}
    assert all(m.data["commitment_id"] == late.id and m.account == account for m in overdue)
    assert Task.objects.filter(commitment=late).count() == 1


@pytest.fixture
def metal_campaign():
    campaign = Campaign.objects.create(
        name="Вебинар",
        subject_ru="Бесплатный вебинар",
        body_ru="{{ contact.name }}, приглашаем.",
        subject_en="Free webinar",
        body_en="{{ contact.name }}, join us.",
    )
    return campaign


@pytest.mark.django_db
def test_a_campaign_without_an_audience_cannot_start(metal_campaign):
    with pytest.raises(ValidationError, match="audience"):
        campaign_activate(campaign=metal_campaign)


@pytest.mark.django_db
def test_a_campaign_reaches_its_industry_and_buyers_of_its_category_and_nobody_else(metal_campaign):
    metals = Industry.objects.create(name="Металлургия")
    presses = ProductCategory.objects.create(name="Прессы")
    press = Product.objects.create(name="П-200", sku="P200", category=presses)
    buyer = AccountFactory(industry=metals)
    OrderLine.objects.create(order=OrderFactory(account=buyer), product=press, quantity=1, unit_price=10)
    target = ContactFactory(account=buyer)
    ContactFactory(account=AccountFactory(industry=metals))  # same industry, never bought presses
    ContactFactory(account=AccountFactory())  # neither
    metal_campaign.industries.add(metals)
    metal_campaign.product_categories.add(presses)
    campaign_activate(campaign=metal_campaign)

    campaigns_plan()
    campaigns_plan()

    [message] = messages(MessageKind.CAMPAIGN)
    assert message.contact == target
    assert (message.subject, message.purpose) == ("Бесплатный вебинар", "marketing")
    assert message.body.startswith("Иван Петрович, приглашаем.")


@pytest.mark.django_db
def test_a_type_4_client_opening_a_proposal_asks_the_manager_to_call_now(account, decision_maker, manager):
    account.behaviour_type = 4
    account.save()
    link = proposal_send(
        contact=decision_maker, title="КП на прессы", target_url="https://files.example/kp.pdf", acting_user=manager
    )
    [sent] = messages(MessageKind.PROPOSAL)
    assert link.token in sent.body

    tracked_link_open(token=link.token)
    tracked_link_open(token=link.token)

    link.refresh_from_db()
    assert link.open_count == 2 and link.first_opened_at is not None
    [task] = Task.objects.filter(created_by_rule="proposal_opened")
    assert task.assignee == manager and task.priority == Task.Priority.URGENT
    assert task.due_at <= timezone.now() + timedelta(minutes=15)
    [alert] = messages(MessageKind.PROPOSAL_OPENED)
    assert alert.recipient_user == manager
    subjects = set(Interaction.objects.filter(account=account).values_list("subject", flat=True))
    assert subjects == {"Proposal sent: КП на прессы", "Opened: КП на прессы"}


@pytest.mark.django_db
def test_other_clients_opening_a_proposal_are_logged_without_an_urgent_call(account, decision_maker, manager):
    link = proposal_send(contact=decision_maker, title="КП", target_url="https://files.example/kp.pdf")

    tracked_link_open(token=link.token)

    assert not Task.objects.filter(created_by_rule="proposal_opened").exists()
    assert Interaction.objects.filter(account=account, subject="Opened: КП").exists()


def test_dates_render_in_russian_genitive_for_russians():
    from django.utils.translation import override

    from crm.outreach.rendering import render

    with override("ru"):
        subject, _body = render(
            subject="{{ d|date:'j E' }}", body="", context={"d": datetime.combine(date(2026, 12, 14), time(0))}
        )
    assert subject == "14 декабря"


@pytest.mark.django_db
def test_the_kept_promise_rate_counts_promises_kept_on_time_among_those_due(manager, head, other_manager, account):
    from crm.selectors import commitment_kept_rate

    now = timezone.now()
    due = now - timedelta(days=2)
    CommitmentFactory(account=account, owner=manager, due_at=due, status="kept", fulfilled_at=due - timedelta(hours=1))
    CommitmentFactory(account=account, owner=manager, due_at=due, status="kept", fulfilled_at=due + timedelta(hours=5))
    CommitmentFactory(account=account, owner=manager, due_at=due, status="broken")
    CommitmentFactory(account=account, owner=manager, due_at=due)  # still open, overdue: not kept
    CommitmentFactory(account=account, owner=manager, due_at=due, status="cancelled")  # does not count
    CommitmentFactory(account=account, owner=manager, due_at=now + timedelta(days=1))  # not due yet
    CommitmentFactory(owner=other_manager, due_at=due, status="kept", fulfilled_at=due)

    mine = commitment_kept_rate(start=now - timedelta(days=30), end=now, owner=manager)
    department = commitment_kept_rate(start=now - timedelta(days=30), end=now, department=manager.department)

    assert (mine.kept_on_time, mine.due, mine.percent) == (1, 4, 25.0)
    assert mine.enough_data is False  # 4 < CRM_METRICS_MIN_SAMPLE
    assert (department.kept_on_time, department.due) == (1, 4)  # the other manager is in another department


@pytest.mark.parametrize("job", ["maintenance", "greetings"])
@pytest.mark.django_db
def test_a_planning_job_takes_the_same_queries_for_3_or_30_items(job):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()

    def queries(n):
        OutboundMessage.objects.all().delete()
        for _ in range(n):
            account = AccountFactory()
            person = ContactFactory(account=account, birthday=today.replace(year=1980))
            EquipmentFactory(account=account, responsible_contact=person if _ % 2 else None)
        with CaptureQueriesContext(connection) as captured:
            (maintenance_due_plan if job == "maintenance" else greetings_plan)(today=today)
        return len(captured)

    assert queries(3) == queries(30)


@pytest.mark.django_db
def test_a_type_1_client_is_thanked_once_per_cadence_by_a_task_and_a_note_in_their_language(
    decision_maker, manager, settings
):
    settings.CRM_THANKS_EVERY_DAYS = 90
    account = decision_maker.account
    account.behaviour_type, account.status = 1, "active"
    account.save()
    decision_maker.language = "en"
    decision_maker.save()
    quiet = AccountFactory(manager=manager, behaviour_type=1, status="active", thanks_every_days=0)  # never
    ContactFactory(account=quiet)
    other = AccountFactory(manager=manager, behaviour_type=2, status="active")  # not type 1
    ContactFactory(account=other)
    today = date(2026, 12, 7)  # windows of 90 days since 2000-01-01: this one runs to 2027-02-07

    thanks_plan(today=today)
    thanks_plan(today=today + timedelta(days=60))  # the same window: nothing new

    [note] = messages(MessageKind.THANKS)
    assert note.contact == decision_maker and note.subject == "Thank you for working with us"
    assert decision_maker.addressed_name in note.body and account.name in note.body
    [task] = Task.objects.filter(created_by_rule="thanks")
    assert (task.account, task.assignee, task.kind) == (account, account.manager, Task.Kind.CALL_BACK)
    with translation.override(account.manager.language):  # the manager's language, not the client's
        expected = translation.gettext("Thank %(name)s personally for working with us")
    assert task.title == expected % {"name": decision_maker.addressed_name}

    thanks_plan(today=today + timedelta(days=65))  # the next window
    assert len(messages(MessageKind.THANKS)) == 2 and Task.objects.filter(created_by_rule="thanks").count() == 2
