"""Redis down (the broker and the cache): the product keeps working, nothing is lost, and it all goes out after."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from crm.models import Interaction
from crm.outreach.models import OutboundMessage
from crm.outreach.services import outbox_send_batch
from crm.telephony.services import telephony_connection_create
from surveys import links
from surveys.models import Survey
from surveys.services.invitations import survey_invite
from tests.crm.factories import AccountFactory, ContactFactory
from tests.crm.test_outbox import working_hours
from tests.crm.test_telephony import START, zadarma_post

DOWN = "redis://127.0.0.1:1/0"  # nothing listens there


@pytest.fixture
def redis_down(settings):
    configured = app.conf.broker_url
    app.conf.broker_url = DOWN
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DOWN}}
    yield
    app.conf.broker_url = configured


@pytest.mark.django_db
def test_with_redis_down_pages_api_and_surveys_work_and_the_invitation_waits_in_the_outbox(
    client, manager, manager_api, redis_down, django_capture_on_commit_callbacks, settings, smtp_server
):
    account = AccountFactory(manager=manager, created_at=timezone.now() - timedelta(days=400))
    person = ContactFactory(account=account, email="ivan@romashka.ru", is_decision_maker=True)
    nps = Survey.objects.get(slug="nps")

    with django_capture_on_commit_callbacks(execute=True):  # the enqueue after commit meets a dead broker
        report = survey_invite(survey=nps, people=[(person, "r1")])
    assert report.invited == 1
    client.force_login(manager)
    assert client.get(reverse("admin:crm_account_changelist")).status_code == 200
    created = manager_api.post(
        "/api/v1/interactions/", {"account": account.pk, "channel": "phone", "direction": "inbound"}, format="json"
    )
    assert created.status_code == 201 and Interaction.objects.filter(account=account).exists()
    token = links.invitation_token(survey_id=nps.id, contact_id=person.id, round="r1")
    assert client.get(f"/s/{token}/").status_code == 200
    assert client.get("/healthz").status_code == 503
    zadarma = telephony_connection_create(provider="zadarma", name="Zadarma", secret="zd", fallback_target="1")
    assert zadarma_post(client, zadarma, "NOTIFY_START", **START).status_code == 200  # replays unchecked meanwhile

    invitation_message = OutboundMessage.objects.get(contact=person)
    assert invitation_message.status == OutboundMessage.Status.QUEUED  # kept, not lost

    app.conf.broker_url = settings.CELERY_BROKER_URL  # Redis is back: the beat job's next run sends it
    outbox_send_batch(now=working_hours())
    outbox_send_batch(now=working_hours())
    invitation_message.refresh_from_db()
    assert invitation_message.status == OutboundMessage.Status.SENT
    assert [message["To"] for message in smtp_server.messages] == ["ivan@romashka.ru"]
