"""Web-to-lead: a site's form becomes a lead, with the campaign that brought it, or a new touch of a known person.

No CAPTCHA service: a signed form token (issued when the form loads, good from 2 seconds to a day, one lead per
token), a honeypot field people never see, and a per-address rate limit (the view) keep bots out.
"""

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from crm.models import Account, Contact, ContactConsent, Industry, Interaction, LeadSource, Phone, Task
from crm.names import person_name_split
from crm.outreach.services import enqueue_after_commit
from crm.phones import phone_try_normalize
from crm.services.accounts import account_create, contact_consent_set, contact_create
from crm.services.activity import interaction_log, task_create, task_title
from crm.webleads.models import LeadRoute, WebLead

_SIGNER = signing.Signer(salt="crm.webleads.form")
TOKEN_MIN_AGE = 2  # seconds: a person takes longer than that to fill in a form
TOKEN_MAX_AGE = 24 * 3600
HONEYPOT = "website"  # hidden from people by the form's style; a bot that fills every field fills it
SITE_SOURCE = "Сайт"  # the lead source of a lead with no UTM tags
logger = logging.getLogger(__name__)


class LeadRefused(ValueError):
    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in fields.items()))
        self.fields = fields


def web_form_token() -> str:
    return _SIGNER.sign(f"{secrets.token_urlsafe(12)}.{int(time.time())}")


def _token_key(token: str) -> str:
    """The token's digest, or LeadRefused for a forged, too old or too fresh one."""
    try:
        nonce, issued = _SIGNER.unsign(token).rsplit(".", 1)
        age = time.time() - int(issued)
    except (signing.BadSignature, ValueError, TypeError):
        raise LeadRefused(
            {"token": _("The form is not ours or was changed: reload the page and send it again.")}
        ) from None
    if age > TOKEN_MAX_AGE:
        raise LeadRefused({"token": _("The form is more than a day old: reload the page and send it again.")})
    if age < TOKEN_MIN_AGE:
        raise LeadRefused(
            {"token": _("The form was sent faster than a person types: wait a moment and send it again.")}
        )
    return hashlib.sha256(nonce.encode()).hexdigest()


class WebLeadForm(forms.Form):
    token = forms.CharField(max_length=200)
    name = forms.CharField(max_length=200)
    company = forms.CharField(max_length=255, required=False)
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)
    comment = forms.CharField(max_length=5000, required=False)
    consent = forms.BooleanField(
        error_messages={"required": gettext_lazy("Tick the box to agree that we store your details and contact you.")}
    )
    region = forms.CharField(max_length=100, required=False)
    industry = forms.CharField(max_length=200, required=False)
    utm_source = forms.CharField(max_length=200, required=False)
    utm_medium = forms.CharField(max_length=200, required=False)
    utm_campaign = forms.CharField(max_length=200, required=False)
    utm_content = forms.CharField(max_length=200, required=False)
    utm_term = forms.CharField(max_length=200, required=False)
    referrer = forms.CharField(max_length=2000, required=False)
    landing_page = forms.CharField(max_length=2000, required=False)
    ym_client_id = forms.CharField(max_length=64, required=False)
    ga_client_id = forms.CharField(max_length=64, required=False)

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if raw and (number := phone_try_normalize(raw)) is None:
            raise ValidationError(_("This is not a phone number we can call: write it with the area code."))
        return number if raw else ""

    def clean(self):
        data = super().clean()
        if (
            not data.get("phone")
            and not data.get("email")
            and not self.has_error("phone")
            and not self.has_error("email")
        ):
            raise ValidationError(_("Leave a phone number or an e-mail address, so that we can answer."))
        return data


@dataclass(frozen=True)
class Captured:
    lead: WebLead
    created: bool  # False: this form was sent before, nothing new was made


PROCESS_TASK = "crm.web_leads_process"


def web_lead_capture(*, data) -> Captured:
    """Validate a submitted form and store it (one insert); a worker makes the lead seconds later, so the visitor
    never waits for it. Raises LeadRefused with what to fix, per field."""
    if data.get(HONEYPOT):
        raise LeadRefused({HONEYPOT: _("This field must stay empty: it is there to catch robots.")})
    form = WebLeadForm(data)
    if not form.is_valid():
        raise LeadRefused({field: " ".join(errors) for field, errors in form.errors.items()})
    fields = form.cleaned_data
    lead = WebLead(
        key=_token_key(fields["token"]), industry=fields["industry"], **{name: fields[name] for name in _KEPT}
    )
    try:
        with transaction.atomic():
            lead.save(force_insert=True)
    except IntegrityError:  # this form (its token) was sent before: a double click or a retry
        return Captured(WebLead.objects.get(key=lead.key), False)
    enqueue_after_commit(PROCESS_TASK)
    return Captured(lead, True)


