"""The four behaviour types act (DOMAIN §5): the documents a type 3 client gets cite the standards and our references,
a type 2 proposal carries a comparison table that sums to the saving, each type gets its own words."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import BehaviourType, Industry, MessageKind, OutboundMessage, Product, ProductCategory, Reference
from crm.outreach.documents import invoice_send, order_confirmation_send, proposal_comparison
from crm.outreach.proposals import proposal_send
from crm.services.orders import order_create
from tests.crm.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(account):
    return ContactFactory(account=account, first_name="Иван", patronymic="Петрович", is_decision_maker=True)


@pytest.fixture
def pipe():
    category = ProductCategory.objects.create(name="Трубы", standards="ГОСТ 8732-78; ТУ 14-3-1128-2000")
    return Product.objects.create(name="Труба 57×3,5", sku="P-57", category=category)


@pytest.fixture
def valve():
    return Product.objects.create(name="Задвижка", sku="V-1", category=ProductCategory.objects.create(name="Арматура"))


@pytest.fixture
def references(account):
    account.industry = Industry.objects.create(name="Энергетика")
    account.save()
    Reference.objects.create(kind="testimonial", title="Отзыв ТЭЦ-2", url="https://files.example/tec2.pdf")
    Reference.objects.create(
        kind="completed_work",
        title="Котельная «Север»",
        url="https://files.example/sever/",
        industry=account.industry,
        position=5,
    )
    Reference.objects.create(kind="testimonial", title="Testimonial", url="https://files.example/en/", language="en")
    Reference.objects.create(kind="testimonial", title="Old", url="https://files.example/old/", is_active=False)


def sent(kind):
    return list(OutboundMessage.objects.filter(kind=kind).order_by("id"))


def test_a_type_3_clients_order_is_confirmed_unasked_citing_the_standards_and_our_references(
    account, person, pipe, references, django_capture_on_commit_callbacks
):
    account.behaviour_type = BehaviourType.UNEMOTIONAL_UNCONFIDENT
    account.save()

    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(
            account=account,
            number="A-7",
            amount=Decimal("125000.50"),
            ordered_at=timezone.now(),
            promised_delivery_date=timezone.localdate() + timedelta(days=20),
            lines=[{"product": pipe, "quantity": Decimal(10), "unit_price": Decimal("12500.05")}],
        )

    [message] = sent(MessageKind.ORDER_CONFIRMATION)
    assert message.contact == person and message.data == {"order_id": order.id}
    assert "гарантирована" in message.subject  # the type 3 words, not the general ones
    assert "Трубы: ГОСТ 8732-78; ТУ 14-3-1128-2000" in message.body
    body = message.body.replace("\xa0", " ")  # Russian groups thousands with a no-break space
    assert "Труба 57×3,5: 10 × 12 500,05 = 125 000,50 RUB\nИтого: 125 000,50 RUB" in body
    assert "Котельная «Север» (выполненная работа): https://files.example/sever/" in body
    # Their industry's reference first, then the general one; not another language's, not an inactive one.
    assert message.body.index("Котельная «Север»") < message.body.index("Отзыв ТЭЦ-2")
    assert "Testimonial" not in message.body and "Old" not in message.body
    # Sending it again from the order's page is the same message.
    assert order_confirmation_send(order=order).pk == message.pk


def test_other_clients_orders_are_not_confirmed_unasked_but_the_manager_can_send_an_invoice(
    account, person, pipe, django_capture_on_commit_callbacks, settings
):
    settings.CRM_PAYMENT_DETAILS = "ООО «Поставщик», р/с 40702810000000000001"
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(
            account=account,
            number="A-8",
            amount=Decimal(5000),
            ordered_at=timezone.now(),
            lines=[{"product": pipe, "quantity": Decimal(2), "unit_price": Decimal(2500)}],
        )
    assert sent(MessageKind.ORDER_CONFIRMATION) == []

    invoice = invoice_send(order=order)

    assert invoice.subject == "Счёт по заказу A-8"
    assert "Реквизиты для оплаты:\nООО «Поставщик», р/с 40702810000000000001" in invoice.body
    assert "ГОСТ" not in invoice.body  # the general invoice; a type 3 client's cites the standards


def test_the_comparison_table_is_priced_from_the_accounts_orders_and_sums_to_the_saving(account, pipe, valve):
    now = timezone.now()
    order_create(
        account=account,
        number="B-1",
        amount=Decimal(0),
        ordered_at=now - timedelta(days=30),
        lines=[
            {"product": pipe, "quantity": Decimal(10), "unit_price": Decimal("1000.00")},
            {"product": valve, "quantity": Decimal(3), "unit_price": Decimal("333.33")},
        ],
    )
    order_create(
        account=account,
        number="B-2",
        amount=Decimal(0),
        ordered_at=now - timedelta(days=60),
        lines=[{"product": pipe, "quantity": Decimal(5), "unit_price": Decimal("1200.00")}],
    )
    old = order_create(account=account, number="B-0", amount=Decimal(0), ordered_at=now - timedelta(days=400))
    old.lines.create(product=valve, quantity=Decimal(100), unit_price=Decimal(1))  # older than 12 months

    comparison = proposal_comparison(account=account, discount_percent=Decimal("7.5"))

    # By hand: pipe 10 × 1000 + 5 × 1200 = 16 000, offer 16 000 × 0.925 = 14 800; valve 3 × 333.33 = 999.99,
    # offer 924.99 (924.990750 rounded). Saving 1 200 + 75 = 1 275.00 of 16 999.99.
    pipes, valves = comparison.rows
    assert (pipes.product, pipes.quantity, pipes.current_cost, pipes.offer_cost) == (
        "Труба 57×3,5",
        Decimal(15),
        Decimal("16000.00"),
        Decimal("14800.00"),
    )
    assert (valves.current_cost, valves.offer_cost) == (Decimal("999.99"), Decimal("924.99"))
    assert comparison.saving == Decimal("1275.00") == sum(row.saving for row in comparison.rows)
    assert comparison.current_total - comparison.offer_total == comparison.saving
    assert comparison.as_context()["saving_percent"] == Decimal("7.5")
    with pytest.raises(ValidationError, match="above 0 and below 100"):
        proposal_comparison(account=account, discount_percent=Decimal(100))


def test_a_type_2_client_gets_the_comparison_in_the_proposal_sent_as_a_tracked_link(client, account, person, pipe):
    account.behaviour_type = BehaviourType.UNEMOTIONAL_CONFIDENT
    account.save()
    order_create(
        account=account,
        number="C-1",
        amount=Decimal(0),
        ordered_at=timezone.now() - timedelta(days=10),
        lines=[{"product": pipe, "quantity": Decimal(4), "unit_price": Decimal("25000.00")}],
    )
    client.force_login(account.manager)

    response = client.post(
        reverse("admin:crm_trackedlink_add"),
        {
            "contact": person.pk,
            "title": "КП на трубы",
            "target_url": "https://files.example/kp.pdf",
            "discount_percent": "10",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    [message] = sent(MessageKind.PROPOSAL)
    body = message.body.replace("\xa0", " ")
    assert message.subject.replace("\xa0", " ") == "КП на трубы: экономия 10 000 в год"
    assert (
        "— Труба 57×3,5 (4): сейчас 100 000,00 → по предложению 90 000,00, экономия 10 000,00\n"
        "Итого: сейчас 100 000,00 → 90 000,00, экономия 10 000,00 (10,0 %)." in body
    )
    assert "/l/" in message.body  # the tracked link


def test_a_comparison_for_an_account_that_bought_nothing_is_refused_on_the_form(client, account, person):
    client.force_login(account.manager)

    response = client.post(
        reverse("admin:crm_trackedlink_add"),
        {"contact": person.pk, "title": "КП", "target_url": "https://files.example/kp.pdf", "discount_percent": "5"},
    )

    assert response.status_code == 200
    assert "bought nothing in the last 12 months" in response.content.decode()
    assert sent(MessageKind.PROPOSAL) == []


@pytest.mark.parametrize(
    ("behaviour_type", "words"),
    [
        (None, "Направляю обещанный документ"),
        (BehaviourType.UNEMOTIONAL_UNCONFIDENT, "Условия, сроки и гарантии в документе зафиксированы"),
        (BehaviourType.EMOTIONAL_UNCONFIDENT, "созвонимся по видео"),
    ],
)
def test_each_type_gets_its_own_proposal_words(account, person, pipe, references, behaviour_type, words):
    account.behaviour_type = behaviour_type
    account.save()
    order_create(
        account=account,
        number="D-1",
        amount=Decimal(0),
        ordered_at=timezone.now(),
        lines=[{"product": pipe, "quantity": Decimal(1), "unit_price": Decimal(1)}],
    )

    proposal_send(contact=person, title="КП", target_url="https://files.example/kp.pdf")

    [message] = sent(MessageKind.PROPOSAL)
    assert words in message.body
    cites = "ГОСТ 8732-78" in message.body and "Котельная «Север»" in message.body
    assert cites == (behaviour_type == BehaviourType.UNEMOTIONAL_UNCONFIDENT)


def test_the_order_admin_sends_confirmations_once_per_order(client, account, person, pipe):
    order = order_create(account=account, number="E-1", amount=Decimal(10), ordered_at=timezone.now())
    client.force_login(account.manager)

    for _ in range(2):
        client.post(
            reverse("admin:crm_order_changelist"), {"action": "send_confirmation", "_selected_action": [order.pk]}
        )

    assert len(sent(MessageKind.ORDER_CONFIRMATION)) == 1
