"""Property-based tests (hypothesis): phone numbers in every format, and hostile input to survey answers and
to every webhook parser, which must answer with a person's error, never a crash."""

import json
import uuid

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.phones import phone_normalize
from crm.telephony.mango import mango_sign
from crm.telephony.services import telephony_connection_create
from crm.telephony.signatures import twilio_signature, zadarma_signature
from crm.telephony.zadarma import SIGNED_FIELDS
from surveys.models import Survey
from surveys.services.responses import answers_clean

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# Allocated Russian mobile codes: phonenumbers refuses the unallocated ones (930..., for one), rightly.
mobile = st.builds(
    lambda code, rest: code + rest,
    st.sampled_from(["903", "905", "909", "915", "916", "917", "925", "926", "960", "977", "985", "999"]),
    st.from_regex(r"[0-9]{7}", fullmatch=True),
)
text = st.text(max_size=40)
# What broke parsers before (issue 26): any Unicode digit ("²".isdigit() is True), numbers past any column,
# exponents, impossible dates, years past Python's range, ids past their column, and plain text.
hostile = st.one_of(
    text,
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=12),
    st.sampled_from(
        [
            "3e9",
            "10^20",
            "1.5",
            "-1",
            "9" * 5000,
            "2026-13-45 99:99:99",
            "0001-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "20261399T996199Z",
            "x" * 10_000,
        ]
    ),
)
fields = st.dictionaries(
    st.sampled_from(
        [
            "event",
            "pbx_call_id",
            "caller_id",
            "called_did",
            "call_start",
            "internal",
            "duration",
            "disposition",
            "status_code",
            "is_recorded",
            "CallSid",
            "From",
            "To",
            "CallStatus",
            "DialCallStatus",
            "call_id",
        ]
    ),
    hostile,
    max_size=8,
)


@given(number=mobile)
def test_every_way_of_writing_a_russian_mobile_is_the_same_number(number):
    formats = [
        f"+7{number}",
        f"8{number}",
        f"7{number}",
        number,
        f"8 ({number[:3]}) {number[3:6]}-{number[6:8]}-{number[8:]}",
        f"+7 {number[:3]} {number[3:]}",
        f"8-{number[:3]}-{number[3:6]}-{number[6:]}",
    ]
    assert {phone_normalize(written).e164 for written in formats} == {f"+7{number}"}


ten_digits = st.text(alphabet="0123456789", min_size=10, max_size=10)
russian_writing = st.builds(
    lambda n, shape: shape.format(n=n, a=n[:3], b=n[3:6], c=n[6:8], d=n[8:]),
    st.one_of(ten_digits, st.builds(lambda first, rest: first + rest[1:], st.sampled_from("34789"), ten_digits)),
    st.sampled_from(
        [
            "+7{n}",
            "8{n}",
            "7{n}",
            "{n}",
            "8 ({a}) {b}-{c}-{d}",
            "+7 {a} {b}{c}{d}",
            "8-{a}-{b}-{c}{d}",
            "7 {a} {b} {c} {d}",
        ]
    ),
)


@given(written=russian_writing)
def test_the_fast_path_for_russian_numbers_answers_as_phonenumbers_does(written):
    """crm/phones.py reads the usual Russian writings without phonenumbers' parser: it must agree with it on
    every such string, valid or not (any digits, any separators, any prefix)."""
    from crm.phones import _russian_plain

    fast = _russian_plain(written)
    try:
        number = phonenumbers.parse(written, "RU")
        full = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        valid = phonenumbers.is_valid_number(number) and not number.extension
    except phonenumbers.NumberParseException:
        valid = False
    if fast is not None:  # when it answers, it is phonenumbers' answer; when not, phonenumbers is asked
        assert valid and fast.e164 == full


@given(raw=st.text(max_size=60))
def test_any_text_is_a_number_or_a_clear_validation_error(raw):
    try:
        normalized = phone_normalize(raw)
    except ValidationError as error:
        assert error.messages and all(message.strip() for message in error.messages)
    else:
        assert normalized.e164.startswith("+") and normalized.e164[1:].isdigit()


