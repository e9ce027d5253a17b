"""The Celery app: configuration from Django settings (``CELERY_*``), tasks autodiscovered."""

from celery import Celery
from celery.signals import setup_logging

from portal.boot import load_settings_or_exit

load_settings_or_exit()

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _json_logging(**kwargs):
    """LOG_FORMAT=json: the worker and beat log through Django's LOGGING (one JSON object a
    line) instead of configuring their own plain-text handlers."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def _connect_logging() -> None:
    from django.conf import settings

    if getattr(settings, "LOG_FORMAT", "plain") == "json":
        setup_logging.connect(_json_logging, weak=False)


_connect_logging()
