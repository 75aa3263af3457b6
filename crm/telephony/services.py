"""Telephony: who is calling, where the call goes, and the call's record as its events arrive."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, IntegrityError, OperationalError, connections, transaction
from django.db import connection as connection_db
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.http import http_url_or_blank
from crm.models import Account, Contact, Department, Interaction, Phone, ResponseTarget, ServiceRequest, Task, User
from crm.phones import phone_try_normalize
from crm.prepared import model_columns, model_from_row, prepared_cursor
from crm.services.activity import interaction_log, rule_tasks_open, task_complete, task_title
from crm.telephony.card import CardRows, caller_card, card_lists, card_rows, card_rows_from
from crm.telephony.click_to_call import ClickToCallError, twilio_place_call, zadarma_place_call
from crm.telephony.models import Call, TelephonyConnection, TrackingNumber
from crm.telephony.webhooks import twilio_callback_url

logger = logging.getLogger(__name__)

MISSED_CALL_RULE = "missed_call"
# The database alias whose session carries the lookup's time budget (config/settings/base.py), on PostgreSQL.
LOOKUP_DATABASE = "telephony"


@dataclass
class Route:
    """Where the call should ring: a user (the account's manager), a department's group, or the fallback."""

    target: str
    reason: str
    user: User | None = None

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "reason": self.reason,
            "user": self.user.id if self.user else None,
            "user_name": (self.user.get_full_name() or self.user.username) if self.user else "",
        }


@dataclass
class Lookup:
    number: str  # E.164, or "" when the number could not be parsed
    contact: Contact | None
    route: Route
    card: dict = field(default_factory=dict)


def call_route(*, connection: TelephonyConnection, contact: Contact | None) -> Route:
    manager = contact.account.manager if contact else None
    if manager is not None and manager.is_active and manager.available_for_calls:
        target = manager.sip_uri or manager.phone_extension
        if target:
            return Route(target=target, reason="manager", user=manager)
    if manager is not None and manager.department and manager.department.call_group:
        return Route(target=manager.department.call_group, reason="department")
    return Route(target=connection.fallback_target, reason="fallback" if contact else "unknown caller")


@cache
def _caller_sql(with_card: bool) -> str:
    """One statement: the person behind the number with their account, its manager and department (every
    column, for whole model instances), and the card's lists when asked. Built once the models are loaded."""
    card = ", " + card_lists(account="a.id")[0] if with_card else ""
    return (
        f"SELECT {model_columns(Contact, 'c')}, {model_columns(Account, 'a')}, {model_columns(User, 'u')}, "  # noqa: S608 (columns from the models, not input)
        f"{model_columns(Department, 'd')}{card} "
        "FROM crm_phone p JOIN crm_contact c ON c.id = p.contact_id JOIN crm_account a ON a.id = c.account_id "
        "LEFT JOIN crm_user u ON u.id = a.manager_id LEFT JOIN crm_department d ON d.id = u.department_id "
        "WHERE p.number = %s ORDER BY c.is_decision_maker DESC, c.id LIMIT 1"
    )


def _caller_find(e164: str, with_card: bool, using: str = DEFAULT_DB_ALIAS) -> tuple[Contact | None, CardRows | None]:
    """The contact for the number (decision makers first), with the card's rows when asked: on PostgreSQL
    one prepared statement on the connection `using`."""
    if connection_db.vendor != "postgresql":
        contact = (
            Contact.objects.filter(phones__number=e164)
            .select_related("account__manager__department")
            .order_by("-is_decision_maker", "id")
            .first()
        )
        return contact, card_rows(contact.account) if contact and with_card else None
    with prepared_cursor(binary=True, using=using) as cursor:  # no jsonb among these models
        cursor.execute(_caller_sql(with_card), [e164])
        row = cursor.fetchone()
    if row is None:
        return None, None
    contact, end = model_from_row(Contact, row)
    account, end = model_from_row(Account, row, end)
    manager, end = model_from_row(User, row, end)
    department, end = model_from_row(Department, row, end)
    if manager is not None:
        manager.department = department
    account.manager = manager
    contact.account = account
    return contact, card_rows_from(row[end:]) if with_card else None


def _caller_find_budgeted(e164: str, with_card: bool) -> tuple[Contact | None, CardRows | None]:
    """_caller_find under CRM_TELEPHONY_LOOKUP_BUDGET_MS on PostgreSQL: past it, OperationalError.

    Inside a transaction the lookup must see that transaction's rows, so it runs there with the budget
    SET LOCAL in a savepoint. Outside one it runs on the LOOKUP_DATABASE connection, whose session carries
    the budget: one round trip instead of four (BEGIN, SET LOCAL, the lookup, COMMIT) on every ringing call.
    """
    if connection_db.vendor != "postgresql":
        return _caller_find(e164, with_card)
    in_callers_transaction = connection_db.in_atomic_block
    if in_callers_transaction or LOOKUP_DATABASE not in connections:
        with transaction.atomic():
            with connection_db.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                    [str(settings.CRM_TELEPHONY_LOOKUP_BUDGET_MS)],
                )
                before = cursor.fetchone()[0]
            found = _caller_find(e164, with_card)
            if in_callers_transaction:
                # A setting made in a savepoint outlives it: the rest of the caller's transaction (a webhook waiting
                # for its call's row lock behind nine retries) would run on the lookup's budget and fail with a 500.
                # Outside one (behind a pooler) the transaction ends here and takes the setting with it.
                with connection_db.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [before])
            return found
    try:
        return _caller_find(e164, with_card, using=LOOKUP_DATABASE)
    except OperationalError:
        lookup_db = connections[LOOKUP_DATABASE]
        if lookup_db.connection is None or not lookup_db.connection.broken:
            raise  # the budget ran out, or no connection could be made
        # This connection has no health check: a database restart is found here, and costs one more try.
        lookup_db.close()
        return _caller_find(e164, with_card, using=LOOKUP_DATABASE)


