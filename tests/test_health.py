"""/healthz: what a load balancer asks before it sends traffic to this process."""

import pytest

from config.celery import app

pytestmark = pytest.mark.django_db


def test_healthy_when_the_database_and_the_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_unavailable_and_says_which_when_the_broker_is_down(client):
    configured = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there: a broker that is down
    try:
        response = client.get("/healthz")
    finally:
        app.conf.broker_url = configured
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}
