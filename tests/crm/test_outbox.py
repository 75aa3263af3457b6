"""The outbox: planning by key, the send-time rules, and sending through a real SMTP server."""

import threading
import zoneinfo
from datetime import datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Campaign, ContactConsent, MessageKind, MessageTemplate, OutboundMessage
from crm.outreach.rendering import template_errors
from crm.outreach.services import MessagePlan, message_plan, messages_plan, outbound_message_retry, outbox_send_batch
from crm.services.accounts import contact_consent_set
from tests.crm.factories import ContactFactory, EquipmentFactory

MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
Status = OutboundMessage.Status


def working_hours() -> datetime:
    """Noon on the next weekday, Moscow time: inside the sending window whatever day the tests run."""
    day = timezone.localdate() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(12), tzinfo=MOSCOW)


def maintenance_plan(contact, equipment=None, **overrides) -> MessagePlan:
    equipment = equipment or EquipmentFactory(account=contact.account)
    due = equipment.next_maintenance_at
    return MessagePlan(
        key=f"maintenance:{equipment.id}:{due.isoformat()}",
        kind=MessageKind.MAINTENANCE_DUE,
        contact=contact,
        context={
            "equipment": {"model": equipment.model_name, "serial_number": equipment.serial_number, "due_date": due}
        },
        data={"equipment_id": equipment.id, "due_date": due.isoformat()},
        **overrides,
    )


@pytest.fixture
def contact(account):
    return ContactFactory(account=account, email="ivan@romashka.ru")


# Templates -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_shipped_template_renders_with_only_the_variables_its_kind_offers():
    templates = list(MessageTemplate.objects.all())

    assert {(t.kind, t.language) for t in templates} == {(k, lang) for k in MessageKind.values for lang in ("ru", "en")}
    for template in templates:
        assert template_errors(kind=template.kind, subject=template.subject, body=template.body) == {}, template


@pytest.mark.django_db
def test_a_template_with_an_unknown_variable_is_refused_at_save_time_with_the_variable_name():
    template = MessageTemplate(
        kind=MessageKind.BIRTHDAY, language="ru", behaviour_type=3, subject="Hi", body="{{ contact.nmae }}"
    )

    with pytest.raises(ValidationError) as error:
        template.full_clean()

    assert "contact.nmae" in str(error.value.message_dict["body"])
    assert "contact.name" in str(error.value.message_dict["body"])  # and what is available instead


@pytest.mark.django_db
def test_a_template_that_does_not_parse_is_refused():
    errors = template_errors(kind=MessageKind.BIRTHDAY, subject="{% if %}", body="ok")

    assert "does not parse" in errors["subject"]


@pytest.mark.django_db
def test_a_behaviour_type_template_wins_over_the_general_one(contact):
    contact.account.behaviour_type = 3
    contact.account.save()
    MessageTemplate.objects.create(
        kind=MessageKind.MAINTENANCE_DUE,
        language="ru",
        behaviour_type=3,
        subject="Гарантируем: {{ equipment.model }}",
        body="{{ contact.name }}, всё по регламенту ГОСТ.",
    )

    message = message_plan(maintenance_plan(contact))

    assert message.subject == "Гарантируем: Пресс П-200"
    assert message.body.startswith("Иван Петрович, всё по регламенту ГОСТ.")


# Planning ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_planning_renders_the_message_in_the_persons_language_and_addresses_them_by_name_and_patronymic(contact):
    message = message_plan(maintenance_plan(contact))

    assert message.status == Status.QUEUED
    assert message.language == "ru"
    assert message.body.startswith("Здравствуйте, Иван Петрович!")
    assert "Пресс П-200" in message.subject
    assert "/u/" in message.body  # the unsubscribe link is in every client message


@pytest.mark.django_db
def test_english_speakers_are_addressed_by_first_name(account):
    person = ContactFactory(account=account, first_name="John", patronymic="", last_name="Smith", language="en")

    message = message_plan(maintenance_plan(person))

    assert message.body.startswith("Hello John,")