def caller_lookup(*, connection: TelephonyConnection, number: str, with_card: bool = True) -> Lookup:
    """Normalise the number, find the person with one indexed query, pick the route, build the card.

    A slow database must not hold a ringing call: past CRM_TELEPHONY_LOOKUP_BUDGET_MS (PostgreSQL
    cancels the query) the answer is the fallback route with no card.
    """
    e164 = phone_try_normalize(number)
    if e164 is None:
        logger.info("Unparseable caller number %r: routed to the fallback", number)
        return Lookup(
            number="",
            contact=None,
            route=call_route(connection=connection, contact=None),
            card=caller_card(contact=None, number=number) if with_card else {},
        )
    try:
        contact, rows = _caller_find_budgeted(e164, with_card)
    except OperationalError as error:
        logger.warning("Caller lookup for %s failed within its time budget (%s): routed to the fallback", e164, error)
        return Lookup(number=e164, contact=None, route=call_route(connection=connection, contact=None))
    route = call_route(connection=connection, contact=contact)
    card = caller_card(contact=contact, number=e164, rows=rows) if with_card else {}
    return Lookup(number=e164, contact=contact, route=route, card=card)


def _call_interaction_subject(call: Call) -> str:
    if call.direction == Call.Direction.INBOUND:
        return _("Inbound call from %(number)s") % {"number": call.client_number or call.from_number}
    return _("Outbound call to %(number)s") % {"number": call.client_number or call.to_number}


def tracked_source_id(dialled: str) -> int | None:
    """The lead source whose tracking number was dialled (the number every protocol reports as the call's "to",
    plain or as a SIP address)."""
    number = phone_try_normalize(dialled.split("@", 1)[0].removeprefix("sip:")) if dialled else None
    if number is None:
        return None
    return TrackingNumber.objects.filter(number=number).values_list("lead_source_id", flat=True).first()


