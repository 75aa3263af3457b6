"""The application gunicorn serves (config.wsgi): equipment signals through a handler with a short middleware
stack (config/machine.py), every other page through Django's full one. Called as gunicorn calls it, with a WSGI
environ, and with real transactions: the handler's request signals recycle the database connection as in
production."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from config import machine
from config.wsgi import application
from crm.models import EquipmentSignal
from crm.services.tokens import api_token_issue
from tests.crm.test_equipment_monitoring import integration, signal, unit  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


def served(request) -> tuple[int, dict, bytes]:
    """(status, headers, body) of the request as config.wsgi.application answers it."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(headers))

    body = b"".join(application(request.environ, start_response))
    return answer["status"], answer["headers"], body


def signal_post(raw_token: str, body: dict, **headers):
    return RequestFactory().post(
        "/api/v1/equipment/signals/",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw_token}",
        **headers,
    )


@pytest.fixture
def raw_token(integration):  # noqa: F811
    return api_token_issue(user=integration, name="SCADA", scopes=["equipment:write"])[1]


def test_a_signal_is_stored_once_and_answered_with_the_security_headers_and_no_cookies(raw_token, unit):  # noqa: F811
    status, headers, body = served(signal_post(raw_token, signal(unit, signal_id="s-1")))

    assert status == 202, body
    assert json.loads(body)["status"] == "accepted"
    assert EquipmentSignal.objects.get().equipment == unit
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie: a machine's request, not a browser's
    assert "Content-Security-Policy" not in headers  # the short stack served it (a policy for pages, not JSON)
    # The same signal again, in a new request cycle (the connection checked again): stored once.
    status, _headers, body = served(signal_post(raw_token, signal(unit, signal_id="s-1")))
    assert (status, json.loads(body)["status"]) == (200, "duplicate")
    assert EquipmentSignal.objects.count() == 1


def test_errors_speak_the_senders_language_and_bad_tokens_are_refused(raw_token, unit):  # noqa: F811
    bad = {**signal(unit), "kind": "explosion"}
    status, headers, body = served(signal_post(raw_token, bad, HTTP_ACCEPT_LANGUAGE="ru"))
    assert status == 400
    assert "Одно из" in json.loads(body)["error"]["fields"]["kind"]
    assert headers["Content-Language"] == "ru"

    status, _headers, _body = served(signal_post("crm_000000000000_forged", signal(unit)))
    assert status == 401
    assert not EquipmentSignal.objects.exists()


def test_every_other_page_keeps_the_full_middleware():
    status, headers, _body = served(RequestFactory().get("/admin/login/"))
    assert status == 200
    assert "Content-Security-Policy" in headers
    assert "csrftoken" in headers.get("Set-Cookie", "")


def test_a_middleware_with_hooks_the_short_stack_would_skip_is_refused(monkeypatch):
    monkeypatch.setattr(machine, "MIDDLEWARE", (*machine.MIDDLEWARE, "django.middleware.csrf.CsrfViewMiddleware"))
    with pytest.raises(ImproperlyConfigured, match="CsrfViewMiddleware"):
        machine.MachineHandler()
