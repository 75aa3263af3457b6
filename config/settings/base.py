"""Settings shared by every environment. Values come from the environment (django-environ).

Embedded defaults (SQLite, a filesystem Celery broker, console email) need nothing installed;
DATABASE_URL, REDIS_URL and EMAIL_URL switch to real services with no code change.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp import constants as csp
from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _

from config.navigation import admin_link, sidebar_complete

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(environ.Env().str("CRM_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

INSECURE_DEFAULT_SECRET_KEY = "insecure-local-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.import_export",
    "config.apps.CRMAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # the API docs' Swagger UI served from here, not a CDN (and under our CSP)
    "import_export",
    "django_celery_beat",
    "axes",
    "auditlog",
    "crm",
    "surveys",
    "journeys",
    "segments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "crm.middleware.ContentSecurityPolicyMiddleware",
    "crm.ratelimit.WebhookFailureLimitMiddleware",
    "crm.middleware.RejectNulCharactersMiddleware",
    "auditlog.middleware.AuditlogMiddleware",  # who made a change, for the audit trail
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout into its 429 page
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# A ringing call does not wait for a slow database: past this, the lookup answers the fallback route.
CRM_TELEPHONY_LOOKUP_BUDGET_MS = env.int("CRM_TELEPHONY_LOOKUP_BUDGET_MS", default=300)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: WAL lets readers work
    # alongside a writer, the busy timeout waits instead of failing, and IMMEDIATE
    # transactions take the write lock up front so two writers never deadlock.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Behind a pooler in transaction mode (PgBouncer's pool_mode = transaction) a session is ours only for one
    # transaction: no server-side cursors (Django's advice), no prepared statements (PgBouncer before 1.21 cannot
    # keep them), no startup `options` (PgBouncer refuses them). Each of the three can still be set on its own.
    DB_TRANSACTION_POOLING = env.bool("DB_TRANSACTION_POOLING", default=False)
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_TRANSACTION_POOLING
    # Django turns psycopg's prepared statements off (prepare_threshold None). The ORM's client-side
    # binding cursors never prepare anyway; this lets crm/prepared.py's cursors, which ask for it,
    # keep the plans of the telephony lookup's statements. Set DB_PREPARED_STATEMENTS=false behind a
    # connection pooler that cannot keep them (PgBouncer before 1.21, or without max_prepared_statements).
    if env.bool("DB_PREPARED_STATEMENTS", default=not DB_TRANSACTION_POOLING):
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
    # The caller lookup's own connection to the same database (crm/telephony/services.py): its session carries
    # the lookup's time budget, so a lookup is one round trip instead of BEGIN, SET LOCAL, the query and COMMIT.
    # No health check: a lookup that finds its connection broken reconnects and tries once more. Off behind a
    # pooler that refuses the `options` startup parameter (PgBouncer): the lookup then sets its budget itself.
    _options = DATABASES["default"].get("OPTIONS", {})
    _budget = f"-c statement_timeout={CRM_TELEPHONY_LOOKUP_BUDGET_MS}"
    if env.bool("CRM_TELEPHONY_OWN_CONNECTION", default=not DB_TRANSACTION_POOLING):
        DATABASES["telephony"] = {
            **DATABASES["default"],
            "OPTIONS": {**_options, "options": f"{_options.get('options', '')} {_budget}".strip()},
            "CONN_HEALTH_CHECKS": False,
            "TEST": {"MIRROR": "default"},
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "crm.User"
# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env.int("CRM_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("CRM_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]  # one user from one address: a colleague is not locked out
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "crm.ratelimit.client_address"  # behind our proxy, the client's address, not the proxy's
# Our reverse proxies (addresses or networks, e.g. "127.0.0.1,10.0.0.0/8"): only from these is X-Forwarded-For
# read, for the rate limits and the login lockout. Empty: every request is taken from the address it came from.
CRM_TRUSTED_PROXIES = env.list("CRM_TRUSTED_PROXIES", default=[])
# Anyone may reach the survey pages, unsubscribe pages and tracked links: per client address and minute.
CRM_PUBLIC_REQUESTS_PER_MINUTE = env.int("CRM_PUBLIC_REQUESTS_PER_MINUTE", default=60)
# Webhook requests that fail their signature or token, per address and minute, before the address is refused.
CRM_WEBHOOK_FAILURES_PER_MINUTE = env.int("CRM_WEBHOOK_FAILURES_PER_MINUTE", default=20)

# The audit trail (django-auditlog): who changed what and when, for clients and for the settings that steer the
# product. Secrets are masked in the log.
AUDITLOG_INCLUDE_TRACKING_MODELS = (
    "crm.Account",
    "crm.Contact",
    "crm.Phone",
    "crm.ContactConsent",
    "crm.Order",
    "crm.Commitment",
    "crm.ResponseTarget",
    "crm.MessageTemplate",
    "crm.Campaign",
    {"model": "crm.TelephonyConnection", "mask_fields": ["secret", "api_key"]},
    {"model": "crm.User", "exclude_fields": ["password", "last_login"]},
    "surveys.Survey",
    "surveys.Question",
    "surveys.FeedbackRule",
    "segments.LexiconEntry",
    "segments.Segment",
    "journeys.Journey",
    "journeys.Stage",
    "journeys.TransitionRule",
    "django_celery_beat.PeriodicTask",
)

# --- Cache, Celery ----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
    # The filesystem transport needs nothing installed: messages are files under var/broker.
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        # Without it kombu writes its exchange table to ./control, wherever the process started.
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = None

# Two queues, so a night's bulk work never delays an alert: workers for "urgent" stay free for sending and for
# what is overdue; "bulk" workers take classification, campaigns and survey rounds, and scale out on their own.
CELERY_TASK_DEFAULT_QUEUE = "urgent"
CELERY_TASK_ROUTES = {
    name: {"queue": "bulk"}
    for name in (
        "segments.classify",
        "segments.behaviour_suggest",
        "journeys.daily",
        "journeys.backfill",
        "journeys.facts_refresh",
        "crm.outreach_campaigns",
        "crm.outreach_greetings",
        "crm.outreach_thanks",
        "crm.outreach_maintenance_due",
        "crm.outreach_orders_on_track",
        "crm.import_job_check",
        "crm.import_job_run",
        "surveys.cadence_plan",
        "surveys.triggered_plan",
        "surveys.reminders_plan",
        "surveys.drafts_finalise",
        "segments.zone_digest",
    )
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# Schedules live in the database (django-celery-beat), editable in the admin; crm/schedules.py installs
# the defaults after migrate, and never overwrites a schedule someone changed.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Email ------------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="CRM <crm@localhost>")

# --- Auth, i18n ---------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Moscow")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"

# --- Domain settings ----------------------------------------------------------------------------
CRM_PHONE_DEFAULT_REGION = env.str("CRM_PHONE_DEFAULT_REGION", default="RU")
CRM_CLIENT_CARD_TIMELINE_PAGE_SIZE = 20
CRM_CLIENT_CARD_MESSAGES = 20
CRM_MY_DAY_DEADLINE_HORIZON_HOURS = 4
CRM_KEPT_RATE_WINDOW_DAYS = 30
# A rate over fewer cases than this is shown as "not enough data" (DOMAIN §3).
CRM_METRICS_MIN_SAMPLE = env.int("CRM_METRICS_MIN_SAMPLE", default=10)

# --- Outreach (issue 3): the outbox, its channels and rules -------------------------------------------
# Links in messages (unsubscribe, tracked proposals) must be absolute: the address clients reach us at.
CRM_PUBLIC_BASE_URL = env.str("CRM_PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
# Leads a minute from one address through the site's form (crm/webleads); more get 429.
CRM_WEB_LEADS_PER_MINUTE = env.int("CRM_WEB_LEADS_PER_MINUTE", default=5)
# The hosts a tracked proposal link may lead to (our document storage): "files.example.com", ".example.com" for
# every subdomain. Anything else is refused when the link is made, so /l/<token>/ is no open redirect.
CRM_DOCUMENT_HOSTS = env.list("CRM_DOCUMENT_HOSTS", default=[urlsplit(CRM_PUBLIC_BASE_URL).hostname])
CRM_EMAIL_MESSAGE_ID_DOMAIN = env.str("CRM_EMAIL_MESSAGE_ID_DOMAIN", default="crm.localhost")
CRM_TELEGRAM_BOT_TOKEN = env.str("CRM_TELEGRAM_BOT_TOKEN", default="")
CRM_TELEGRAM_API_URL = env.str("CRM_TELEGRAM_API_URL", default="https://api.telegram.org")
# The bot's username (without @): client e-mails and survey pages then carry t.me/<bot>?start=<token>, which binds
# the person's chat. The webhook secret is given to setWebhook (`manage.py telegram_set_webhook`) and checked on
# every update; links work this many days.
CRM_TELEGRAM_BOT_USERNAME = env.str("CRM_TELEGRAM_BOT_USERNAME", default="")
CRM_TELEGRAM_WEBHOOK_SECRET = env.str("CRM_TELEGRAM_WEBHOOK_SECRET", default="")
# Delivery receipts, bounces and complaints (crm/outreach/delivery.py). Unisender Go signs with the account's API
# key; SendPulse signs nothing, so its URL carries CRM_EMAIL_EVENTS_SECRET; a relay's reports are signed with it.
CRM_UNISENDER_API_KEY = env.str("CRM_UNISENDER_API_KEY", default="")
CRM_EMAIL_EVENTS_SECRET = env.str("CRM_EMAIL_EVENTS_SECRET", default="")
CRM_TELEGRAM_LINK_DAYS = env.int("CRM_TELEGRAM_LINK_DAYS", default=60)
CRM_OUTREACH_WEBHOOK_URL = env.str("CRM_OUTREACH_WEBHOOK_URL", default="")
CRM_OUTREACH_WEBHOOK_SECRET = env.str("CRM_OUTREACH_WEBHOOK_SECRET", default="")
# Clients get messages only between these hours (start, end) of their account's time zone...
CRM_OUTREACH_SENDING_HOURS = tuple(env.list("CRM_OUTREACH_SENDING_HOURS", cast=int, default=[9, 20]))
# ...and not on Saturdays and Sundays.
CRM_OUTREACH_QUIET_WEEKENDS = env.bool("CRM_OUTREACH_QUIET_WEEKENDS", default=True)
# At most N messages of a purpose to one person in D days: {purpose: (N, D)}. Service notices are not capped;
# surveys have their own waiting time (CRM_SURVEY_PERSON_WAIT_DAYS), so their reminders are not cut short.
CRM_OUTREACH_FREQUENCY_CAPS = {"marketing": (1, 7), "greetings": (2, 7)}
CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS = env.int("CRM_UNSUBSCRIBE_LINK_MAX_AGE_DAYS", default=365)
CRM_OUTBOX_BATCH_SIZE = env.int("CRM_OUTBOX_BATCH_SIZE", default=200)
CRM_OUTBOX_MAX_ATTEMPTS = env.int("CRM_OUTBOX_MAX_ATTEMPTS", default=6)
CRM_OUTBOX_RETRY_BASE_SECONDS = env.int("CRM_OUTBOX_RETRY_BASE_SECONDS", default=60)
# A message claimed this long ago and still "sending" belonged to a sender that died: queue it again.
CRM_OUTBOX_CLAIM_TIMEOUT_MINUTES = env.int("CRM_OUTBOX_CLAIM_TIMEOUT_MINUTES", default=15)
# Type 1 clients (emotional, confident; DOMAIN §5) are thanked personally this often (Account.thanks_every_days).
CRM_THANKS_EVERY_DAYS = env.int("CRM_THANKS_EVERY_DAYS", default=90)
# How long a client page link opens the page (crm/portal); a person asks for a new one on the expired link's page.
CRM_CLIENT_PAGE_DAYS = env.int("CRM_CLIENT_PAGE_DAYS", default=90)
# The company's payment details, printed on every invoice sent from an order (lines separated by "\n").
CRM_PAYMENT_DETAILS = env.str("CRM_PAYMENT_DETAILS", default="").replace("\\n", "\n")
CRM_MAINTENANCE_REMINDER_DAYS = env.int("CRM_MAINTENANCE_REMINDER_DAYS", default=30)
CRM_DELIVERY_AT_RISK_DAYS = env.int("CRM_DELIVERY_AT_RISK_DAYS", default=3)
CRM_PROMISE_REMIND_HOURS = env.int("CRM_PROMISE_REMIND_HOURS", default=24)

# --- Surveys (issue 4) ----------------------------------------------------------------------------
# Nobody gets a new survey within this many days of the last one sent to them (reminders do not count).
CRM_SURVEY_PERSON_WAIT_DAYS = env.int("CRM_SURVEY_PERSON_WAIT_DAYS", default=30)
# A new client is not asked before their account is this many days old.
CRM_SURVEY_NEW_CLIENT_DELAY_DAYS = env.int("CRM_SURVEY_NEW_CLIENT_DELAY_DAYS", default=14)
# With the "rotate" audience, one person is asked at most once in this many days.
CRM_SURVEY_ROTATION_DAYS = env.int("CRM_SURVEY_ROTATION_DAYS", default=90)
# Answers saved but never sent count as the response this many hours after the last save.
CRM_SURVEY_DRAFT_FINALISE_HOURS = env.int("CRM_SURVEY_DRAFT_FINALISE_HOURS", default=24)
# Triggers look back this far for events (interactions, resolved requests, deliveries) not yet surveyed.
CRM_SURVEY_TRIGGER_LOOKBACK_DAYS = env.int("CRM_SURVEY_TRIGGER_LOOKBACK_DAYS", default=3)
# Zones of the relationship average (DOMAIN §4): green from the first, yellow from the second, red below.
CRM_ZONE_GREEN_FROM = env.float("CRM_ZONE_GREEN_FROM", default=9.0)
CRM_ZONE_YELLOW_FROM = env.float("CRM_ZONE_YELLOW_FROM", default=7.0)
# An account's zone is read from its relationship-survey answers of this many days (segments).
CRM_ZONE_WINDOW_DAYS = env.int("CRM_ZONE_WINDOW_DAYS", default=45)
# Database connections a bulk classification of zones and levels runs on at once (PostgreSQL): about its cores.
CRM_CLASSIFY_CONNECTIONS = env.int("CRM_CLASSIFY_CONNECTIONS", default=2)
# The share of revenue that is margin, for ROI by lead source: (revenue × margin − cost) / cost.
# Type 4 clients (emotional, unconfident) are offered a video call on every call-back and meeting (DOMAIN §5):
# the room's address, with {room} standing for a name of the task's own that nobody could guess.
CRM_VIDEO_ROOM_URL = env.str("CRM_VIDEO_ROOM_URL", default="https://meet.jit.si/{room}")
CRM_GROSS_MARGIN_PERCENT = env.float("CRM_GROSS_MARGIN_PERCENT", default=30.0)
# Churn: an active client with no order for this many days counts as lost (the expected buying cycle).
CRM_CHURN_CYCLE_DAYS = env.int("CRM_CHURN_CYCLE_DAYS", default=180)
# Who owns "talk to the head of the company" cases: a username. Empty: the first active superuser.
CRM_COMPANY_HEAD_USERNAME = env.str("CRM_COMPANY_HEAD_USERNAME", default="")

# --- Telephony (issue 7) -----------------------------------------------------------------------
# CRM_TELEPHONY_LOOKUP_BUDGET_MS is set with the databases above.
# API tokens and telephony connections, read on every request, are remembered this long in each process
# (crm/recent.py): a token revoked or a user deactivated in another process stops working within it. 0: off.
CRM_RECENT_ROWS_SECONDS = env.int("CRM_RECENT_ROWS_SECONDS", default=5)
CRM_MANGO_API_URL = env.str("CRM_MANGO_API_URL", default="https://app.mango-office.ru/vpbx")
CRM_TWILIO_API_URL = env.str("CRM_TWILIO_API_URL", default="https://api.twilio.com")
CRM_ZADARMA_API_URL = env.str("CRM_ZADARMA_API_URL", default="https://api.zadarma.com")
# How long after it starts a ringing call pops up on its manager's screen.
CRM_SCREEN_POP_SECONDS = env.int("CRM_SCREEN_POP_SECONDS", default=60)

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "crm.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crm.api.permissions.HasResourceScope"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "crm.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "crm.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Customer-centric B2B CRM API",
    "DESCRIPTION": "Accounts, contacts, interactions, orders, promises, tasks and service requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Outside local use the schema and the docs need a login (session or token): CRM_API_DOCS_PUBLIC.
    "SERVE_PERMISSIONS": ["crm.api.permissions.ApiDocsAccess"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "AccountStatusEnum": "crm.models.accounts.Account.Status",
        "ZoneEnum": "crm.models.accounts.Zone",
        "BehaviourTypeEnum": "crm.models.accounts.BehaviourType",
        "AxisEnum": "crm.models.accounts.Axis",
        "LexiconAxisEnum": "segments.models.LexiconEntry.Axis",
        "LexiconLeansEnum": "segments.models.LexiconEntry.Leans",
        "OrderStatusEnum": "crm.models.orders.Order.Status",
        "CommitmentStatusEnum": "crm.models.activity.Commitment.Status",
        "CommitmentKindEnum": "crm.models.activity.Commitment.Kind",
        "TaskStatusEnum": "crm.models.activity.Task.Status",
        "TaskKindEnum": "crm.models.activity.Task.Kind",
        "ServiceRequestStatusEnum": "crm.models.activity.ServiceRequest.Status",
        "ServiceRequestChannelEnum": "crm.models.activity.ServiceRequest.Channel",
        "InteractionChannelEnum": "crm.models.activity.Interaction.Channel",
        "PhoneKindEnum": "crm.models.accounts.Phone.Kind",
    },
}

# --- Imports of accounts and contacts (crm/services/imports.py) --------------------------------------------
# A file over either limit is refused with the reason; up to CRM_IMPORT_INLINE_ROWS rows are checked and imported
# in the request, anything bigger by a worker, CRM_IMPORT_CHUNK_ROWS rows to a transaction.
CRM_IMPORT_MAX_BYTES = env.int("CRM_IMPORT_MAX_BYTES", default=20 * 2**20)
CRM_IMPORT_MAX_ROWS = env.int("CRM_IMPORT_MAX_ROWS", default=100_000)
CRM_IMPORT_INLINE_ROWS = env.int("CRM_IMPORT_INLINE_ROWS", default=200)
CRM_IMPORT_CHUNK_ROWS = env.int("CRM_IMPORT_CHUNK_ROWS", default=100)

# --- Moving in from Bitrix24 / amoCRM (crm/moving_in) -----------------------------------------------------------
# The uploaded exports are kept here until imported: the web process writes them, the worker reads them (with
# separate machines, a shared volume). Rows per transaction of the import.
CRM_MOVE_IN_DIR = env.str("CRM_MOVE_IN_DIR", default=str(VAR_DIR / "move-in"))
CRM_MOVE_IN_CHUNK_ROWS = env.int("CRM_MOVE_IN_CHUNK_ROWS", default=5000)

# The API's schema and docs (/api/schema/, /api/docs/) answer without a login only where this is true:
# local.py turns it on for a developer's machine; anywhere else they need a session or an API token.
CRM_API_DOCS_PUBLIC = env.bool("CRM_API_DOCS_PUBLIC", default=False)

# --- Content-Security-Policy (django-csp) ------------------------------------------------------------
# Every page: scripts only from our own origin or inline with the request's nonce; no plugins, no framing,
# forms post only to us. Styles may be inline (the admin theme sets style attributes). The admin alone also
# allows eval: its theme (Unfold) runs the standard build of Alpine.js (crm/middleware.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF, csp.UNSAFE_INLINE],
        "img-src": [csp.SELF, "data:"],
        "font-src": [csp.SELF, "data:"],
        "connect-src": [csp.SELF],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}

# --- Admin theme ----------------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": _("CRM"),
    "SITE_HEADER": _("Customer CRM"),
    "SITE_SYMBOL": "handshake",
    "SHOW_LANGUAGES": False,
    # The caller card pops up on every admin page while the phone rings (crm/static/crm/screen-pop.js).
    "SCRIPTS": [lambda request: static("crm/screen-pop.js")],
    "STYLES": [lambda request: static("crm/crm.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": True,
        "navigation": [
            {
                "title": _("Work"),
                "items": [
                    {"title": _("My day"), "icon": "today", "link": admin_link("admin:crm_my_day")},
                    {
                        "title": _("Accounts"),
                        "icon": "apartment",
                        "link": admin_link("admin:crm_account_changelist"),
                    },
                    {"title": _("Contacts"), "icon": "contacts", "link": admin_link("admin:crm_contact_changelist")},
                    {
                        "title": _("Interactions"),
                        "icon": "forum",
                        "link": admin_link("admin:crm_interaction_changelist"),
                    },
                    {
                        "title": _("Promises"),
                        "icon": "handshake",
                        "link": admin_link("admin:crm_commitment_changelist"),
                    },
                    {"title": _("Tasks"), "icon": "task_alt", "link": admin_link("admin:crm_task_changelist")},
                    {
                        "title": _("Service requests"),
                        "icon": "support_agent",
                        "link": admin_link("admin:crm_servicerequest_changelist"),
                    },
                    {
                        "title": _("Orders"),
                        "icon": "local_shipping",
                        "link": admin_link("admin:crm_order_changelist"),
                    },
                    {
                        "title": _("Internal customers"),
                        "icon": "hub",
                        "link": admin_link("admin:crm_internal_report"),
                    },
                    {
                        "title": _("Internal services"),
                        "icon": "checklist",
                        "link": admin_link("admin:crm_internalservice_changelist"),
                    },
                ],
            },
            {
                "title": _("Feedback"),
                "items": [
                    {"title": _("Dashboard"), "icon": "monitoring", "link": admin_link("admin:surveys_dashboard")},
                    {"title": _("Monthly review"), "icon": "fact_check", "link": admin_link("admin:surveys_review")},
                    {
                        "title": _("Cases"),
                        "icon": "support_agent",
                        "link": admin_link("admin:surveys_case_changelist"),
                    },
                    {
                        "title": _("Feedback items"),
                        "icon": "lightbulb",
                        "link": admin_link("admin:surveys_feedbackitem_changelist"),
                    },
                    {
                        "title": _("Responses"),
                        "icon": "rate_review",
                        "link": admin_link("admin:surveys_response_changelist"),
                    },
                    {
                        "title": _("Invitations"),
                        "icon": "forward_to_inbox",
                        "link": admin_link("admin:surveys_invitation_changelist"),
                    },
                    {"title": _("Surveys"), "icon": "quiz", "link": admin_link("admin:surveys_survey_changelist")},
                    {
                        "title": _("Feedback rules"),
                        "icon": "rule",
                        "link": admin_link("admin:surveys_feedbackrule_changelist"),
                    },
                    {
                        "title": _("Lead source costs"),
                        "icon": "payments",
                        "link": admin_link("admin:crm_leadsourcecost_changelist"),
                    },
                ],
            },
            {
                "title": _("Segments"),
                "items": [
                    {
                        "title": _("Saved segments"),
                        "icon": "filter_alt",
                        "link": admin_link("admin:segments_segment_changelist"),
                    },
                    {
                        "title": _("Behaviour lexicon"),
                        "icon": "translate",
                        "link": admin_link("admin:segments_lexiconentry_changelist"),
                    },
                    {
                        "title": _("Behaviour suggestions"),
                        "icon": "psychology",
                        "link": admin_link("admin:segments_behavioursuggestion_changelist"),
                    },
                    {
                        "title": _("Zone changes"),
                        "icon": "traffic",
                        "link": admin_link("admin:segments_zonechange_changelist"),
                    },
                    {
                        "title": _("Level changes"),
                        "icon": "stairs",
                        "link": admin_link("admin:segments_levelchange_changelist"),
                    },
                    {
                        "title": _("Company averages"),
                        "icon": "functions",
                        "link": admin_link("admin:segments_levelbaseline_changelist"),
                    },
                ],
            },
            {
                "title": _("Journeys"),
                "items": [
                    {
                        "title": _("Funnel and stages"),
                        "icon": "conversion_path",
                        "link": admin_link("admin:journeys_analytics"),
                    },
                    {
                        "title": _("Journeys"),
                        "icon": "route",
                        "link": admin_link("admin:journeys_journey_changelist"),
                    },
                    {
                        "title": _("Touchpoints"),
                        "icon": "touch_app",
                        "link": admin_link("admin:journeys_touchpoint_changelist"),
                    },
                    {
                        "title": _("Stage transitions"),
                        "icon": "timeline",
                        "link": admin_link("admin:journeys_transition_changelist"),
                    },
                ],
            },
            {
                "title": _("Telephony"),
                "items": [
                    {"title": _("Calls"), "icon": "call", "link": admin_link("admin:crm_call_changelist")},
                    {
                        "title": _("Connections"),
                        "icon": "settings_phone",
                        "link": admin_link("admin:crm_telephonyconnection_changelist"),
                    },
                ],
            },
            {
                "title": _("Outreach"),
                "items": [
                    {
                        "title": _("Outbox"),
                        "icon": "outbox",
                        "link": admin_link("admin:crm_outboundmessage_changelist"),
                    },
                    {
                        "title": _("Tracked proposals"),
                        "icon": "ads_click",
                        "link": admin_link("admin:crm_trackedlink_changelist"),
                    },
                    {
                        "title": _("Campaigns"),
                        "icon": "campaign",
                        "link": admin_link("admin:crm_campaign_changelist"),
                    },
                    {
                        "title": _("Message templates"),
                        "icon": "edit_note",
                        "link": admin_link("admin:crm_messagetemplate_changelist"),
                    },
                    {
                        "title": _("References"),
                        "icon": "workspace_premium",
                        "link": admin_link("admin:crm_reference_changelist"),
                    },
                    {
                        "title": _("Professional holidays"),
                        "icon": "celebration",
                        "link": admin_link("admin:crm_professionalholiday_changelist"),
                    },
                    {
                        "title": _("Schedules"),
                        "icon": "schedule",
                        "link": admin_link("admin:django_celery_beat_periodictask_changelist"),
                    },
                ],
            },
            {
                "title": _("Moving in"),
                "items": [
                    {
                        "title": _("From Bitrix24 or amoCRM"),
                        "icon": "move_to_inbox",
                        "link": admin_link("admin:crm_movein_changelist"),
                        "permission": "crm.moving_in.admin.may_move_in",
                    },
                    {
                        "title": _("Answers from Google or Yandex Forms"),
                        "icon": "upload_file",
                        "link": admin_link("admin:surveys_forms_import"),
                        "permission": "surveys.admin_views.may_import_answers",
                    },
                ],
            },
            {
                "title": _("Security"),
                "items": [
                    {
                        "title": _("Audit trail"),
                        "icon": "history",
                        "link": admin_link("admin:auditlog_logentry_changelist"),
                    },
                    {
                        "title": _("Login attempts"),
                        "icon": "lock",
                        "link": admin_link("admin:axes_accessattempt_changelist"),
                    },
                ],
            },
        ],
    },
}
# The keys unfold's sidebar template reads, filled in: drawn on every admin page (config/navigation.py).
sidebar_complete(UNFOLD["SIDEBAR"]["navigation"])

# LOG_FORMAT=json: one JSON object a line (time, level, logger, message, and the exception), for a log collector.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env.str("LOG_FORMAT", default="text")},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
