"""The Telegram bot (issue 20, part 4): deep links bind a chat to a person, /stop opts them out of the channel, the
webhook checks Telegram's secret header, and setWebhook is a command. Telegram's side is a local HTTP server
answering in the Bot API's documented format (https://core.telegram.org/bots/api)."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from crm.models import Contact, ContactConsent, MessageKind, OutboundMessage
from crm.outreach.services import MessagePlan, contact_channel_pick, message_plan
from crm.outreach.telegram_links import telegram_start_token, telegram_start_token_read
from tests.crm.factories import ContactFactory

pytestmark = pytest.mark.django_db
SECRET = "webhook-secret_123"


@pytest.fixture
def bot(settings):
    settings.CRM_TELEGRAM_BOT_USERNAME = "OurCrmBot"
    settings.CRM_TELEGRAM_WEBHOOK_SECRET = SECRET
    settings.CRM_TELEGRAM_BOT_TOKEN = "123:abc"


@pytest.fixture
def person(account):
    return ContactFactory(account=account, first_name="Иван", patronymic="Петрович", language="ru", email="i@r.ru")


def update(text, chat_id=777, update_id=1, language="ru"):
    return {
        "update_id": update_id,
        "message": {
            "message_id": 5,
            "date": 1765000000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Иван"},
            "from": {"id": chat_id, "is_bot": False, "first_name": "Иван", "language_code": language},
            "text": text,
        },
    }


def post(client, body, secret=SECRET):
    headers = {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret} if secret is not None else {}
    raw = body if isinstance(body, bytes) else json.dumps(body)
    return client.post("/telegram/webhook/", raw, content_type="application/json", **headers)


def test_a_start_token_fits_telegram_and_only_a_genuine_unexpired_one_reads(settings):
    token = telegram_start_token(42)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")

    assert len(token) == 32 and all(c.isalnum() or c in "-_" for c in token)  # Telegram's start parameter
    assert telegram_start_token_read(token) == 42
    assert telegram_start_token_read(tampered) is None
    assert telegram_start_token_read("x" * 32) is None and telegram_start_token_read("") is None
    later = timezone.localdate() + timedelta(days=settings.CRM_TELEGRAM_LINK_DAYS + 1)
    assert telegram_start_token_read(token, today=later) is None


def test_the_webhook_wants_telegrams_secret_and_an_update(client, bot, settings):
    assert post(client, update("/start"), secret=None).status_code == 403
    assert post(client, update("/start"), secret="guess").status_code == 403
    assert post(client, b"{not json").status_code == 400
    assert post(client, {"hello": 1}).status_code == 400
    assert post(client, {"update_id": 9, "edited_message": {}}).json() == {}  # nothing for us to do
    settings.CRM_TELEGRAM_WEBHOOK_SECRET = ""
    assert post(client, update("/start"), secret="").status_code == 404


def test_start_binds_the_chat_and_answers_in_the_persons_language_once(client, bot, person):
    token = telegram_start_token(person.id)

    first = post(client, update(f"/start {token}"))
    again = post(client, update(f"/start {token}"))  # Telegram retries an update it thinks failed

    assert first.status_code == 200 and first.json() == again.json()
    answer = first.json()
    assert answer["method"] == "sendMessage" and answer["chat_id"] == 777
    assert answer["text"].startswith("Здравствуйте, Иван Петрович!")
    person.refresh_from_db()
    assert person.telegram_chat_id == "777" and contact_channel_pick(person) == "telegram"
    assert ContactConsent.objects.filter(contact=person, channel="messenger", granted=False).count() == 0


def test_an_old_link_cannot_move_a_bound_person_to_another_chat(client, bot, person):
    post(client, update(f"/start {telegram_start_token(person.id)}"))

    stolen = post(client, update(f"/start {telegram_start_token(person.id)}", chat_id=999))

    person.refresh_from_db()
    assert person.telegram_chat_id == "777"
    assert "другой чат" in stolen.json()["text"]
    assert "не работает" in post(client, update("/start nonsense", chat_id=555)).json()["text"]


def test_stop_opts_out_of_the_channel_and_falls_back_to_email(client, bot, person):
    post(client, update(f"/start {telegram_start_token(person.id)}"))
    person.refresh_from_db()
    queued = message_plan(MessagePlan(key="b1", kind=MessageKind.BIRTHDAY, contact=person))
    assert queued.channel == "telegram"

    answer = post(client, update("/stop")).json()

    person.refresh_from_db()
    queued.refresh_from_db()
    assert "больше ничего не пришлём" in answer["text"]
    assert queued.status == OutboundMessage.Status.SUPPRESSED
    assert person.preferred_channel == Contact.Channel.EMAIL and contact_channel_pick(person) == "email"
    assert set(
        ContactConsent.objects.filter(contact=person, channel="messenger").values_list("granted", flat=True)
    ) == {False}


def test_emails_and_survey_pages_carry_the_link_until_the_chat_is_bound(bot, person):
    first = message_plan(MessagePlan(key="b1", kind=MessageKind.BIRTHDAY, contact=person))
    token = first.body.rsplit("start=", 1)[1].split()[0]
    assert "https://t.me/OurCrmBot?start=" in first.body and telegram_start_token_read(token) == person.id

    Contact.objects.filter(pk=person.pk).update(telegram_chat_id="777")
    person.refresh_from_db()
    bound = message_plan(MessagePlan(key="b2", kind=MessageKind.BIRTHDAY, contact=person))
    assert "t.me/" not in bound.body


def test_set_webhook_sends_the_url_and_secret_and_reports_a_refusal(bot, settings, http_service):
    settings.CRM_TELEGRAM_API_URL = http_service.url
    http_service.answer(200, {"ok": True, "result": True, "description": "Webhook was set"})
    http_service.answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

    call_command("telegram_set_webhook", url="https://crm.example.com/telegram/webhook/")
    with pytest.raises(CommandError, match="Unauthorized"):
        call_command("telegram_set_webhook", url="https://crm.example.com/telegram/webhook/")
    with pytest.raises(CommandError, match="HTTPS"):
        call_command("telegram_set_webhook", url="http://crm.example.com/telegram/webhook/")

    _method, path, _headers, body = http_service.requests[0]
    assert path == "/bot123:abc/setWebhook"
    assert json.loads(body) == {
        "url": "https://crm.example.com/telegram/webhook/",
        "secret_token": SECRET,
        "allowed_updates": ["message"],
    }
