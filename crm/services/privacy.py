"""A person's data on request: everything we hold about them, and erasing it while the company's figures stay right.

Erasing keeps the rows that make up the metrics (the survey scores, the interactions and calls as events, the
messages as sent) and removes what says who the person is or what they said: names, email, phones, birthday,
free text. The person is opted out of everything, so nothing is ever sent to them again.
"""

from auditlog.context import disable_auditlog
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.events import PersonErased, publish
from crm.models import AccountEvent, Axis, Commitment, Contact, ContactConsent, Interaction, Phone, ServiceRequest
from crm.outreach.models import OutboundMessage, TrackedLink
from crm.outreach.services import contact_unsubscribe
from crm.personal_data import personal_data_parts
from crm.portal.models import ClientPageLink
from crm.services.accounts import account_event_record
from crm.telephony.models import Call

ERASED_NAME = "—"


def _rows(queryset, *fields) -> list[dict]:
    return list(queryset.values(*fields))


def contact_data_export(*, contact: Contact) -> dict:
    """Everything about one person, as JSON-ready data (the admin offers it as a download): the core's rows, then
    each app's part (crm/personal_data.py)."""
    data = {
        "exported_at": timezone.now().isoformat(),
        "person": {field.attname: field.value_from_object(contact) for field in Contact._meta.concrete_fields},
        "phones": _rows(contact.phones.all(), "raw", "number", "extension", "kind", "is_primary"),
        "consents": _rows(contact.consents.all(), "purpose", "channel", "granted", "changed_at", "source"),
        "interactions": _rows(
            Interaction.objects.filter(contact=contact).order_by("occurred_at"),
            "id",
            "channel",
            "direction",
            "occurred_at",
            "duration_seconds",
            "subject",
            "notes",
            "outcome",
        ),
        "calls": _rows(
            Call.objects.filter(contact=contact).order_by("id"),
            "id",
            "direction",
            "from_number",
            "to_number",
            "client_number",
            "status",
        ),
        "promises": _rows(Commitment.objects.filter(contact=contact), "id", "description", "due_at", "status"),
        "service_requests": _rows(
            ServiceRequest.objects.filter(contact=contact), "id", "channel", "subject", "description", "status"
        ),
        "messages": _rows(
            OutboundMessage.objects.filter(contact=contact).order_by("created_at"),
            "kind",
            "channel",
            "subject",
            "body",
            "status",
            "sent_at",
        ),
        "tracked_links": _rows(TrackedLink.objects.filter(contact=contact), "title", "target_url", "first_opened_at"),
        "client_page_links": _rows(
            ClientPageLink.objects.filter(contact=contact), "created_at", "expires_at", "revoked_at", "last_opened_at"
        ),
        "behaviour": {"emotional": contact.emotional, "confident": contact.confident},
    }
    for part in personal_data_parts():
        part.export(contact, data)
    return data


@transaction.atomic
def contact_erase(*, contact: Contact, reason: str, acting_user=None) -> Contact:
    """Anonymise the person on request (a right to erasure): identity and free text go, figures stay. The audit
    trail's record of the person goes too (it holds their old values); the account's history keeps who erased
    them and why. Each app erases its own part (crm/personal_data.py)."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the data is erased, e.g. “the person's request of 2026-12-01”.")})
    phone_ids = [str(pk) for pk in contact.phones.values_list("pk", flat=True)]
    with disable_auditlog():
        contact_unsubscribe(
            contact=contact, purposes=ContactConsent.Purpose.values, channel=ContactConsent.Channel.ANY, source="erased"
        )
        contact.first_name, contact.patronymic, contact.last_name = ERASED_NAME, "", ""
        contact.position = contact.email = contact.telegram_chat_id = ""
        contact.birthday = None
        contact.is_decision_maker = False
        contact.emotional = contact.confident = Axis.UNSURE
        contact.save()
        contact.phones.all().delete()
    for model, pks in ((Contact, [str(contact.pk)]), (Phone, phone_ids)):
        LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), object_pk__in=pks).delete()
    Interaction.objects.filter(contact=contact).update(notes="", outcome="", recording_url="")
    Call.objects.filter(contact=contact).update(from_number="", to_number="", client_number="")
    OutboundMessage.objects.filter(contact=contact).update(body="", subject=ERASED_NAME)
    ClientPageLink.objects.filter(contact=contact).delete()  # their way in to the account's page goes with them
    for part in personal_data_parts():
        part.erase(contact, acting_user)
    account_event_record(
        account=contact.account,
        type=AccountEvent.Type.CONTACT_ERASED,
        acting_user=acting_user,
        contact=contact.id,
        reason=reason[:500],
    )
    publish(PersonErased(account_id=contact.account_id, contact_id=contact.id))
    return contact
