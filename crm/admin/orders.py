from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.contrib.filters.admin import RangeDateTimeFilter

from crm.admin.activity import ExportableAdmin
from crm.admin.mixins import RowLevelAccessMixin
from crm.admin.paginator import EstimatedCountPaginator
from crm.models import DeliveryDateChange, Order, OrderLine, Product, ProductCategory
from crm.outreach.documents import invoice_send, order_confirmation_send
from crm.services.orders import order_changed, order_delivered, order_delivery_date_change, order_record


class OrderForm(forms.ModelForm):
    delivery_change_reason = forms.CharField(
        label=_("Why the delivery date moves"),
        max_length=500,
        required=False,
        help_text=_("Required when you change the promised delivery date: the client will ask."),
    )

    class Meta:
        model = Order
        fields = [
            "account",
            "number",
            "status",
            "amount",
            "currency",
            "ordered_at",
            "promised_delivery_date",
            "delivered_at",
        ]

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.pk
            and "promised_delivery_date" in self.changed_data
            and not cleaned.get("delivery_change_reason", "").strip()
        ):
            self.add_error("delivery_change_reason", _("Say why the delivery date moves: the client will ask."))
        return cleaned


class OrderLineInline(TabularInline):
    """Lines come with the order (API, import); shown read-only, which also spares a query per row."""

    model = OrderLine
    extra = 0
    fields = ["product", "category", "quantity", "unit_price"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product__category")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("category"))
    def category(self, line):
        return line.product.category


class DeliveryDateChangeInline(TabularInline):
    model = DeliveryDateChange
    extra = 0
    fields = ["created_at", "old_date", "new_date", "reason", "acting_user"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("acting_user")


@admin.register(Order)
class OrderAdmin(RowLevelAccessMixin, ExportableAdmin):
    form = OrderForm
    list_display = [
        "number",
        "account",
        "status",
        "amount",
        "currency",
        "ordered_at",
        "promised_delivery_date",
        "delivered_at",
    ]
    list_select_related = ["account"]
    list_filter = ["status", ("ordered_at", RangeDateTimeFilter)]
    list_filter_submit = True
    search_fields = ["=number", "account__name"]
    autocomplete_fields = ["account"]
    inlines = [OrderLineInline, DeliveryDateChangeInline]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = ["send_confirmation", "send_invoice"]

    def _send(self, request, queryset, send):
        sent = 0
        for order in queryset.select_related("account__manager", "account__industry"):
            try:
                send(order=order)
                sent += 1
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), level=messages.WARNING)
        self.message_user(request, _("%(count)s messages are in the outbox (once per order).") % {"count": sent})

    @admin.action(description=_("Send the order confirmation"), permissions=["change"])
    def send_confirmation(self, request, queryset):
        self._send(request, queryset, order_confirmation_send)

    @admin.action(description=_("Send the invoice"), permissions=["change"])
    def send_invoice(self, request, queryset):
        self._send(request, queryset, invoice_send)

    def save_model(self, request, obj, form, change):
        if not change:
            order_record(order=obj)  # the level, zone and journey follow, as for an order from the API
            return
        if change and "promised_delivery_date" in form.changed_data:
            new_date = obj.promised_delivery_date
            obj.promised_delivery_date = form.initial.get("promised_delivery_date")
            super().save_model(request, obj, form, change)
            order_delivery_date_change(
                order=obj,
                new_date=new_date,
                acting_user=request.user,
                reason=form.cleaned_data["delivery_change_reason"],
            )
            obj.refresh_from_db()
            return
        super().save_model(request, obj, form, change)
        if {"status", "ordered_at"} & set(form.changed_data):
            order_changed(order=obj)  # a cancelled order no longer counts towards the client's level
        if "delivered_at" in form.changed_data and obj.delivered_at:
            order_delivered(order=obj)


@admin.register(Product)
class ProductAdmin(ExportableAdmin):
    list_display = ["name", "sku", "category"]
    list_select_related = ["category"]
    list_filter = ["category"]
    search_fields = ["name", "=sku"]


@admin.register(ProductCategory)
class ProductCategoryAdmin(ExportableAdmin):
    list_display = ["name", "margin_percent", "standards"]
    search_fields = ["name"]
