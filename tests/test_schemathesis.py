"""schemathesis against our own OpenAPI schema (issue 8): generated requests to every operation, valid and
not, answer without a server error and with responses that match the schema.

In process, through Django's WSGI application, with a real token of a superuser that has every scope, on
whatever database the run uses (CI runs it on SQLite and on PostgreSQL).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from crm.services.tokens import api_token_issue
from tests.crm.factories import AccountFactory, ContactFactory, PhoneFactory, UserFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def bearer(db):
    # As Django's test client does: a request must not close the connection the test's transaction is on.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    root = UserFactory(username="fuzz-root", is_superuser=True)
    account = AccountFactory(manager=root)
    PhoneFactory(contact=ContactFactory(account=account))
    _token, raw = api_token_issue(user=root, name="schemathesis", scopes=["*"])
    yield {"Authorization": f"Bearer {raw}"}
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_operation_answers_without_a_server_error_and_as_its_schema_says(case, bearer):
    case.call_and_validate(
        headers=bearer, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
    )
