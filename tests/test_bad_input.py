"""Bad input found by the second red-team pass (issue 26): each one answered a 500, now a 400 with a message a
person can act on, and nothing half-written. The property tests (tests/test_properties.py) cover the classes;
these are the instances, as they were reported."""

import json

import pytest
from django.urls import reverse

from crm.models import MessageTemplate
from crm.telephony.mango import mango_sign
from crm.telephony.models import Call
from crm.telephony.services import telephony_connection_create
from tests.crm.test_telephony import START, zadarma_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(token_client, superuser):
    return token_client(superuser, ["*"])


@pytest.fixture
def zadarma(db):
    return telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd", fallback_target="1")


@pytest.fixture
def mango(db):
    return telephony_connection_create(provider="mango", name="Mango", secret="s", api_key="key", fallback_target="1")


def mango_post(client, connection, event, body: str):
    sign = mango_sign(api_key="key", payload=body, salt=connection.secret)
    return client.post(
        f"/telephony/mango/{connection.webhook_key}/events/{event}", {"vpbx_api_key": "key", "sign": sign, "json": body}
    )


END = {**START, "disposition": "answered"}


@pytest.mark.parametrize(
    ("event", "fields", "message"),
    [
        ("NOTIFY_END", {**END, "duration": "²"}, "whole seconds"),
        ("NOTIFY_END", {**END, "duration": "3e9"}, "whole seconds"),
        ("NOTIFY_END", {**END, "duration": "9" * 5000}, "whole seconds"),
        ("NOTIFY_END", {**END, "duration": "99999999"}, "to a week"),
        ("NOTIFY_START", {**START, "call_start": "2026-13-45 99:99:99"}, "is not a date and time"),
        ("NOTIFY_START", {**START, "call_start": "0001-01-01 00:00:00"}, "is not a date and time"),
        ("NOTIFY_START", {**START, "pbx_call_id": "x" * 10_000}, "at most 128 characters"),
    ],
)
def test_zadarma_malformed_fields_are_a_400_naming_them_and_record_nothing(client, zadarma, event, fields, message):
    response = zadarma_post(client, zadarma, event, **fields)

    assert response.status_code == 400 and message in response.content.decode()
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("event", "body"),
    [
        ("call", "[" * 100_000 + "]" * 100_000),
        ("call", json.dumps({"entry_id": "E" * 10_000, "call_id": "c", "seq": 1, "call_state": "Appeared"})),
        ("call", json.dumps({"entry_id": "E1", "call_id": "c", "seq": 10**30, "call_state": "Connected"})),
        ("summary", json.dumps({"entry_id": "E1", "entry_result": 1, "talk_time": 1, "end_time": 10**20})),
        ("summary", '{"entry_id": "E1", "entry_result": 1, "talk_time": 1, "end_time": Infinity}'),
    ],
)
def test_mango_malformed_json_is_a_400_and_records_nothing(client, mango, event, body):
    assert mango_post(client, mango, event, body).status_code == 400
    assert not Call.objects.exists()


def test_a_call_whose_event_is_refused_is_not_left_half_recorded(client):
    vats = telephony_connection_create(provider="itoolabs", name="VATS", secret="vats", fallback_target="1")

    response = client.post(
        f"/telephony/itoolabs/{vats.webhook_key}/",
        {"crm_token": "vats", "cmd": "history", "type": "in", "status": "Success", "phone": "79161234567",
         "callid": "v1", "duration": "²"},
    )  # fmt: skip

    assert response.status_code == 400
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v1/accounts/", {"cursor": "not-a-cursor"}, "page link is damaged"),
        ("/api/v1/accounts/", {"zone": "\x00"}, "NUL"),
        ("/api/v1/metrics/nps/", {"from": "0001-01-01"}, "1900 and 2199"),
        ("/api/v1/journeys/funnel/", {"to": "9999-12-31"}, "1900 and 2199"),
        ("/api/v1/interactions/", {"occurred_after": "0001-01-01T00:00:00"}, "1900 and 2199"),
        ("/api/v1/orders/", {"account": str(10**30)}, "less than or equal"),
        ("/api/v1/metrics/csat/", {"account": str(2**63)}, "less than or equal"),
        ("/api/v1/metrics/csat/", {"manager": str(2**63)}, "does not exist"),
    ],
)
def test_api_query_values_out_of_any_range_are_a_400_with_a_message(api, path, params, message):
    response = api.get(path, params)

    assert response.status_code == 400 and message in response.content.decode()


def test_json_nested_too_deeply_is_a_400(api):
    response = api.generic("POST", "/api/v1/accounts/", "[" * 50_000 + "]" * 50_000, content_type="application/json")

    assert response.status_code == 400 and "nested too deeply" in response.json()["error"]["message"]


def test_the_admin_answers_a_nul_in_a_search_and_a_bad_call_id_without_a_500(client, superuser):
    client.force_login(superuser)

    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "crm", "model_name": "interaction", "field_name": "account", "term": "\x00"},
    )
    recording = client.get("/admin/crm/call/abc/recording/")

    assert autocomplete.status_code == 400
    assert recording.status_code == 302  # the admin's own "no such object" page


@pytest.mark.parametrize("tag", ['{% include "admin/base.html" %}', '{% extends "x" %}', "{% load static %}"])
def test_a_message_template_that_reaches_outside_the_message_is_refused(client, superuser, tag):
    client.force_login(superuser)

    response = client.post(
        reverse("admin:crm_messagetemplate_add"),
        {"kind": "birthday", "language": "ru", "behaviour_type": "1", "subject": "Привет", "body": f"{tag} текст"},
    )

    assert response.status_code == 200 and "A message cannot use" in response.content.decode()
    assert not MessageTemplate.objects.filter(kind="birthday", behaviour_type=1).exists()


def test_a_nul_in_a_survey_answer_is_a_400_and_nothing_is_stored(api, manager):
    from surveys.models import Response
    from tests.crm.factories import AccountFactory, ContactFactory

    person = ContactFactory(account=AccountFactory(manager=manager))
    body = {
        "contact": person.id,
        "submitted_at": "2026-05-01T10:00:00+03:00",
        "external_id": "forms-1",
        "answers": {"recommend": 9, "reason": "быстро\x00привезли"},
    }

    response = api.post("/api/v1/surveys/nps/responses/", body, format="json")

    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    assert not Response.objects.exists()
