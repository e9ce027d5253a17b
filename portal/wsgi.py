"""WSGI entry point (gunicorn portal.wsgi)."""

from portal.boot import load_settings_or_exit

load_settings_or_exit()

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