@pytest.mark.django_db
def test_planning_the_same_key_twice_keeps_one_message(contact):
    equipment = EquipmentFactory(account=contact.account)

    first = message_plan(maintenance_plan(contact, equipment))
    second = message_plan(maintenance_plan(contact, equipment))

    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_planning_a_batch_takes_the_same_few_queries_for_10_or_40_messages(account):
    def plan(n):
        people = ContactFactory.create_batch(n, account=account)
        plans = [MessagePlan(key=f"birthday:{p.id}:{n}", kind=MessageKind.BIRTHDAY, contact=p) for p in people]
        for p in people:
            p.account = account  # as the jobs load it: with select_related
        with CaptureQueriesContext(connection) as queries:
            messages_plan(plans)
        return len(queries)

    # 40 rows fit in one INSERT on every backend (SQLite caps an INSERT at 999 parameters).
    assert plan(10) == plan(40) <= 4


# Rules at send time ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_opted_out_person_is_suppressed_with_the_reason(contact, smtp_server):
    message = message_plan(MessagePlan(key="b1", kind=MessageKind.BIRTHDAY, contact=contact))
    contact_consent_set(contact=contact, purpose=ContactConsent.Purpose.GREETINGS, granted=False)

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert "opted out" in message.status_reason
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_an_opt_out_of_one_channel_does_not_stop_another(contact, smtp_server):
    message = message_plan(MessagePlan(key="b1", kind=MessageKind.BIRTHDAY, contact=contact))
    contact_consent_set(
        contact=contact, purpose=ContactConsent.Purpose.GREETINGS, channel=ContactConsent.Channel.SMS, granted=False
    )

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.SENT


@pytest.mark.django_db
def test_at_night_a_message_waits_for_the_morning_in_the_clients_time_zone(contact, smtp_server):
    contact.account.time_zone = "Asia/Yekaterinburg"
    contact.account.save()
    message = message_plan(maintenance_plan(contact))
    night = working_hours().replace(hour=23).astimezone(zoneinfo.ZoneInfo("Asia/Yekaterinburg")).replace(hour=23)

    outbox_send_batch(now=night)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    local = message.send_after.astimezone(zoneinfo.ZoneInfo("Asia/Yekaterinburg"))
    assert (local.hour, local.minute) == (9, 0)
    assert local.date() > night.date() and local.weekday() < 5
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_on_saturday_a_message_waits_until_monday(contact, smtp_server):
    message = message_plan(maintenance_plan(contact))
    saturday = working_hours()
    while saturday.weekday() != 5:
        saturday += timedelta(days=1)

    outbox_send_batch(now=saturday)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.send_after.astimezone(MOSCOW) == (saturday + timedelta(days=2)).replace(hour=9)


@pytest.mark.django_db
def test_a_frequency_cap_stops_the_second_marketing_message_in_a_week(contact, smtp_server):
    campaigns = [
        Campaign.objects.create(
            name=f"Tip {n}", status=Campaign.Status.ACTIVE, subject_ru="…", body_ru="…", subject_en="…", body_en="…"
        )
        for n in (1, 2)
    ]
    plans = [
        MessagePlan(
            key=f"campaign:{c.id}:{contact.id}",
            kind=MessageKind.CAMPAIGN,
            contact=contact,
            subject=c.name,
            body="…",
            data={"campaign_id": c.id},
        )
        for c in campaigns
    ]
    messages_plan(plans)

    outbox_send_batch(now=working_hours())

    statuses = dict(OutboundMessage.objects.values_list("subject", "status"))
    assert statuses == {"Tip 1": Status.SENT, "Tip 2": Status.SUPPRESSED}
    assert "Frequency cap" in OutboundMessage.objects.get(subject="Tip 2").status_reason


@pytest.mark.django_db
def test_a_reminder_for_maintenance_already_done_is_suppressed(contact, smtp_server):
    equipment = EquipmentFactory(account=contact.account)
    message = message_plan(maintenance_plan(contact, equipment))
    equipment.next_maintenance_at += timedelta(days=180)  # done early: the next one is months away
    equipment.save()

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert "maintenance was done" in message.status_reason


