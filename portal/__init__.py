"""Henan transport enforcement supervision portal: the project package and the shared core.

The Celery app is imported by ``portal.core.apps.CoreConfig.ready`` rather than here, so
that tools in this package (the launcher) can run before any setting is known.
"""
