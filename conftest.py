"""Root pytest configuration, for the tests of every app (tests/ and <app>/tests/).

Reference data (Henan's regions, the calendar, the problem categories) is loaded by data
migrations. A transactional test (``transaction=True``, ``live_server``) ends with a flush of
the test database, so each one asks for Django's serialized rollback: the migrated data is put
back at its start. pytest-django runs transactional tests after the others, so the ordinary
tests always see the data too.
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        fixtures = getattr(item, "fixturenames", None)
        if fixtures is None:
            continue
        marker = item.get_closest_marker("django_db")
        if marker is not None:
            if marker.kwargs.get("transaction") or (marker.args and marker.args[0]):
                # the closest marker wins: this copy adds serialized_rollback to the test's own
                kwargs = {**dict(zip(("transaction", "reset_sequences"), marker.args, strict=False)), **marker.kwargs}
                item.add_marker(pytest.mark.django_db(**{**kwargs, "serialized_rollback": True}), append=False)
        elif ("live_server" in fixtures or "transactional_db" in fixtures) and (
            "django_db_serialized_rollback" not in fixtures
        ):
            fixtures.append("django_db_serialized_rollback")