@transaction.atomic
def call_register(
    *,
    connection: TelephonyConnection,
    call_id: str,
    direction: str,
    from_number: str,
    to_number: str = "",
    started_at: datetime | None = None,
    with_card: bool = False,
) -> tuple[Call, Lookup, bool]:
    """Record a new call and answer where it goes: (call, lookup, created). A repeated call id changes nothing.

    The caller card costs most of a lookup: only protocols that show it ask for it.
    """
    if direction not in Call.Direction.values:
        raise ValidationError({"direction": _("Direction is “inbound” or “outbound”.")})
    _call_id_check(call_id)
    client_side = from_number if direction == Call.Direction.INBOUND else to_number
    lookup = caller_lookup(connection=connection, number=client_side, with_card=with_card)
    existing = Call.objects.filter(connection=connection, provider_call_id=call_id).first()
    if existing is not None:
        return existing, lookup, False
    contact = lookup.contact
    call = Call(
        connection=connection,
        provider_call_id=call_id,
        direction=direction,
        from_number=from_number[:64],
        to_number=to_number[:64],
        lead_source_id=tracked_source_id(to_number) if direction == Call.Direction.INBOUND else None,
        client_number=lookup.number,
        contact=contact,
        account=contact.account if contact else None,
        routed_to=lookup.route.user,
        route_target=lookup.route.target,
        started_at=started_at or timezone.now(),
    )
    try:
        with transaction.atomic():
            call.save()
    except IntegrityError:  # the same event raced in twice: the other one won
        return Call.objects.get(connection=connection, provider_call_id=call_id), lookup, False
    if contact is not None:
        interaction, _created = interaction_log(
            account=contact.account,
            contact=contact,
            user=lookup.route.user,
            channel=Interaction.Channel.PHONE,
            direction=direction,
            occurred_at=call.started_at,
            subject=_call_interaction_subject(call)[:255],
            source=f"telephony:{connection.id}",
            external_id=call_id,
        )
        call.interaction = interaction
        call.save(update_fields=["interaction"])
    return call, lookup, True


EVENT_TYPES = ("ringing", "answered", "ended", "missed")


MAX_CALL_SECONDS = 7 * 24 * 3600
MAX_EVENT_SEQ = 2**63 - 1  # a bigint


def _call_id_check(call_id: str) -> None:
    max_length = Call._meta.get_field("provider_call_id").max_length
    if not call_id:
        raise ValidationError({"call_id": _("The provider's call id is required.")})
    if len(call_id) > max_length:
        raise ValidationError({"call_id": _("A call id has at most %(count)d characters.") % {"count": max_length}})


@transaction.atomic
def call_event(
    *,
    connection: TelephonyConnection,
    call_id: str,
    type: str,
    at: datetime | None = None,
    duration: int | None = None,
    answered_by: str = "",
    recording_url: str = "",
    seq: int | None = None,
) -> Call:
    """Apply one event to a call. Replays and late, out-of-order events change nothing."""
    if type not in EVENT_TYPES:
        raise ValidationError({"type": _("Event type is one of: %(types)s.") % {"types": ", ".join(EVENT_TYPES)}})
    _call_id_check(call_id)
    if duration is not None and not 0 <= duration <= MAX_CALL_SECONDS:
        raise ValidationError({"duration": _("A call lasts from 0 seconds to a week, in whole seconds.")})
    if seq is not None and not 0 <= seq <= MAX_EVENT_SEQ:
        raise ValidationError({"seq": _("An event's number is a whole number from 0 to 2^63.")})
    call = Call.objects.select_for_update().filter(connection=connection, provider_call_id=call_id).first()
    if call is None:
        raise ValidationError({"call_id": _("No call with this id was registered: register the call first.")})
    if seq is not None:
        if seq <= call.last_event_seq:
            return call
        call.last_event_seq = seq
    at = at or timezone.now()
    finished = call.status in (Call.Status.ENDED, Call.Status.MISSED)
    if type == "answered" and not finished:
        call.status, call.answered_at = Call.Status.ANSWERED, at
        call.answered_by = _user_by_extension(answered_by) or call.routed_to
        _callbacks_close(call, at)
    elif type == "missed" and not finished:
        call.status, call.ended_at = Call.Status.MISSED, at
        _callback_open(call, at)
    elif type == "ended" and not finished:
        if call.status == Call.Status.RINGING and call.direction == Call.Direction.INBOUND:
            call.status = Call.Status.MISSED  # it ended without ever being answered
            _callback_open(call, at)
        else:
            call.status = Call.Status.ENDED
        call.ended_at = at
    if duration is not None:
        call.duration_seconds = duration
    if recording_url:
        if safe_url := http_url_or_blank(recording_url)[:500]:
            call.recording_url = safe_url
        else:
            logger.warning("Call %s: a recording link that is not http(s) was dropped: %.80r", call_id, recording_url)
    call.save()
    if call.interaction_id:
        Interaction.objects.filter(pk=call.interaction_id).update(
            duration_seconds=call.duration_seconds,
            recording_url=call.recording_url,
            outcome=call.get_status_display(),
            user=call.answered_by or call.routed_to,
        )
    return call


