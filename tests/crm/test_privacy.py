"""A person's data on request: the export holds everything; erasing removes who they are, not the figures."""

import json
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from crm.models import AccountEvent, Contact, ContactConsent, Interaction
from crm.outreach.services import MessagePlan, message_plan, outbox_send_batch
from crm.services.accounts import contact_update, phone_add
from crm.services.privacy import contact_data_export, contact_erase
from surveys import metrics
from surveys.models import Answer, Survey
from surveys.services.responses import survey_response_record
from tests.crm.factories import AccountFactory, ContactFactory
from tests.crm.test_outbox import working_hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(manager):
    account = AccountFactory(manager=manager)
    contact = ContactFactory(
        account=account, first_name="Иван", last_name="Сидоров", email="sidorov@romashka.ru", is_decision_maker=True
    )
    phone_add(contact=contact, raw="8 916 123-45-67", is_primary=True)
    Interaction.objects.create(
        account=account, contact=contact, channel="phone", direction="inbound", notes="Иван просил перезвонить"
    )
    survey_response_record(
        survey=Survey.objects.get(slug="nps"),
        contact=contact,
        submitted_at=timezone.now() - timedelta(days=1),
        external_id="n1",
        answers={"recommend": 3, "reason": "Сидоров недоволен сроками"},
    )
    return contact


def test_the_export_has_the_person_their_phones_notes_and_answers(person):
    data = json.loads(json.dumps(contact_data_export(contact=person), default=str))
    assert data["person"]["email"] == "sidorov@romashka.ru"
    assert data["phones"][0]["number"] == "+79161234567"
    assert data["interactions"][0]["notes"] == "Иван просил перезвонить"
    assert {answer["text"] for answer in data["survey_responses"][0]["answers"]} >= {"Сидоров недоволен сроками"}


def test_erasing_removes_identity_and_words_keeps_the_figures_and_stops_all_messages(
    person, manager, superuser, smtp_server
):
    contact_update(contact=person, position="Директор", acting_user=manager)  # an audit entry with personal data
    before = metrics.nps(metrics.MetricFilters(user=superuser))

    contact_erase(contact=person, reason="The person's request of 2026-12-01", acting_user=superuser)

    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.email, person.position) == ("—", "", "", "")
    assert not person.phones.exists()
    assert Interaction.objects.get(contact=person).notes == ""
    assert not Answer.objects.filter(response__contact=person).exclude(text="").exists()
    assert metrics.nps(metrics.MetricFilters(user=superuser)) == before  # the score still counts
    assert not LogEntry.objects.get_for_object(person).exists()  # the trail held the old name
    assert set(ContactConsent.objects.filter(contact=person, granted=False).values_list("purpose", flat=True)) == set(
        ContactConsent.Purpose.values
    )
    message = message_plan(MessagePlan(key="after-erase", kind="birthday", contact=person))
    outbox_send_batch(now=working_hours())
    message.refresh_from_db()
    assert message.status == "suppressed" and smtp_server.messages == []
    event = AccountEvent.objects.get(account=person.account, type="contact_erased")
    assert event.acting_user == superuser and event.data["reason"].startswith("The person's request")


def test_erasing_needs_a_reason(person):
    with pytest.raises(ValidationError, match="Say why"):
        contact_erase(contact=person, reason=" ")
    assert Contact.objects.get(pk=person.pk).email == "sidorov@romashka.ru"


def test_the_admin_exports_and_an_administrator_erases_after_confirming(client, person, manager, superuser):
    changelist = reverse("admin:crm_contact_changelist")
    client.force_login(manager)
    export = client.post(changelist, {"action": "export_personal_data", "_selected_action": [person.pk]})
    assert export.status_code == 200 and json.loads(export.content)["person"]["last_name"] == "Сидоров"
    refused = client.post(changelist, {"action": "erase_personal_data", "_selected_action": [person.pk]})
    assert Contact.objects.get(pk=person.pk).last_name == "Сидоров"  # a manager may not erase
    assert refused.status_code in (200, 302)

    client.force_login(superuser)
    confirm = client.post(changelist, {"action": "erase_personal_data", "_selected_action": [person.pk]})
    assert confirm.status_code == 200 and "Сидоров" in confirm.content.decode()
    done = client.post(
        changelist,
        {"action": "erase_personal_data", "_selected_action": [person.pk], "erase_reason": "Request by email"},
    )
    assert done.status_code == 302
    assert Contact.objects.get(pk=person.pk).last_name == ""


def test_each_app_that_holds_a_persons_data_has_its_part_registered_with_the_core():
    """The core (crm) exports and erases a person without importing the apps built on it: each registers."""
    from crm.personal_data import personal_data_parts
    from segments.services import behaviour
    from surveys.services import responses

    parts = {(part.export, part.erase) for part in personal_data_parts()}

    assert (responses.contact_responses_export, responses.contact_answers_erase) in parts
    assert (behaviour.contact_suggestion_export, behaviour.contact_behaviour_erase) in parts
