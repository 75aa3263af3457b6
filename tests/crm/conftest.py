"""Fixtures the telephony tests share."""

import pytest

from crm.telephony.services import telephony_connection_create
from tests.crm.factories import ContactFactory, PhoneFactory

NUMBER = "+79161234567"


@pytest.fixture
def caller(account, manager):
    manager.phone_extension = "101"
    manager.save()
    account.behaviour_type = 3
    account.save()
    contact = ContactFactory(account=account, is_decision_maker=True)
    PhoneFactory(contact=contact, raw="8 916 123-45-67", number=NUMBER)
    return contact


@pytest.fixture
def mango(db, settings, http_service):
    settings.CRM_MANGO_API_URL = http_service.url
    connection = telephony_connection_create(
        provider="mango", name="Mango", secret="mango-salt", api_key="vpbx-key", fallback_target="100"
    )
    connection.api_service = http_service
    return connection
