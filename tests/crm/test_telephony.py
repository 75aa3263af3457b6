"""Telephony: lookup, routing, the caller card, the call log, the generic API and Asterisk."""

import threading
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Interaction, Task
from crm.services.orders import order_delivery_date_change
from crm.telephony.models import Call, TelephonyConnection
from crm.telephony.services import (
    LOOKUP_DATABASE,
    call_event,
    call_register,
    caller_lookup,
    telephony_connection_create,
)
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import CommitmentFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db

NUMBER = "+79161234567"


@pytest.fixture
def pbx(db):
    return telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")


@pytest.fixture
def telephony_api(token_client, superuser):
    return token_client(superuser, ["telephony:read", "telephony:write"])


def register(api, call_id="c1", number="8 (916) 123-45-67", **extra):
    return api.post(
        "/api/v1/telephony/calls/",
        {"call_id": call_id, "direction": "inbound", "from": number, "to": "+74951112233", **extra},
        format="json",
    )


def event(api, call_id="c1", **payload):
    return api.post(f"/api/v1/telephony/calls/{call_id}/events/", payload, format="json")


def test_a_known_caller_rings_their_manager_with_the_card_and_lands_in_the_timeline(
    telephony_api, pbx, caller, account, manager
):
    CommitmentFactory(account=account, description="Прислать договор", due_at=timezone.now() + timedelta(days=1))
    order = OrderFactory(account=account, number="A-77")
    order_delivery_date_change(order=order, new_date=order.promised_delivery_date + timedelta(days=3), reason="Таможня")

    response = register(telephony_api)

    assert response.status_code == 201
    body = response.json()
    assert body["route"] == {"target": "101", "reason": "manager", "user": manager.pk, "user_name": str(manager)}
    card = body["card"]
    assert card["display_name"].startswith("Иван Петрович · ООО «Ромашка»")
    assert card["behaviour_type"] == 3 and "guarantees" in card["behaviour_hint"]
    assert [p["description"] for p in card["promises"]] == ["Прислать договор"]
    assert card["last_delivery_move"]["days"] == 3 and card["last_delivery_move"]["reason"] == "Таможня"
    assert card["orders"][0]["moved"] is True
    interaction = Interaction.objects.get(account=account, channel="phone")
    assert interaction.contact == caller and interaction.user == manager


def test_registering_the_same_call_twice_keeps_one_call_and_one_interaction(telephony_api, pbx, caller):
    first, second = register(telephony_api), register(telephony_api)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["call"] == second.json()["call"]
    assert Call.objects.count() == 1 and Interaction.objects.count() == 1


def test_when_the_manager_is_away_the_department_group_rings_then_the_fallback(pbx, caller, manager):
    manager.available_for_calls = False
    manager.save()
    manager.department.call_group = "600"
    manager.department.save()

    assert caller_lookup(connection=pbx, number=NUMBER).route.target == "600"

    manager.department.call_group = ""
    manager.department.save()
    route = caller_lookup(connection=pbx, number=NUMBER).route
    assert (route.target, route.reason) == ("0", "fallback")


@pytest.mark.parametrize("number", ["+7 999 000-00-00", "not a number", "12"])
def test_unknown_or_unparseable_callers_go_to_the_fallback_and_are_recorded(telephony_api, pbx, number):
    response = register(telephony_api, number=number)

    assert response.status_code == 201
    assert response.json()["route"]["target"] == "0"
    assert response.json()["card"]["known"] is False
    call = Call.objects.get()
    assert call.contact is None and call.from_number == number


def test_a_missed_call_from_a_client_opens_one_call_back_task_within_the_phone_target(
    telephony_api, pbx, caller, manager
):
    register(telephony_api)
    at = timezone.now()

    for _ in range(3):  # the provider retries its webhook
        assert event(telephony_api, type="missed", at=at.isoformat()).status_code == 200

    [task] = Task.objects.filter(created_by_rule="missed_call")
    assert task.assignee == manager and task.priority == Task.Priority.URGENT
    assert abs((task.due_at - (at + timedelta(minutes=3))).total_seconds()) < 1
    assert Call.objects.get().status == Call.Status.MISSED


def test_a_call_that_ends_unanswered_counts_as_missed(telephony_api, pbx, caller):
    register(telephony_api)

    event(telephony_api, type="ended", duration=0)

    assert Call.objects.get().status == Call.Status.MISSED
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


