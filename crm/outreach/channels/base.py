from abc import ABC, abstractmethod

from crm.http import PermanentError, TransientError
from crm.models import OutboundMessage

__all__ = ["Channel", "PermanentError", "TransientError"]


class Channel(ABC):
    """Sends one message at a time over a connection kept open for a batch.

    `send` returns the provider's id for the message (or "") and raises TransientError or
    PermanentError; anything else it raises is treated as transient.
    """

    @abstractmethod
    def open(self) -> None:
        """Connect, or check the channel is set up; raises TransientError or PermanentError."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the connection."""

    @abstractmethod
    def address(self, message: OutboundMessage) -> str:
        """Where this message would go; "" when the recipient has no address on this channel."""

    @abstractmethod
    def send(self, message: OutboundMessage, *, unsubscribe_url: str) -> str:
        """Send it; return the provider's id for it."""
