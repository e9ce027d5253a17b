"""Settings for Celery worker and beat processes that the fault test (test_delivery_faults.py)
and the delivery benchmark (bench/bench_alerts.py) start.

The test settings, plus: email over SMTP from EMAIL_URL (their SMTP sink), their own broker
and queue, and, for the fault test, short leases and redispatch delays so that a killed
worker's claims come free within seconds instead of minutes.
"""

import os

from portal.settings.env import env_email, env_int
from portal.settings.test import *  # noqa: F403

vars().update(env_email())
CELERY_BROKER_URL = os.environ["ALERTS_WORKER_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = NOTIFICATIONS_QUEUE = os.environ["ALERTS_WORKER_QUEUE"]
CELERY_BEAT_SCHEDULE = {
    "alerts-redispatch": {
        "task": "portal.notifications.tasks.redispatch",
        "schedule": 1.0,
        "options": {"expires": 0.9},
    },
}
NOTIFICATIONS_CLAIM_LEASE_SECONDS = env_int("ALERTS_WORKER_LEASE", 4, minimum=1)
NOTIFICATIONS_REDISPATCH_AFTER_SECONDS = env_int("ALERTS_WORKER_REDISPATCH_AFTER", 3, minimum=1)
NOTIFICATIONS_BATCH_SIZE = env_int("ALERTS_WORKER_BATCH", 10, minimum=1)
NOTIFICATIONS_INBOX_BATCH_SIZE = env_int("ALERTS_WORKER_INBOX_BATCH", 25, minimum=1)
NOTIFICATIONS_DIGEST_THRESHOLD = 100_000
NOTIFICATIONS_BACKOFF_BASE_SECONDS = 1
NOTIFICATIONS_BACKOFF_MAX_SECONDS = 4
