"""Settings for ``make test``: the embedded PostgreSQL and Redis, fast hashing, no network."""

from portal.settings.base import *  # noqa: F403
from portal.settings.base import VAR_DIR
from portal.settings.env import env, redis_db

DEBUG = False
SECRET_KEY = "test-only-key-not-secret-3b9e2f6a8d"  # noqa: S105
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CELERY_TASK_ALWAYS_EAGER = False

# Each xdist worker gets its own Redis database for the cache (tests clear it freely); the
# broker stays on database 0. gw0 -> 2, gw1 -> 3, ... (Redis has 16 databases).
_worker = env.str("PYTEST_XDIST_WORKER", default="gw0").removeprefix("gw")
CACHES["default"]["LOCATION"] = redis_db(REDIS_URL, 2 + int(_worker) % 14 if _worker.isdigit() else 2)

# Transactional tests flush the throw-away test database with TRUNCATE, which the audit
# trail's trigger refuses unless this connection setting says it is maintenance.
DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c portal.audit_maintenance=on"

# A stand-in read replica: the same test database under the alias ``replica`` (a test mirror,
# never created or flushed on its own). Off unless a test turns ``READ_REPLICA`` on
# (portal/dashboards/tests/test_replica.py); then it sees committed rows only, like a real replica.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
READ_REPLICA = None  # also when DATABASE_REPLICA_URL happens to be exported
REPLICA_CHECK_SECONDS = 0  # every block asks: no health answer carries over between tests
