import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from crm.services.roles import ACCOUNT_MANAGERS, HEADS
from crm.services.tokens import api_token_issue
from tests.crm.factories import AccountFactory, DepartmentFactory, UserFactory

# CI sets CRM_REQUIRE_SERVICES=1: a test skipped for a missing PostgreSQL, Redis or Chromium
# then fails instead, so a broken CI machine cannot pass by skipping.
REQUIRE_SERVICES = os.environ.get("CRM_REQUIRE_SERVICES") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped:
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"CRM_REQUIRE_SERVICES=1, but the test was skipped: {reason}"


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Sales Moscow")


@pytest.fixture
def head(db, department):
    user = UserFactory(username="head", department=department)
    user.groups.add(Group.objects.get(name=HEADS))
    department.head = user
    department.save()
    return user


@pytest.fixture
def manager(db, department, head):
    user = UserFactory(username="manager", department=department, head=head)
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return user


@pytest.fixture
def other_manager(db):
    """A manager in another department: must never see `manager`'s clients."""
    user = UserFactory(username="other", department=DepartmentFactory(name="Sales Ural"))
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def account(manager):
    return AccountFactory(manager=manager, name="ООО «Ромашка»")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def token_client():
    """An API client authenticated with a real token: token_client(user, scopes)."""

    def make(user, scopes):
        _token, raw = api_token_issue(user=user, name="test", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make