def call_recording_url(call: Call) -> str:
    """Our address for listening to a call whose recording the provider keeps by id (the admin asks the
    provider for a fresh link there, for users who may see the call)."""
    from django.urls import reverse

    return settings.CRM_PUBLIC_BASE_URL.rstrip("/") + reverse("admin:crm_call_recording", args=[call.pk])


@transaction.atomic
def call_recording_attach(*, connection: TelephonyConnection, call_id: str, recording_ref: str) -> Call | None:
    """The provider says the call was recorded, under this id. A repeat changes nothing; a recording
    of a call never registered is logged and dropped (there is nothing to attach it to)."""
    if not recording_ref:
        raise ValidationError({"recording": _("The recording's id is missing.")})
    call = Call.objects.select_for_update().filter(connection=connection, provider_call_id=call_id).first()
    if call is None:
        logger.info("Recording %s of unknown call %s on %s: dropped", recording_ref, call_id, connection)
        return None
    if call.recording_ref != recording_ref[:255]:
        call.recording_ref, call.recording_url = recording_ref[:255], call_recording_url(call)
        call.save(update_fields=["recording_ref", "recording_url"])
        if call.interaction_id:
            Interaction.objects.filter(pk=call.interaction_id).update(recording_url=call.recording_url)
    return call


def _user_by_extension(extension: str) -> User | None:
    if not extension:
        return None
    return User.objects.filter(is_active=True, phone_extension=extension).first()


def _callback_open(call: Call, at: datetime) -> None:
    """A missed inbound call from a known client: one call-back task, due within the phone response target."""
    if call.direction != Call.Direction.INBOUND or call.account_id is None:
        return
    minutes = (
        ResponseTarget.objects.filter(channel=ServiceRequest.Channel.PHONE)
        .values_list("first_response_minutes", flat=True)
        .first()
    )
    rule_tasks_open(
        [
            Task(
                assignee=call.routed_to or call.account.manager,
                account_id=call.account_id,
                title=task_title(
                    call.routed_to or call.account.manager,
                    gettext_noop("Call back %(name)s (%(number)s): missed call"),
                    name=call.contact.addressed_name if call.contact else "",
                    number=call.client_number,
                ),
                description=_("Missed call from %(number)s at %(time)s.")
                % {"number": call.client_number, "time": timezone.localtime(at).strftime("%Y-%m-%d %H:%M")},
                kind=Task.Kind.CALL_BACK,
                priority=Task.Priority.URGENT,
                due_at=at + timedelta(minutes=minutes or 3),
                created_by_rule=MISSED_CALL_RULE,
                idempotency_key=f"{MISSED_CALL_RULE}:{call.id}",
            )
        ]
    )