def test_getting_through_closes_the_pending_call_back_and_the_timeline_gets_duration_and_recording(
    telephony_api, pbx, caller, manager
):
    register(telephony_api, call_id="first")
    event(telephony_api, call_id="first", type="missed")
    register(telephony_api, call_id="second")

    event(telephony_api, call_id="second", type="answered", answered_by="101")
    event(telephony_api, call_id="second", type="ended", duration=95, recording_url="https://rec.example/2.mp3")

    assert Task.objects.get(created_by_rule="missed_call").status == Task.Status.DONE
    call = Call.objects.get(provider_call_id="second")
    assert (call.status, call.answered_by, call.duration_seconds) == (Call.Status.ENDED, manager, 95)
    interaction = call.interaction
    assert (interaction.duration_seconds, interaction.recording_url) == (95, "https://rec.example/2.mp3")


@pytest.mark.parametrize(
    ("call_id", "payload", "field"),
    [
        ("nope", {"type": "answered"}, "call_id"),
        ("c1", {"type": "exploded"}, "type"),
        ("c1", {"type": "ended", "duration": -5}, "duration"),
        ("c1", {"type": "ended", "recording_url": "not a url"}, "recording_url"),
    ],
)
def test_bad_events_are_a_400_with_the_field_and_change_nothing(telephony_api, pbx, caller, call_id, payload, field):
    register(telephony_api)

    response = event(telephony_api, call_id=call_id, **payload)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert Call.objects.get().status == Call.Status.RINGING


@pytest.mark.parametrize(
    "payload",
    [{}, {"call_id": "x"}, {"call_id": "x", "direction": "sideways", "from": "1"}, {"call_id": "", "from": "1"}],
)
def test_incomplete_registrations_are_a_400(telephony_api, pbx, payload):
    response = telephony_api.post("/api/v1/telephony/calls/", payload, format="json")

    assert response.status_code == 400
    assert not Call.objects.exists()


def test_the_api_needs_a_token_with_the_telephony_scope(api_client, token_client, superuser, pbx):
    assert register(api_client).status_code == 401
    assert register(token_client(superuser, ["contacts:read"])).status_code == 403
    assert not Call.objects.exists()


def test_a_managers_token_or_session_cannot_look_up_callers(token_client, manager_api, manager, pbx, caller):
    managers_token = token_client(manager, ["telephony:read", "telephony:write"])

    for client in (managers_token, manager_api):
        response = client.get("/api/v1/telephony/lookup/", {"phone": "9161234567"})
        assert response.status_code == 403
        assert "all accounts" in response.json()["error"]["message"]
        assert register(client).status_code == 403
    assert not Call.objects.exists()


def test_the_lookup_answers_route_and_card_and_needs_a_number(telephony_api, pbx, caller):
    response = telephony_api.get("/api/v1/telephony/lookup/", {"phone": "9161234567"})

    assert response.status_code == 200
    assert response.json()["route"]["target"] == "101"
    assert response.json()["card"]["contact"]["name"] == "Иван Петрович"
    assert telephony_api.get("/api/v1/telephony/lookup/").status_code == 400


def test_the_lookup_runs_the_same_number_of_queries_whatever_the_clients_history(pbx, caller, account):
    def add_history(n):
        for days in range(1, n + 1):
            CommitmentFactory(account=account)
            order = OrderFactory(account=account)
            order_delivery_date_change(
                order=order, new_date=order.promised_delivery_date + timedelta(days=days), reason="x"
            )

    add_history(1)
    caller_lookup(connection=pbx, number=NUMBER)  # warm-up
    with CaptureQueriesContext(connection) as small:
        caller_lookup(connection=pbx, number=NUMBER)
    add_history(8)

    with CaptureQueriesContext(connection) as large:
        caller_lookup(connection=pbx, number=NUMBER)

    # On PostgreSQL 4 of them keep the time budget (savepoint, set, release, restore).
    assert len(small) == len(large) <= 12


