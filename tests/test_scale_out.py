"""Scale-out rehearsed on one machine, for the alert workers: two Celery workers (prefork, two
processes each) on one database and one broker, beat fanning the sweep's alerts out to both, one
worker SIGKILLed mid-delivery. Every alert reaches every channel once as a reader counts it, the
survivor finishes the batch, and a repeat on the wire is only the documented one (a message the
killed worker had in flight, sent again under the same key).

The parts (embedded broker, SMTP and SMS receivers, worker processes) are those of
portal/notifications/tests/test_delivery_faults.py; two web instances are not rehearsed here.
"""

from __future__ import annotations

import pytest

from portal.notifications.models import Delivery
from portal.notifications.tests.test_delivery_faults import (  # noqa: F401 - fixtures by name
    CHANNELS,
    WORKER_POOL,
    _as_a_mailbox_counts,
    _counts_at_the_receivers,
    _create_owed,
    _lost_and_doubled,
    _open_deliveries,
    _repeats_on_the_wire,
    _wait_until,
    broker,
    processes,
    sinks,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

N_ALERTS = 300


def test_two_workers_one_killed_mid_delivery_deliver_every_alert_once(processes, sinks):  # noqa: F811
    smtp, gateway = sinks
    alerts = _create_owed(N_ALERTS)
    processes.start("beat")
    first, second = processes.start("worker"), processes.start("worker")

    _wait_until(lambda: len(smtp.raw) + len(gateway.requests) >= N_ALERTS // 2, "half of the batch", processes)
    processes.kill(first)
    in_flight = set(Delivery.objects.filter(status="sending").values_list("pk", flat=True))
    _wait_until(lambda: _open_deliveries() == 0, "the second worker to finish the batch", processes)
    assert second.poll() is None  # the survivor kept running and took over

    counts = _counts_at_the_receivers(alerts, smtp, gateway)
    assert _lost_and_doubled(alerts, _as_a_mailbox_counts(counts)) == dict.fromkeys(CHANNELS, (N_ALERTS, 0, 0))
    repeats = _repeats_on_the_wire(smtp, gateway)
    assert all(n == 2 for n in repeats.values()), repeats
    assert {pk for _channel, pk in repeats} <= in_flight, (repeats, in_flight)
    assert len(repeats) <= WORKER_POOL, repeats
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    print(f"\nscale-out: {N_ALERTS} alerts x {len(CHANNELS)} channels by 2 workers, one killed; repeats {repeats}")
