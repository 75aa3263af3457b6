"""Proposals and documents sent through the CRM with a tracked link: opening one is an event (job 7).

For a behaviour type 4 client (emotional, unconfident) the manager is asked to call at once.
"""

import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http.request import validate_host
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from crm.events import ProposalOpened, ProposalSent, publish
from crm.models import BehaviourType, Contact, Task, User
from crm.outreach.documents import Comparison, account_standards, references_for
from crm.outreach.models import MessageKind, TrackedLink
from crm.outreach.services import MessagePlan, message_plan
from crm.services.activity import interaction_log, rule_tasks_open


def document_url_allowed(url: str) -> bool:
    """A tracked link redirects from our own domain, so it may lead only to the document hosts we trust
    (CRM_DOCUMENT_HOSTS, entries like ALLOWED_HOSTS'): otherwise it would be an open redirect for phishing."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        return False
    return parts.scheme in ("https", "http") and bool(host) and validate_host(host, settings.CRM_DOCUMENT_HOSTS)


def document_url_check(url: str) -> None:
    if not document_url_allowed(url):
        raise ValidationError(
            {
                "target_url": _(
                    "Links may lead only to our document storage (%(hosts)s). Upload the document there and "
                    "send its link, or ask an administrator to add its host to CRM_DOCUMENT_HOSTS."
                )
                % {"hosts": ", ".join(settings.CRM_DOCUMENT_HOSTS) or "—"}
            }
        )


@transaction.atomic
def proposal_send(
    *,
    contact: Contact,
    title: str,
    target_url: str,
    acting_user: User | None = None,
    comparison: Comparison | None = None,
) -> TrackedLink:
    """Send a proposal or document through the CRM with a tracked link, and log it on the timeline.

    The message carries the standards of what the account buys and our references (a type 3 client's template
    cites them), and, when given, the comparison of their current cost with our offer (type 2's template)."""
    link = TrackedLink(
        token=secrets.token_urlsafe(16),
        account=contact.account,
        contact=contact,
        title=title,
        target_url=target_url,
        created_by=acting_user,
    )
    link.full_clean()
    document_url_check(target_url)
    link.save()
    url = tracked_link_url(link)
    message_plan(
        MessagePlan(
            key=f"proposal:{link.id}",
            kind=MessageKind.PROPOSAL,
            contact=contact,
            context={
                "link": {"title": title, "url": url},
                "standards": account_standards(contact.account),
                "references": references_for(contact.account, contact.language),
                "comparison": comparison.as_context() if comparison else None,
            },
            data={"link_id": link.id},
        )
    )
    interaction_log(
        account=contact.account,
        contact=contact,
        user=acting_user,
        channel="email",
        direction="outbound",
        subject=(_("Proposal sent: %(title)s") % {"title": title})[:255],
        source="tracked_link",
        external_id=f"sent:{link.id}",
    )
    publish(ProposalSent(account_id=contact.account_id, link_id=link.id, sent_at=link.created_at))
    return link


def tracked_link_url(link: TrackedLink) -> str:
    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("crm_tracked_link", args=[link.token])


@transaction.atomic
def tracked_link_open(*, token: str, now: datetime | None = None) -> TrackedLink | None:
    """Record an opening; the first one is logged, and a type 4 client's manager is asked to call now."""
    now = now or timezone.now()
    updated = TrackedLink.objects.filter(token=token).update(open_count=F("open_count") + 1, last_opened_at=now)
    if not updated:
        return None
    first = TrackedLink.objects.filter(token=token, first_opened_at__isnull=True).update(first_opened_at=now)
    link = TrackedLink.objects.select_related("account__manager", "contact").get(token=token)
    if not first:
        return link
    account = link.account
    interaction_log(
        account=account,
        contact=link.contact,
        channel="portal",
        direction="inbound",
        occurred_at=now,
        subject=(_("Opened: %(title)s") % {"title": link.title})[:255],
        source="tracked_link",
        external_id=f"opened:{link.id}",
    )
    publish(ProposalOpened(account_id=account.id, link_id=link.id, contact_id=link.contact_id, opened_at=now))
    if account.behaviour_type == BehaviourType.EMOTIONAL_UNCONFIDENT and account.manager_id:
        with override(account.manager.language):
            title = _("Call %(name)s now: they opened “%(title)s”") % {
                "name": link.contact.addressed_name,
                "title": link.title,
            }
        rule_tasks_open(
            [
                Task(
                    assignee=account.manager,
                    account=account,
                    title=title[:255],
                    kind=Task.Kind.CALL_BACK,
                    priority=Task.Priority.URGENT,
                    due_at=now + timedelta(minutes=15),
                    created_by_rule="proposal_opened",
                    idempotency_key=f"proposal-opened:{link.id}",
                )
            ]
        )
        message_plan(
            MessagePlan(
                key=f"proposal-opened:{link.id}",
                kind=MessageKind.PROPOSAL_OPENED,
                recipient_user=account.manager,
                account=account,
                context={
                    "link": {"title": link.title, "url": link.target_url},
                    "account": {"name": account.name},
                    "contact": {"name": link.contact.addressed_name},
                    "admin_url": settings.CRM_PUBLIC_BASE_URL.rstrip("/") + f"/admin/crm/account/{account.id}/change/",
                },
            )
        )
    return link
