"""API list endpoints run a fixed number of queries whatever the page holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import OrderLine, Product, ProductCategory
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

ENDPOINTS = [
    "accounts",
    "contacts",
    "phones",
    "interactions",
    "orders",
    "commitments",
    "tasks",
    "service-requests",
    "users",
]


def _add_client(manager, product, n):
    account = AccountFactory(manager=manager)
    contact = ContactFactory(account=account)
    PhoneFactory(contact=contact, number=f"+7916{account.pk:07d}")
    InteractionFactory(account=account, contact=contact)
    order = OrderFactory(account=account)
    OrderLine.objects.create(order=order, product=product, quantity=2, unit_price=100)
    CommitmentFactory(account=account)
    TaskFactory(account=account)
    ServiceRequestFactory(account=account)


def _count(client, endpoint):
    client.get(f"/api/v1/{endpoint}/")  # warm the per-process caches (permissions) before counting
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/{endpoint}/")
    assert response.status_code == 200
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_endpoints_do_not_grow_queries_with_rows(manager_api, manager, endpoint):
    product = Product.objects.create(name="Станок", sku="S-1", category=ProductCategory.objects.create(name="Станки"))
    _add_client(manager, product, 0)
    small, small_rows = _count(manager_api, endpoint)

    for n in range(1, 12):
        _add_client(manager, product, n)
    large, large_rows = _count(manager_api, endpoint)

    assert large == small
    assert endpoint == "users" or large_rows > small_rows