def web_leads_process(*, batch_size: int = 100) -> int:
    """Make the leads of the forms stored and not yet acted on, oldest first. The rows are locked without skipping,
    so two workers take turns: two forms of one new person never make two accounts."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                WebLead.objects.filter(processed_at__isnull=True).select_for_update().order_by("id")[:batch_size]
            )
            if not batch:
                return done
            for lead in batch:
                try:
                    with transaction.atomic():
                        _lead_make(lead)
                except Exception:  # kept with its data, on the list of web leads, for a person to look at
                    logger.exception("Web lead %s could not be made; it is kept, marked done", lead.id)
                    lead.processed_at = timezone.now()
                    WebLead.objects.filter(pk=lead.pk).update(processed_at=lead.processed_at)
            done += len(batch)


def _known_person(phone: str, email: str) -> Contact | None:
    """The person with this phone, else this e-mail (any case); the oldest when several. No ORDER BY in the lookups:
    with LIMIT it would walk the primary key of two million people instead of the index on the number or e-mail."""
    ids = list(Phone.objects.filter(number=phone).order_by().values_list("contact_id", flat=True)[:50]) if phone else []
    if not ids and email:
        ids = list(Contact.objects.filter(email__iexact=email).order_by().values_list("id", flat=True)[:50])
    return Contact.objects.select_related("account__manager").get(pk=min(ids)) if ids else None


def lead_source_for(*, utm_source: str, utm_medium: str, utm_campaign: str) -> LeadSource:
    """The source with these UTM tags (made on first sight, named after them), or the site's own source."""
    if not utm_source:
        return LeadSource.objects.get_or_create(name=SITE_SOURCE)[0]
    tags = {"utm_source": utm_source, "utm_medium": utm_medium, "utm_campaign": utm_campaign}
    source = LeadSource.objects.filter(**tags).first()
    if source is None:
        name = " / ".join(tag for tag in tags.values() if tag)[:200]
        try:
            with transaction.atomic():
                source = LeadSource.objects.create(name=name, **tags)
        except IntegrityError:  # that name or those tags were taken meanwhile
            source = LeadSource.objects.filter(Q(**tags) | Q(name=name)).first()
    return source


def _route(industry, region: str):
    for route in LeadRoute.objects.select_related("manager").filter(manager__is_active=True):
        if (route.industry_id is None or route.industry_id == (industry.id if industry else None)) and (
            not route.region or route.region.casefold() == region.casefold()
        ):
            return route.manager
    return None


def _lead_make(lead: WebLead) -> None:
    now = timezone.now()
    source = lead_source_for(utm_source=lead.utm_source, utm_medium=lead.utm_medium, utm_campaign=lead.utm_campaign)
    contact = _known_person(lead.phone, lead.email)
    new_account = contact is None
    if new_account:
        wanted = lead.industry.casefold()  # in Python: SQLite compares only ASCII letters without case
        industry = next((i for i in Industry.objects.all() if wanted and i.name.casefold() == wanted), None)
        account = account_create(
            name=(lead.company or lead.name)[:255],
            manager=_route(industry, lead.region),  # None: the unassigned queue
            status=Account.Status.PROSPECT,
            lead_source=source,
            industry=industry,
        )
        name = person_name_split(lead.name)
        contact = contact_create(
            account=account,
            first_name=name.first_name[:100] or "?",
            patronymic=name.patronymic[:100],
            last_name=name.last_name[:100],
            email=lead.email,
            phones=[lead.phone] if lead.phone else [],
        )
    account = contact.account
    where = lead.landing_page[:150] or _("the site's form")
    contact_consent_set(
        contact=contact,
        purpose=ContactConsent.Purpose.SERVICE,
        granted=True,
        source=(_("web form: %(page)s") % {"page": where})[:200],
        at=lead.submitted_at,
    )
    interaction_log(
        account=account,
        contact=contact,
        user=account.manager,
        channel=Interaction.Channel.PORTAL,
        direction=Interaction.Direction.INBOUND,
        occurred_at=lead.submitted_at,
        subject=(_("Request from the site: %(name)s") % {"name": lead.name})[:255],
        notes=lead.comment,
        source="web-lead",
        external_id=lead.key,
    )
    task_create(
        title=task_title(account.manager, gettext_noop("Answer the site's request from %(name)s"), name=lead.name),
        assignee=account.manager,
        account=account,
        kind=Task.Kind.CALL_BACK,
        priority=Task.Priority.HIGH,
        due_at=lead.submitted_at + timedelta(hours=2),
        description=lead.comment,
    )
    lead.account, lead.contact, lead.lead_source, lead.new_account, lead.processed_at = (
        account,
        contact,
        source,
        new_account,
        now,
    )
    lead.save(update_fields=["account", "contact", "lead_source", "new_account", "processed_at"])


_KEPT = (
    "name",
    "company",
    "phone",
    "email",
    "comment",
    "region",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_term",
    "referrer",
    "landing_page",
    "ym_client_id",
    "ga_client_id",
)
