"""Entry-point glue shared by manage.py, wsgi and the Celery app.

A malformed environment variable must stop start-up with one clear line, not a traceback:
``load_settings_or_exit`` imports the settings module up front and turns a ``SettingError``
into that line on stderr and exit status 2.
"""

from __future__ import annotations

import importlib
import os
import sys

DEFAULT_SETTINGS = "portal.settings.local"


def load_settings_or_exit() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from django.core.exceptions import ImproperlyConfigured

    try:
        importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    except ImproperlyConfigured as exc:
        print(f"portal: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    except ModuleNotFoundError as exc:
        print(
            f"portal: configuration error: DJANGO_SETTINGS_MODULE={os.environ['DJANGO_SETTINGS_MODULE']!r} "
            f"cannot be imported ({exc}); use portal.settings.local, .test or .production.",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
