"""Public pages and webhooks under a flood: per address and minute, with a 429 that says when to come back."""

import pytest
from django.core.cache import cache
from django.test import Client

from crm.ratelimit import client_address
from crm.telephony.services import telephony_connection_create
from tests.crm.test_telephony import START, zadarma_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_counts():
    cache.clear()
    yield
    cache.clear()


def test_a_public_page_refuses_an_address_past_the_limit_and_others_still_get_in(client, settings):
    settings.CRM_PUBLIC_REQUESTS_PER_MINUTE = 3
    for _ in range(3):
        assert client.get("/u/not-a-token/").status_code == 400  # the page itself: a broken link
    flooded = client.get("/u/not-a-token/")
    assert flooded.status_code == 429 and flooded["Retry-After"] == "60"
    assert "Too many requests" in flooded.content.decode()
    assert client.get("/s/not-a-token/", REMOTE_ADDR="10.0.0.2").status_code != 429  # another page, another address
    assert client.get("/u/not-a-token/", REMOTE_ADDR="10.0.0.2").status_code == 400


def test_webhook_refusals_past_the_limit_are_429s_but_a_providers_signed_traffic_always_passes(client, settings):
    settings.CRM_WEBHOOK_FAILURES_PER_MINUTE = 3
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    for _ in range(10):
        assert zadarma_post(client, zadarma, "NOTIFY_START", **START).status_code == 200

    for _ in range(3):
        assert zadarma_post(client, zadarma, "NOTIFY_START", signature="forged", **START).status_code == 403
    assert zadarma_post(client, zadarma, "NOTIFY_START", signature="forged", **START).status_code == 429
    # The signature is checked before anything is refused: the provider, behind the same address, goes on.
    assert zadarma_post(client, zadarma, "NOTIFY_START", **START).status_code == 200
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert zadarma_post(elsewhere, zadarma, "NOTIFY_START", signature="forged", **START).status_code == 403


def test_every_refused_webhook_request_counts_not_only_a_failed_signature(client, settings):
    settings.CRM_WEBHOOK_FAILURES_PER_MINUTE = 3
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    url = f"/telephony/zadarma/{zadarma.webhook_key}/"
    for _ in range(2):
        assert client.get(url).status_code == 400  # the URL check without its echo token
    assert zadarma_post(client, zadarma, "NOTIFY_START", signature="ключ", **START).status_code == 403

    assert client.get(url).status_code == 429
    assert client.get(url, {"zd_echo": "abc"}).status_code == 200  # what is not refused is never limited


def test_failures_are_counted_per_connection_so_one_attacked_connection_leaves_the_others_alone(client, settings):
    settings.CRM_WEBHOOK_FAILURES_PER_MINUTE = 3
    attacked = telephony_connection_create(provider="itoolabs", name="VATS", secret="vats", fallback_target="1")
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    for _ in range(20):
        client.post(f"/telephony/itoolabs/{attacked.webhook_key}/", {"cmd": "contact", "crm_token": "guess"})

    assert client.post(f"/telephony/itoolabs/{attacked.webhook_key}/", {"crm_token": "x"}).status_code == 429
    assert zadarma_post(client, zadarma, "NOTIFY_START", signature="typo", **START).status_code == 403


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "client_is"),
    [
        ("203.0.113.7", "", [], "203.0.113.7"),
        ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),  # not from our proxy: the header is the client's
        ("127.0.0.1", "198.51.100.1", ["127.0.0.1"], "198.51.100.1"),
        ("127.0.0.1", "1.2.3.4, 198.51.100.1", ["127.0.0.1"], "198.51.100.1"),  # "1.2.3.4" the client wrote
        ("10.0.0.3", "198.51.100.1, 10.0.0.2", ["10.0.0.0/8"], "198.51.100.1"),  # two proxies of ours
        ("127.0.0.1", "not-an-address", ["127.0.0.1"], "not-an-address"),
        ("127.0.0.1", "", ["127.0.0.1"], "127.0.0.1"),
    ],
)
def test_the_client_address_is_read_from_x_forwarded_for_only_behind_a_trusted_proxy(
    rf, settings, remote, forwarded, trusted, client_is
):
    settings.CRM_TRUSTED_PROXIES = trusted
    request = rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)

    assert client_address(request) == client_is