@pytest.mark.django_db
@FUZZ
@given(
    answers=st.one_of(
        st.dictionaries(
            st.sampled_from(["recommend", "reason", "x"]),
            st.one_of(st.integers(-5, 20), text, st.none(), st.booleans()),
        ),
        st.lists(st.integers()),
        text,
        st.integers(),
    )
)
def test_any_survey_answers_are_cleaned_or_refused_with_a_message(answers):
    survey = Survey.objects.get(slug="nps")
    try:
        cleaned = answers_clean(survey=survey, answers=answers, complete=False)
    except ValidationError as error:
        assert error.messages
    else:
        assert set(cleaned) <= {"recommend", "reason"}


@pytest.fixture
def connections(db):
    return {
        provider: telephony_connection_create(
            provider=provider,
            name=provider,
            secret=f"{provider}-secret",
            api_key="key",
            fallback_target="100",
            public_base_url="https://crm.example.com",
        )
        for provider in ("zadarma", "mango", "twilio", "itoolabs")
    }


@FUZZ
@given(data=fields, event=st.sampled_from([*SIGNED_FIELDS, "NOTIFY_IVR"]))
def test_a_correctly_signed_zadarma_event_with_any_values_never_crashes(client, connections, data, event):
    zadarma = connections["zadarma"]
    data = {"event": event, **{name: value for name, value in data.items() if name != "event"}}
    signed = "".join(data.get(name, "") for name in SIGNED_FIELDS.get(data.get("event", ""), ()))
    response = client.post(
        f"/telephony/zadarma/{zadarma.webhook_key}/",
        data,
        HTTP_SIGNATURE=zadarma_signature(secret=zadarma.secret, signed=signed),
    )
    assert response.status_code < 500


@FUZZ
@given(
    payload=st.one_of(
        st.dictionaries(
            st.one_of(text, st.sampled_from(["entry_id", "call_id", "seq", "call_state", "talk_time", "end_time"])),
            st.one_of(hostile, st.integers(), st.floats(), st.none(), st.recursive(st.none(), st.lists, max_leaves=30)),
            max_size=6,
        ),
        st.lists(text, max_size=3),
        text,
    ),
    event=st.sampled_from(["call", "summary", "recording", "ping", "../admin"]),
)
def test_a_correctly_signed_mango_event_with_any_json_never_crashes(client, connections, payload, event):
    mango = connections["mango"]
    body = json.dumps(payload)
    response = client.post(
        f"/telephony/mango/{mango.webhook_key}/events/{event}",
        {"vpbx_api_key": "key", "sign": mango_sign(api_key="key", payload=body, salt=mango.secret), "json": body},
    )
    assert response.status_code < 500


@FUZZ
@given(params=fields, hook=st.sampled_from(["voice", "dial-result", "status", "connect", "recording"]))
def test_a_correctly_signed_twilio_callback_with_any_values_never_crashes(client, connections, params, hook):
    twilio = connections["twilio"]
    path = f"/telephony/twilio/{twilio.webhook_key}/{hook}/"
    signature = twilio_signature(
        auth_token=twilio.secret, url="https://crm.example.com" + path, params={k: [v] for k, v in params.items()}
    )
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature).status_code < 500


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(["cmd", "phone", "type", "callid", "user", "duration", "link", "status", "start", "ext"]),
        hostile,
        max_size=8,
    )
)
def test_an_itoolabs_request_with_the_right_token_and_any_values_never_crashes(client, connections, params):
    itoolabs = connections["itoolabs"]
    response = client.post(f"/telephony/itoolabs/{itoolabs.webhook_key}/", {**params, "crm_token": itoolabs.secret})
    assert response.status_code < 500


@FUZZ
@given(
    body=st.dictionaries(
        st.sampled_from(["call_id", "direction", "from", "to", "started_at", "type", "at", "duration", "seq"]),
        st.one_of(hostile, st.integers(), st.none()),
        max_size=6,
    )
)
def test_the_generic_telephony_api_answers_any_json_with_a_4xx_or_success(token_client, manager, body):
    api = token_client(manager, scopes=["telephony:write", "telephony:read"])
    for response in (
        api.post("/api/v1/telephony/calls/", body, format="json"),
        api.post("/api/v1/telephony/calls/any-call/events/", body, format="json"),
    ):
        assert response.status_code < 500, response.content


