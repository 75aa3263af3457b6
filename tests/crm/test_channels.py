"""The HTTP channels against local servers that answer exactly as the outside services document."""

import json
from datetime import timedelta

import pytest

from crm.models import Contact, MessageKind, OutboundMessage
from crm.outreach.channels.webhook import webhook_signature
from crm.outreach.services import MessagePlan, message_plan, outbox_send_batch
from tests.crm.factories import ContactFactory, PhoneFactory
from tests.crm.test_outbox import working_hours

Status = OutboundMessage.Status


@pytest.fixture
def telegram(settings, http_service):
    settings.CRM_TELEGRAM_BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
    settings.CRM_TELEGRAM_API_URL = http_service.url
    return http_service


@pytest.fixture
def telegram_contact(account):
    return ContactFactory(account=account, preferred_channel=Contact.Channel.MESSENGER, telegram_chat_id="987654321")


def birthday(contact):
    return message_plan(MessagePlan(key=f"birthday:{contact.id}", kind=MessageKind.BIRTHDAY, contact=contact))


@pytest.mark.django_db
def test_a_messenger_person_gets_a_telegram_message_through_send_message(telegram, telegram_contact):
    telegram.answer(200, {"ok": True, "result": {"message_id": 4711, "chat": {"id": 987654321}, "date": 0}})
    message = birthday(telegram_contact)

    outbox_send_batch(now=working_hours())

    [(_method, path, _headers, body)] = telegram.requests
    assert path == "/bot123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11/sendMessage"
    payload = json.loads(body)
    assert payload["chat_id"] == "987654321"
    assert payload["text"].startswith("С днём рождения, Иван Петрович!")
    assert "/u/" in payload["text"]  # the unsubscribe link travels in the text
    message.refresh_from_db()
    assert (message.channel, message.status, message.provider_message_id) == ("telegram", Status.SENT, "4711")


@pytest.mark.django_db
def test_a_blocked_bot_fails_for_good_with_telegrams_description(telegram, telegram_contact):
    telegram.answer(403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    message = birthday(telegram_contact)

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "Forbidden: bot was blocked by the user" in message.status_reason


@pytest.mark.django_db
def test_flood_control_retries_after_the_seconds_telegram_asks_for(telegram, telegram_contact):
    telegram.answer(
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 34",
            "parameters": {"retry_after": 34},
        },
    )
    message = birthday(telegram_contact)
    now = working_hours()

    outbox_send_batch(now=now)

    message.refresh_from_db()
    assert message.status == Status.QUEUED and message.attempts == 1
    assert message.send_after == now + timedelta(seconds=34)
    assert "Too Many Requests" in message.status_reason


@pytest.mark.django_db
def test_a_telegram_server_error_is_retried_with_backoff(telegram, telegram_contact, settings):
    telegram.answer(502, b"<html>Bad Gateway</html>")
    message = birthday(telegram_contact)
    now = working_hours()

    outbox_send_batch(now=now)

    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert message.send_after == now + timedelta(seconds=settings.CRM_OUTBOX_RETRY_BASE_SECONDS)


@pytest.mark.django_db
def test_an_sms_person_gets_a_signed_webhook_the_receiver_can_verify(settings, http_service, account):
    settings.CRM_OUTREACH_WEBHOOK_URL = f"{http_service.url}/sms"
    settings.CRM_OUTREACH_WEBHOOK_SECRET = "s3cret"
    person = ContactFactory(account=account, preferred_channel=Contact.Channel.SMS)
    PhoneFactory(contact=person, raw="8 916 123-45-67", number="+79161234567")
    message = birthday(person)

    outbox_send_batch(now=working_hours())

    [(_method, path, headers, body)] = http_service.requests
    assert path == "/sms"
    expected = webhook_signature(secret="s3cret", timestamp=headers["X-CRM-Timestamp"], body=body)
    assert headers["X-CRM-Signature"] == expected
    payload = json.loads(body)
    assert payload["to"]["phone"] == "+79161234567"
    assert payload["id"] == headers["Idempotency-Key"] == message.idempotency_key
    assert payload["unsubscribe_url"].startswith("http")
    message.refresh_from_db()
    assert message.channel == "webhook" and message.status == Status.SENT


@pytest.mark.django_db
def test_a_webhook_refusal_fails_with_the_receivers_answer(settings, http_service, account):
    settings.CRM_OUTREACH_WEBHOOK_URL = f"{http_service.url}/sms"
    settings.CRM_OUTREACH_WEBHOOK_SECRET = "s3cret"
    http_service.answer(422, {"error": "phone number is not mobile"})
    person = ContactFactory(account=account, preferred_channel=Contact.Channel.SMS)
    PhoneFactory(contact=person)
    message = birthday(person)

    outbox_send_batch(now=working_hours())

    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert "422" in message.status_reason and "not mobile" in message.status_reason
