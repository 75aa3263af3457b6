from crm.models import OutboundMessage


class TransientError(Exception):
    """Worth trying again later: a timeout, a busy server, a rate limit."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Trying again will not help: an unknown address, a blocked bot, a refused payload."""


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