@pytest.mark.django_db
def test_a_nul_character_in_a_webhook_is_a_400_not_a_crash(client, connections):
    """Found by the Twilio property above on PostgreSQL, which cannot store NUL in text."""
    twilio = connections["twilio"]
    path = f"/telephony/twilio/{twilio.webhook_key}/voice/"
    params = {"CallSid": "CA\x00", "From": "+79161234567"}
    signature = twilio_signature(
        auth_token=twilio.secret, url="https://crm.example.com" + path, params={k: [v] for k, v in params.items()}
    )
    response = client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 400 and "NUL" in response.content.decode()
    mango = connections["mango"]
    body = json.dumps({"entry_id": "a\x00b"})
    response = client.post(
        f"/telephony/mango/{mango.webhook_key}/events/call",
        {"vpbx_api_key": "key", "sign": mango_sign(api_key="key", payload=body, salt=mango.secret), "json": body},
    )
    assert response.status_code == 400


@FUZZ
@given(forged=st.text(min_size=1, max_size=40))
def test_any_characters_in_any_signature_or_token_are_refused_never_a_server_error(client, connections, forged):
    """`hmac.compare_digest` raises on non-ASCII str: `sign=ключ`, `Signature: éé` were 500s before any check."""
    asterisk = telephony_connection_create(
        provider="asterisk", name=f"a-{uuid.uuid4()}", secret="asterisk-secret", fallback_target="1"
    )
    zadarma, mango, twilio, itoolabs = (connections[name] for name in ("zadarma", "mango", "twilio", "itoolabs"))
    body = json.dumps({"entry_id": "E1"})
    in_headers = [
        client.get(f"/telephony/asterisk/{asterisk.webhook_key}/lookup/", {"phone": "1"}, HTTP_X_CRM_TOKEN=forged),
        client.post(f"/telephony/zadarma/{zadarma.webhook_key}/", {"event": "NOTIFY_START"}, HTTP_SIGNATURE=forged),
        client.post(
            f"/telephony/twilio/{twilio.webhook_key}/voice/", {"CallSid": "CA1"}, HTTP_X_TWILIO_SIGNATURE=forged
        ),
    ]
    in_fields = [
        client.post(f"/telephony/itoolabs/{itoolabs.webhook_key}/", {"cmd": "contact", "crm_token": forged}),
        client.post(
            f"/telephony/mango/{mango.webhook_key}/events/call", {"vpbx_api_key": "key", "sign": forged, "json": body}
        ),
        client.post(
            f"/telephony/mango/{mango.webhook_key}/events/call", {"vpbx_api_key": forged, "sign": forged, "json": body}
        ),
    ]

    assert [response.status_code for response in in_headers] == [403] * len(in_headers)
    # A NUL in a parameter is refused as a malformed request before any check (crm/middleware.py).
    expected = 400 if "\x00" in forged else 403
    assert [response.status_code for response in in_fields] == [expected] * len(in_fields)


def _list_parameters():
    """(path, parameter) for every query parameter of every GET operation in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (path, parameter["name"])
        for path, operations in schema["paths"].items()
        if "{" not in path and "get" in operations
        for parameter in operations["get"].get("parameters", [])
        if parameter.get("in") == "query"
    )


def test_the_api_filters_found_cover_the_lists_and_the_metrics():
    parameters = {f"{path}?{name}" for path, name in _list_parameters()}

    assert {"/api/v1/accounts/?cursor", "/api/v1/accounts/?zone", "/api/v1/metrics/nps/?from"} <= parameters
    assert "/api/v1/journeys/funnel/?to" in parameters


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "name"), _list_parameters())
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.one_of(hostile, st.just("\x00")))
def test_every_api_filter_answers_any_value_with_a_4xx_or_success(api_superuser, path, name, value):
    response = api_superuser.get(path, {name: value})

    assert response.status_code < 500, (path, name, value[:80])


@pytest.fixture
def api_superuser(token_client, superuser):
    return token_client(superuser, ["*"])