def _postgresql_only(why: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: {why}")


def _own_connection_only() -> None:
    _postgresql_only("the lookup's own connection exists on PostgreSQL")
    if LOOKUP_DATABASE not in connections:
        pytest.skip(f"{NOT_APPLICABLE}: the lookup's own connection is off (behind a transaction pooler)")


@pytest.mark.parametrize("inside_a_transaction", [False, True], ids=["own connection", "caller's transaction"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_slow_database_does_not_hold_the_call_the_lookup_answers_the_fallback(caller, inside_a_transaction):
    _postgresql_only("the time budget is PostgreSQL's statement_timeout")
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    locked, release = threading.Event(), threading.Event()

    def hold_a_lock():  # another session keeps the phone table locked: the lookup would wait forever
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE crm_phone IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(10)
            cursor.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold_a_lock)
    holder.start()
    locked.wait(5)
    try:
        started = timezone.now()
        with transaction.atomic() if inside_a_transaction else nullcontext():
            lookup = caller_lookup(connection=pbx, number=NUMBER)
        elapsed = (timezone.now() - started).total_seconds()
    finally:
        release.set()
        holder.join()

    assert (lookup.route.target, lookup.contact) == ("0", None)
    assert elapsed < 1  # the budget is 300 ms


def test_the_rest_of_the_callers_transaction_keeps_its_own_time_budget(caller):
    _postgresql_only("the time budget is PostgreSQL's statement_timeout")
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    with transaction.atomic():  # as a webhook that looks the caller up, then waits for its call's row lock
        assert caller_lookup(connection=pbx, number=NUMBER).route.target == "101"
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.5)")  # longer than the lookup's 300 ms: not cancelled


@pytest.mark.django_db(transaction=True)
def test_behind_a_pooler_the_lookup_is_a_transaction_of_its_own_that_takes_its_budget_with_it(caller):
    _postgresql_only("the time budget is PostgreSQL's statement_timeout")
    if LOOKUP_DATABASE in connections:
        pytest.skip(f"{NOT_APPLICABLE}: the lookup has its own connection (not behind a transaction pooler)")
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        (before,) = cursor.fetchone()

    with CaptureQueriesContext(connection) as queries:
        lookup = caller_lookup(connection=pbx, number=NUMBER)

    assert lookup.card["contact"]["name"] == "Иван Петрович"
    # BEGIN, the budget, the lookup, COMMIT: no round trip to restore a setting the commit ends anyway
    assert [query["sql"].split()[0] for query in queries] == ["BEGIN", "SELECT", "SELECT", "COMMIT"]
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == (before,)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_database_restart_costs_the_lookup_a_reconnect_not_the_call(caller):
    _own_connection_only()
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    assert caller_lookup(connection=pbx, number=NUMBER).route.target == "101"
    lookup_db = connections[LOOKUP_DATABASE]
    with connection.cursor() as cursor:  # what a restart does to the lookup's open session
        cursor.execute("SELECT pg_terminate_backend(%s)", [lookup_db.connection.info.backend_pid])

    lookup = caller_lookup(connection=pbx, number=NUMBER)

    assert (lookup.route.target, lookup.contact.account) == ("101", caller.account)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_outside_a_transaction_the_lookup_is_one_statement_on_its_own_connection(caller):
    _own_connection_only()
    pbx = telephony_connection_create(provider="generic", name="PBX", secret="s3cret-token-123", fallback_target="0")
    caller_lookup(connection=pbx, number=NUMBER)  # prepares the statement

    with CaptureQueriesContext(connection) as on_default, CaptureQueriesContext(connections[LOOKUP_DATABASE]) as own:
        lookup = caller_lookup(connection=pbx, number=NUMBER)

    assert lookup.card["contact"]["name"] == "Иван Петрович"
    assert (len(on_default), len(own)) == (0, 1)


def test_asterisk_gets_a_flat_answer_with_its_token(client, caller):
    asterisk = telephony_connection_create(
        provider="asterisk", name="Asterisk", secret="crm-token-abcdef", fallback_target="600"
    )
    url = f"/telephony/asterisk/{asterisk.webhook_key}/lookup/"

    response = client.get(url, {"phone": "89161234567"}, HTTP_X_CRM_TOKEN="crm-token-abcdef")

    assert response.status_code == 200
    assert response.json() == {"extension": "101", "display_name": "Иван Петрович · ООО «Ромашка»"}
    assert client.get(url, {"phone": "89161234567"}, HTTP_X_CRM_TOKEN="wrong").status_code == 403
    assert client.get(url, {"phone": "89161234567"}).status_code == 403
    assert client.get("/telephony/asterisk/unknown/lookup/", {"phone": "1"}, HTTP_X_CRM_TOKEN="x").status_code == 403
    assert client.get(url, HTTP_X_CRM_TOKEN="crm-token-abcdef").status_code == 400
    unknown = client.get(url, {"phone": "+7 999 000 00 00"}, HTTP_X_CRM_TOKEN="crm-token-abcdef")
    assert unknown.json()["extension"] == "600"


def test_the_command_creates_a_connection_prints_its_urls_and_hides_the_secret(capsys):
    call_command("telephony_connection_create", provider="generic", name="Office PBX", secret="very-secret-token")

    out = capsys.readouterr().out
    assert "/api/v1/telephony/calls/" in out
    assert "very-secret-token" not in out and "…oken" in out
    assert TelephonyConnection.objects.get(name="Office PBX").secret == "very-secret-token"


def test_the_command_refuses_an_unknown_provider_and_a_duplicate_name(pbx):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("telephony_connection_create", provider="sipuni", name="X", secret="s")
    with pytest.raises(CommandError, match="name"):
        call_command("telephony_connection_create", provider="generic", name="PBX", secret="s")


def test_the_connection_form_never_shows_the_secret(client, superuser, pbx):
    client.force_login(superuser)

    page = client.get(f"/admin/crm/telephonyconnection/{pbx.pk}/change/").content.decode()

    assert "s3cret-token-123" not in page
    assert "/api/v1/telephony/calls/" in page


def test_a_lead_is_made_from_an_unknown_caller_in_one_click(client, manager, pbx, telephony_api):
    register(telephony_api, number="+7 999 000-00-00")
    client.force_login(manager)
    call = Call.objects.get()
    Call.objects.filter(pk=call.pk).update(routed_to=manager)  # managers see calls routed to them

    client.post("/admin/crm/call/", {"action": "lead_from_unknown_caller", "_selected_action": [call.pk]})

    call.refresh_from_db()
    assert call.contact is not None and call.account.manager == manager
    assert call.contact.phones.get().number == "+79990000000"


# Zadarma ---------------------------------------------------------------------------------------------


@pytest.fixture
def zadarma(db):
    return telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="100")


