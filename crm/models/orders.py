from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.access import account_access_q
from crm.models.accounts import Account
from crm.models.base import TimeStampedModel


class ProductCategory(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    margin_percent = models.DecimalField(
        _("gross margin, %"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("What is left of a sale in this category after its cost; empty: the company's margin."),
    )
    standards = models.CharField(
        _("standards (GOST, TU)"),
        max_length=255,
        blank=True,
        default="",
        db_default="",
        help_text=_(
            "The standards the products meet, e.g. “ГОСТ 8732-78; ТУ 14-3-1128-2000”: order "
            "confirmations, proposals and invoices cite them."
        ),
    )

    class Meta:
        verbose_name = _("product category")
        verbose_name_plural = _("product categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    name = models.CharField(_("name"), max_length=255)
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    category = models.ForeignKey(
        ProductCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="products"
    )

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self):
        return self.name


class OrderQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(account_access_q(user, prefix="account__"))

    def open(self):
        return self.exclude(status__in=[Order.Status.DELIVERED, Order.Status.CANCELLED])


class Order(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed")
        IN_PRODUCTION = "in_production", _("In production")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CANCELLED = "cancelled", _("Cancelled")

    account = models.ForeignKey(Account, verbose_name=_("account"), on_delete=models.CASCADE, related_name="orders")
    number = models.CharField(_("number"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="RUB")
    ordered_at = models.DateTimeField(_("ordered at"))
    promised_delivery_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    extra_confirmation = models.BooleanField(
        _("confirm the date again"),
        default=False,
        db_default=False,
        help_text=_("Set when the client's previous delivery was moved: confirm this one's date with them."),
    )

    objects = OrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-ordered_at", "-id"]
        indexes = [models.Index(fields=["account", "-ordered_at"], name="order_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=Decimal(0)), name="order_amount_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="order_currency_iso_4217"),
        ]

    def __str__(self):
        return self.number

    @property
    def is_delivery_late(self) -> bool:
        if not self.promised_delivery_date:
            return False
        delivered_on = timezone.localdate(self.delivered_at) if self.delivered_at else timezone.localdate()
        return delivered_on > self.promised_delivery_date


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
        ]

    def __str__(self):
        return f"{self.product} × {self.quantity}"


class DeliveryDateChange(models.Model):
    """Every move of an order's promised delivery date, so "last time it was moved" is answerable."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="delivery_date_changes")
    old_date = models.DateField(_("old date"), null=True, blank=True)
    new_date = models.DateField(_("new date"))
    reason = models.CharField(_("reason"), max_length=500)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery date change")
        verbose_name_plural = _("delivery date changes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["order", "-created_at"], name="delivery_change_order_idx")]

    def __str__(self):
        return f"{self.order_id}: {self.old_date} → {self.new_date}"

    @property
    def days_moved(self) -> int | None:
        return (self.new_date - self.old_date).days if self.old_date else None
