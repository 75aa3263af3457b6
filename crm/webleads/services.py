"""Web-to-lead: a site's form becomes a lead, with the campaign that brought it, or a new touch of a known person.

No CAPTCHA service: a signed form token (issued when the form loads, good from 2 seconds to a day, one lead per
token), a honeypot field people never see, and a per-address rate limit (the view) keep bots out.
"""

import hashlib
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
from crm.phones import phone_try_normalize
from crm.services.accounts import account_create, contact_consent_set, contact_create
from crm.services.activity import interaction_log, task_create, task_title
from crm.webleads.models import LeadRoute, WebLead

_SIGNER = signing.Signer(salt="crm.webleads.form")
TOKEN_MIN_AGE = 2  # seconds: a person takes longer than that to fill in a form
TOKEN_MAX_AGE = 24 * 3600
HONEYPOT = "website"  # hidden from people by the form's style; a bot that fills every field fills it
SITE_SOURCE = "Сайт"  # the lead source of a lead with no UTM tags


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


def web_lead_capture(*, data) -> Captured:
    """Validate a submitted form and make the lead. Raises LeadRefused with what to fix, per field."""
    if data.get(HONEYPOT):
        raise LeadRefused({HONEYPOT: _("This field must stay empty: it is there to catch robots.")})
    form = WebLeadForm(data)
    if not form.is_valid():
        raise LeadRefused({field: " ".join(errors) for field, errors in form.errors.items()})
    fields = form.cleaned_data
    key = _token_key(fields["token"])
    if (done := WebLead.objects.filter(key=key).first()) is not None:
        return Captured(done, False)
    try:
        with transaction.atomic():
            return Captured(_lead_make(key, fields), True)
    except IntegrityError:  # the same form twice at the same moment: the other one made it
        done = WebLead.objects.filter(key=key).first()
        if done is None:
            raise
        return Captured(done, False)


def _known_person(phone: str, email: str) -> Contact | None:
    if phone:
        found = Phone.objects.filter(number=phone).select_related("contact__account__manager").order_by("id").first()
        if found is not None:
            return found.contact
    if email:
        return (
            Contact.objects.filter(email__iexact=email)  # an index on UPPER(email) serves it
            .select_related("account__manager")
            .order_by("id")
            .first()
        )
    return None


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


def _lead_make(key: str, fields: dict) -> WebLead:
    now = timezone.now()
    tags = {name: fields[name] for name in ("utm_source", "utm_medium", "utm_campaign")}
    source = lead_source_for(**tags)
    contact = _known_person(fields["phone"], fields["email"])
    new_account = contact is None
    if new_account:
        wanted = fields["industry"].casefold()  # in Python: SQLite compares only ASCII letters without case
        industry = next((i for i in Industry.objects.all() if wanted and i.name.casefold() == wanted), None)
        manager = _route(industry, fields["region"])
        account = account_create(
            name=(fields["company"] or fields["name"])[:255],
            manager=manager,  # None: the unassigned queue
            status=Account.Status.PROSPECT,
            lead_source=source,
            industry=industry,
        )
        name = person_name_split(fields["name"])
        contact = contact_create(
            account=account,
            first_name=name.first_name[:100] or "?",
            patronymic=name.patronymic[:100],
            last_name=name.last_name[:100],
            email=fields["email"],
            phones=[fields["phone"]] if fields["phone"] else [],
        )
    account = contact.account
    where = fields["landing_page"][:150] or _("the site's form")
    contact_consent_set(
        contact=contact,
        purpose=ContactConsent.Purpose.SERVICE,
        granted=True,
        source=(_("web form: %(page)s") % {"page": where})[:200],
    )
    comment = fields["comment"]
    interaction_log(
        account=account,
        contact=contact,
        user=account.manager,
        channel=Interaction.Channel.PORTAL,
        direction=Interaction.Direction.INBOUND,
        occurred_at=now,
        subject=(_("Request from the site: %(name)s") % {"name": fields["name"]})[:255],
        notes=comment,
        source="web-lead",
        external_id=key,
    )
    task_create(
        title=task_title(account.manager, gettext_noop("Answer the site's request from %(name)s"), name=fields["name"]),
        assignee=account.manager,
        account=account,
        kind=Task.Kind.CALL_BACK,
        priority=Task.Priority.HIGH,
        due_at=now + timedelta(hours=2),
        description=comment,
    )
    return WebLead.objects.create(
        key=key,
        contact=contact,
        account=account,
        lead_source=source,
        new_account=new_account,
        **{name: fields[name] for name in _KEPT},
    )


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
