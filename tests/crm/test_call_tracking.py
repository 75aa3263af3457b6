"""Call tracking (issue 20, part 3): a lead source's tracking numbers; an inbound call to one records the source,
through each provider's own protocol; a lead made from an unknown caller of it gets that source."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction

from crm.models import LeadSource
from crm.telephony.models import Call, TelephonyConnection, TrackingNumber
from crm.telephony.services import call_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    spring = LeadSource.objects.create(name="Яндекс Директ: весна")
    number = TrackingNumber(lead_source=spring, number="8 (495) 111-22-33", note="объявления в Директе")
    number.full_clean()
    number.save()
    return spring


def test_a_tracking_number_is_kept_in_the_international_form_and_once(source):
    assert TrackingNumber.objects.get().number == "+74951112233"
    with pytest.raises(ValidationError):
        TrackingNumber(lead_source=source, number="not a number").full_clean()
    with transaction.atomic(), pytest.raises(IntegrityError):
        TrackingNumber.objects.create(lead_source=source, number="+74951112233")


@pytest.mark.parametrize("provider", ["zadarma", "mango", "twilio", "itoolabs", "generic"])
def test_an_inbound_call_to_a_tracking_number_records_its_source_through_each_protocol(provider, source):
    call_command("telephony_simulate", provider=provider, phone="+7 916 000-11-22", dialled="+7 495 111 22 33")

    call = Call.objects.get()
    assert call.lead_source == source


def test_other_numbers_and_outbound_calls_record_no_source(source):
    connection = TelephonyConnection.objects.create(name="PBX", provider="generic", secret="s", fallback_target="0")

    other, _lookup, _created = call_register(
        connection=connection, call_id="c1", direction="inbound", from_number="+79160001122", to_number="+74959999999"
    )
    sip, _lookup, _created = call_register(
        connection=connection,
        call_id="c2",
        direction="inbound",
        from_number="+79160001122",
        to_number="sip:74951112233@pbx.example",
    )
    outbound, _lookup, _created = call_register(
        connection=connection, call_id="c3", direction="outbound", from_number="101", to_number="+74951112233"
    )

    assert other.lead_source is None and outbound.lead_source is None
    assert sip.lead_source == source  # a SIP address carries the dialled number too


def test_a_lead_made_from_an_unknown_caller_gets_the_source_of_the_number_they_dialled(client, source, manager):
    call_command("telephony_simulate", provider="zadarma", phone="+7 999 000-00-00", dialled="+74951112233")
    call = Call.objects.get()
    Call.objects.filter(pk=call.pk).update(routed_to=manager)
    client.force_login(manager)

    client.post("/admin/crm/call/", {"action": "lead_from_unknown_caller", "_selected_action": [call.pk]})

    call.refresh_from_db()
    assert call.account.lead_source == source and call.account.status == "prospect"
