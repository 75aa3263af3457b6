import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load_production(**env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": "x" * 60, "DEBUG": "true"}, "DEBUG must be off"),
        ({}, "Set SECRET_KEY"),
        ({"SECRET_KEY": "insecure-local-development-key-do-not-use-in-production"}, "Set SECRET_KEY"),
    ],
)
def test_production_refuses_insecure_defaults(env, message):
    result = _load_production(**env)

    assert result.returncode != 0
    assert message in result.stderr


def test_production_starts_with_a_real_secret_and_passes_the_deploy_check():
    secret = "k" * 20 + "Z9#q" * 10
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
