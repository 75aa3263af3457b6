"""The floor for bench/telephony_load.py: a minimal Django view doing one indexed lookup, with no middleware.

Issue 7 gives it as the scale ("a minimal Django view doing one indexed lookup serves about 4,000/s here"). Served
by the same gunicorn and loaded by the same wrk right after the real lookups, it says how fast this VM is at that
moment, whose speed varies by the hour, so figures from different runs can be compared.

    DJANGO_SETTINGS_MODULE=bench.floor DATABASE_URL=... gunicorn bench.floor:application
"""

import os

import environ
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.http import JsonResponse
from django.urls import path

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-floor-only")
ALLOWED_HOSTS = ["127.0.0.1"]
ROOT_URLCONF = "bench.floor"
DATABASES = {"default": {**environ.Env.db_url_config(os.environ["DATABASE_URL"]), "CONN_MAX_AGE": 600}}
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
USE_TZ = True


def phone_view(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_id FROM crm_phone WHERE number = %s", [request.GET["phone"]])
        row = cursor.fetchone()
    return JsonResponse({"contact": row[0] if row else None})


urlpatterns = [path("phone/", phone_view)]
application = get_wsgi_application()
