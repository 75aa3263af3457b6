"""Running it: bulk work goes to its own queue, and a pg_dump backup restores into a working database."""

import shutil
import subprocess
import uuid

import pytest
from django.db import connection

from config.celery import app
from crm.models import Account
from tests.conftest import NOT_APPLICABLE
from tests.crm.factories import AccountFactory, ContactFactory


def test_bulk_jobs_go_to_the_bulk_queue_and_sending_and_alerts_to_the_urgent_one():
    def queue(name):
        return app.amqp.router.route({}, name)["queue"].name

    assert {queue("segments.classify"), queue("crm.outreach_campaigns"), queue("surveys.cadence_plan")} == {"bulk"}
    assert {queue("crm.outbox_send"), queue("crm.promises_remind"), queue("surveys.cases_escalate")} == {"urgent"}


@pytest.mark.django_db(transaction=True)
def test_a_pg_dump_backup_restores_into_a_new_database_with_every_row(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(f"{NOT_APPLICABLE}: pg_dump is PostgreSQL's")
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client)")
    account = AccountFactory(name="Ромашка")
    ContactFactory(account=account, first_name="Иван")
    settings = connection.settings_dict
    target = f"restore_{uuid.uuid4().hex[:8]}"
    base = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432), "-U", settings["USER"]]
    dump = tmp_path / "crm.dump"
    subprocess.run(["pg_dump", *base, "-Fc", "-f", str(dump), settings["NAME"]], check=True)  # noqa: S607
    subprocess.run(["createdb", *base, target], check=True)  # noqa: S607
    try:
        subprocess.run(["pg_restore", *base, "--no-owner", "-d", target, str(dump)], check=True)  # noqa: S607
        query = "SELECT count(*) FROM crm_account; SELECT name FROM crm_account ORDER BY id DESC LIMIT 1"
        restored = subprocess.run(
            ["psql", *base, "-At", "-d", target, "-c", query],  # noqa: S607
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert restored == [str(Account.objects.count()), "Ромашка"]
    finally:
        subprocess.run(["dropdb", *base, "--if-exists", target], check=True)  # noqa: S607


def test_with_log_format_json_every_line_is_a_json_object(tmp_path):
    """What a log collector reads: one object a line, with the time, level, logger and message."""
    import json
    import os
    import sys

    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('crm.healthz').warning('Health check: the broker does not answer: %s', 'refused')"
    )
    env = {**os.environ, "LOG_FORMAT": "json", "DJANGO_SETTINGS_MODULE": "config.settings.local"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["level"] == "WARNING" and line["logger"] == "crm.healthz"
    assert line["message"] == "Health check: the broker does not answer: refused" and line["time"]
