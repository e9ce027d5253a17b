"""Settings shared by every environment. Values that differ per machine come from the
environment (see ``env.py``); ``local``, ``test`` and ``production`` adjust the rest."""

from __future__ import annotations

import importlib
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from portal.notifications.env import env_sms_gateway
from portal.settings.env import (
    env,
    env_bool,
    env_choice,
    env_database,
    env_email,
    env_int,
    env_list,
    env_networks,
    env_redis,
    redis_db,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = ""  # each settings module sets its own; production requires it from the environment
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Behind the deployment's nginx (which sets X-Real-IP to the client's address): true. Directly
# exposed: false, or clients could forge their address (portal.audit.context.client_ip).
TRUST_X_REAL_IP = env_bool("TRUST_X_REAL_IP", False)

INSTALLED_APPS = [
    # django.contrib.admin with the portal's site: portal login, 2FA when required
    "portal.accounts.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "django_htmx",
    # the shared core
    "portal.core",
    "portal.regions",
    "portal.workdays",
    "portal.accounts",
    "portal.audit",
    "portal.notifications",
    "portal.documents",
    # the domain
    "cases",
    "complaints",
    "supervision",
    "evaluation",
    "service",
    # after the domain: its seed step sums what theirs wrote
    "portal.dashboards",
]

MIDDLEWARE = [
    # outermost: times every request and counts its answer (portal/core/metrics.py)
    "portal.core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "portal.audit.context.AuditContextMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.accounts.middleware.SessionTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "portal.accounts.middleware.TwoFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.core.navigation.navigation",
                "portal.notifications.context_processors.inbox",
            ],
        },
    },
]


# --- data stores -------------------------------------------------------------------------
def _database(variable: str) -> dict:
    """A database from its URL variable, with the portal's connection options."""
    config = env_database(variable)
    config["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    config["CONN_HEALTH_CHECKS"] = True
    config.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return config


DATABASES = {"default": _database("DATABASE_URL")}
# An optional streaming replica for the dashboards, statistics and exports (portal/core/replica.py).
READ_REPLICA = None
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = _database("DATABASE_REPLICA_URL")
    READ_REPLICA = "replica"
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30, minimum=0)
REPLICA_CHECK_SECONDS = env_int("REPLICA_CHECK_SECONDS", 5, minimum=0)
DATABASE_ROUTERS = ["portal.core.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis()
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_db(REDIS_URL, 1),
        "KEY_PREFIX": "portal",
    }
}
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- i18n: Chinese first ---------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and uploaded files --------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Evidence files live outside the web root and are served only through views that check
# the reader's scope; there is deliberately no MEDIA_URL route.
MEDIA_ROOT = VAR_DIR / "private-media"

# --- auth ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "portal.accounts.validators.DecoratedCommonPasswordValidator"},  # "Password@123456"
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # graded protection (等保2.0): at least three of upper case, lower case, digits, symbols
    {"NAME": "portal.accounts.validators.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
# Lockout (portal.accounts.lockout): this many failures within the lockout period lock the
# account and, counted separately, the client IP, for LOGIN_LOCKOUT_SECONDS. Counters live in Redis.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 30 * 60, minimum=60, maximum=24 * 3600)
# Sessions: idle timeout (sliding: every request pushes the expiry on) and an absolute limit
# since login (portal.accounts.middleware.SessionTimeoutMiddleware). Logout and password
# change end every session of the user (User.session_epoch).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60, maximum=24 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300, maximum=7 * 24 * 3600)
# Two-factor (TOTP, django-otp): a user with a confirmed device always gives a code at login;
# when PORTAL_REQUIRE_2FA is on, every staff user (is_staff or any role) must enrol and verify
# before anything else, the admin site included. Production turns it on.
PORTAL_REQUIRE_2FA = env_bool("REQUIRE_2FA", False)
OTP_TOTP_ISSUER = "河南交通执法监督平台"

# --- email -------------------------------------------------------------------------------
vars().update(env_email())
DEFAULT_FROM_EMAIL = "portal@jtt.henan.gov.cn"

# --- alerts: SMS gateway from the environment; steps, batches, retries in portal/notifications/conf.py
vars().update(env_sms_gateway())

# --- REST API ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes a missing or forged token a 401.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "河南省交通运输执法监督平台 API",
    "DESCRIPTION": "Henan transport enforcement supervision portal: problem list, complaints, supervision.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # signed-in people or API-token holders only (portal/urls.py); never anonymous
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # The schema offers JSON bodies (multipart only where an operation names it, for files): the
    # form encodings DRF also parses cannot carry null, lists or nested objects.
    "PARSER_WHITELIST": ["rest_framework.parsers.JSONParser"],
    # Free text states the storing rule (portal.core.api_schema); named formats are listed.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.core.api_schema.stored_text_patterns",
    ],
}


# --- personal data at rest -------------------------------------------------------------------
# Complainants' phone and ID numbers are stored encrypted with FIELD_ENCRYPTION_KEY (32 random
# bytes, url-safe base64; portal.core.crypto). Unset, local and test runs use a fixed development
# key; production refuses to start without one, and a malformed key stops any start with one line.
def _field_encryption_key() -> str:
    import os

    from portal.core.crypto import key_setting
    from portal.settings.env import env

    production = os.environ.get("DJANGO_SETTINGS_MODULE", "").endswith(".production")
    return key_setting(env.str("FIELD_ENCRYPTION_KEY", default=""), required=production)


FIELD_ENCRYPTION_KEY = _field_encryption_key()

# --- Celery ------------------------------------------------------------------------------
CELERY_BROKER_URL = redis_db(REDIS_URL, 0)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# Each entry expires before its next run, so a backlog never replays stale sweeps. Apps add
# theirs in <app>/schedule.py (a plain BEAT_SCHEDULE dict; no model imports there).
CELERY_BEAT_SCHEDULE = {
    "calendar-coverage-check": {
        "task": "portal.workdays.tasks.check_calendar_coverage",
        "schedule": crontab(hour=7, minute=0),
        "options": {"expires": 23 * 3600},
    },
    "clear-expired-sessions": {
        "task": "portal.core.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 23 * 3600},
    },
}
# Every app of this project (not Django's or a library's) may add its schedule.py.
for _app in [name for name in INSTALLED_APPS if (BASE_DIR / name.replace(".", "/") / "__init__.py").exists()]:
    try:
        CELERY_BEAT_SCHEDULE.update(importlib.import_module(f"{_app}.schedule").BEAT_SCHEDULE)
    except ModuleNotFoundError as exc:
        if exc.name not in (_app, f"{_app}.schedule") and not _app.startswith(exc.name or "-"):
            raise
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")


# --- content security policy (portal/core/security.py); CONTENT_SECURITY_POLICY="" sends none
def _content_security_policy() -> str:
    from portal.core.security import DEFAULT_POLICY

    raw = env.str("CONTENT_SECURITY_POLICY", default=None)
    return DEFAULT_POLICY if raw is None else raw.strip()


CONTENT_SECURITY_POLICY = _content_security_policy()

# --- metrics and logging -----------------------------------------------------------------
# /metrics (Prometheus text format) answers only these client addresses or networks; 404 to others.
METRICS_ALLOWED_IPS = env_networks("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])

# LOG_FORMAT=json: one JSON object per line (portal.core.logjson), for a log collector.
LOG_FORMAT = env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "portal.core.logjson.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
