import os

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from crm.services.roles import ACCOUNT_MANAGERS, HEADS
from crm.services.tokens import api_token_issue
from tests.crm.factories import AccountFactory, DepartmentFactory, UserFactory

# CI sets CRM_REQUIRE_SERVICES=1: a test skipped for a missing PostgreSQL, Redis or Chromium
# then fails instead, so a broken CI machine cannot pass by skipping.
REQUIRE_SERVICES = os.environ.get("CRM_REQUIRE_SERVICES") == "1"
NOT_APPLICABLE = "not applicable on this database"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # A PostgreSQL-only test on the SQLite run is not missing a service; CI's PostgreSQL run runs it.
    if REQUIRE_SERVICES and report.skipped and NOT_APPLICABLE not in str(report.longrepr):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"CRM_REQUIRE_SERVICES=1, but the test was skipped: {reason}"


@pytest.fixture(autouse=True)
def _recent_rows_forgotten():
    """What a process remembers of tokens and connections (crm/recent.py) does not outlive a test's rolled-back
    rows, as it does not outlive a few seconds in production."""
    from django.core.cache import cache

    from config.admin import app_lists_forget
    from crm.recent import recent_forget

    recent_forget()
    app_lists_forget()  # a rolled-back user's id comes back as another user
    cache.clear()  # rate-limit counters and remembered webhook signatures belong to one test
    yield
    recent_forget()


@pytest.fixture
def department(db):
    return DepartmentFactory(name="Sales Moscow")


@pytest.fixture
def head(db, department):
    user = UserFactory(username="head", department=department)
    user.groups.add(Group.objects.get(name=HEADS))
    department.head = user
    department.save()
    return user


@pytest.fixture
def manager(db, department, head):
    user = UserFactory(username="manager", department=department, head=head)
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return user


@pytest.fixture
def other_manager(db):
    """A manager in another department: must never see `manager`'s clients."""
    user = UserFactory(username="other", department=DepartmentFactory(name="Sales Ural"))
    user.groups.add(Group.objects.get(name=ACCOUNT_MANAGERS))
    return user


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def account(manager):
    return AccountFactory(manager=manager, name="ООО «Ромашка»")


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def token_client():
    """An API client authenticated with a real token: token_client(user, scopes)."""

    def make(user, scopes):
        _token, raw = api_token_issue(user=user, name="test", scopes=scopes)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


class SMTPRecorder:
    """An aiosmtpd handler that keeps what it receives and can refuse chosen recipients."""

    def __init__(self):
        self.messages = []  # email.message.Message, in arrival order
        self.refuse = {}  # address -> "550 No such user" (or a 4xx for a transient refusal)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on localhost, and Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    recorder = SMTPRecorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    recorder.controller = controller
    yield recorder
    controller.stop()


class FakeHTTPService:
    """A real HTTP server on localhost standing in for an outside API (Telegram, an SMS gateway).

    Tests queue the answers (status, JSON or bytes, headers) and read back the requests it got.
    """

    def __init__(self):
        self.requests = []  # (method, path, headers, body bytes)
        self.answers = []  # consumed in order; when empty, 200 {"ok": true}

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, status=200, body=None, headers=None):
        self.answers.append((status, body if body is not None else {"ok": True}, headers or {}))


@pytest.fixture
def http_service():
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    service = FakeHTTPService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            service.requests.append((self.command, self.path, dict(self.headers), body))
            status, answer, headers = service.answers.pop(0) if service.answers else (200, {"ok": True}, {})
            payload = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    service.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=service.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield service
    service.server.shutdown()
    service.server.server_close()