@pytest.mark.django_db
def test_a_person_without_an_email_address_is_suppressed_with_that_reason(account, smtp_server):
    person = ContactFactory(account=account, email="")
    message = message_plan(maintenance_plan(person))

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.SUPPRESSED
    assert "no address" in message.status_reason


# Sending through a real SMTP server --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_goes_out_through_smtp_with_a_one_click_unsubscribe_header(contact, smtp_server):
    message = message_plan(maintenance_plan(contact))

    report = outbox_send_batch(now=working_hours())

    assert report.counts == {"sent": 1}
    [email] = smtp_server.messages
    assert email["To"] == "ivan@romashka.ru"
    assert "Пресс П-200" in email["Subject"]
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["List-Unsubscribe"].strip().startswith("<http") and "/u/" in email["List-Unsubscribe"]
    body = email.get_content()
    assert "Здравствуйте, Иван Петрович!" in body
    message.refresh_from_db()
    assert message.status == Status.SENT and message.sent_at is not None and message.attempts == 1
    assert message.provider_message_id == email["Message-ID"]


@pytest.mark.django_db
def test_a_temporary_smtp_refusal_retries_later_and_a_permanent_one_fails_with_the_reason(account, smtp_server):
    busy, gone = ContactFactory(account=account, email="busy@x.ru"), ContactFactory(account=account, email="gone@x.ru")
    smtp_server.refuse = {"busy@x.ru": "451 Try again later", "gone@x.ru": "550 No such user here"}
    retrying, failing = message_plan(maintenance_plan(busy)), message_plan(maintenance_plan(gone))
    now = working_hours()

    report = outbox_send_batch(now=now)

    assert report.counts == {"retrying": 1, "failed": 1}
    retrying.refresh_from_db()
    failing.refresh_from_db()
    assert retrying.status == Status.QUEUED and retrying.attempts == 1 and retrying.send_after > now
    assert "451" in retrying.status_reason
    assert failing.status == Status.FAILED and failing.status_reason == "SMTP 550: No such user here"


@pytest.mark.django_db
def test_when_the_smtp_server_is_down_the_message_stays_and_can_be_retried_from_the_admin(contact, settings):
    from tests.conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.CRM_OUTBOX_MAX_ATTEMPTS = 1
    message = message_plan(maintenance_plan(contact))

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "unreachable" in message.status_reason
    assert outbound_message_retry(message=message) is True
    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.attempts == 0


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_every_message_exactly_once(account, smtp_server):
    people = ContactFactory.create_batch(150, account=account)
    for person in people:
        person.account = account
    # Subject and body given: a transactional test cannot count on the templates the migrations shipped.
    messages_plan(
        MessagePlan(key=f"m:{p.id}", kind=MessageKind.BIRTHDAY, contact=p, subject="Hi", body="…") for p in people
    )
    now, errors = working_hours(), []

    def sender():
        try:
            while outbox_send_batch(batch_size=20, now=now).counts:
                pass
        except Exception as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    keys = [email["X-CRM-Message-Key"] for email in smtp_server.messages]
    assert len(keys) == 150 and len(set(keys)) == 150
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 150


@pytest.mark.django_db
def test_messages_to_our_own_people_ignore_quiet_hours(manager, smtp_server):
    manager.email = "anna@ours.ru"
    manager.save()
    message = message_plan(
        MessagePlan(
            key="x",
            kind=MessageKind.PROPOSAL_OPENED,
            recipient_user=manager,
            subject="Call now",
            body="They opened the proposal",
        )
    )

    outbox_send_batch(now=working_hours().replace(hour=3))

    message.refresh_from_db()
    assert message.status == Status.SENT
    assert smtp_server.messages[0]["To"] == "anna@ours.ru"
    assert smtp_server.messages[0]["List-Unsubscribe"] is None
