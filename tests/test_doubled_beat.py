"""Two beat processes by mistake (issue 8): every scheduled job runs twice, and nothing is done twice.

Real processes on whatever the settings point at: two `celery beat` with the database scheduler and
a worker, on the filesystem broker and SQLite, or in CI's second run on Redis and PostgreSQL. Every
schedule is made due at once, so both beats send every job as they start.
"""

import re
import uuid
from contextlib import ExitStack
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db.models import Count
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from crm.models import OutboundMessage, Task
from crm.schedules import DEFAULT_SCHEDULE, schedules_install
from surveys.models import Invitation
from tests.crm.factories import AccountFactory, CommitmentFactory, ContactFactory
from tests.test_celery_worker import _smtp_env, _wait_for, _worker_process, celery_process


def _shipped_data():
    # A transactional test runs after others that flushed the tables, the migrations' rows with them.
    for migration, function in [
        ("crm.migrations.0002_default_response_targets", "add_targets"),
        ("crm.migrations.0004_outreach_defaults", "install"),
        ("surveys.migrations.0002_shipped_surveys", "install"),
        ("surveys.migrations.0003_score_links", "forwards"),
        ("journeys.migrations.0002_default_journey", "default_journey"),
    ]:
        getattr(import_module(migration), function)(apps, None)
    schedules_install()


@pytest.mark.django_db(transaction=True)
def test_two_beats_send_every_job_twice_and_nothing_is_done_twice(manager, smtp_server, tmp_path):
    _shipped_data()
    now = timezone.now()
    account = AccountFactory(manager=manager, created_at=now - timedelta(days=400))
    person = ContactFactory(
        account=account, email="ivan@romashka.ru", is_decision_maker=True, language="ru", birthday=timezone.localdate()
    )
    promise = CommitmentFactory(account=account, owner=manager, due_at=now - timedelta(hours=3))
    # Every schedule due now: both beats send every job the moment they start.
    PeriodicTask.objects.filter(name__in=DEFAULT_SCHEDULE).update(last_run_at=now - timedelta(days=8))

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {"CRM_TEST_QUEUE": queue, **_smtp_env(smtp_server)}
    jobs = len(DEFAULT_SCHEDULE)
    worker_log = tmp_path / "worker.log"
    with ExitStack() as stack:
        stack.enter_context(_worker_process(queue, worker_log, **env))
        beat_logs = [tmp_path / f"beat{n}.log" for n in range(2)]
        for n, log in enumerate(beat_logs):
            stack.enter_context(celery_process(["beat", "-s", str(tmp_path / f"schedule{n}")], log, **env))

        def sent_by(log):
            return set(re.findall(r"Sending due task (.+?) \(", log.read_text())) if log.exists() else set()

        assert _wait_for(lambda: all(len(sent_by(log)) == jobs for log in beat_logs), timeout=120), [
            log.read_text()[-3000:] for log in beat_logs
        ]
        # Each beat sent each job: the worker runs every one of them twice.
        assert _wait_for(lambda: worker_log.read_text().count("succeeded in") >= 2 * jobs, timeout=240)

    # The overdue promise has one task, the birthday one greeting, the decision maker one invitation per survey.
    assert Task.objects.filter(commitment=promise).count() == 1
    assert OutboundMessage.objects.filter(contact=person, kind="birthday").count() == 1
    assert Invitation.objects.filter(contact=person).exists()
    assert not Invitation.objects.values("survey", "contact").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert (
        not OutboundMessage.objects.values("contact", "recipient_user", "kind").annotate(n=Count("id")).filter(n__gt=1)
    )
    keys = [email["X-CRM-Message-Key"] for email in smtp_server.messages]
    assert keys and len(keys) == len(set(keys))
