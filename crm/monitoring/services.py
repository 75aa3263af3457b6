"""Equipment signals: accepted in one insert (the endpoint must take 1,000 a second), acted on by a worker.

A predicted failure or a fault opens one service request per unit and problem (the sender's problem code),
gives the account's manager an urgent task and tells the unit's responsible person that we are on it. More
signals of an open problem only count; "back to normal" closes the request if nobody has touched it.
"""

import hashlib
import json
import logging
import time
from collections import defaultdict
from contextlib import nullcontext
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, override

from crm.middleware import ESCAPED_NUL, NUL
from crm.models import Equipment, EquipmentSignal, ServiceRequest, Task
from crm.outreach.hooks import KindHooks, kind_hooks_register
from crm.outreach.jobs import main_contacts
from crm.outreach.models import MessageKind
from crm.outreach.services import MessagePlan, enqueue_after_commit, messages_plan
from crm.services.activity import rule_tasks_open, service_request_first_response_due, task_title

Kind, Severity = EquipmentSignal.Kind, EquipmentSignal.Severity
logger = logging.getLogger(__name__)
MAX_DATA_BYTES = 16 * 1024
MAX_AGE = timedelta(days=30)
MAX_AHEAD = timedelta(minutes=10)  # a sender's clock a little fast is fine; a year ahead is a bug
PROCESS_TASK = "crm.equipment_signals_process"
FIRST_RESPONSE_FALLBACK = timedelta(hours=1)  # when nobody keeps a response target for monitoring


class SignalError(ValueError):
    """What is wrong with a signal, per field: the sender's developer reads it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in fields.items()))
        self.fields = fields


def _text(payload: dict, name: str, max_length: int, errors: dict) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str | int) or isinstance(value, bool):
        errors[name] = _("Send a string.")
        return ""
    value = str(value).strip()
    if NUL in value:
        errors[name] = _("Without NUL characters (\\x00): no field can hold them.")
    elif len(value) > max_length:
        errors[name] = _("At most %(n)d characters.") % {"n": max_length}
    return value


def _choice(payload: dict, name: str, choices, default, errors: dict) -> str:
    value = payload.get(name, default)
    if value not in choices.values:
        errors[name] = _("One of: %(values)s.") % {"values": ", ".join(choices.values)}
    return value


def _occurred_at(payload: dict, now: datetime, errors: dict) -> datetime | None:
    value = payload.get("occurred_at")
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or timezone.is_naive(parsed):
        errors["occurred_at"] = _("An ISO 8601 time with its offset, e.g. 2026-12-07T10:15:00+03:00.")
        return None
    if parsed > now + MAX_AHEAD or parsed < now - MAX_AGE:
        errors["occurred_at"] = _("The time is more than 10 minutes ahead or more than 30 days ago: check the clock.")
        return None
    return parsed


def _unit_reference(payload: dict, errors: dict) -> tuple[str, list]:
    """How the sender names the unit, as a condition on crm_equipment: our id, or its serial number (with its model
    where two models share a serial). Checked against the table by the insert itself."""
    equipment_id = payload.get("equipment_id")
    serial, model = _text(payload, "serial_number", 100, errors), _text(payload, "model", 200, errors)
    if equipment_id is not None:
        if not isinstance(equipment_id, int) or isinstance(equipment_id, bool) or not 0 < equipment_id < 2**63:
            errors["equipment_id"] = _("Send our equipment id as a positive integer.")
        return "id = %s", [equipment_id]
    if not serial and "serial_number" not in errors:
        errors["equipment_id"] = _("Name the unit: send equipment_id, or serial_number (and model).")
    if model:
        return "serial_number = %s AND model_name = %s", [serial, model]
    return "serial_number = %s", [serial]


def _unit_error(payload: dict) -> dict[str, str] | None:
    """Why a signal's unit is not one unit: unknown, or a serial that two models share (None: it is one)."""
    equipment_id, serial, model = payload.get("equipment_id"), payload.get("serial_number"), payload.get("model")
    if equipment_id is not None:
        if Equipment.objects.filter(pk=equipment_id).exists():
            return None
        return {"equipment_id": _("No equipment has the id %(id)s.") % {"id": equipment_id}}
    units = Equipment.objects.filter(serial_number=serial)
    if model:
        units = units.filter(model_name=model)
    count = units.count()
    if count == 1:
        return None
    if count > 1:
        return {
            "serial_number": _("Two models share the serial number %(serial)s: send the model too.")
            % {"serial": serial}
        }
    return {
        "serial_number": _("No equipment has the serial number %(serial)s%(model)s.")
        % {"serial": serial, "model": f" ({model})" if model else ""}
    }


