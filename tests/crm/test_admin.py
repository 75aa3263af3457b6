from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Account, AccountEvent, DeliveryDateChange, Interaction, Level, MessageKind
from crm.outreach.proposals import proposal_send
from crm.outreach.services import MessagePlan, message_plan
from crm.services.orders import order_delivery_date_change
from tests.commit import committed
from tests.crm.factories import (
    AccountFactory,
    CommitmentFactory,
    ContactFactory,
    InteractionFactory,
    OrderFactory,
    PhoneFactory,
    ServiceRequestFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def _populate(account, size):
    for n in range(size):
        contact = ContactFactory(account=account)
        PhoneFactory(contact=contact, number=f"+7916{account.pk:03d}{n:04d}")
        InteractionFactory(account=account, contact=contact)
        order = OrderFactory(account=account)
        order_delivery_date_change(
            order=order, new_date=order.promised_delivery_date + timedelta(days=2), reason="Таможня"
        )
        CommitmentFactory(account=account)
        TaskFactory(account=account)
        ServiceRequestFactory(account=account)
        contact.account = account
        message_plan(MessagePlan(key=f"birthday:{contact.pk}", kind=MessageKind.BIRTHDAY, contact=contact))
        proposal_send(contact=contact, title=f"КП {n}", target_url="https://files.example/kp.pdf")


def _queries(client, url):
    client.get(url)  # warm the per-process caches (content types, permissions) before counting
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_every_admin_page_opens_for_a_superuser(client, superuser, account):
    _populate(account, 1)
    client.force_login(superuser)
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200, opts
        if model_admin.has_add_permission(type("R", (), {"user": superuser})()):
            assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code == 200, opts
        obj = model.objects.first()
        if obj is not None:
            assert (
                client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])).status_code
                == 200
            ), opts


@pytest.mark.parametrize(
    "model",
    [
        "account",
        "contact",
        "interaction",
        "order",
        "commitment",
        "task",
        "servicerequest",
        "outboundmessage",
        "trackedlink",
    ],
)
def test_list_pages_run_the_same_number_of_queries_whatever_the_data_size(client, manager, model):
    client.force_login(manager)
    url = reverse(f"admin:crm_{model}_changelist")
    _populate(AccountFactory(manager=manager), 1)
    small = _queries(client, url)

    for _ in range(5):
        _populate(AccountFactory(manager=manager), 3)
    assert _queries(client, url) == small


def test_the_client_card_runs_the_same_number_of_queries_whatever_the_history(client, manager):
    client.force_login(manager)
    small, large = AccountFactory(manager=manager), AccountFactory(manager=manager)
    _populate(small, 1)
    _populate(large, 15)

    assert _queries(client, reverse("admin:crm_account_change", args=[small.pk])) == _queries(
        client, reverse("admin:crm_account_change", args=[large.pk])
    )


