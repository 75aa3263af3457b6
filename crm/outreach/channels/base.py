from crm.http import PermanentError, TransientError
from crm.models import OutboundMessage

__all__ = ["Channel", "PermanentError", "TransientError"]


class Channel:
    """Sends one message at a time over a connection kept open for a batch.

    `send` returns the provider's id for the message (or "") and raises TransientError or
    PermanentError; anything else it raises is treated as transient.
    """

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def address(self, message: OutboundMessage) -> str:
        """Where this message would go; "" when the recipient has no address on this channel."""
        raise NotImplementedError

    def send(self, message: OutboundMessage, *, unsubscribe_url: str) -> str:
        raise NotImplementedError