def zadarma_post(client, connection, event, signature=None, **fields):
    from crm.telephony.signatures import zadarma_signature
    from crm.telephony.zadarma import SIGNED_FIELDS

    data = {"event": event, **fields}
    signed = "".join(data.get(name, "") for name in SIGNED_FIELDS.get(event, ()))
    signature = signature if signature is not None else zadarma_signature(secret=connection.secret, signed=signed)
    return client.post(f"/telephony/zadarma/{connection.webhook_key}/", data, HTTP_SIGNATURE=signature)


START = {
    "pbx_call_id": "in_1",
    "caller_id": "79161234567",
    "called_did": "74951112233",
    "call_start": "2026-11-23 10:00:00",
}


def test_zadarma_url_check_echoes_its_token(client, zadarma):
    response = client.get(f"/telephony/zadarma/{zadarma.webhook_key}/", {"zd_echo": "abc123"})

    assert response.content == b"abc123"


def test_zadarma_notify_start_redirects_to_the_manager_with_the_callers_name(client, zadarma, caller):
    response = zadarma_post(client, zadarma, "NOTIFY_START", **START)

    assert response.status_code == 200
    assert response.json() == {"redirect": "101", "caller_name": "Иван Петрович · ООО «Ромашка» · type 3"}
    call = Call.objects.get()
    assert (call.contact, call.provider_call_id) == (caller, "in_1")
    assert timezone.localtime(call.started_at).hour == 10  # Zadarma's times are the PBX's local time


def test_zadarma_a_wrong_signature_is_refused_and_nothing_recorded(client, zadarma, caller):
    response = zadarma_post(client, zadarma, "NOTIFY_START", signature="bm9wZQ==", **START)

    assert response.status_code == 403
    assert not Call.objects.exists()


def test_zadarma_notify_end_not_answered_is_a_missed_call_once_however_often_it_comes(client, zadarma, caller):
    zadarma_post(client, zadarma, "NOTIFY_START", **START)
    end = {**START, "duration": "0", "disposition": "no answer", "status_code": "19", "is_recorded": "0"}

    for _ in range(2):
        assert zadarma_post(client, zadarma, "NOTIFY_END", **end).status_code == 200

    assert Call.objects.get().status == Call.Status.MISSED
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


def test_zadarma_an_answered_call_ends_with_who_answered_and_how_long(client, zadarma, caller, manager):
    zadarma_post(client, zadarma, "NOTIFY_START", **START)

    zadarma_post(client, zadarma, "NOTIFY_END", **START, internal="101", duration="125", disposition="answered")

    call = Call.objects.get()
    assert (call.status, call.answered_by, call.duration_seconds) == (Call.Status.ENDED, manager, 125)


def test_zadarma_outbound_calls_are_logged_with_their_own_signature_fields(client, zadarma, caller):
    out = {"pbx_call_id": "out_1", "internal": "101", "destination": "79161234567", "call_start": "2026-11-23 11:00:00"}

    zadarma_post(client, zadarma, "NOTIFY_OUT_START", **out)
    zadarma_post(client, zadarma, "NOTIFY_OUT_END", **out, duration="40", disposition="answered")

    call = Call.objects.get()
    assert (call.direction, call.contact, call.duration_seconds) == ("outbound", caller, 40)
    assert call.interaction.subject == "Outbound call to +79161234567"


