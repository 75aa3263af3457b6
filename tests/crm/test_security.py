"""Logins lock out after repeated failures; every change to clients and settings is in the audit trail."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from crm.models import Account, TelephonyConnection
from tests.crm.factories import AccountFactory

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})


def test_five_wrong_passwords_lock_that_user_out_from_that_address(client, manager, other_manager):
    manager.set_password("right-password")
    manager.save()
    for _ in range(4):
        assert login(client, manager.username, "wrong").status_code == 200  # the form again, with its error
    assert login(client, manager.username, "wrong").status_code == 429  # the fifth failure locks

    locked = login(client, manager.username, "right-password")

    assert locked.status_code == 429
    assert "too many" in locked.content.decode().lower()
    other_manager.set_password("theirs")
    other_manager.save()
    assert login(client, other_manager.username, "theirs").status_code == 302  # a colleague still gets in


def test_a_right_password_before_the_limit_resets_the_count(client, manager):
    manager.set_password("right-password")
    manager.save()
    for _ in range(4):
        login(client, manager.username, "wrong")
    assert login(client, manager.username, "right-password").status_code == 302
    client.logout()
    for _ in range(4):
        login(client, manager.username, "wrong")
    assert login(client, manager.username, "right-password").status_code == 302


def test_an_admin_change_is_in_the_audit_trail_with_who_made_it(client, manager, superuser):
    account = AccountFactory(manager=manager, name="Romashka")
    client.force_login(manager)
    response = client.post(
        reverse("admin:crm_account_change", args=[account.pk]),
        {
            "name": "Romashka LLC",
            "status": account.status,
            "size": "",
            "manager": manager.pk,
            "time_zone": "Europe/Moscow",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]

    entry = LogEntry.objects.get_for_object(Account.objects.get(pk=account.pk)).order_by("-timestamp").first()
    assert entry.actor == manager
    assert entry.changes_dict["name"] == ["Romashka", "Romashka LLC"]
    client.force_login(superuser)
    assert "Romashka LLC" in client.get(reverse("admin:auditlog_logentry_changelist")).content.decode()


def test_an_api_change_is_signed_by_the_tokens_user_and_secrets_are_masked(token_client, manager):
    account = AccountFactory(manager=manager)
    api = token_client(manager, scopes=["accounts:write"])
    assert api.patch(f"/api/v1/accounts/{account.pk}/", {"name": "Renamed"}, format="json").status_code == 200
    entry = LogEntry.objects.get_for_object(account).order_by("-timestamp").first()
    assert entry.actor == manager and entry.changes_dict["name"][1] == "Renamed"

    connection = TelephonyConnection.objects.create(provider="zadarma", name="Zadarma", secret="s3cr3t-value")
    logged = LogEntry.objects.get_for_object(connection).get()
    assert "s3cr3t-value" not in str(logged.changes)