# The unit is found inside the insert, and only when exactly one matches (else its id is NULL and the insert
# fails): one round trip to the database for a request, one or a hundred signals, which is what 1,000 signals a
# second need.
_INSERT = (
    "INSERT INTO crm_equipmentsignal (equipment_id, kind, severity, code, occurred_at, received_at, data, key)"
    " VALUES {rows} ON CONFLICT (key) DO NOTHING RETURNING id, key"
)
_ROW = "((SELECT CASE WHEN COUNT(*) = 1 THEN MIN(id) END FROM crm_equipment WHERE {unit}), %s, %s, %s, %s, %s, %s, %s)"
MAX_BATCH = 100


def _signal_row(payload, now: datetime) -> tuple[str, list, str]:
    """(the row's SQL, its parameters, its key) for one signal. Raises SignalError."""
    if not isinstance(payload, dict):
        raise SignalError({"body": _("Send a JSON object, or an array of up to 100 of them.")})
    errors = {}
    kind = _choice(payload, "kind", Kind, None, errors)
    severity = _choice(payload, "severity", Severity, Severity.WARNING, errors)
    code = _text(payload, "code", 64, errors)
    signal_id = _text(payload, "signal_id", 100, errors)
    occurred_at = _occurred_at(payload, now, errors)
    data = payload.get("data", {})
    data_json = json.dumps(data, ensure_ascii=False)
    if not isinstance(data, dict):
        errors["data"] = _("Send the free data as a JSON object.")
    elif len(data_json) > MAX_DATA_BYTES:
        errors["data"] = _("The free data is over 16 KB: send less.")
    elif ESCAPED_NUL in data_json:
        errors["data"] = _("Without NUL characters (\\x00): no field can hold them.")
    unit, unit_params = _unit_reference(payload, errors)
    if errors:
        raise SignalError(errors)
    reference = "|".join(str(value) for value in unit_params)
    if signal_id:
        identity = f"{reference}|id|{signal_id}"
    else:
        identity = f"{reference}|{kind}|{severity}|{code}|{occurred_at.isoformat()}"
    key = hashlib.sha256(identity.encode()).hexdigest()
    field = EquipmentSignal._meta.get_field
    params = [
        *unit_params,
        kind,
        severity,
        code,
        field("occurred_at").get_db_prep_value(occurred_at, connection),
        field("received_at").get_db_prep_value(now, connection),
        data_json,
        key,
    ]
    return _ROW.format(unit=unit), params, key


def signals_accept(*, payloads: list) -> list[tuple[int, bool]]:
    """Store signals, all or none: (id, False) for each one stored before. Raises SignalError naming the signal
    (its index in the array) and the field."""
    if not 0 < len(payloads) <= MAX_BATCH:
        raise SignalError({"body": _("Send from 1 to 100 signals in one request.")})
    now, rows, errors = timezone.now(), [], {}
    for index, payload in enumerate(payloads):
        try:
            rows.append(_signal_row(payload, now))
        except SignalError as error:
            prefix = f"{index}." if len(payloads) > 1 else ""
            errors.update({f"{prefix}{field}": message for field, message in error.fields.items()})
    if errors:
        raise SignalError(errors)
    # In the order of their keys: two requests with the same signals wait for each other, never deadlock.
    ordered = sorted(rows, key=lambda row: row[2])
    sql = _INSERT.format(rows=", ".join(row for row, _params, _key in ordered))
    params = [value for _row, row_params, _key in ordered for value in row_params]
    # No transaction of its own (no BEGIN and COMMIT round trips); a savepoint only inside a caller's transaction.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            stored = {key: signal_id for signal_id, key in cursor.fetchall()}
    except IntegrityError:  # a unit of no one match: its id was NULL, and nothing was stored
        raise SignalError(_units_errors(payloads)) from None
    keys = [key for _row, _params, key in rows]
    before = {}
    if missing := set(keys) - stored.keys():  # stored before: a retry, or the same signal from two senders at once
        before = dict(EquipmentSignal.objects.filter(key__in=missing).values_list("key", "id"))
        if missing - before.keys():
            raise SignalError({"body": _("A signal was deleted while this request stored it: send it again.")})
    if stored:
        _process_soon()
    results, new = [], set(stored)
    for key in keys:  # the same signal twice in one request: the second is a duplicate
        results.append((stored[key], True) if key in new else (stored.get(key) or before[key], False))
        new.discard(key)
    return results


