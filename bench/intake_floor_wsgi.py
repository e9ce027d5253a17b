"""The benchmark's gunicorn entry: the portal with one more route, the intake's floor
(``bench/intake_floor.py``), so ping, the intake and the floor share one server."""

from django.conf import settings

from portal.wsgi import application

settings.ROOT_URLCONF = "bench.intake_floor"

__all__ = ["application"]