def _callbacks_close(call: Call, at: datetime) -> None:
    """The client got through: pending call-backs for earlier missed calls from the same number are done."""
    if not call.client_number:
        return
    missed = Call.objects.filter(client_number=call.client_number, status=Call.Status.MISSED).values_list(
        "id", flat=True
    )
    keys = [f"{MISSED_CALL_RULE}:{call_id}" for call_id in missed]
    for task in Task.objects.open().filter(idempotency_key__in=keys):
        task_complete(task=task, at=at)


@transaction.atomic
def telephony_connection_create(
    *, provider: str, name: str, secret: str, fallback_target: str, api_key: str = "", public_base_url: str = ""
) -> TelephonyConnection:
    connection = TelephonyConnection(
        provider=provider,
        name=name,
        secret=secret,
        api_key=api_key,
        public_base_url=public_base_url,
        fallback_target=fallback_target,
    )
    connection.full_clean()
    connection.save()
    return connection


def telephony_webhook_urls(connection: TelephonyConnection) -> dict[str, str]:
    """What to configure at the provider, built on the connection's public base URL."""
    from django.urls import reverse

    base = (connection.public_base_url or settings.CRM_PUBLIC_BASE_URL).rstrip("/")
    if connection.provider == TelephonyConnection.Provider.ASTERISK:
        return {"Dialplan CURL() lookup": base + reverse("telephony_asterisk_lookup", args=[connection.webhook_key])}
    if connection.provider == TelephonyConnection.Provider.GENERIC:
        return {
            "Register a call (POST)": base + reverse("telephony-calls"),
            "Call events (POST)": base + reverse("telephony-call-events", args=["<call_id>"]),
            "Lookup (GET)": base + reverse("telephony-lookup") + "?phone=<number>",
        }
    if connection.provider == TelephonyConnection.Provider.TWILIO:
        return {
            "Voice webhook, “A call comes in” (POST)": twilio_callback_url(connection, "voice"),
            "Status callback (POST)": twilio_callback_url(connection, "status"),
        }
    if connection.provider == TelephonyConnection.Provider.ZADARMA:
        return {
            "Notifications URL (PBX → API → Notifications)": base
            + reverse("telephony_zadarma", args=[connection.webhook_key])
        }
    if connection.provider == TelephonyConnection.Provider.ITOOLABS:
        return {
            "CRM API address (with crm_token = the secret)": base
            + reverse("telephony_itoolabs", args=[connection.webhook_key])
        }
    if connection.provider == TelephonyConnection.Provider.MANGO:
        events = base + reverse("telephony_mango", args=[connection.webhook_key, "call"]).removesuffix("/events/call")
        return {"API address for events (Mango appends /events/...)": events}
    return {}


def call_place(*, user: User, phone: Phone) -> TelephonyConnection:
    """Click to call: the provider rings the user, then the client. Raises ValidationError saying why not."""
    from urllib.parse import urlencode

    connection = (
        TelephonyConnection.objects.filter(
            is_active=True, provider__in=[TelephonyConnection.Provider.TWILIO, TelephonyConnection.Provider.ZADARMA]
        )
        .order_by("id")
        .first()
    )
    if connection is None:
        raise ValidationError(_("No telephony connection can place calls: connect Twilio or Zadarma first."))
    agent = user.sip_uri or user.phone_extension
    if not agent:
        raise ValidationError(_("Set your extension or SIP address on your user first: the call rings you first."))
    try:
        if connection.provider == TelephonyConnection.Provider.TWILIO:
            connect_url = twilio_callback_url(connection, "connect") + "?" + urlencode({"to": phone.number})
            sid = twilio_place_call(connection, agent=agent, client_number=phone.number, connect_url=connect_url)
            call_register(
                connection=connection,
                call_id=sid,
                direction=Call.Direction.OUTBOUND,
                from_number=agent,
                to_number=phone.number,
            )
        else:
            # Zadarma reports the call it places with NOTIFY_OUT_START, which logs it like any call.
            zadarma_place_call(connection, extension=user.phone_extension or agent, client_number=phone.number)
    except ClickToCallError as error:
        raise ValidationError(_("The call was not placed: %(error)s") % {"error": error}) from error
    return connection
