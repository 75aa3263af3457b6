"""E-mail bounces, complaints and delivery receipts (issue 20, part 5), in each platform's documented format:
Unisender Go's webhook (auth = MD5 of the body with our API key in it), SendPulse's SMTP webhook (a JSON array,
unsigned: our secret is in its URL) and a relay's RFC 3464 reports as signed JSON."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import ContactConsent, EmailEvent, OutboundMessage
from crm.outreach.services import MessagePlan, message_plan, outbox_send_batch
from crm.services.accounts import contact_update
from tests.crm.factories import AccountFactory, ContactFactory
from tests.crm.test_outbox import working_hours

pytestmark = pytest.mark.django_db
API_KEY = "unisender-api-key-1234567890"
SECRET = "email-events-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _configured(settings):
    settings.CRM_UNISENDER_API_KEY = API_KEY
    settings.CRM_EMAIL_EVENTS_SECRET = SECRET


@pytest.fixture
def sent(manager):
    """A message sent to Иван an hour ago, as the outbox records it."""
    contact = ContactFactory(account=AccountFactory(manager=manager), email="ivan@client.example")
    message = message_plan(MessagePlan(key="m1", kind="birthday", contact=contact, subject="С днём", body="."))
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENT,
        sent_at=timezone.now() - timedelta(hours=1),
        provider_message_id="<abc123@crm.example>",
    )
    message.refresh_from_db()
    return message


def unisender_body(status, email="ivan@client.example", api_key=API_KEY, **data):
    """The documented callback, compact JSON as their SDK writes it, "auth" computed as the docs say."""
    payload = {
        "auth": api_key,
        "events_by_user": [
            {
                "user_id": 456,
                "project_id": "6432890213745872",
                "project_name": "MyProject",
                "events": [
                    {
                        "event_name": "transactional_email_status",
                        "event_data": {
                            "job_id": "1a3Q2V-0000OZ-S0",
                            "metadata": {"key1": "val1"},
                            "email": email,
                            "status": status,
                            "event_time": timezone.now().strftime("%Y-%m-%d %H:%M:%S"),
                            "delivery_info": {
                                "delivery_status": "err_user_unknown",
                                "destination_response": "550 5.1.1 User unknown",
                            },
                            **data,
                        },
                    },
                    {
                        "event_name": "transactional_spam_block",
                        "event_data": {
                            "block_time": "2026-12-07 10:00:00",
                            "block_type": "one_smtp",
                            "domain": "client.example",
                            "SMTP_blocks_count": 1,
                            "domain_status": "blocked",
                        },
                    },
                ],
            }
        ],
    }
    unsigned = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    auth = hashlib.md5(unsigned.encode()).hexdigest()  # noqa: S324
    return unsigned.replace(f'"auth":"{api_key}"', f'"auth":"{auth}"', 1)


def post_unisender(client, body):
    return client.post("/email/events/unisender/", body, content_type="application/json")


def test_a_unisender_hard_bounce_marks_the_message_and_the_address_and_no_more_mail_goes_there(client, sent):
    answer = post_unisender(client, unisender_body("hard_bounced"))

    assert answer.status_code == 200, answer.content
    assert answer.json()["recorded"] == 1  # the spam block event is theirs, not ours
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.BOUNCED and "550 5.1.1" in sent.status_reason
    person = sent.contact
    person.refresh_from_db()
    assert person.email_bounced_at is not None and "err_user_unknown" in person.email_bounce_reason

    later = message_plan(MessagePlan(key="m2", kind="birthday", contact=person, subject="Ещё", body="."))
    outbox_send_batch(now=working_hours())
    later.refresh_from_db()
    assert later.status == OutboundMessage.Status.SUPPRESSED and "bounced" in later.status_reason

    contact_update(contact=person, email="ivan.new@client.example")  # a new address gets its chance
    person.refresh_from_db()
    assert person.email_bounced_at is None


def test_the_person_page_shows_the_bounce(client, sent, manager):
    post_unisender(client, unisender_body("hard_bounced"))
    client.force_login(manager)
    page = client.get(f"/admin/crm/contact/{sent.contact_id}/change/").content.decode()
    assert "550 5.1.1" in page


def test_a_unisender_delivery_receipt_finally_uses_delivered(client, sent):
    post_unisender(client, unisender_body("delivered"))
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.DELIVERED


def test_a_spam_complaint_opts_the_person_out_of_marketing(client, sent):
    post_unisender(client, unisender_body("spam"))
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.COMPLAINED
    opt_out = ContactConsent.objects.get(contact=sent.contact, purpose="marketing")
    assert not opt_out.granted and "unisender" in opt_out.source


def test_unisender_metadata_with_our_id_finds_the_message_even_for_another_address(client, sent):
    post_unisender(client, unisender_body("delivered", email="alias@client.example", metadata={"outbox_id": sent.id}))
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.DELIVERED


def test_a_retried_webhook_changes_nothing(client, sent):
    body = unisender_body("soft_bounced")
    assert post_unisender(client, body).json()["recorded"] == 1
    assert post_unisender(client, body).json()["recorded"] == 0
    assert EmailEvent.objects.count() == 1
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.SENT and "retries" in sent.status_reason  # soft: not bad
    assert sent.contact.email_bounced_at is None


def test_a_forged_or_foreign_unisender_call_is_refused_and_nothing_recorded(client, sent, settings):
    assert post_unisender(client, unisender_body("hard_bounced", api_key="someone-elses-key")).status_code == 403
    tampered = unisender_body("delivered").replace('"delivered"', '"hard_bounced"')
    assert post_unisender(client, tampered).status_code == 403
    assert post_unisender(client, "{not json").status_code == 403
    settings.CRM_UNISENDER_API_KEY = ""
    assert post_unisender(client, unisender_body("hard_bounced")).status_code == 404
    assert not EmailEvent.objects.exists()
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.SENT


def sendpulse(client, events, secret=SECRET):
    return client.post(f"/email/events/sendpulse/{secret}/", json.dumps(events), content_type="application/json")


def test_sendpulse_events_as_documented(client, sent):
    now = int(time.time())
    answer = sendpulse(
        client,
        [
            {
                "smtp_server_response_code": "250",
                "smtp_server_response_subcode": "",
                "sender": "crm@company.example",
                "smtp_server_response": "OK",
                "timestamp": now - 60,
                "message_id": 1149317311,
                "recipient": "ivan@client.example",
                "event": "delivered",
            },
            {"event": "opened", "timestamp": now, "message_id": 1149317311, "recipient": "ivan@client.example"},
            {
                "event": "hard_bounces",
                "timestamp": now,
                "task_id": 17076325,
                "email": "IVAN@client.example",
                "smtp_server_response_code": 550,
                "smtp_server_response_subcode": "5.1.1",
                "smtp_server_response": "Recipient address rejected",
            },
        ],
    )
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "events": 2, "recorded": 2}
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.BOUNCED
    assert sent.contact.email_bounced_at is not None


def test_sendpulse_with_a_wrong_secret_or_not_a_list_is_refused(client, sent):
    assert (
        sendpulse(client, [{"event": "delivered", "recipient": "ivan@client.example"}], secret="guess").status_code
        == 403
    )
    assert sendpulse(client, {"event": "delivered"}).status_code == 400
    assert not EmailEvent.objects.exists()


def dsn(client, payload, *, secret=SECRET, stamp=None):
    body = json.dumps(payload).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return client.post(
        "/email/events/dsn/",
        body,
        content_type="application/json",
        HTTP_X_CRM_SIGNATURE=f"sha256={signature}",
        HTTP_X_CRM_TIMESTAMP=stamp,
    )


def test_a_relays_failed_report_finds_the_message_by_its_message_id(client, sent):
    answer = dsn(
        client,
        {
            "events": [
                {
                    "message_id": "<abc123@crm.example>",
                    "recipient": "rfc822;ivan@client.example",
                    "action": "failed",
                    "status": "5.1.1",
                    "diagnostic_code": "smtp; 550 5.1.1 <ivan@client.example>: Recipient address rejected",
                    "arrival_date": timezone.now().isoformat(),
                }
            ]
        },
    )
    assert answer.status_code == 200, answer.content
    sent.refresh_from_db()
    assert sent.status == OutboundMessage.Status.BOUNCED and "5.1.1" in sent.status_reason


def test_a_delayed_report_is_a_soft_bounce_and_an_abuse_report_a_complaint(client, sent):
    dsn(client, {"events": [{"recipient": "ivan@client.example", "action": "delayed", "status": "4.2.2"}]})
    assert EmailEvent.objects.get().kind == EmailEvent.Kind.SOFT_BOUNCE
    dsn(client, {"events": [{"recipient": "ivan@client.example", "feedback_type": "abuse"}]})
    assert ContactConsent.objects.get(contact=sent.contact, purpose="marketing").granted is False


def test_relay_reports_that_are_forged_replayed_or_malformed_are_refused(client, sent):
    event = {"events": [{"recipient": "ivan@client.example", "action": "failed", "status": "5.1.1"}]}
    assert dsn(client, event, secret="wrong").status_code == 403
    assert dsn(client, event, stamp=int(time.time()) - 3600).status_code == 403
    assert dsn(client, {"nothing": []}).status_code == 400
    assert not EmailEvent.objects.exists()
