"""Where messages go out: one module per outside system. `channel_for` gives the adapter for a channel."""

from crm.outreach.channels.base import Channel, PermanentError, TransientError
from crm.outreach.channels.email import EmailChannel
from crm.outreach.channels.telegram import TelegramChannel
from crm.outreach.channels.webhook import WebhookChannel
from crm.outreach.models import MessageChannel

CHANNELS: dict[str, type[Channel]] = {
    MessageChannel.EMAIL: EmailChannel,
    MessageChannel.TELEGRAM: TelegramChannel,
    MessageChannel.WEBHOOK: WebhookChannel,
}


def channel_for(name: str) -> Channel:
    return CHANNELS[name]()


__all__ = ["CHANNELS", "Channel", "PermanentError", "TransientError", "channel_for"]