def _units_errors(payloads: list) -> dict[str, str]:
    errors = {}
    for index, payload in enumerate(payloads):
        if (message := _unit_error(payload)) is not None:
            prefix = f"{index}." if len(payloads) > 1 else ""
            errors.update({f"{prefix}{field}": text for field, text in message.items()})
    return errors


_last_enqueued = 0.0


def _process_soon() -> None:
    """Wake the worker, at most every two seconds per process: at 1,000 signals a second one wake-up does for a
    few thousand, and the beat job picks up whatever a lost wake-up left."""
    global _last_enqueued
    if time.monotonic() - _last_enqueued > 2:
        _last_enqueued = time.monotonic()
        enqueue_after_commit(PROCESS_TASK)


# Acting on signals --------------------------------------------------------------------------------------------


def equipment_signals_process(*, batch_size: int = 500, now: datetime | None = None) -> int:
    """Act on every signal not yet acted on, oldest first, in batches; safe to run in several workers at once.

    A batch that fails is acted on one signal at a time, so one bad signal cannot hold up the rest: it is logged
    and marked acted on (it stays on the unit's page)."""
    done = 0
    while True:
        with transaction.atomic():
            batch = list(
                EquipmentSignal.objects.filter(processed_at__isnull=True)
                .select_for_update(skip_locked=True)
                .order_by("id")[:batch_size]
            )
            if not batch:
                return done
            try:
                with transaction.atomic():
                    _batch_act(batch, now or timezone.now())
            except Exception:
                logger.exception("Equipment signals %s..%s failed together; acting on each", batch[0].id, batch[-1].id)
                for signal in batch:
                    _one_act(signal, now or timezone.now())
            done += len(batch)


def _one_act(signal: EquipmentSignal, now: datetime) -> None:
    try:
        with transaction.atomic():
            _batch_act([signal], now)
    except Exception:
        logger.exception("Equipment signal %s could not be acted on; it is kept, marked done", signal.id)
        EquipmentSignal.objects.filter(pk=signal.pk).update(processed_at=now)


def _batch_act(batch: list[EquipmentSignal], now: datetime) -> None:
    # The units are locked in id order: two workers with signals of one unit take turns, never deadlock. FOR NO KEY
    # UPDATE: the endpoint's inserts (whose foreign keys take KEY SHARE on the unit) do not wait for the worker.
    units = {
        unit.id: unit
        for unit in Equipment.objects.select_for_update(of=("self",), no_key=True)
        .filter(id__in={signal.equipment_id for signal in batch})
        .select_related("account__manager", "responsible_contact", "last_signal")
        .order_by("id")
    }
    open_requests = {
        (request.equipment_id, request.problem_code): request
        for request in ServiceRequest.objects.unresolved().filter(
            channel=ServiceRequest.Channel.MONITORING, equipment_id__in=units
        )
    }
    counted: dict[int, int] = defaultdict(int)
    opened = []
    for signal in sorted(batch, key=lambda s: (s.occurred_at, s.id)):
        unit = units[signal.equipment_id]
        signal.equipment = unit
        problem = (unit.id, signal.code)
        request = open_requests.get(problem)
        if signal.opens_problem and request is None:
            request = open_requests[problem] = _problem_open(signal, now)
            opened.append((request, signal))
        elif signal.opens_problem:
            counted[request.id] += 1
        elif signal.kind == Kind.NORMAL and request is not None and _untouched(request):
            _problem_close(open_requests.pop(problem), now)  # now: a fault later in the batch opens a new one
        signal.service_request = request
        if unit.last_signal is None or (signal.occurred_at, signal.id) > (
            unit.last_signal.occurred_at,
            unit.last_signal.id,
        ):
            unit.last_signal = signal
    # One UPDATE per request the signals went to (a handful), not bulk_update's CASE over 500 rows.
    by_request: dict[int | None, list[int]] = defaultdict(list)
    for signal in batch:
        by_request[signal.service_request.id if signal.service_request else None].append(signal.id)
    for request_id, ids in by_request.items():
        EquipmentSignal.objects.filter(id__in=ids).update(service_request_id=request_id, processed_at=now)
    Equipment.objects.bulk_update(units.values(), ["last_signal"], batch_size=100)
    for request_id, count in counted.items():
        ServiceRequest.objects.filter(pk=request_id).update(signal_count=F("signal_count") + count)
    _problems_tell(
        [(request, signal) for request, signal in opened if request.status != ServiceRequest.Status.CLOSED], now
    )


