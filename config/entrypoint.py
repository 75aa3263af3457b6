"""The web server, ASGI server and Celery start only on settings named on purpose: falling back to the local
settings on a server would run it with DEBUG on and a public SECRET_KEY that forges unsubscribe links.
`manage.py` alone defaults to config.settings.local, for a developer's machine (make run)."""

import os

from django.core.exceptions import ImproperlyConfigured


def settings_module_required() -> None:
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise ImproperlyConfigured(
            "Set DJANGO_SETTINGS_MODULE: config.settings.production on a server, config.settings.local on your "
            "own machine (make run sets it for you)."
        )
