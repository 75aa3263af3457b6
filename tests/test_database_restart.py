"""The database goes away in the middle of a bulk job (a restart, a failover): the next run goes on, no doubles."""

from datetime import timedelta
from importlib import import_module

import psycopg
import pytest
from django.apps import apps
from django.db import DatabaseError, connection
from django.utils import timezone

from crm.models import Interaction
from journeys.models import AccountJourney, Transition
from journeys.services import journeys_backfill
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, OrderFactory


def _kill(pid: int) -> None:
    """Another session ends the job's connection, as a restart of PostgreSQL would."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
        autocommit=True,
    ) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.django_db(transaction=True)
def test_a_backfill_cut_off_by_the_database_goes_on_from_its_checkpoint_without_duplicates():
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: ending a session is PostgreSQL's")
    # A transactional test runs after others that flushed the tables, the migrations' default journey with them.
    import_module("journeys.migrations.0002_default_journey").default_journey(apps, None)
    now = timezone.now()
    accounts = [AccountFactory() for _ in range(6)]
    for account in accounts:
        Interaction.objects.create(
            account=account, channel="phone", direction="inbound", occurred_at=now - timedelta(days=9)
        )
        OrderFactory(account=account, ordered_at=now - timedelta(days=5), delivered_at=now - timedelta(days=1))
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    batches = 0

    def kill_after_two_batches(done):
        nonlocal batches
        batches += 1
        if batches == 2:
            _kill(pid)

    with pytest.raises(DatabaseError):
        journeys_backfill(batch_accounts=2, progress=kill_after_two_batches)
    connection.close()  # the next query opens a new connection, as after a restart

    summary = journeys_backfill(batch_accounts=2)

    assert summary["resumed_from"] == accounts[3].id and summary["placed"] == 2
    assert AccountJourney.objects.count() == 6
    assert Transition.objects.count() == 6 * 3  # awareness, purchase, usage: each once