def _untouched(request: ServiceRequest) -> bool:
    return request.status == ServiceRequest.Status.NEW and request.first_response_at is None


def _problem_open(signal: EquipmentSignal, now: datetime) -> ServiceRequest:
    unit, account = signal.equipment, signal.equipment.account
    try:
        due = service_request_first_response_due(channel=ServiceRequest.Channel.MONITORING, created_at=now)
    except ValidationError:  # nobody keeps a response target for monitoring: the signal is still acted on
        due = now + FIRST_RESPONSE_FALLBACK
    with override(account.manager.language if account.manager else settings.LANGUAGE_CODE):  # the reader's
        subject = f"{unit}: {Kind(signal.kind).label}" + (f" ({signal.code})" if signal.code else "")
        description = _signal_description(signal)
    request = ServiceRequest(
        account=account,
        contact=unit.responsible_contact,
        channel=ServiceRequest.Channel.MONITORING,
        subject=subject[:255],
        description=description,
        assignee_id=account.manager_id,
        first_response_due_at=due,
        created_at=now,
        equipment=unit,
        problem_code=signal.code,
        signal_count=1,
    )
    request.save()
    return request


def _signal_description(signal: EquipmentSignal) -> str:
    lines = [
        f"{Kind(signal.kind).label}, {Severity(signal.severity).label.lower()}, "
        f"{timezone.localtime(signal.occurred_at):%Y-%m-%d %H:%M %Z}"
    ]
    lines += [f"{key}: {value}" for key, value in list(signal.data.items())[:20]]
    return "\n".join(lines)[:10_000]


def _problem_close(request: ServiceRequest, now: datetime) -> None:
    request.status, request.resolved_at = ServiceRequest.Status.CLOSED, now
    ServiceRequest.objects.filter(pk=request.pk).update(status=request.status, resolved_at=now, updated_at=now)
    Task.objects.filter(idempotency_key=_task_key(request.pk), status=Task.Status.OPEN).update(
        status=Task.Status.CANCELLED, completed_at=now, updated_at=now
    )


def _task_key(request_id: int) -> str:
    return f"equipment-problem:{request_id}"


def _problems_tell(opened: list[tuple[ServiceRequest, EquipmentSignal]], now: datetime) -> None:
    """The manager's urgent task, and a word to the unit's responsible person (else the decision maker)."""
    if not opened:
        return
    tasks, plans = [], []
    # The account's main person (decision maker, else the first), for units with nobody responsible.
    deciders = main_contacts(
        signal.equipment.account for _request, signal in opened if not signal.equipment.responsible_contact_id
    )
    for request, signal in opened:
        unit, account = signal.equipment, signal.equipment.account
        tasks.append(
            Task(
                assignee_id=account.manager_id,
                account=account,
                title=task_title(
                    account.manager,
                    gettext_noop("Equipment %(item)s reports a problem: call the client"),
                    item=unit,
                ),
                kind=Task.Kind.CALL_BACK,
                priority=Task.Priority.URGENT,
                due_at=now + timedelta(hours=1),
                created_by_rule="equipment_signal",
                idempotency_key=_task_key(request.id),
            )
        )
        contact = unit.responsible_contact or deciders.get(account.id)
        if contact is None:
            continue
        contact.account = account
        plans.append(
            MessagePlan(
                key=f"equipment-alert:{request.id}",
                kind=MessageKind.EQUIPMENT_ALERT,
                contact=contact,
                context={
                    "equipment": {"model": unit.model_name, "serial_number": unit.serial_number},
                    "signal": {
                        "kind": Kind(signal.kind).label,
                        "severity": Severity(signal.severity).label,
                        "code": signal.code,
                        "occurred_at": signal.occurred_at,
                    },
                },
                # A critical problem is told at once, even in quiet hours (crm/outreach/rules.py).
                data={"service_request_id": request.id, "urgent": signal.severity == Severity.CRITICAL},
            )
        )
    rule_tasks_open(tasks)
    messages_plan(plans)


def _open_requests(group) -> set[int]:
    ids = {message.data.get("service_request_id") for message in group}
    return set(ServiceRequest.objects.unresolved().filter(id__in=ids).values_list("id", flat=True))


def outbox_hooks_register() -> None:
    kind_hooks_register(
        MessageKind.EQUIPMENT_ALERT,
        KindHooks(
            still_holds=(
                _open_requests,
                lambda message, open_ids: (
                    ""
                    if message.data.get("service_request_id") in open_ids
                    else _("The problem was closed meanwhile (the unit is back to normal, or we resolved it).")
                ),
            )
        ),
    )
