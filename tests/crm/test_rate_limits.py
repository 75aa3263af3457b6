"""Public pages and webhooks under a flood: per address and minute, with a 429 that says when to come back."""

import pytest
from django.core.cache import cache
from django.test import Client

from crm.services.telephony import telephony_connection_create
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


def test_webhook_failures_lock_the_address_out_but_a_providers_signed_traffic_is_never_limited(client, settings):
    settings.CRM_WEBHOOK_FAILURES_PER_MINUTE = 3
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    for _ in range(10):
        assert zadarma_post(client, zadarma, "NOTIFY_START", **START).status_code == 200

    for _ in range(3):
        assert zadarma_post(client, zadarma, "NOTIFY_START", signature="forged", **START).status_code == 403
    assert zadarma_post(client, zadarma, "NOTIFY_START", **START).status_code == 429  # that address is out
    elsewhere = Client(REMOTE_ADDR="10.0.0.9")
    assert zadarma_post(elsewhere, zadarma, "NOTIFY_START", **START).status_code == 200


def test_every_refused_webhook_request_counts_not_only_a_failed_signature(client, settings):
    settings.CRM_WEBHOOK_FAILURES_PER_MINUTE = 3
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd-secret", fallback_target="1")
    url = f"/telephony/zadarma/{zadarma.webhook_key}/"
    for _ in range(2):
        assert client.get(url).status_code == 400  # the URL check without its echo token
    assert zadarma_post(client, zadarma, "NOTIFY_START", signature="ключ", **START).status_code == 403

    assert client.get(url, {"zd_echo": "abc"}).status_code == 429
