"""Client page links: made, sent through the outbox, opened, revoked, and asked for again by e-mail."""

import contextlib
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from crm.http import PermanentError
from crm.models import Contact, OutboundMessage, User
from crm.outreach.hooks import KindHooks, kind_hooks_register
from crm.outreach.kinds import MessageKind
from crm.outreach.services import MessagePlan, message_plan
from crm.portal import links
from crm.portal.models import ClientPageLink
from crm.services.activity import interaction_log, task_title

EXPIRED, REVOKED = "expired", "revoked"


class LinkRefused(Exception):
    """A known link that no longer opens the page (expired or revoked): the person may ask for a new one."""

    def __init__(self, reason: str, link: ClientPageLink):
        super().__init__(reason)
        self.reason, self.link = reason, link


def client_page_link_create(
    *, contact: Contact, created_by: User | None = None, now: datetime | None = None
) -> tuple[ClientPageLink, str]:
    """A new link for the person to their account's page, valid CRM_CLIENT_PAGE_DAYS; (the link, its token)."""
    now = now or timezone.now()
    nonce = links.nonce_new()
    token = links.token_for(nonce)
    link = ClientPageLink.objects.create(
        account_id=contact.account_id,
        contact=contact,
        nonce=nonce,
        token_hash=links.token_hash(token),
        created_by=created_by,
        expires_at=now + timedelta(days=settings.CRM_CLIENT_PAGE_DAYS),
    )
    return link, token


def client_page_link_current(*, contact: Contact, now: datetime | None = None) -> ClientPageLink:
    """The person's newest link that still has a week to run, else a new one (the weekly type 3 note reuses it)."""
    now = now or timezone.now()
    link = (
        ClientPageLink.objects.valid(now=now + timedelta(days=7))
        .filter(contact=contact)
        .order_by("-expires_at")
        .first()
    )
    return link or client_page_link_create(contact=contact, now=now)[0]


@transaction.atomic
def client_page_send(*, contact: Contact, acting_user: User | None = None, key: str = "") -> OutboundMessage:
    """Send the person a new link to their account's page, through the outbox (its rules, their language)."""
    link, _token = client_page_link_create(contact=contact, created_by=acting_user)
    return message_plan(
        MessagePlan(
            key=key or f"client-page:{link.id}",
            kind=MessageKind.CLIENT_PAGE,
            contact=contact,
            # The address goes in at the moment of sending (_link_fill): the outbox never holds a live link.
            context={"client_page": {"url": links.PAGE_PLACEHOLDER, "expires_at": link.expires_at}},
            data={"client_page_link_id": link.id},
        )
    )


def client_page_links_revoke(links_to_revoke, *, now: datetime | None = None) -> int:
    return links_to_revoke.filter(revoked_at__isnull=True).update(revoked_at=now or timezone.now())


def client_page_open(*, token: str, now: datetime | None = None) -> ClientPageLink:
    """The link of a token, counted as opened. Raises signing.BadSignature or ClientPageLink.DoesNotExist for a
    forged or unknown one (the page says nothing more), LinkRefused for an expired or revoked one."""
    now = now or timezone.now()
    link = ClientPageLink.objects.select_related("contact", "account__manager").get(token_hash=links.token_check(token))
    if link.revoked_at is not None:
        raise LinkRefused(REVOKED, link)
    if link.expires_at <= now:
        raise LinkRefused(EXPIRED, link)
    ClientPageLink.objects.filter(pk=link.pk).update(open_count=F("open_count") + 1, last_opened_at=now)
    # On the account's timeline once a day per person, like an opened proposal, in its manager's language.
    day = timezone.localdate(now)
    interaction_log(
        account=link.account,
        contact=link.contact,
        channel="portal",
        direction="inbound",
        occurred_at=now,
        subject=task_title(
            link.account.manager, gettext_noop("%(name)s opened the client page"), name=link.contact.addressed_name
        ),
        source="client_page",
        external_id=f"opened:{link.contact_id}:{day.isoformat()}",
    )
    return link


def client_page_request(*, email: str, link_token: str = "") -> int:
    """Send a new link to every person with this address (of the expired link's account, when asked from it).
    The caller answers the same whatever this finds: the page tells nobody whether an address is known."""
    email = email.strip()
    if not email or len(email) > 254:
        return 0
    account_id = None
    if link_token:
        with contextlib.suppress(signing.BadSignature):  # a damaged link: the address alone decides
            account_id = (
                ClientPageLink.objects.filter(token_hash=links.token_check(link_token))
                .values_list("account_id", flat=True)
                .first()
            )
    # Exact or lower-case, so the e-mail index answers (an erased person has no address left to match).
    people = Contact.objects.filter(Q(email=email) | Q(email=email.lower())).select_related("account__manager")
    if account_id is not None:
        people = people.filter(account_id=account_id)
    day = timezone.localdate().isoformat()
    sent = 0
    for contact in people[:5]:
        # At most one requested link a day per person, however often the form is sent.
        if not OutboundMessage.objects.filter(idempotency_key=f"client-page-request:{contact.id}:{day}").exists():
            client_page_send(contact=contact, key=f"client-page-request:{contact.id}:{day}")
            sent += 1
    return sent


def _link_fill(message: OutboundMessage) -> None:
    """Put the page's address into the message at the moment it goes: the link the message was planned with (a
    revoked one stops it), else the person's current one (the weekly type 3 note)."""
    if links.PAGE_PLACEHOLDER not in message.body and links.PAGE_PLACEHOLDER not in message.subject:
        return
    link_id = (message.data or {}).get("client_page_link_id")
    if link_id is None:
        link = client_page_link_current(contact=message.contact)
    else:
        link = ClientPageLink.objects.filter(pk=link_id).first()
        if link is None or link.revoked_at is not None:
            raise PermanentError("The client page link was revoked before the message went.")
    url = links.page_url(links.token_for(link.nonce))
    message.subject = message.subject.replace(links.PAGE_PLACEHOLDER, url)
    message.body = message.body.replace(links.PAGE_PLACEHOLDER, url)


def outbox_hooks_register() -> None:
    for kind in (MessageKind.CLIENT_PAGE, MessageKind.ORDER_ON_TRACK):
        kind_hooks_register(kind, KindHooks(before_send=_link_fill))
