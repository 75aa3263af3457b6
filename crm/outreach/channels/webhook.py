"""A signed outgoing webhook: for an SMS gateway, a messenger bridge, or anything else.

The receiver checks X-CRM-Signature = "sha256=" + hex HMAC-SHA256(secret, f"{X-CRM-Timestamp}.{raw body}")
in constant time and refuses old timestamps, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import json
import time

from django.conf import settings

from crm.http import http_post, http_raise_for_status, http_session
from crm.models import OutboundMessage
from crm.outreach.channels.base import Channel, PermanentError


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookChannel(Channel):
    def __init__(self):
        self.session = None

    def open(self) -> None:
        if not settings.CRM_OUTREACH_WEBHOOK_URL or not settings.CRM_OUTREACH_WEBHOOK_SECRET:
            raise PermanentError(
                "The outgoing webhook is not set up: "
                "CRM_OUTREACH_WEBHOOK_URL and CRM_OUTREACH_WEBHOOK_SECRET are needed."
            )
        self.session = http_session()

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def address(self, message: OutboundMessage) -> str:
        recipient = message.recipient
        phones = getattr(recipient, "phones", None)
        if phones is not None:
            phone = phones.all()[0] if phones.all() else None
            return phone.number if phone else ""
        return ""

    def send(self, message: OutboundMessage, *, unsubscribe_url: str) -> str:
        if self.session is None:
            self.open()
        body = json.dumps(
            {
                "id": message.idempotency_key,
                "kind": message.kind,
                "purpose": message.purpose,
                "language": message.language,
                "to": {"phone": self.address(message), "email": message.recipient.email},
                "subject": message.subject,
                "text": message.body,
                "unsubscribe_url": unsubscribe_url,
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-CRM-Timestamp": timestamp,
            "X-CRM-Signature": webhook_signature(
                secret=settings.CRM_OUTREACH_WEBHOOK_SECRET, timestamp=timestamp, body=body
            ),
            # Receivers that see the same id twice (our retry after a lost answer) should ignore it.
            "Idempotency-Key": message.idempotency_key,
        }
        response = http_post(self.session, settings.CRM_OUTREACH_WEBHOOK_URL, data=body, headers=headers)
        http_raise_for_status(response, what="Webhook")
        return response.headers.get("X-Message-Id", "")
