"""The kinds of message (crm/outreach/models.py keeps them on each message and template; the rendering gives each
its variables)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    """Why a message is sent: each kind has its template, its variables and its "does it still hold" rule."""

    MAINTENANCE_DUE = "maintenance_due", _("Maintenance due")
    EQUIPMENT_ALERT = "equipment_alert", _("We saw a problem with your equipment")
    DELIVERY_MOVED = "delivery_moved", _("Delivery date moved")
    DELIVERY_AT_RISK = "delivery_at_risk", _("Delivery at risk")
    ORDER_ON_TRACK = "order_on_track", _("Long order on track")
    BIRTHDAY = "birthday", _("Birthday greeting")
    THANKS = "thanks", _("Thank you for working with us")
    HOLIDAY = "holiday", _("Professional holiday greeting")
    CAMPAIGN = "campaign", _("Training and tips campaign")
    PROPOSAL = "proposal", _("Proposal or document")
    ORDER_CONFIRMATION = "order_confirmation", _("Order confirmation")
    INVOICE = "invoice", _("Invoice")
    CLIENT_PAGE = "client_page", _("Your client page")
    SURVEY_INVITATION = "survey_invitation", _("Survey invitation")
    SURVEY_REMINDER = "survey_reminder", _("Survey reminder")
    FEEDBACK_DONE = "feedback_done", _("You asked, we did")
    # To our own people.
    PROMISE_DUE = "promise_due", _("Promise due soon")
    PROMISE_OVERDUE = "promise_overdue", _("Promise overdue")
    PROPOSAL_OPENED = "proposal_opened", _("Proposal opened: call now")
    CASE_OPENED = "case_opened", _("Feedback case opened")
    CASE_OVERDUE = "case_overdue", _("Feedback case overdue")
    ZONE_RED = "zone_red", _("Account fell into the red zone")
    ZONE_DIGEST = "zone_digest", _("The day's zone changes")
