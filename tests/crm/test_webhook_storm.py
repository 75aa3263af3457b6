"""A provider that retries hard: the same webhook event ten times at once, over real HTTP, records one call."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from crm.models import Call, Interaction, Task
from crm.telephony.services import telephony_connection_create
from crm.telephony.signatures import zadarma_signature
from crm.telephony.zadarma import SIGNED_FIELDS
from tests.crm.factories import AccountFactory, ContactFactory, PhoneFactory

START = {
    "pbx_call_id": "in_storm",
    "caller_id": "79161234567",
    "called_did": "74951112233",
    "call_start": "2026-11-23 10:00:00",
}
END = {**START, "duration": "0", "disposition": "no answer", "status_code": "19", "is_recorded": "0"}


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_each_event_record_one_call_one_interaction_one_task(live_server, manager):
    manager.phone_extension = "101"
    manager.save()
    contact = ContactFactory(account=AccountFactory(manager=manager), is_decision_maker=True)
    PhoneFactory(contact=contact, raw="8 916 123-45-67", number="+79161234567")
    connection = telephony_connection_create(
        provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="100"
    )
    url = f"{live_server.url}/telephony/zadarma/{connection.webhook_key}/"

    def deliver(event, fields):
        data = {"event": event, **fields}
        signed = "".join(data.get(name, "") for name in SIGNED_FIELDS.get(event, ()))
        signature = zadarma_signature(secret=connection.secret, signed=signed)
        return requests.post(url, data=data, headers={"Signature": signature}, timeout=30).status_code

    for event, fields in (("NOTIFY_START", START), ("NOTIFY_END", END)):
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda _n, e=event, f=fields: deliver(e, f), range(10)))
        assert statuses == [200] * 10, (event, statuses)

    assert Call.objects.count() == 1 and Call.objects.get().status == Call.Status.MISSED
    assert Interaction.objects.filter(account=contact.account).count() == 1
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1