def test_zadarma_a_signature_replayed_with_another_call_id_is_refused(client, zadarma, caller):
    """Zadarma's signature covers the numbers and the start time only: one captured signature made three calls
    and three urgent call-back tasks by changing `pbx_call_id`."""
    captured = zadarma_post(client, zadarma, "NOTIFY_START", **START).wsgi_request.headers["Signature"]
    end = {**START, "duration": "0", "disposition": "no answer"}
    zadarma_post(client, zadarma, "NOTIFY_END", **end)

    replays = [
        zadarma_post(client, zadarma, event, signature=captured, **{**end, "pbx_call_id": f"forged_{n}"})
        for n, event in enumerate(["NOTIFY_START", "NOTIFY_END", "NOTIFY_END"])
    ]

    assert [response.status_code for response in replays] == [403, 403, 403]
    assert list(Call.objects.values_list("provider_call_id", flat=True)) == ["in_1"]
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1
    assert zadarma_post(client, zadarma, "NOTIFY_END", **end).status_code == 200  # the real call's repeat


def test_zadarma_an_incomplete_event_is_a_400(client, zadarma):
    response = zadarma_post(client, zadarma, "NOTIFY_START", caller_id="79161234567", call_start="2026-11-23 10:00:00")

    assert response.status_code == 400
    assert b"pbx_call_id" in response.content


# Twilio ----------------------------------------------------------------------------------------------


@pytest.fixture
def twilio_connection(db):
    return telephony_connection_create(
        provider="twilio",
        name="Twilio",
        secret="twilio-auth-token",
        fallback_target="sip:queue@pbx.example.com",
        public_base_url="https://crm.example.com",
    )


def twilio_post(client, connection, name, signature=None, **params):
    from django.urls import reverse

    from crm.telephony.signatures import twilio_signature

    path = reverse(f"telephony_twilio_{name}", args=[connection.webhook_key])
    url = "https://crm.example.com" + path  # what Twilio called, in front of our proxy
    if signature is None:
        signature = twilio_signature(
            auth_token=connection.secret, url=url, params={key: [value] for key, value in params.items()}
        )
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


VOICE = {
    "CallSid": "CA1",
    "From": "+79161234567",
    "To": "+74951112233",
    "CallStatus": "ringing",
    "Direction": "inbound",
}


def test_twilio_voice_dials_the_managers_sip_address_with_a_dial_result_action(
    client, twilio_connection, caller, manager
):
    manager.sip_uri = "sip:ivanova@pbx.example.com"
    manager.save()

    response = twilio_post(client, twilio_connection, "voice", **VOICE)

    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    body = response.content.decode()
    assert "<Sip>sip:ivanova@pbx.example.com</Sip>" in body
    assert f'action="https://crm.example.com/telephony/twilio/{twilio_connection.webhook_key}/dial-result/"' in body
    assert Call.objects.get().contact == caller


def test_twilio_a_forged_or_missing_signature_is_refused(client, twilio_connection, caller):
    assert twilio_post(client, twilio_connection, "voice", signature="AAAA", **VOICE).status_code == 403
    assert twilio_post(client, twilio_connection, "voice", signature="", **VOICE).status_code == 403
    assert not Call.objects.exists()


def test_twilio_a_dial_nobody_answered_is_a_missed_call_and_a_call_back_task(client, twilio_connection, caller):
    twilio_post(client, twilio_connection, "voice", **VOICE)

    response = twilio_post(client, twilio_connection, "dial_result", CallSid="CA1", DialCallStatus="no-answer")

    assert response.status_code == 200
    assert Call.objects.get().status == Call.Status.MISSED
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


def test_twilio_an_answered_dial_and_its_recording_land_on_the_call(client, twilio_connection, caller):
    twilio_post(client, twilio_connection, "voice", **VOICE)

    twilio_post(
        client, twilio_connection, "dial_result", CallSid="CA1", DialCallStatus="completed", DialCallDuration="61"
    )
    twilio_post(client, twilio_connection, "recording", CallSid="CA1", RecordingUrl="https://api.twilio.com/rec/RE1")

    call = Call.objects.get()
    assert (call.status, call.duration_seconds, call.recording_url) == (
        Call.Status.ENDED,
        61,
        "https://api.twilio.com/rec/RE1",
    )


def test_twilio_an_event_for_an_unknown_call_is_a_400_not_a_500(client, twilio_connection):
    response = twilio_post(client, twilio_connection, "dial_result", CallSid="CA404", DialCallStatus="completed")

    assert response.status_code == 400


# Mango Office ----------------------------------------------------------------------------------------


def mango_post(client, connection, event, payload, *, sign=None, api_key="vpbx-key"):
    import json

    from crm.telephony.mango import mango_sign

    body = json.dumps(payload)
    sign = sign if sign is not None else mango_sign(api_key=api_key, payload=body, salt="mango-salt")
    return client.post(
        f"/telephony/mango/{connection.webhook_key}/events/{event}",
        {"vpbx_api_key": api_key, "sign": sign, "json": body},
    )


