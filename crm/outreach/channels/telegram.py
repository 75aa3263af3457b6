"""Telegram Bot API: sendMessage to the chat the person opened with our bot.

https://core.telegram.org/bots/api#sendmessage. Every answer is JSON {"ok": bool, ...}; a failure
carries "error_code", "description" and, under flood control, "parameters": {"retry_after": s}.
"""

from django.conf import settings

from crm.http import http_post, http_raise_for_status, http_session
from crm.models import OutboundMessage
from crm.outreach.channels.base import Channel, PermanentError, TransientError

MAX_TEXT_LENGTH = 4096  # the Bot API refuses longer texts


class TelegramChannel(Channel):
    def __init__(self):
        self.session = None

    def open(self) -> None:
        if not settings.CRM_TELEGRAM_BOT_TOKEN:
            raise PermanentError("Telegram is not set up: CRM_TELEGRAM_BOT_TOKEN is empty.")
        self.session = http_session()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def address(self, message: OutboundMessage) -> str:
        return getattr(message.recipient, "telegram_chat_id", "")

    def send(self, message: OutboundMessage, *, unsubscribe_url: str) -> str:
        if self.session is None:
            self.open()
        text = f"{message.subject}\n\n{message.body}"
        if len(text) > MAX_TEXT_LENGTH:
            text = text[: MAX_TEXT_LENGTH - 1] + "…"
        url = f"{settings.CRM_TELEGRAM_API_URL.rstrip('/')}/bot{settings.CRM_TELEGRAM_BOT_TOKEN}/sendMessage"
        payload = {"chat_id": self.address(message), "text": text, "link_preview_options": {"is_disabled": True}}
        response = http_post(self.session, url, json=payload)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        parameters = answer.get("parameters") or {}
        http_raise_for_status(
            response, what="Telegram", detail=answer.get("description", ""), retry_after=parameters.get("retry_after")
        )
        if not answer.get("ok") or "message_id" not in (answer.get("result") or {}):
            raise TransientError(f"Telegram gave an answer without a message: {response.text[:200]}")
        return str(answer["result"]["message_id"])


__all__ = ["MAX_TEXT_LENGTH", "PermanentError", "TelegramChannel"]
