"""The client page in the admin: the links sent (when each was last opened, revoking one), and sending one."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin

from crm.admin.mixins import RowLevelAccessMixin, admin_action_contribute
from crm.models import Contact
from crm.portal.models import ClientPageLink
from crm.portal.services import client_page_links_revoke, client_page_send


@admin.register(ClientPageLink)
class ClientPageLinkAdmin(RowLevelAccessMixin, ModelAdmin):
    list_display = [
        "contact",
        "account",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "last_opened_at",
        "open_count",
    ]
    list_select_related = ["contact", "account", "created_by"]
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["account__name", "contact__last_name", "contact__email"]
    readonly_fields = list_display
    fields = list_display
    show_full_result_count = False
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a link is made by sending it (Contacts → Send the client page link)

    @admin.action(description=_("Revoke: the link stops opening the page"), permissions=["change"])
    def revoke(self, request, queryset):
        count = client_page_links_revoke(queryset)
        self.message_user(
            request, ngettext("%(count)s link revoked.", "%(count)s links revoked.", count) % {"count": count}
        )


@require_POST
def client_page_send_view(request, contact_id: int):
    """From the client card: a new link to this person's page, through the outbox."""
    contact = get_object_or_404(
        Contact.objects.for_user(request.user).select_related("account__manager"), pk=contact_id
    )
    client_page_send(contact=contact, acting_user=request.user)
    messages.success(
        request, _("The client page link is in the outbox for %(name)s.") % {"name": contact.addressed_name}
    )
    return redirect("admin:crm_account_change", contact.account_id)


@admin.action(description=_("Send the client page link"), permissions=["change"])
def send_client_page(modeladmin, request, queryset):
    """A new link to each selected person, through the outbox (their language, opt-outs and sending hours)."""
    people = list(queryset.select_related("account__manager"))
    for contact in people:
        client_page_send(contact=contact, acting_user=request.user)
    modeladmin.message_user(
        request,
        ngettext(
            "The client page link is in the outbox for %(count)s person.",
            "The client page link is in the outbox for %(count)s people.",
            len(people),
        )
        % {"count": len(people)},
    )


admin_action_contribute(Contact, send_client_page)