APPEARED = {
    "entry_id": "ENTRY1",
    "call_id": "LEG1",
    "timestamp": 1795000000,
    "seq": 1,
    "call_state": "Appeared",
    "location": "ivr",
    "from": {"number": "79161234567"},
    "to": {"number": "74951112233"},
}


def test_mango_an_incoming_call_is_routed_by_a_signed_route_command(client, mango, caller):
    import json

    from crm.telephony.mango import mango_sign

    response = mango_post(client, mango, "call", APPEARED)

    assert response.status_code == 200
    [(_method, path, _headers, body)] = mango.api_service.requests
    assert path == "/commands/route"
    from urllib.parse import parse_qs

    form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
    command = json.loads(form["json"])
    assert command == {"command_id": "route-LEG1", "call_id": "LEG1", "to_number": "101"}
    assert form["vpbx_api_key"] == "vpbx-key"
    assert form["sign"] == mango_sign(api_key="vpbx-key", payload=form["json"], salt="mango-salt")
    assert Call.objects.get().contact == caller


def test_mango_a_bad_sign_or_key_is_refused_and_nothing_recorded(client, mango, caller):
    assert mango_post(client, mango, "call", APPEARED, sign="0" * 64).status_code == 403
    assert mango_post(client, mango, "call", APPEARED, api_key="other-key").status_code == 403
    assert not Call.objects.exists()


def test_mango_out_of_order_events_and_the_summary_settle_the_call(client, mango, caller, manager):
    mango_post(client, mango, "call", APPEARED)
    connected = {**APPEARED, "seq": 3, "call_state": "Connected", "location": "abonent", "to": {"extension": "101"}}
    stale = {**APPEARED, "seq": 2, "call_state": "Appeared", "location": "abonent"}

    mango_post(client, mango, "call", connected)
    mango_post(client, mango, "call", stale)  # arrives late: changes nothing
    summary = {"entry_id": "ENTRY1", "entry_result": 1, "talk_time": 1795000010, "end_time": 1795000070}
    assert mango_post(client, mango, "summary", summary).status_code == 200

    call = Call.objects.get()
    assert (call.status, call.answered_by, call.duration_seconds) == (Call.Status.ENDED, manager, 60)
    assert len(mango.api_service.requests) == 1  # routed once


def test_mango_an_unanswered_summary_is_a_missed_call_with_a_call_back(client, mango, caller):
    mango_post(client, mango, "call", APPEARED)

    mango_post(client, mango, "summary", {"entry_id": "ENTRY1", "entry_result": 0, "talk_time": 0, "end_time": 0})

    assert Call.objects.get().status == Call.Status.MISSED
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


@pytest.mark.parametrize("payload", ["not json", "[1, 2]"])
def test_mango_malformed_json_is_a_400(client, mango, payload):
    from crm.telephony.mango import mango_sign

    sign = mango_sign(api_key="vpbx-key", payload=payload, salt="mango-salt")
    response = client.post(
        f"/telephony/mango/{mango.webhook_key}/events/call", {"vpbx_api_key": "vpbx-key", "sign": sign, "json": payload}
    )

    assert response.status_code == 400


def test_mango_an_event_missing_fields_is_a_400(client, mango):
    assert mango_post(client, mango, "call", {"entry_id": "E"}).status_code == 400


# MegaFon VATS / ITooLabs CRM API ---------------------------------------------------------------------


@pytest.fixture
def vats(db):
    return telephony_connection_create(provider="itoolabs", name="VATS", secret="crm-token-1", fallback_target="0")


def vats_post(client, connection, token="crm-token-1", **data):  # noqa: S107  (a test token)
    return client.post(f"/telephony/itoolabs/{connection.webhook_key}/", {"crm_token": token, **data})


def test_vats_contact_answers_the_name_and_the_responsible_manager(client, vats, caller):
    response = vats_post(client, vats, cmd="contact", phone="79161234567", callid="v1")

    assert response.json() == {"contact_name": "Иван Петрович · ООО «Ромашка»", "responsible": "101"}


def test_vats_a_wrong_token_is_refused_and_nothing_recorded(client, vats, caller):
    response = vats_post(client, vats, token="nope", cmd="event", type="INCOMING", phone="79161234567", callid="v1")

    assert response.status_code == 403
    assert not Call.objects.exists()


