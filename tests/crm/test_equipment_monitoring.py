"""Equipment monitoring (issue 20, part 1): a unit's signal opens one service request per problem, tasks the
manager, tells the responsible person; repeats only count; "back to normal" closes what nobody touched."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from crm.models import EquipmentSignal, OutboundMessage, ServiceRequest, Task
from crm.monitoring.services import equipment_signals_process
from crm.outreach.services import outbox_send_batch
from crm.services.tokens import api_token_issue
from tests.crm.factories import AccountFactory, ContactFactory, EquipmentFactory, UserFactory
from tests.crm.test_outbox import working_hours

pytestmark = pytest.mark.django_db
URL = "/api/v1/equipment/signals/"


@pytest.fixture
def integration():
    user = UserFactory(username="scada")
    user.user_permissions.add(Permission.objects.get(codename="view_all_accounts"))
    return user


def client_for(user, scopes):
    _token, raw = api_token_issue(user=user, name="SCADA", scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def scada(integration):
    return client_for(integration, ["equipment:write"])


@pytest.fixture
def unit(manager):
    account = AccountFactory(manager=manager, name="ООО «Прокат»")
    person = ContactFactory(account=account, first_name="Иван", patronymic="Петрович", email="ivan@prokat.example")
    return EquipmentFactory(account=account, serial_number="PR-7781", responsible_contact=person)


def signal(unit, kind="fault", minutes_ago=5, **extra):
    return {
        "serial_number": unit.serial_number,
        "kind": kind,
        "severity": "warning",
        "occurred_at": (timezone.now() - timedelta(minutes=minutes_ago)).isoformat(),
        **extra,
    }


def test_a_fault_opens_one_request_an_urgent_task_and_a_word_to_the_responsible_person(scada, unit, manager):
    answer = scada.post(URL, signal(unit, code="E42", data={"temperature": 97.5}), format="json")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "accepted"

    assert equipment_signals_process() == 1

    request = ServiceRequest.objects.get()
    assert request.channel == "monitoring" and request.equipment == unit and request.problem_code == "E42"
    assert request.account == unit.account and request.assignee == manager and request.signal_count == 1
    assert "temperature: 97.5" in request.description
    task = Task.objects.get(created_by_rule="equipment_signal")
    assert task.assignee == manager and task.priority == Task.Priority.URGENT
    message = OutboundMessage.objects.get(kind="equipment_alert")
    assert message.contact == unit.responsible_contact and message.language == "ru"
    assert "PR-7781" in message.subject and "код E42" in message.body and "Иван Петрович" in message.body
    unit.refresh_from_db()
    assert unit.last_signal.kind == "fault"


def test_repeats_of_an_open_problem_only_count_and_another_problem_opens_its_own(scada, unit):
    for minutes in (30, 20, 10):
        assert scada.post(URL, signal(unit, code="E42", minutes_ago=minutes), format="json").status_code == 202
    equipment_signals_process()
    scada.post(URL, signal(unit, code="E42", minutes_ago=5), format="json")
    scada.post(URL, signal(unit, kind="predicted_failure", code="BEARING", minutes_ago=4), format="json")
    equipment_signals_process()

    assert ServiceRequest.objects.count() == 2
    assert ServiceRequest.objects.get(problem_code="E42").signal_count == 4
    assert Task.objects.filter(created_by_rule="equipment_signal").count() == 2
    assert OutboundMessage.objects.filter(kind="equipment_alert").count() == 2
    assert EquipmentSignal.objects.filter(processed_at__isnull=True).count() == 0


def test_back_to_normal_closes_an_untouched_problem_and_its_task_and_the_unsent_word(scada, unit):
    scada.post(URL, signal(unit, code="E42", minutes_ago=10), format="json")
    equipment_signals_process()
    scada.post(URL, signal(unit, kind="normal", code="E42", minutes_ago=1), format="json")
    equipment_signals_process()

    request = ServiceRequest.objects.get()
    assert request.status == ServiceRequest.Status.CLOSED and request.resolved_at is not None
    assert Task.objects.get(created_by_rule="equipment_signal").status == Task.Status.CANCELLED
    outbox_send_batch(now=working_hours())
    message = OutboundMessage.objects.get(kind="equipment_alert")
    assert message.status == OutboundMessage.Status.SUPPRESSED and "back to normal" in message.status_reason

    # The next fault is a new problem.
    scada.post(URL, signal(unit, code="E42", minutes_ago=0), format="json")
    equipment_signals_process()
    assert ServiceRequest.objects.unresolved().count() == 1


def test_back_to_normal_leaves_a_problem_someone_is_working_on(scada, unit):
    scada.post(URL, signal(unit, minutes_ago=10), format="json")
    equipment_signals_process()
    ServiceRequest.objects.update(status=ServiceRequest.Status.IN_PROGRESS, first_response_at=timezone.now())
    scada.post(URL, signal(unit, kind="normal", minutes_ago=1), format="json")
    equipment_signals_process()

    assert ServiceRequest.objects.get().status == ServiceRequest.Status.IN_PROGRESS
    assert EquipmentSignal.objects.filter(service_request__isnull=False).count() == 2


def test_a_threshold_crossed_is_recorded_and_shown_but_opens_nothing(scada, unit, manager, client):
    scada.post(URL, signal(unit, kind="threshold", code="T-HIGH"), format="json")
    equipment_signals_process()

    assert not ServiceRequest.objects.exists() and not Task.objects.exists()
    client.force_login(manager)
    card = client.get(f"/admin/crm/account/{unit.account_id}/change/").content.decode()
    assert "T-HIGH" in card
    page = client.get(f"/admin/crm/equipment/{unit.id}/change/").content.decode()
    assert "T-HIGH" in page


def test_the_same_signal_sent_again_is_stored_once(scada, unit):
    body = signal(unit, code="E42")
    assert scada.post(URL, body, format="json").status_code == 202
    again = scada.post(URL, body, format="json")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    with_id = {**signal(unit, minutes_ago=3), "signal_id": "scada-991"}
    assert scada.post(URL, with_id, format="json").status_code == 202
    assert scada.post(URL, {**with_id, "severity": "critical"}, format="json").status_code == 200
    assert EquipmentSignal.objects.count() == 2


def test_a_critical_problem_is_told_even_in_quiet_hours(scada, unit, smtp_server):
    scada.post(URL, signal(unit, severity="critical"), format="json")
    equipment_signals_process()
    night = working_hours().replace(hour=3)

    outbox_send_batch(now=night)

    assert OutboundMessage.objects.get(kind="equipment_alert").status == OutboundMessage.Status.SENT
    assert len(smtp_server.messages) == 1


def test_a_warning_waits_for_the_sending_hours(scada, unit):
    scada.post(URL, signal(unit), format="json")
    equipment_signals_process()

    outbox_send_batch(now=working_hours().replace(hour=3))

    message = OutboundMessage.objects.get(kind="equipment_alert")
    assert message.status == OutboundMessage.Status.QUEUED and "Quiet hours" in message.status_reason


def test_an_account_with_no_responsible_person_tells_its_decision_maker(scada, manager):
    account = AccountFactory(manager=manager)
    ContactFactory(account=account, email="other@x.example")
    boss = ContactFactory(account=account, is_decision_maker=True, email="boss@x.example")
    unit = EquipmentFactory(account=account)
    scada.post(URL, signal(unit), format="json")
    equipment_signals_process()
    assert OutboundMessage.objects.get(kind="equipment_alert").contact == boss


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"serial_number": "", "kind": "fault"}, "equipment_id"),
        ({"serial_number": "NOPE", "kind": "fault"}, "serial_number"),
        ({"equipment_id": 999999, "kind": "fault"}, "equipment_id"),
        ({"equipment_id": "7", "kind": "fault"}, "equipment_id"),
        ({"kind": "explosion"}, "kind"),
        ({"kind": "fault", "severity": "apocalyptic"}, "severity"),
        ({"kind": "fault", "occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "fault", "occurred_at": "2026-12-07T10:00:00"}, "occurred_at"),
        ({"kind": "fault", "occurred_at": "2099-01-01T00:00:00+00:00"}, "occurred_at"),
        ({"kind": "fault", "data": [1, 2]}, "data"),
        ({"kind": "fault", "data": {"blob": "x" * 20_000}}, "data"),
        ({"kind": "fault", "code": "C" * 65}, "code"),
        ({"kind": "fault", "code": "E\x0042"}, "code"),  # PostgreSQL's text cannot hold a NUL
        ({"kind": "fault", "data": {"note": "a\x00b"}}, "data"),
    ],
)
def test_a_malformed_signal_is_refused_with_the_field_and_nothing_is_stored(scada, unit, body, field):
    body = {"serial_number": unit.serial_number, "occurred_at": timezone.now().isoformat(), **body}
    answer = scada.post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["fields"]
    assert not EquipmentSignal.objects.exists()


def test_not_json_too_large_and_not_signals_are_refused(scada, unit):
    assert scada.post(URL, "{not json", content_type="application/json").status_code == 400
    assert scada.post(URL, [1], format="json").status_code == 400
    huge = {**signal(unit), "pad": "x" * 1_100_000}
    assert scada.post(URL, huge, format="json").status_code == 413
    assert not EquipmentSignal.objects.exists()


def test_two_models_sharing_a_serial_need_the_model(scada, unit):
    EquipmentFactory(account=unit.account, model_name="Другой станок", serial_number=unit.serial_number)
    assert "model" in scada.post(URL, signal(unit), format="json").json()["error"]["message"]
    assert scada.post(URL, signal(unit, model=unit.model_name), format="json").status_code == 202


def test_tokens_must_be_valid_scoped_and_of_a_user_who_sees_every_account(unit, integration, manager):
    assert APIClient().post(URL, signal(unit), format="json").status_code == 401
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Bearer crm_000000000000_forged")
    assert forged.post(URL, signal(unit), format="json").status_code == 401
    assert client_for(integration, ["telephony:write"]).post(URL, signal(unit), format="json").status_code == 403
    assert client_for(manager, ["equipment:write"]).post(URL, signal(unit), format="json").status_code == 403
    assert APIClient().get(URL).status_code == 405
    assert not EquipmentSignal.objects.exists()


def test_the_simulator_plays_a_fault_and_the_return_to_normal_on_the_demo_data(unit, capsys):
    call_command("equipment_simulate", serial=unit.serial_number, kind="fault", code="E42")
    out = capsys.readouterr().out
    assert "202" in out and "service request" in out.lower()
    assert ServiceRequest.objects.unresolved().count() == 1

    call_command("equipment_simulate", serial=unit.serial_number, kind="normal", code="E42")
    assert ServiceRequest.objects.unresolved().count() == 0


def test_the_manager_sees_only_signals_of_their_accounts(scada, unit, other_manager, client):
    scada.post(URL, signal(unit, code="E42"), format="json")
    client.force_login(other_manager)
    page = client.get("/admin/crm/equipmentsignal/").content.decode()
    assert "PR-7781" not in page


@pytest.mark.django_db(transaction=True)
def test_a_storm_of_signals_over_real_http_and_two_workers_at_once_open_one_request(live_server, integration, unit):
    """200 copies of one signal and 40 repeats of its problem, 10 at a time, then two workers acting together."""
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from django.db import connection

    _token, raw = api_token_issue(user=integration, name="SCADA", scopes=["equipment:write"])
    same = signal(unit, code="E42", minutes_ago=20)
    bodies = [same] * 200 + [signal(unit, code="E42", minutes_ago=19, signal_id=f"r{n}") for n in range(40)]

    def post(body):
        return requests.post(
            f"{live_server.url}{URL}", json=body, headers={"Authorization": f"Bearer {raw}"}, timeout=30
        ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(post, bodies))
    assert statuses.count(202) == 41 and statuses.count(200) == 199, sorted(set(statuses))

    def work(_n):
        try:
            return equipment_signals_process(batch_size=7)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        acted = sum(pool.map(work, range(2)))
    assert acted == 41
    request = ServiceRequest.objects.get()
    assert request.signal_count == 41
    assert Task.objects.filter(created_by_rule="equipment_signal").count() == 1
    assert OutboundMessage.objects.filter(kind="equipment_alert").count() == 1


def test_a_fault_back_to_normal_and_a_fault_again_in_one_batch_leave_one_open_request(scada, unit):
    scada.post(URL, signal(unit, code="E42", minutes_ago=30), format="json")
    scada.post(URL, signal(unit, kind="normal", code="E42", minutes_ago=20), format="json")
    scada.post(URL, signal(unit, code="E42", minutes_ago=10), format="json")

    assert equipment_signals_process() == 3

    assert ServiceRequest.objects.filter(status=ServiceRequest.Status.CLOSED).count() == 1
    assert ServiceRequest.objects.unresolved().count() == 1
    assert Task.objects.filter(created_by_rule="equipment_signal", status=Task.Status.OPEN).count() == 1
    assert OutboundMessage.objects.filter(kind="equipment_alert").count() == 1


def test_a_batch_of_signals_is_stored_in_one_request_and_answers_for_each(scada, unit):
    first = signal(unit, code="E1", minutes_ago=3)
    answer = scada.post(URL, [first, signal(unit, code="E2", minutes_ago=2), first], format="json")

    assert answer.status_code == 202, answer.content
    assert [row["status"] for row in answer.json()["signals"]] == ["accepted", "accepted", "duplicate"]
    assert answer.json()["signals"][0]["id"] == answer.json()["signals"][2]["id"]
    again = scada.post(URL, [first], format="json")
    assert again.status_code == 200 and again.json()["signals"][0]["status"] == "duplicate"
    assert EquipmentSignal.objects.count() == 2
    equipment_signals_process()
    assert ServiceRequest.objects.count() == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"kind": "explosion"}, "1.kind"),
        ({"serial_number": "NOPE"}, "1.serial_number"),
        ("not a signal", "1.body"),
    ],
)
def test_a_batch_with_one_bad_signal_stores_none_and_names_it(scada, unit, bad, field):
    body = [signal(unit, code="E1"), {**signal(unit, code="E2"), **bad} if isinstance(bad, dict) else bad]
    answer = scada.post(URL, body, format="json")
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["fields"]
    assert not EquipmentSignal.objects.exists()


def test_an_empty_or_oversized_batch_is_refused(scada, unit):
    assert scada.post(URL, [], format="json").status_code == 400
    assert scada.post(URL, [signal(unit, signal_id=str(n)) for n in range(101)], format="json").status_code == 400
    assert not EquipmentSignal.objects.exists()
