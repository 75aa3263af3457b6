"""Wow moments (DOMAIN §2.6; issue 20, part 6): a manager logs a small surprise from the client card; counted per
account on the card and per manager on My day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Interaction
from tests.crm.factories import InteractionFactory

pytestmark = pytest.mark.django_db


def test_a_wow_moment_logged_from_the_card_is_counted_on_the_card_and_on_my_day(client, manager, account):
    client.force_login(manager)
    card_url = reverse("admin:crm_account_change", args=[account.pk])
    card = client.get(card_url).content.decode()
    log_wow = f"{reverse('admin:crm_interaction_add')}?account={account.pk}&amp;wow=1"
    assert log_wow in card

    form = client.get(log_wow.replace("&amp;", "&")).content.decode()
    checkbox = form[form.index('name="wow"') :]
    assert " checked" in checkbox[: checkbox.index(">")]  # the form comes ticked
    client.post(
        f"{reverse('admin:crm_interaction_add')}?next={card_url}",
        {
            "account": account.pk,
            "channel": "email",
            "direction": "outbound",
            "occurred_at_0": timezone.localdate().isoformat(),
            "occurred_at_1": "10:00",
            "subject": "Отгрузили на неделю раньше",
            "wow": "on",
            "user": manager.pk,
        },
    )
    InteractionFactory(account=account, user=manager, wow=True, occurred_at=timezone.now() - timedelta(days=400))
    InteractionFactory(account=account, user=manager)  # an ordinary contact: not counted

    assert Interaction.objects.filter(account=account, wow=True).count() == 2
    card = client.get(card_url).content.decode()
    wow = card[card.index('data-testid="wow"') :][:600]
    assert "1 in 12 months" in wow and "Отгрузили на неделю раньше" in wow
    day = client.get(reverse("admin:crm_my_day")).content.decode()
    assert "1 wow moment for your clients in 30 days" in day


def test_the_api_takes_and_gives_the_wow_flag(manager_api, account):
    response = manager_api.post(
        "/api/v1/interactions/",
        {
            "account": account.pk,
            "channel": "visit",
            "direction": "outbound",
            "subject": "Помогли с наладкой",
            "wow": True,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["wow"] is True
