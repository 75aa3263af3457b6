"""What another app adds to the outbox for its own kinds of message.

The surveys app, for one, checks at send time that an invitation is still unanswered, puts the
survey link into the message only at that moment (the database keeps just a hash of its token),
and marks the invitation sent afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass

from crm.models import OutboundMessage


@dataclass(frozen=True)
class KindHooks:
    # (load(messages) -> loaded, reason(message, loaded) -> "" or why the message no longer holds)
    still_holds: tuple[Callable, Callable] | None = None
    # Changes the message in memory just before it goes; may raise crm.http.PermanentError.
    before_send: Callable[[OutboundMessage], None] | None = None
    after_sent: Callable[[OutboundMessage], None] | None = None


_NONE = KindHooks()
_HOOKS: dict[str, KindHooks] = {}


def kind_hooks_register(kind: str, hooks: KindHooks) -> None:
    _HOOKS[kind] = hooks


def kind_hooks(kind: str) -> KindHooks:
    return _HOOKS.get(kind, _NONE)
