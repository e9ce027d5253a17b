"""The Celery app: configuration from Django settings (``CELERY_*``), tasks autodiscovered."""

from celery import Celery

from portal.boot import load_settings_or_exit

load_settings_or_exit()

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
