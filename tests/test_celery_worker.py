"""A real Celery worker process, on whatever broker and database the settings point at.

On the embedded defaults that is the filesystem broker and SQLite; in CI's second run it is
Redis and PostgreSQL. The task is sent to a queue of its own, so a developer's running worker
never takes it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.models import Contact, MessageKind, OutboundMessage, Task
from crm.outreach.services import MessagePlan, messages_plan, outbox_requeue_stale
from crm.outreach.tasks import outbox_send_task, promises_remind_task
from tests.crm.factories import CommitmentFactory

ROOT = Path(__file__).resolve().parent.parent


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{port}/{db['NAME']}"


class Worker:
    def __init__(self, queue: str, log: Path):
        self.queue, self.log = queue, log

    def succeeded(self) -> int:
        return self.log.read_text().count("succeeded in") if self.log.exists() else 0


@contextmanager
def celery_process(arguments: list[str], log_path: Path, **env_extra):
    """`celery -A config <arguments>` as a real process on the test's database, its output in `log_path`."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url(), **env_extra}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments, "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    print(log_path.read_text()[-5000:])  # shown by pytest when the test fails


def _worker_process(queue: str, log_path: Path, **env_extra):
    arguments = ["worker", "--pool=solo", "-Q", queue, "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return celery_process(arguments, log_path, **env_extra)


@pytest.fixture
def worker(tmp_path):
    worker = Worker(queue=f"test-{uuid.uuid4().hex[:8]}", log=tmp_path / "worker.log")
    with _worker_process(worker.queue, worker.log):
        yield worker


def _wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.3)
    return False


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_turns_an_overdue_promise_into_one_task_even_when_the_job_runs_twice(account, worker):
    overdue = CommitmentFactory(account=account, due_at=timezone.now() - timedelta(hours=2))

    promises_remind_task.apply_async(queue=worker.queue)
    promises_remind_task.apply_async(queue=worker.queue)

    assert _wait_for(lambda: worker.succeeded() == 2), "the worker did not run both jobs"
    assert Task.objects.filter(commitment=overdue).count() == 1


def _queued_messages(account, count: int) -> None:
    people = Contact.objects.bulk_create(
        Contact(account=account, first_name="Иван", patronymic="Петрович", email=f"p{n}@example.ru")
        for n in range(count)
    )
    # Subject and body given: a transactional test cannot count on the templates the migrations shipped.
    messages_plan(
        MessagePlan(key=f"load:{p.pk}", kind=MessageKind.BIRTHDAY, contact=p, subject="С днём рождения!", body="…")
        for p in people
    )
    assert OutboundMessage.objects.filter(status=OutboundMessage.Status.QUEUED).count() == count


def _smtp_env(smtp_server) -> dict:
    return {
        "EMAIL_URL": f"smtp://{smtp_server.controller.hostname}:{smtp_server.controller.port}",
        # Whatever the hour CI runs at: these tests are about exactly-once, not about quiet hours.
        "CRM_OUTREACH_SENDING_HOURS": "0,24",
        "CRM_OUTREACH_QUIET_WEEKENDS": "false",
    }


def _sent() -> int:
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT).count()


def _claimed() -> int:
    return OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING).count()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_message_and_a_resend_carries_the_same_message_id(
    account, smtp_server, tmp_path
):
    _queued_messages(account, 3000)
    queue = f"test-{uuid.uuid4().hex[:8]}"

    # When the worker is killed with SIGKILL in the middle of its sending...
    with _worker_process(queue, tmp_path / "killed.log", **_smtp_env(smtp_server)) as process:
        outbox_send_task.apply_async(queue=queue)
        # Killed while a batch is well under way (50 or more of it still claimed), not in the instant between
        # two batches, when there is no claim to leave behind.
        assert _wait_for(lambda: _sent() >= 300 and _claimed() >= 50, timeout=120), f"only {_sent()} sent"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert _sent() < 3000, "the worker finished before it was killed: the test proves nothing"
    stranded = OutboundMessage.objects.filter(status=OutboundMessage.Status.SENDING).count()
    assert stranded > 0, "the kill should leave a claimed batch behind"

    # ...and the sweeper runs once the claims time out, and a new worker takes the job.
    later = timezone.now() + timedelta(minutes=settings.CRM_OUTBOX_CLAIM_TIMEOUT_MINUTES + 1)
    assert outbox_requeue_stale(now=later) == stranded
    with _worker_process(queue, tmp_path / "restarted.log", **_smtp_env(smtp_server)):
        outbox_send_task.apply_async(queue=queue)
        assert _wait_for(lambda: _sent() == 3000, timeout=240), f"only {_sent()} sent after the restart"

    # Then every message arrived. At most the one in flight at the kill (the SMTP server had said "250",
    # the worker had not yet written it down) arrived twice, under its original Message-ID, which mail
    # servers and clients drop as a duplicate.
    received = [(email["X-CRM-Message-Key"], email["Message-ID"]) for email in smtp_server.messages]
    assert len({key for key, _ in received}) == 3000
    assert len(received) - 3000 <= 1
    assert len(set(received)) == 3000, "a message was sent again under a different Message-ID"


@pytest.mark.django_db(transaction=True)
def test_two_real_workers_and_a_repeated_beat_tick_send_10000_messages_exactly_once(account, smtp_server, tmp_path):
    # Given 10,000 queued messages, one per person.
    _queued_messages(account, 10_000)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = _smtp_env(smtp_server)

    # When two workers take the sending job, enqueued four times as a doubled beat would.
    with ExitStack() as stack:
        for n in range(2):
            stack.enter_context(_worker_process(queue, tmp_path / f"worker{n}.log", **env))
        for _ in range(4):
            outbox_send_task.apply_async(queue=queue)
        assert _wait_for(lambda: _sent() == 10_000, timeout=240), f"only {_sent()} sent"

    # Then the SMTP server got each message exactly once.
    keys = [email["X-CRM-Message-Key"] for email in smtp_server.messages]
    assert len(keys) == 10_000
    assert len(set(keys)) == 10_000
