"""The rate limits behind a real reverse proxy: nginx in front of gunicorn, clients at their own loopback addresses.

Behind a proxy every request reaches Django from the proxy's address: counted by REMOTE_ADDR, 20 bad requests
from one attacker made every provider's webhooks answer 429. With the proxy listed in CRM_TRUSTED_PROXIES each
client is counted by its own address, and a correctly signed request is never refused.
"""

import http.client
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import pytest

from crm.ratelimit import WINDOW_SECONDS
from crm.telephony.services import telephony_connection_create
from crm.telephony.signatures import zadarma_signature
from crm.telephony.zadarma import SIGNED_FIELDS
from tests.crm.test_telephony import START
from tests.test_celery_worker import ROOT, _database_url

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
ATTACKER, PROVIDER, NEIGHBOUR = "127.0.0.2", "127.0.0.3", "127.0.0.4"
LIMIT = 5

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextmanager
def _process(arguments, log, **kwargs):
    process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, **kwargs)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def proxy(tmp_path):
    """nginx on a port of its own, passing X-Forwarded-For the usual way, to gunicorn on production-like limits."""
    if not shutil.which("nginx") and not shutil.which(NGINX):
        pytest.skip("nginx is not installed: apt-get install nginx-light (CI installs it).")
    app_port, proxy_port = _free_port(), _free_port()
    for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir()
    (tmp_path / "nginx.conf").write_text(f"""
error_log {tmp_path}/error.log;
pid {tmp_path}/nginx.pid;
events {{}}
http {{
  access_log off;
  client_body_temp_path {tmp_path}/client_body;
  proxy_temp_path {tmp_path}/proxy;
  fastcgi_temp_path {tmp_path}/fastcgi;
  uwsgi_temp_path {tmp_path}/uwsgi;
  scgi_temp_path {tmp_path}/scgi;
  server {{
    listen 127.0.0.1:{proxy_port};
    location / {{
      proxy_pass http://127.0.0.1:{app_port};
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
""")
    environment = {
        "PATH": "/usr/sbin:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "CRM_TRUSTED_PROXIES": "127.0.0.1",
        "CRM_TEST_PUBLIC_REQUESTS_PER_MINUTE": str(LIMIT),
        "CRM_TEST_WEBHOOK_FAILURES_PER_MINUTE": str(LIMIT),
    }
    with (
        (tmp_path / "gunicorn.log").open("w") as app_log,
        (tmp_path / "nginx.out").open("w") as proxy_log,
        _process(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{app_port}", "-w", "1"],
            app_log,
            cwd=ROOT,
            env=environment,
        ),
        _process([NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"], proxy_log),
    ):
        deadline = time.monotonic() + 30
        while not (_listening(app_port) and _listening(proxy_port)) and time.monotonic() < deadline:
            time.sleep(0.2)
        # The limits count per fixed minute (crm/ratelimit.py): a test straddling two would see its count reset.
        while time.time() % WINDOW_SECONDS > WINDOW_SECONDS - 15:
            time.sleep(0.5)
        yield proxy_port
    print((tmp_path / "gunicorn.log").read_text()[-3000:])


def _request(port, client, method, path, body=None, headers=None) -> int:
    """One request to the proxy, sent from the client's own loopback address."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(client, 0))
    headers = {**(headers or {}), **({"Content-Type": "application/x-www-form-urlencoded"} if body else {})}
    connection.request(method, path, body=urlencode(body) if body else None, headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def test_one_attacker_behind_the_proxy_is_limited_alone_and_signed_webhooks_always_pass(proxy):
    itoolabs = telephony_connection_create(provider="itoolabs", name="VATS", secret="vats-token", fallback_target="1")
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    signed = {"event": "NOTIFY_START", **START}
    signature = zadarma_signature(
        secret=zadarma.secret, signed="".join(START[name] for name in SIGNED_FIELDS["NOTIFY_START"])
    )
    zadarma_path = f"/telephony/zadarma/{zadarma.webhook_key}/"

    attack = [
        _request(proxy, ATTACKER, "POST", f"/telephony/itoolabs/{itoolabs.webhook_key}/", {"crm_token": "guess"})
        for _ in range(LIMIT + 3)
    ]
    # Another client writing the attacker's address into X-Forwarded-For is still counted as itself.
    spoofed = _request(
        proxy, NEIGHBOUR, "POST", f"/telephony/itoolabs/{itoolabs.webhook_key}/", {"crm_token": "typo"},
        headers={"X-Forwarded-For": ATTACKER},
    )  # fmt: skip
    provider = [_request(proxy, PROVIDER, "POST", zadarma_path, signed, {"Signature": signature}) for _ in range(3)]
    from_the_attackers_address = _request(proxy, ATTACKER, "POST", zadarma_path, signed, {"Signature": signature})

    assert attack == [403] * LIMIT + [429] * 3
    assert spoofed == 403
    assert provider == [200] * 3 and from_the_attackers_address == 200


def test_the_public_pages_limit_each_client_behind_the_proxy_not_everyone(proxy):
    flood = [_request(proxy, ATTACKER, "GET", "/u/not-a-token/") for _ in range(LIMIT + 1)]
    neighbour = _request(proxy, NEIGHBOUR, "GET", "/u/not-a-token/")

    assert flood == [400] * LIMIT + [429]
    assert neighbour == 400