def test_vats_events_then_history_log_one_answered_call_with_its_recording(client, vats, caller, manager):
    vats_post(client, vats, cmd="event", type="INCOMING", phone="79161234567", diversion="74951112233", callid="v1")
    vats_post(client, vats, cmd="event", type="ACCEPTED", phone="79161234567", ext="101", callid="v1")
    vats_post(client, vats, cmd="event", type="COMPLETED", phone="79161234567", callid="v1")

    response = vats_post(
        client,
        vats,
        cmd="history",
        type="in",
        status="Success",
        phone="79161234567",
        ext="101",
        callid="v1",
        start="20261123T070000Z",
        duration="42",
        link="https://vats.example/rec/v1.mp3",
    )

    assert response.status_code == 200
    call = Call.objects.get()
    assert (call.status, call.answered_by, call.duration_seconds) == (Call.Status.ENDED, manager, 42)
    assert call.interaction.recording_url == "https://vats.example/rec/v1.mp3"


def test_vats_history_of_an_unanswered_inbound_call_is_a_missed_call(client, vats, caller):
    vats_post(
        client,
        vats,
        cmd="history",
        type="in",
        status="missed",
        phone="79161234567",
        callid="v2",
        start="20261123T070000Z",
        duration="0",
    )

    assert Call.objects.get().status == Call.Status.MISSED
    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


@pytest.mark.parametrize("data", [{"cmd": "event", "type": "INCOMING"}, {"cmd": "reboot"}, {"cmd": "contact"}])
def test_vats_incomplete_or_unknown_commands_are_a_400(client, vats, data):
    assert vats_post(client, vats, **data).status_code == 400


def test_the_screen_pop_shows_a_ringing_call_only_to_the_user_it_routes_to(client, pbx, caller, manager, other_manager):
    call, _lookup, _created = call_register(connection=pbx, call_id="pop", direction="inbound", from_number=NUMBER)

    client.force_login(manager)
    mine = client.get("/admin/screen-pop/").json()
    client.force_login(other_manager)
    theirs = client.get("/admin/screen-pop/").json()

    assert mine["call"]["id"] == call.pk and mine["card"]["display_name"].startswith("Иван Петрович")
    assert mine["card"]["account_url"] == f"/admin/crm/account/{caller.account_id}/change/"
    assert theirs == {"call": None}
    call_event(connection=pbx, call_id="pop", type="answered")
    client.force_login(manager)
    assert client.get("/admin/screen-pop/").json() == {"call": None}


# Click to call ---------------------------------------------------------------------------------------


def test_zadarma_api_signature_matches_an_independent_computation():
    from crm.telephony.click_to_call import zadarma_api_signature

    # Zadarma's Client.php: base64(hash_hmac('sha1', method . query . md5(query), secret)), params sorted, hex digest.
    # Computed with: Q='format=json&from=101&to=79161234567'; M=$(printf '%s' "$Q" | md5sum | cut -d' ' -f1);
    # printf '%s' "/v1/request/callback/$Q$M" | openssl dgst -sha1 -hmac zd-secret -r | cut -d' ' -f1 \
    #   | tr -d '\n' | base64
    params = {"to": "79161234567", "from": "101", "format": "json"}

    signature = zadarma_api_signature(secret="zd-secret", method="/v1/request/callback/", params=params)

    assert signature == "Y2UwMjU1NThjZTQ2MThjZmFhM2ZhMTg2ODE3NGE5M2ZlM2QxNjU3MQ=="


@pytest.fixture
def phone(caller):
    return caller.phones.get()


def click(client, user, phone):
    client.force_login(user)
    return client.post(f"/admin/click-to-call/{phone.pk}/", follow=True)


def test_click_to_call_through_twilio_rings_the_manager_then_logs_the_call(
    client, settings, http_service, caller, manager, phone
):
    import base64
    from urllib.parse import parse_qs

    settings.CRM_TWILIO_API_URL = http_service.url
    connection = telephony_connection_create(
        provider="twilio",
        name="Twilio",
        secret="auth-token",
        api_key="AC123",
        fallback_target="0",
        public_base_url="https://crm.example.com",
    )
    connection.outbound_caller_id = "+74951112233"
    connection.save()
    manager.sip_uri = "sip:anna@pbx.example.com"
    manager.save()
    http_service.answer(201, {"sid": "CAclick1", "status": "queued"})

    response = click(client, manager, phone)

    [(_method, path, headers, body)] = http_service.requests
    assert path == "/2010-04-01/Accounts/AC123/Calls.json"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"AC123:auth-token").decode()
    form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
    assert (form["To"], form["From"]) == ("sip:anna@pbx.example.com", "+74951112233")
    assert (
        form["Url"] == f"https://crm.example.com/telephony/twilio/{connection.webhook_key}/connect/?to=%2B79161234567"
    )
    call = Call.objects.get(provider_call_id="CAclick1")
    assert (call.direction, call.contact) == ("outbound", caller)
    assert "Your phone rings now" in response.content.decode()


