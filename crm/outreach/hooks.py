"""What another app adds to the outbox for its own kinds of message.

The surveys app, for one, checks at send time that an invitation is still unanswered, puts the
survey link into the message only at that moment (the database keeps just a hash of its token),
and marks the invitation sent afterwards.
"""

from collections.abc import Callable
from dataclasses import dataclass

from crm.models import OutboundMessage

# Stands for the address of the person's client page (crm/portal) until the message is sent: the portal's
# before_send hook puts a live link there, so the outbox never holds one.
CLIENT_PAGE_PLACEHOLDER = "[client-page-link]"


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


# A campaign's audience may be a saved segment (segments.Segment): the segments app says who is in one.
# segment_people(segment=..., user=...) -> the Contact queryset of the segment's people that `user` may see.
_SEGMENT_PEOPLE: list[Callable] = []


def segment_people_register(segment_people: Callable) -> None:
    _SEGMENT_PEOPLE[:] = [segment_people]


def segment_people(*, segment, user):
    if not _SEGMENT_PEOPLE:
        raise LookupError("No app says who is in a saved segment: is the segments app installed?")
    return _SEGMENT_PEOPLE[0](segment=segment, user=user)
