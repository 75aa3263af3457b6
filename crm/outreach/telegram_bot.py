"""Our Telegram bot's side of the conversation (https://core.telegram.org/bots/api): `/start <token>` from a
person's deep link binds their chat to their contact and opts them in on the channel; `/stop` opts them out.

Telegram posts each Update to our webhook with the secret given to setWebhook in the X-Telegram-Bot-Api-Secret-Token
header. The bot answers in the same HTTP response (a `sendMessage` method call in the body, as the Bot API allows
for webhooks), so no outgoing request is needed and a repeated update just gets the same answer.
"""

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.http import http_post, http_session
from crm.models import Contact, ContactConsent
from crm.outreach.services import contact_unsubscribe
from crm.outreach.telegram_links import telegram_start_token_read
from crm.services.accounts import contact_consent_set

Purpose, Channel = ContactConsent.Purpose, ContactConsent.Channel
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  (a header name, not a secret)


class TelegramSetupError(Exception):
    pass


def telegram_secret_ok(received: str | None) -> bool:
    expected = settings.CRM_TELEGRAM_WEBHOOK_SECRET
    return bool(expected) and hmac.compare_digest((received or "").encode(), expected.encode())


@dataclass(frozen=True)
class Reply:
    chat_id: int
    text: str

    def as_webhook_answer(self) -> dict:
        return {"method": "sendMessage", "chat_id": self.chat_id, "text": self.text}


def _language(contact: Contact | None, update_language: str) -> str:
    if contact is not None:
        return contact.language
    return "ru" if (update_language or "").startswith("ru") else "en"


@transaction.atomic
def telegram_update_handle(update: dict) -> Reply | None:
    """What an Update means for us, and the bot's answer; None for updates we do not act on (edits, stickers...).
    Raises ValueError for a body that is not a Telegram update."""
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise ValueError("not a Telegram update: no update_id")
    message = update.get("message")
    if not isinstance(message, dict):
        return None
    chat = message.get("chat") or {}
    chat_id, text = chat.get("id"), message.get("text")
    if not isinstance(chat_id, int) or not isinstance(text, str) or chat.get("type", "private") != "private":
        return None
    sender_language = (message.get("from") or {}).get("language_code", "")
    command, _space, argument = text.strip().partition(" ")
    command = command.split("@", 1)[0]  # "/start@OurBot" in a client that names the bot
    bound = list(Contact.objects.filter(telegram_chat_id=str(chat_id)).select_for_update())
    if command == "/start":
        return _start(chat_id, argument.strip(), bound, sender_language)
    if command == "/stop":
        for contact in bound:
            if contact.preferred_channel == Contact.Channel.MESSENGER:  # back to e-mail, unless stopped there too
                contact.preferred_channel = Contact.Channel.EMAIL
                contact.save(update_fields=["preferred_channel"])
            contact_unsubscribe(
                contact=contact, purposes=Purpose.values, channel=Channel.MESSENGER, source="telegram /stop"
            )
        with override(_language(bound[0] if bound else None, sender_language)):
            return Reply(
                chat_id,
                _(
                    "Done: we will send you nothing more here. To get our messages again, open the "
                    "link from one of our e-mails."
                ),
            )
    with override(_language(bound[0] if bound else None, sender_language)):
        return Reply(chat_id, _("This bot sends you messages from your manager. /stop turns them off."))


def _start(chat_id: int, token: str, bound: list[Contact], sender_language: str) -> Reply:
    contact_id = telegram_start_token_read(token) if token else None
    contact = Contact.objects.select_for_update().filter(pk=contact_id).first() if contact_id else None
    if contact is None:
        with override(_language(bound[0] if bound else None, sender_language)):
            return Reply(
                chat_id,
                _(
                    "This link does not work any more. Open the link from a newer e-mail of ours, or "
                    "ask your manager for one."
                ),
            )
    if contact.telegram_chat_id and contact.telegram_chat_id != str(chat_id):
        # Bound to another chat: an old link must not move the person's messages somewhere else.
        with override(contact.language):
            return Reply(
                chat_id,
                _(
                    "These messages already go to another Telegram chat. To move them here, send "
                    "/stop there first, or ask your manager."
                ),
            )
    contact.telegram_chat_id = str(chat_id)
    contact.preferred_channel = Contact.Channel.MESSENGER  # they asked for our messages here
    contact.save(update_fields=["telegram_chat_id", "preferred_channel"])
    for purpose in Purpose.values:
        contact_consent_set(
            contact=contact, purpose=purpose, channel=Channel.MESSENGER, granted=True, source="telegram /start"
        )
    with override(contact.language):
        return Reply(
            chat_id,
            _("Hello, %(name)s! Your messages from us can come here now. /stop turns them off.")
            % {"name": contact.addressed_name},
        )


def telegram_webhook_set(*, url: str) -> dict:
    """Point our bot at `url`, with the secret Telegram will send back (setWebhook), for message updates only."""
    if not settings.CRM_TELEGRAM_BOT_TOKEN or not settings.CRM_TELEGRAM_WEBHOOK_SECRET:
        raise TelegramSetupError("Set CRM_TELEGRAM_BOT_TOKEN and CRM_TELEGRAM_WEBHOOK_SECRET first.")
    api = f"{settings.CRM_TELEGRAM_API_URL.rstrip('/')}/bot{settings.CRM_TELEGRAM_BOT_TOKEN}/setWebhook"
    payload = {"url": url, "secret_token": settings.CRM_TELEGRAM_WEBHOOK_SECRET, "allowed_updates": ["message"]}
    with http_session() as session:
        response = http_post(session, api, json=payload)
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict) or not answer.get("ok"):
        detail = answer.get("description") if isinstance(answer, dict) else ""
        raise TelegramSetupError(
            f"Telegram refused setWebhook ({response.status_code}): {detail or response.text[:200]}"
        )
    return answer