def test_twilio_connect_dials_the_client_with_our_number(client, caller):
    from crm.telephony.signatures import twilio_signature

    connection = telephony_connection_create(
        provider="twilio",
        name="Twilio",
        secret="auth-token",
        api_key="AC123",
        fallback_target="0",
        public_base_url="https://crm.example.com",
    )
    connection.outbound_caller_id = "+74951112233"
    connection.save()
    path = f"/telephony/twilio/{connection.webhook_key}/connect/?to=%2B79161234567"
    params = {"CallSid": ["CAclick1"]}
    signature = twilio_signature(auth_token="auth-token", url="https://crm.example.com" + path, params=params)

    response = client.post(path, {"CallSid": "CAclick1"}, HTTP_X_TWILIO_SIGNATURE=signature)

    assert response.status_code == 200
    assert '<Dial callerId="+74951112233"><Number>+79161234567</Number></Dial>' in response.content.decode()


def test_click_to_call_through_zadarma_sends_a_signed_callback_request(
    client, settings, http_service, caller, manager, phone
):
    settings.CRM_ZADARMA_API_URL = http_service.url
    telephony_connection_create(
        provider="zadarma", name="Zadarma", secret="zd-secret", api_key="zd-key", fallback_target="0"
    )
    http_service.answer(200, {"status": "success", "from": 101, "to": 79161234567, "time": 1795000000})

    response = click(client, manager, phone)

    [(method, path, headers, _body)] = http_service.requests
    assert (method, path) == ("GET", "/v1/request/callback/?format=json&from=101&to=79161234567")
    assert headers["Authorization"] == "zd-key:Y2UwMjU1NThjZTQ2MThjZmFhM2ZhMTg2ODE3NGE5M2ZlM2QxNjU3MQ=="
    assert "Your phone rings now" in response.content.decode()


def test_click_to_call_needs_a_connection_and_cannot_reach_another_managers_client(
    client, caller, manager, other_manager, phone
):
    response = click(client, manager, phone)
    assert "No telephony connection can place calls" in response.content.decode()

    client.force_login(other_manager)
    assert client.post(f"/admin/click-to-call/{phone.pk}/").status_code == 404


@pytest.mark.parametrize("provider", ["generic", "asterisk", "twilio", "zadarma", "mango", "itoolabs"])
def test_a_simulated_call_through_each_protocol_rings_the_manager_and_lands_in_the_timeline(
    provider, caller, manager, capsys
):
    call_command("telephony_simulate", provider=provider, phone="8 916 123-45-67")

    out = capsys.readouterr().out
    call = Call.objects.get()
    assert (call.routed_to, call.contact, call.status) == (manager, caller, Call.Status.ENDED)
    assert call.interaction.account == caller.account
    assert "rang: 101" in out


def test_a_simulated_missed_call_opens_a_call_back(caller):
    call_command("telephony_simulate", provider="zadarma", phone="+79161234567", missed=True)

    assert Task.objects.filter(created_by_rule="missed_call").count() == 1


HOSTILE_LINKS = ["javascript:alert(document.domain)//", "JaVaScRiPt:alert(1)", "data:text/html,<script>", "//evil"]


@pytest.mark.parametrize("link", HOSTILE_LINKS)
def test_a_recording_link_that_is_not_http_is_dropped_and_the_call_still_recorded(
    client, vats, twilio_connection, caller, link
):
    vats_post(client, vats, cmd="event", type="INCOMING", phone="79161234567", callid="v1")
    history = vats_post(
        client, vats, cmd="history", type="in", status="Success", phone="79161234567", ext="101", callid="v1",
        start="20261123T070000Z", duration="42", link=link,
    )  # fmt: skip
    twilio_post(client, twilio_connection, "voice", **VOICE)
    twilio_post(client, twilio_connection, "recording", CallSid="CA1", RecordingUrl=link)

    assert history.status_code == 200
    assert [(call.status, call.recording_url) for call in Call.objects.order_by("id")] == [
        (Call.Status.ENDED, ""),
        (Call.Status.RINGING, ""),
    ]


def test_a_stored_hostile_link_is_no_link_on_the_card_nor_a_redirect(client, vats, caller, manager, account):
    vats_post(client, vats, cmd="event", type="INCOMING", phone="79161234567", callid="v1")
    call = Call.objects.get()
    # As a row stored before links were checked would have it.
    Call.objects.filter(pk=call.pk).update(recording_url=HOSTILE_LINKS[0])
    InteractionFactory(account=account, recording_url=HOSTILE_LINKS[0])
    client.force_login(manager)

    card = client.get(reverse("admin:crm_account_change", args=[account.pk])).content.decode()
    listened = client.get(reverse("admin:crm_call_recording", args=[call.pk]))

    assert "javascript:" not in card
    assert listened.status_code == 302 and "javascript:" not in listened["Location"]
