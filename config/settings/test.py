"""Test settings: fast hashing, in-memory email, eager nothing (tasks are tested for real)."""

from config.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if not env.str("EMAIL_URL", default=""):  # noqa: F405  (a worker started by a test may get a real SMTP server)
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory, so a real Celery worker started by a test sees the test's data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405

if CELERY_BROKER_URL == "filesystem://":  # noqa: F405
    # Tasks enqueued by tests (after commit) go to a queue of their own, never to a developer's worker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        name: folder.replace(str(VAR_DIR / "broker"), str(VAR_DIR / "test-broker"))  # noqa: F405
        if isinstance(folder, str)
        else folder
        for name, folder in CELERY_BROKER_TRANSPORT_OPTIONS.items()  # noqa: F405
    }
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "test-broker" / _folder).mkdir(parents=True, exist_ok=True)  # noqa: F405

# The schema tests read /api/schema/ as a developer's machine serves it; tests/crm/test_api.py switches this off
# to check that the docs need a login everywhere else.
CRM_API_DOCS_PUBLIC = True

# The document hosts the tests' proposals link to.
CRM_DOCUMENT_HOSTS = ["files.example", "example.com"]

# Every test client comes from 127.0.0.1: the limits get a test of their own (tests/crm/test_rate_limits.py).
# A server that a test starts behind a real proxy gets real limits (tests/crm/test_behind_a_proxy.py).
CRM_PUBLIC_REQUESTS_PER_MINUTE = env.int("CRM_TEST_PUBLIC_REQUESTS_PER_MINUTE", default=1_000_000)  # noqa: F405
CRM_WEBHOOK_FAILURES_PER_MINUTE = env.int("CRM_TEST_WEBHOOK_FAILURES_PER_MINUTE", default=1_000_000)  # noqa: F405

# A test that starts real beat and worker processes sends every task to a queue of its own, so nothing else
# enqueued on this broker (by earlier tests, or a developer's running beat) reaches its worker, and back.
if _test_queue := env.str("CRM_TEST_QUEUE", default=""):  # noqa: F405
    CELERY_TASK_DEFAULT_QUEUE = _test_queue
    CELERY_TASK_ROUTES = {}
