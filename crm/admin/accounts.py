import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ExportMixin
from unfold.admin import ModelAdmin, TabularInline
from unfold.contrib.filters.admin import RelatedDropdownFilter
from unfold.contrib.import_export.forms import ExportForm

from crm.access import account_managers_q, assignable_managers_q
from crm.admin.imports import ImportFromFileMixin
from crm.admin.mixins import (
    AppendOnlyAdminMixin,
    ContributedActionsMixin,
    FormulaSafeExportMixin,
    RowLevelAccessMixin,
    UserScopedResourceMixin,
)
from crm.admin.paginator import EstimatedCountPaginator
from crm.models import (
    Account,
    AccountEvent,
    BehaviourType,
    Commitment,
    Contact,
    ContactConsent,
    ImportJob,
    Industry,
    Interaction,
    LeadSource,
    LeadSourceCost,
    Phone,
    User,
    Zone,
)
from crm.phones import phone_normalize, phone_try_normalize
from crm.resources import AccountResource, ContactResource
from crm.selectors import account_client_card
from crm.services.accounts import (
    account_create,
    account_manager_check,
    account_update,
    contact_create,
    contact_update,
)
from crm.services.privacy import contact_data_export, contact_erase
from crm.telephony.models import TrackingNumber


def extra_data_display(obj) -> str:
    """What another system kept on the record (crm/moving_in): each field on its own line; read, not edited."""
    if not obj or not obj.extra:
        return "—"
    return format_html_join(mark_safe("<br>"), "<strong>{}</strong>: {}", sorted(obj.extra.items()))


class WhoseAccountsFilter(admin.SimpleListFilter):
    """ "My accounts" unless the user asks for more: a manager lands on their own list."""

    title = _("whose")
    parameter_name = "whose"

    def __init__(self, request, params, model, model_admin):
        self.manages_accounts = request.user.managed_accounts.exists()
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        choices = [("mine", _("My accounts"))]
        if request.user.headed_department_ids:
            choices.append(("department", _("My department")))
        choices += [("unassigned", _("Unassigned queue")), ("all", _("All I can see"))]
        return choices

    def value(self):
        # People who manage no accounts themselves (a head of CX, an admin) start from all they can see.
        if super().value():
            return super().value()
        return "mine" if self.manages_accounts else "all"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        match self.value():
            case "mine":
                return queryset.filter(manager=request.user)
            case "department":
                return queryset.filter(manager__department_id__in=request.user.headed_department_ids)
            case "unassigned":
                return queryset.filter(manager__isnull=True)
        return queryset


def _open_commitments(**extra):
    rows = Commitment.objects.filter(account=OuterRef("pk"), status=Commitment.Status.OPEN, **extra)
    return Coalesce(
        Subquery(rows.order_by().values("account").annotate(n=Count("id")).values("n"), output_field=IntegerField()),
        0,
    )


class ManagerDropdownFilter(RelatedDropdownFilter):
    """The people who manage accounts, not every user (the administrator, a service account of the API)."""

    def field_choices(self, field, request, model_admin):
        managers = User.objects.filter(account_managers_q()).values("pk")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": managers}, ordering=ordering)


