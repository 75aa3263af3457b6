"""A real Celery worker process, on whatever broker and database the settings point at.

On the embedded defaults that is the filesystem broker and SQLite; in CI's second run it is
Redis and PostgreSQL. The task is sent to a queue of its own, so a developer's running worker
never takes it.
"""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from crm.models import Task
from crm.tasks import promises_remind_task
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


@pytest.fixture
def worker(tmp_path):
    worker = Worker(queue=f"test-{uuid.uuid4().hex[:8]}", log=tmp_path / "worker.log")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": _database_url()}
    with worker.log.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                worker.queue,
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        yield worker
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    print(worker.log.read_text())  # shown by pytest when the test fails


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
