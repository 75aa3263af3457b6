"""Email through Django's email backends: SMTP in production, one connection per batch."""

import contextlib
import hashlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from crm.models import OutboundMessage
from crm.outreach.channels.base import Channel, PermanentError, TransientError


class EmailChannel(Channel):
    def __init__(self):
        self.connection = None

    def open(self) -> None:
        self.connection = get_connection(fail_silently=False)
        try:
            self.connection.open()
        except (smtplib.SMTPException, OSError) as error:
            self.connection = None
            raise TransientError(f"SMTP server unreachable: {error}") from error

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # the server went away already
                self.connection.close()
            self.connection = None

    def address(self, message: OutboundMessage) -> str:
        return message.recipient.email

    def send(self, message: OutboundMessage, *, unsubscribe_url: str) -> str:
        if self.connection is None:
            self.open()
        # The same Message-ID on every attempt: if a sender dies between the SMTP server's "250" and recording
        # the send, the message goes out again after its claim times out, and mail servers and clients drop
        # the copy by its Message-ID.
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        message_id = f"<{digest}@{settings.CRM_EMAIL_MESSAGE_ID_DOMAIN}>"
        headers = {"Message-ID": message_id, "X-CRM-Message-Key": message.idempotency_key}
        if unsubscribe_url:
            # RFC 8058: mail clients show an "Unsubscribe" button that POSTs to this address.
            headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
            headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[self.address(message)],
            headers=headers,
            connection=self.connection,
        )
        try:
            email.send()
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            self._raise_for_code(code, reply)
        except smtplib.SMTPResponseException as error:  # sender refused, data refused, ...
            self._raise_for_code(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:
            self.close()  # the connection is in an unknown state: start a fresh one next time
            raise TransientError(f"SMTP: {error}") from error
        return message_id

    def _raise_for_code(self, code: int, reply: bytes | str):
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        if 400 <= code < 500:
            raise TransientError(f"SMTP {code}: {text}")
        raise PermanentError(f"SMTP {code}: {text}")