def test_a_manager_lands_on_their_own_accounts(client, manager, other_manager):
    mine = AccountFactory(manager=manager, name="Моя компания")
    AccountFactory(manager=other_manager, name="Чужая компания")
    AccountFactory(manager=None, name="Ничья компания")
    client.force_login(manager)

    response = client.get(reverse("admin:index"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("admin:crm_account_changelist")
    assert list(response.context["cl"].result_list) == [mine]


def test_the_card_answers_who_is_this_and_what_did_we_promise(client, manager, account):
    contact = ContactFactory(account=account, is_decision_maker=True)
    PhoneFactory(contact=contact, raw="8 916 123 45 67", number="+79161234567")
    overdue = CommitmentFactory(
        account=account, description="Прислать акт сверки", due_at=timezone.now() - timedelta(hours=3)
    )
    CommitmentFactory(account=account, description="Уже выполнено", status="kept", fulfilled_at=timezone.now())
    order = OrderFactory(account=account, number="A-77")
    order_delivery_date_change(
        order=order, new_date=order.promised_delivery_date + timedelta(days=3), reason="Задержка у поставщика"
    )
    InteractionFactory(account=account, subject="Старый звонок", occurred_at=timezone.now() - timedelta(days=30))
    InteractionFactory(account=account, subject="Свежий звонок", occurred_at=timezone.now() - timedelta(hours=1))
    client.force_login(manager)

    page = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()

    assert "Сидоров Иван Петрович" in page
    assert "+7 916 123-45-67" in page
    assert overdue.description in page
    assert "crm-row--overdue" in page
    assert "Уже выполнено" not in page
    assert "Задержка у поставщика" in page and "A-77" in page
    assert page.index("Свежий звонок") < page.index("Старый звонок")


def test_the_timeline_is_paginated_newest_first(client, manager, account, settings):
    settings.CRM_CLIENT_CARD_TIMELINE_PAGE_SIZE = 2
    for days in range(5):
        InteractionFactory(account=account, subject=f"Звонок {days}", occurred_at=timezone.now() - timedelta(days=days))
    client.force_login(manager)
    url = reverse("admin:crm_account_change", args=[account.pk])

    first = client.get(url).content.decode()
    last = client.get(url, {"timeline": 3}).content.decode()

    assert "Звонок 0" in first and "Звонок 2" not in first
    assert "Звонок 4" in last and "Звонок 0" not in last


def test_logging_an_interaction_from_the_card_returns_to_the_card(client, manager, account):
    client.force_login(manager)
    card_url = reverse("admin:crm_account_change", args=[account.pk])

    response = client.post(
        f"{reverse('admin:crm_interaction_add')}?account={account.pk}&next={card_url}",
        {
            "account": account.pk,
            "channel": "phone",
            "direction": "outbound",
            "occurred_at_0": "2026-11-20",
            "occurred_at_1": "10:00:00",
            "subject": "Обсудили поставку",
        },
    )

    assert response.status_code == 302 and response.url == card_url
    assert Interaction.objects.get(account=account).user == manager
    assert "Обсудили поставку" in client.get(card_url).content.decode()


def test_next_cannot_send_the_user_to_another_site(client, manager, account):
    client.force_login(manager)

    response = client.post(
        f"{reverse('admin:crm_interaction_add')}?next=https://evil.example/",
        {
            "account": account.pk,
            "channel": "phone",
            "direction": "outbound",
            "occurred_at_0": "2026-11-20",
            "occurred_at_1": "10:00:00",
        },
    )

    assert response.status_code == 302 and "evil" not in response.url


def test_my_day_lists_what_is_due_and_at_risk_for_me_only(client, manager, other_manager, account):
    CommitmentFactory(account=account, description="Просрочено", due_at=timezone.now() - timedelta(hours=2))
    TaskFactory(account=account, title="Позвонить сегодня", due_at=timezone.now())
    ServiceRequestFactory(account=account, subject="Горит", first_response_due_at=timezone.now() + timedelta(hours=1))
    ServiceRequestFactory(account=account, subject="Не горит", first_response_due_at=timezone.now() + timedelta(days=2))
    CommitmentFactory(
        account=AccountFactory(manager=other_manager),
        description="Чужое обещание",
        due_at=timezone.now() - timedelta(hours=2),
    )
    client.force_login(manager)

    page = client.get(reverse("admin:crm_my_day")).content.decode()

    assert "Просрочено" in page and "Позвонить сегодня" in page and "Горит" in page
    assert "Не горит" not in page and "Чужое обещание" not in page


@pytest.mark.parametrize("query", ["8 (916) 555-44-33", "+79165554433", "9165554433"])
def test_account_search_finds_by_a_contacts_phone_in_any_format(client, manager, account, query):
    PhoneFactory(contact=ContactFactory(account=account), number="+79165554433")
    AccountFactory(manager=manager, name="Другая")
    client.force_login(manager)

    response = client.get(reverse("admin:crm_account_changelist"), {"q": query})

    assert list(response.context["cl"].result_list) == [account]


def test_moving_a_delivery_in_the_admin_needs_a_reason_and_is_kept(client, manager, account):
    order = OrderFactory(account=account)
    old = order.promised_delivery_date
    client.force_login(manager)
    url = reverse("admin:crm_order_change", args=[order.pk])
    form = {
        "account": account.pk,
        "number": order.number,
        "status": "confirmed",
        "amount": "100.00",
        "currency": "RUB",
        "ordered_at_0": "2026-11-01",
        "ordered_at_1": "10:00:00",
        "promised_delivery_date": (old + timedelta(days=4)).isoformat(),
        "lines-TOTAL_FORMS": 0,
        "lines-INITIAL_FORMS": 0,
        "delivery_date_changes-TOTAL_FORMS": 0,
        "delivery_date_changes-INITIAL_FORMS": 0,
    }

    without_reason = client.post(url, form)
    with_reason = client.post(url, {**form, "delivery_change_reason": "Перегруз склада"})

    assert without_reason.status_code == 200
    assert "delivery_change_reason" in without_reason.context["adminform"].form.errors
    assert with_reason.status_code == 302
    change = DeliveryDateChange.objects.get(order=order)
    assert (change.old_date, change.new_date, change.acting_user) == (old, old + timedelta(days=4), manager)


def test_an_order_added_or_cancelled_in_the_admin_moves_the_clients_level_as_one_from_the_api(client, manager, account):
    client.force_login(manager)
    form = {
        "account": account.pk,
        "number": "A-1",
        "status": "confirmed",
        "amount": "100.00",
        "currency": "RUB",
        "ordered_at_0": (timezone.localdate() - timedelta(days=1)).isoformat(),  # in the past at any hour
        "ordered_at_1": "10:00:00",
        "lines-TOTAL_FORMS": 0,
        "lines-INITIAL_FORMS": 0,
        "delivery_date_changes-TOTAL_FORMS": 0,
        "delivery_date_changes-INITIAL_FORMS": 0,
    }

    with committed():
        response = client.post(reverse("admin:crm_order_add"), form)

    assert response.status_code == 302
    account.refresh_from_db()
    order = account.orders.get()
    assert order.number == "A-1"
    assert account.level == Level.FIRST_TIME

    with committed():  # the order is cancelled: the client has bought nothing after all
        response = client.post(reverse("admin:crm_order_change", args=[order.pk]), {**form, "status": "cancelled"})

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.level == Level.LEAD


def upload(client, model, name, content, **options):
    """Upload a file from the list's Import button and follow to the import's page, as a manager's browser does."""
    return client.post(
        reverse(f"admin:crm_{model}_import_file"),
        {"import_file": SimpleUploadedFile(name, content), **options},
        follow=True,
    )


class TestImportExport:
    CSV = (
        "name,legal_name,inn,industry,size,status,lead_source,manager\n"
        "ООО «Вектор»,ООО «Вектор»,7707083893,,small,active,,\n"
        "Bad INN Ltd,,1234567890,,,active,,\n"
        "АО «Гранит»,,,,,prospect,,\n"
    )

    def test_bad_rows_are_reported_and_good_rows_are_imported(self, client, manager):
        client.force_login(manager)

        checked = upload(client, "account", "accounts.csv", self.CSV.encode())
        page = checked.content.decode()
        assert checked.status_code == 200
        assert "1234567890" in page and "not a valid INN" in page
        assert "Import 2 valid rows" in page

        done = client.post(reverse("admin:crm_importjob_confirm", args=[checked.context["job"].pk]))

        assert done.status_code == 302
        imported = Account.objects.order_by("name")
        assert [a.name for a in imported] == ["АО «Гранит»", "ООО «Вектор»"]
        assert all(a.manager == manager for a in imported)
        assert AccountEvent.objects.filter(type="imported").count() == 2

    def test_export_contains_only_what_the_user_may_see(self, client, manager, other_manager):
        AccountFactory(manager=manager, name="Моя")
        AccountFactory(manager=other_manager, name="Чужая")
        client.force_login(manager)

        response = client.post(
            reverse("admin:crm_account_export"), {"format": 0, "resource": 0, "accountresource_name": True}
        )
        body = b"".join(response.streaming_content) if response.streaming else response.content

        assert response.status_code == 200
        assert "Моя".encode() in body and "Чужая".encode() not in body


def test_contact_import_normalises_phones_and_reports_bad_rows(client, manager):
    account = AccountFactory(manager=manager, inn="7707083893")
    csv = (
        "account,last_name,first_name,patronymic,position,is_decision_maker,email,language,birthday,phones\n"
        "7707083893,Сидоров,Иван,Петрович,Директор,1,ivan@example.ru,ru,1980-05-17,"
        "8 916 123 45 67; +7 495 123-45-67 доб. 5\n"
        "7707083893,Петров,Пётр,,,0,,ru,,123\n"
        "Нет такой,Смит,John,,,0,,en,,\n"
    )
    client.force_login(manager)

    checked = upload(client, "contact", "contacts.csv", csv.encode())
    page = checked.content.decode()
    client.post(reverse("admin:crm_importjob_confirm", args=[checked.context["job"].pk]))

    assert "is not a valid phone number" in page and "No account of yours matches" in page
    contact = account.contacts.get()
    assert contact.addressed_name == "Иван Петрович"
    assert sorted((p.number, p.extension) for p in contact.phones.all()) == [
        ("+74951234567", "5"),
        ("+79161234567", ""),
    ]


@pytest.mark.parametrize("kind", ["contact", "order"])
def test_change_pages_with_inlines_run_the_same_number_of_queries_whatever_the_rows(client, manager, account, kind):
    from crm.models import OrderLine, Product, ProductCategory

    client.force_login(manager)
    category = ProductCategory.objects.create(name="Станки")
    products = [Product.objects.create(name=f"Станок {n}", sku=f"S-{n}", category=category) for n in range(12)]

    def page(rows):
        if kind == "contact":
            contact = ContactFactory(account=account)
            for n in range(rows):
                PhoneFactory(contact=contact, number=f"+7916000{rows:02d}{n:02d}")
            return reverse("admin:crm_contact_change", args=[contact.pk])
        order = OrderFactory(account=account)
        for n in range(rows):
            OrderLine.objects.create(order=order, product=products[n], quantity=1, unit_price=10)
            order_delivery_date_change(
                order=order, new_date=order.promised_delivery_date + timedelta(days=n + 1), reason=f"Перенос {n}"
            )
        return reverse("admin:crm_order_change", args=[order.pk])

    assert _queries(client, page(1)) == _queries(client, page(10))


def test_the_account_lists_manager_filter_offers_the_people_who_manage_accounts_only(client, superuser, manager):
    client.force_login(superuser)

    response = client.get(reverse("admin:crm_account_changelist"))

    spec = next(spec for spec in response.context["cl"].filter_specs if getattr(spec, "field_path", "") == "manager")
    offered = {pk for pk, _name in spec.lookup_choices}
    assert manager.pk in offered and superuser.pk not in offered