def _label(choices, value) -> str:
    """What get_FOO_display() says, at the cost of one translation: Django's hashes every choice's label to find
    one, a translation each (some 550 a page of 50 accounts)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


ZONE_SHORT = {Zone.GREEN: _("green"), Zone.YELLOW: _("yellow"), Zone.RED: _("red"), Zone.GREY: _("grey")}


class AccountForm(forms.ModelForm):
    # acting_user: the request's user, which AccountAdmin.get_form sets on the class it makes for each request.
    # No default: None would mean "the system itself", which may do anything.

    def clean_manager(self):
        manager = self.cleaned_data.get("manager")
        # Whom one may choose, the field's choices say (formfield_for_foreignkey). Emptying it puts an account in
        # the queue, which only those who see the queue may do; a new account left empty goes to its creator.
        if manager is None and self.instance.pk and "manager" in self.changed_data:
            try:
                account_manager_check(acting_user=self.acting_user, manager=manager)
            except ValidationError as error:
                raise ValidationError(error.message_dict["manager"]) from None
        return manager


@admin.register(Account)
class AccountAdmin(
    ContributedActionsMixin,
    RowLevelAccessMixin,
    ImportFromFileMixin,
    UserScopedResourceMixin,
    FormulaSafeExportMixin,
    ExportMixin,
    ModelAdmin,
):
    resource_classes = [AccountResource]
    form = AccountForm
    import_kind = ImportJob.Kind.ACCOUNTS
    export_form_class = ExportForm
    list_display = [
        "name",
        "manager",
        "status_badge",
        "zone_badge",
        "behaviour_badge",
        "level",
        "open_promises",
        "last_contact",
    ]
    list_select_related = ["manager", "industry"]
    list_filter = [
        WhoseAccountsFilter,
        "status",
        "zone",
        "behaviour_type",
        "level",
        ("industry", RelatedDropdownFilter),
        ("lead_source", RelatedDropdownFilter),
        ("manager", ManagerDropdownFilter),
    ]
    list_filter_submit = True
    search_fields = ["name", "legal_name"]  # and the INN and phones: get_search_results
    search_help_text = _("Name, INN or a contact's phone in any format")
    autocomplete_fields = ["manager", "referred_by", "industry", "lead_source"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Outside the account form: the card holds forms of its own (click to call), and a form inside a form
    # would close the account form early, leaving its fields out of it.
    change_form_outer_before_template = "crm/admin/client_card.html"
    fieldsets = [
        (_("Account"), {"fields": ["name", "legal_name", "inn", "industry", "size", "status"]}),
        (_("Relationship"), {"fields": ["manager", "lead_source", "referred_by", "behaviour_type_set"]}),
        (_("Messages"), {"fields": ["time_zone", "weekly_order_updates", "thanks_every_days"]}),
        (_("Surveys"), {"fields": ["survey_cadence_days", "survey_day"]}),
        (_("Extra data"), {"fields": ["extra_data"], "classes": ["collapse"]}),
    ]
    readonly_fields = ["extra_data"]

    @admin.display(description=_("from another system"))
    def extra_data(self, obj):
        return extra_data_display(obj)

    class Media:
        css = {"all": ["crm/crm.css"]}
        js = ["crm/card.js"]

    def get_queryset(self, request):
        # The client card shows these; without the join each one is a query of its own, when set.
        queryset = super().get_queryset(request).select_related("manager", "industry", "lead_source", "referred_by")
        if request.resolver_match and request.resolver_match.url_name == "crm_account_changelist":
            now = timezone.now()
            queryset = queryset.annotate(
                open_commitments_count=_open_commitments(),
                overdue_commitments_count=_open_commitments(due_at__lt=now),
                last_interaction_at=Subquery(
                    Interaction.objects.filter(account=OuterRef("pk"))
                    .order_by("-occurred_at")
                    .values("occurred_at")[:1]
                ),
            )
        return queryset

    def get_search_results(self, request, queryset, search_term):
        """A part of the name or the legal name (trigram indexes on PostgreSQL, migration crm 0040), or an INN, or a
        contact's phone in any writing. The INN and the phone are looked up first, by their indexes, and their
        accounts joined by id: an `OR id IN (subquery)` would make PostgreSQL read every account."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        found = Q(inn=term) if term.isdigit() else Q()
        if number := phone_try_normalize(term):
            by_phone = Phone.objects.filter(number=number).values_list("contact__account_id", flat=True)
            found |= Q(pk__in=list(by_phone[:200]))
        if found:
            queryset = queryset | self.get_queryset(request).filter(found)
        return queryset, may_have_duplicates

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return format_html(
            '<span class="crm-badge crm-badge--{}">{}</span>', obj.status, _label(Account.Status, obj.status)
        )

    @admin.display(description=_("zone"), ordering="zone")
    def zone_badge(self, obj):
        """The colour in a word, what it means on hover: a badge that fits its column."""
        label = _label(Zone, obj.zone)
        return format_html(
            '<span class="crm-badge crm-zone--{}" title="{}">{}</span>',
            obj.zone,
            label,
            ZONE_SHORT.get(obj.zone, label),
        )

    @admin.display(description=_("behaviour type"), ordering="behaviour_type")
    def behaviour_badge(self, obj):
        if not obj.behaviour_type:
            return "—"
        return format_html(
            '<span class="crm-badge" title="{}">{}</span>',
            _label(BehaviourType, obj.behaviour_type),
            _("type %(n)s") % {"n": obj.behaviour_type},
        )

    @admin.display(description=_("promises"))
    def open_promises(self, obj):
        if obj.overdue_commitments_count:
            return format_html(
                '{} <span class="crm-badge crm-badge--overdue">{}</span>',
                obj.open_commitments_count,
                ngettext("%(n)s overdue", "%(n)s overdue", obj.overdue_commitments_count)
                % {"n": obj.overdue_commitments_count},
            )
        return obj.open_commitments_count

    @admin.display(description=_("last contact"), ordering="last_interaction_at")
    def last_contact(self, obj):
        return obj.last_interaction_at and date_format(timezone.localtime(obj.last_interaction_at), "SHORT_DATE_FORMAT")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)  # a class of its own each call: the user stays on it
        form.acting_user = request.user
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "manager":  # the same rule as account_manager_check, so the form says it first
            kwargs["queryset"] = User.objects.filter(assignable_managers_q(request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            account_update(account=Account.objects.get(pk=obj.pk), acting_user=request.user, **fields)
        else:
            saved = account_create(acting_user=request.user, **form.cleaned_data)
            obj.pk = saved.pk

    def get_object(self, request, object_id, from_field=None):
        """Once per page view: the card reads the account before the form does (a GET only; a POST's form
        changes its instance)."""
        if request.method != "GET":
            return super().get_object(request, object_id, from_field)
        key = (object_id, from_field)
        if getattr(request, "_crm_account", (None,))[0] != key:
            request._crm_account = (key, super().get_object(request, object_id, from_field))
        return request._crm_account[1]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        account = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if account is not None:
            card = account_client_card(account=account, timeline_page=request.GET.get("timeline", 1))
            card_url = reverse("admin:crm_account_change", args=[account.pk])
            extra_context.update(
                card=card,
                card_url=card_url,
                quick_links={
                    "interaction": f"{reverse('admin:crm_interaction_add')}?account={account.pk}&next={card_url}",
                    "wow": f"{reverse('admin:crm_interaction_add')}?account={account.pk}&wow=1&next={card_url}",
                    "commitment": f"{reverse('admin:crm_commitment_add')}?account={account.pk}&next={card_url}",
                    "task": f"{reverse('admin:crm_task_add')}?account={account.pk}&next={card_url}",
                    "contact": f"{reverse('admin:crm_contact_add')}?account={account.pk}&next={card_url}",
                },
            )
        return super().change_view(request, object_id, form_url, extra_context)


class PhoneInlineForm(forms.ModelForm):
    class Meta:
        model = Phone
        fields = ["raw", "kind", "is_primary"]

    def clean_raw(self):
        normalized = phone_normalize(self.cleaned_data["raw"])
        self.instance.number, self.instance.extension = normalized.e164, normalized.extension
        return self.cleaned_data["raw"].strip()


class PhoneInline(TabularInline):
    model = Phone
    form = PhoneInlineForm
    extra = 1
    fields = ["raw", "number", "extension", "kind", "is_primary"]
    readonly_fields = ["number", "extension"]


class ConsentInline(TabularInline):
    model = ContactConsent
    extra = 0
    fields = ["purpose", "channel", "granted", "changed_at", "source"]


@admin.register(Contact)
class ContactAdmin(
    ContributedActionsMixin,
    RowLevelAccessMixin,
    ImportFromFileMixin,
    UserScopedResourceMixin,
    FormulaSafeExportMixin,
    ExportMixin,
    ModelAdmin,
):
    resource_classes = [ContactResource]
    import_kind = ImportJob.Kind.CONTACTS
    export_form_class = ExportForm
    list_display = ["full_name", "account", "position", "is_decision_maker", "email", "language"]
    list_select_related = ["account"]
    list_filter = ["is_decision_maker", "language", ("email_bounced_at", admin.EmptyFieldListFilter)]
    search_fields = ["last_name", "first_name", "email", "account__name"]
    search_help_text = _("Name, email, account or a phone in any format")
    autocomplete_fields = ["account"]
    inlines = [PhoneInline, ConsentInline]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = ["behaviour_suggested", "email_delivery", "extra_data"]
    exclude = ["extra"]
    own_actions = ["export_personal_data", "erase_personal_data"]

    @admin.display(description=_("extra data"))
    def extra_data(self, obj):
        return extra_data_display(obj)

    @admin.display(description=_("e-mail delivery"))
    def email_delivery(self, obj):
        if obj.pk is None:
            return "—"
        events = list(obj.email_events.order_by("-occurred_at", "-id")[:5])
        lines = [
            format_html(
                "{} · {}{}",
                date_format(timezone.localtime(event.occurred_at), "SHORT_DATETIME_FORMAT"),
                event.get_kind_display(),
                f" · {event.detail}" if event.detail else "",
            )
            for event in events
        ]
        warning = (
            format_html(
                '<strong class="crm-warn">{}</strong><br>',
                _("Bounced on %(date)s (%(reason)s): no mail goes to this address until you change it.")
                % {"date": date_format(obj.email_bounced_at, "SHORT_DATE_FORMAT"), "reason": obj.email_bounce_reason},
            )
            if obj.email_bounced_at
            else ""
        )
        if not lines and not warning:
            return _("No reports from the sending platform yet.")
        return format_html("{}{}", warning, format_html("<br>".join(["{}"] * len(lines)), *lines))

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        if change:
            contact_update(contact=Contact.objects.get(pk=obj.pk), acting_user=request.user, **fields)
        else:
            obj.pk = contact_create(**form.cleaned_data).pk

    @admin.display(description=_("suggested by the lexicons"))
    def behaviour_suggested(self, obj):
        suggestion = getattr(obj, "behaviour_suggestion", None) if obj.pk else None
        if suggestion is None:
            return _("Nothing in this person's notes or answers points either way yet.")
        return render_to_string("segments/admin/behaviour_suggestion.html", {"suggestion": suggestion})

    @admin.action(description=_("Export all data about the person (JSON)"), permissions=["view"])
    def export_personal_data(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Export one person at a time."), messages.WARNING)
            return None
        contact = queryset.get()
        response = HttpResponse(
            json.dumps(contact_data_export(contact=contact), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="person-{contact.pk}.json"'
        return response

    @admin.action(description=_("Erase the person's data on request…"), permissions=["delete"])
    def erase_personal_data(self, request, queryset):
        """A confirmation page first: the reason is kept in the account's history."""
        reason = request.POST.get("erase_reason", "").strip()
        if "erase_reason" in request.POST and reason:
            for contact in queryset:
                contact_erase(contact=contact, reason=reason, acting_user=request.user)
            self.message_user(request, _("Erased: %(count)d people.") % {"count": queryset.count()})
            return None
        return TemplateResponse(
            request,
            "crm/admin/erase_contacts.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Erase personal data"),
                "contacts": queryset,
                "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                "missing_reason": "erase_reason" in request.POST,
                "opts": self.model._meta,
            },
        )

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        number = phone_try_normalize(search_term)
        if number:
            queryset = queryset | self.get_queryset(request).filter(phones__number=number)
            may_have_duplicates = True
        return queryset, may_have_duplicates

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.full_name


@admin.register(Industry)
class IndustryAdmin(ModelAdmin):
    search_fields = ["name"]


class TrackingNumberInline(TabularInline):
    """Call tracking: the numbers the source's campaigns publish (crm/telephony)."""

    model = TrackingNumber
    extra = 1
    fields = ["number", "note"]


@admin.register(LeadSource)
class LeadSourceAdmin(ModelAdmin):
    list_display = ["name", "utm_source", "utm_medium", "utm_campaign"]
    search_fields = ["name", "utm_source", "utm_campaign"]
    inlines = [TrackingNumberInline]


@admin.register(LeadSourceCost)
class LeadSourceCostAdmin(ModelAdmin):
    list_display = ["lead_source", "period_start", "period_end", "amount"]
    list_select_related = ["lead_source"]
    list_filter = [("lead_source", RelatedDropdownFilter)]
    autocomplete_fields = ["lead_source"]


@admin.register(AccountEvent)
class AccountEventAdmin(AppendOnlyAdminMixin, ModelAdmin):
    list_display = ["created_at", "account", "type", "acting_user"]
    list_select_related = ["account", "acting_user"]
    list_filter = ["type"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_queryset(self, request):
        return super().get_queryset(request).filter(account__in=Account.objects.for_user(request.user).values("pk"))
