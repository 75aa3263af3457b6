import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, environment: dict):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False
    )


def _load_production(code="import django; django.setup()", **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "CRM_API_DOCS_PUBLIC")}
    return _python(code, {**environment, **env, "DJANGO_SETTINGS_MODULE": "config.settings.production"})


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "x" * 60, "DEBUG": "true"}, "DEBUG must be off"),
        ({}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "insecure-local-development-key-do-not-use-in-production"}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "a" * 50}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "k" * 20 + "Z9#q" * 10}, "Set SECRET_KEY"),  # long, but a pattern
    ],
)
def test_production_refuses_insecure_defaults(env, message):
    result = _load_production(**env)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_a_real_secret_and_passes_the_deploy_check():
    secret = secrets.token_urlsafe(64)
    environment = {k: v for k, v in os.environ.items() if k != "DEBUG"}
    environment.update(SECRET_KEY=secret, DJANGO_SETTINGS_MODULE="config.settings.production")

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_keeps_the_api_docs_behind_a_login():
    result = _load_production(
        "from django.conf import settings; print(settings.CRM_API_DOCS_PUBLIC)", SECRET_KEY=secrets.token_urlsafe(64)
    )

    assert result.stdout.strip() == "False", result.stderr


@pytest.mark.parametrize("entry_point", ["config.wsgi", "config.asgi", "config.celery"])
def test_servers_refuse_to_start_without_a_settings_module_named_on_purpose(entry_point):
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}

    result = _python(f"import {entry_point}", environment)

    assert result.returncode != 0
    assert "Set DJANGO_SETTINGS_MODULE" in result.stderr
