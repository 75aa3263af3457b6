"""A manager sees only their clients and everything under them; a head sees their department."""

import pytest
from django.urls import reverse

from crm.models import AccountEvent, Equipment
from tests.crm.factories import (
    AccountFactory,
    CommitmentFactory,
    ContactFactory,
    DepartmentFactory,
    InteractionFactory,
    OrderFactory,
    PhoneFactory,
    ServiceRequestFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def _world(account):
    """One row of every kind under `account`."""
    contact = ContactFactory(account=account)
    return {
        "account": account,
        "contact": contact,
        "phone": PhoneFactory(contact=contact, number=f"+7916{account.pk:07d}"),
        "interaction": InteractionFactory(account=account, contact=contact),
        "order": OrderFactory(account=account),
        "commitment": CommitmentFactory(account=account, department=DepartmentFactory(name="Service")),
        "task": TaskFactory(account=account),
        "servicerequest": ServiceRequestFactory(account=account),
        "equipment": Equipment.objects.create(account=account, model_name="ТВ-320", serial_number=f"S{account.pk}"),
        "accountevent": AccountEvent.objects.create(account=account, type=AccountEvent.Type.CREATED),
    }


@pytest.fixture
def worlds(manager, other_manager):
    mine = _world(AccountFactory(manager=manager))
    theirs = _world(AccountFactory(manager=other_manager))
    unassigned = _world(AccountFactory(manager=None))
    return mine, theirs, unassigned


ADMIN_MODELS = [
    "account",
    "contact",
    "interaction",
    "order",
    "commitment",
    "task",
    "servicerequest",
    "equipment",
    "accountevent",
]
API_ENDPOINTS = {
    "account": "accounts",
    "contact": "contacts",
    "phone": "phones",
    "interaction": "interactions",
    "order": "orders",
    "commitment": "commitments",
    "task": "tasks",
    "servicerequest": "service-requests",
}


def _admin_ids(client, model):
    response = client.get(reverse(f"admin:crm_{model}_changelist"), {"whose": "all"} if model == "account" else {})
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _api_ids(client, endpoint):
    response = client.get(f"/api/v1/{endpoint}/", {"page_size": 500})
    assert response.status_code == 200
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_manager_sees_only_their_rows_in_the_admin(client, manager, worlds, model):
    mine, theirs, _unassigned = worlds
    client.force_login(manager)

    assert _admin_ids(client, model) == {mine[model].pk}
    other_page = client.get(reverse(f"admin:crm_{model}_change", args=[theirs[model].pk]))
    assert other_page.status_code == 302  # the admin answers "does not exist" and sends the user back


@pytest.mark.parametrize("model", list(API_ENDPOINTS))
def test_manager_sees_only_their_rows_in_the_api(manager_api, worlds, model):
    mine, theirs, _unassigned = worlds
    endpoint = API_ENDPOINTS[model]

    assert _api_ids(manager_api, endpoint) == {mine[model].pk}
    assert manager_api.get(f"/api/v1/{endpoint}/{theirs[model].pk}/").status_code == 404


@pytest.mark.parametrize("model", ADMIN_MODELS)
def test_head_sees_their_department_and_the_unassigned_queue_not_other_departments(client, head, worlds, model):
    mine, _theirs, unassigned = worlds
    client.force_login(head)

    assert _admin_ids(client, model) == {mine[model].pk, unassigned[model].pk}


@pytest.mark.parametrize("model", list(API_ENDPOINTS))
def test_superuser_sees_everything_in_the_api(api_client, superuser, worlds, model):
    api_client.force_authenticate(superuser)

    assert len(_api_ids(api_client, API_ENDPOINTS[model])) == 3


def test_manager_cannot_change_another_managers_account_through_the_api(manager_api, worlds):
    _mine, theirs, _unassigned = worlds

    response = manager_api.patch(f"/api/v1/accounts/{theirs['account'].pk}/", {"name": "hijacked"}, format="json")

    assert response.status_code == 404
    theirs["account"].refresh_from_db()
    assert theirs["account"].name != "hijacked"


def test_manager_cannot_pick_another_managers_account_in_an_admin_form(client, manager, worlds):
    _mine, theirs, _unassigned = worlds
    client.force_login(manager)

    response = client.post(
        reverse("admin:crm_interaction_add"),
        {
            "account": theirs["account"].pk,
            "channel": "phone",
            "direction": "inbound",
            "occurred_at_0": "2026-11-20",
            "occurred_at_1": "10:00:00",
        },
    )

    assert response.status_code == 200  # the form comes back with an error
    assert "account" in response.context["adminform"].form.errors
    assert not theirs["account"].interactions.filter(user=manager).exists()


def test_autocomplete_offers_only_visible_accounts(client, manager, worlds):
    mine, _theirs, _unassigned = worlds
    client.force_login(manager)

    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": "interaction", "field_name": "account", "term": ""},
    )

    assert {int(row["id"]) for row in response.json()["results"]} == {mine["account"].pk}


def test_an_inactive_users_token_and_session_see_nothing(token_client, manager, worlds):
    client = token_client(manager, ["*"])
    manager.is_active = False
    manager.save()

    assert client.get("/api/v1/accounts/").status_code == 401
