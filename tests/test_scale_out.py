"""Scale-out rehearsed on one machine, for the alert workers: two Celery workers (prefork, two
processes each) on one database and one broker, beat fanning the sweep's alerts out to both, one
worker SIGKILLed mid-delivery. Every alert reaches every channel once as a reader counts it, the
survivor finishes the batch, and a repeat on the wire is only the documented one (a message the
killed worker had in flight, sent again under the same key).

Then two web instances (gunicorn, two workers each) take 12328 intake at once, a third of
the work orders sent to both: each stored once and routed as one instance would, and the
dashboard figures count each once.

The parts (embedded broker, SMTP and SMS receivers, worker processes) are those of
portal/notifications/tests/test_delivery_faults.py.
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


# --- two web instances -----------------------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_web(processes, name: str):  # noqa: F811
    """One gunicorn instance (its own process group) on the test database and broker."""
    import subprocess
    import sys
    import time
    import urllib.request

    from django.conf import settings

    port = _free_port()
    log = open(processes.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    command += ["--log-level", "warning", "--no-control-socket"]
    process = subprocess.Popen(
        command, cwd=settings.BASE_DIR, env=processes.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    processes.running[name] = process
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, processes.logs()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return port
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{name} did not answer within 60 s\n{processes.logs()}")


def test_two_web_instances_take_intake_as_one(processes):  # noqa: F811
    """Work orders sent to two gunicorn instances at once, a third of them to both (a retry
    that lands on the other instance): each stored once, routed, audited, and the figures equal
    what one instance computes for the same work orders."""
    import json
    import threading
    import urllib.request

    from rest_framework.authtoken.models import Token

    from complaints import services
    from complaints.models import Complaint, IntakeClient, RoutingRule
    from portal.accounts.models import User
    from portal.audit.models import AuditEvent
    from portal.dashboards.services import figures_refresh
    from portal.regions.models import Unit

    agency = Unit.objects.create(
        name="金水区交通运输综合行政执法大队", kind=Unit.Kind.ENFORCEMENT_AGENCY, region_id="410105"
    )
    RoutingRule.objects.create(region_id="410105", area="road_transport", unit=agency)
    hotline_user = User.objects.create_user("api_12328_scale", region_id="410000")
    hotline = IntakeClient.objects.create(user=hotline_user, name="12328", channel="12328")
    token = Token.objects.create(user=hotline_user).key
    ports = [_start_web(processes, "web1"), _start_web(processes, "web2")]

    orders = [
        {
            "external_id": f"SCALE-{i:04d}",
            "area": "road_transport",
            "subject": "出租车拒载",
            "description": f"第 {i} 件：出租车拒载并辱骂乘客。",
            "region": "410105",
            "phone": f"139{i:08d}",
        }
        for i in range(120)
    ]
    answers: list[int] = []
    lock = threading.Lock()

    def send(port, batch):
        for order in batch:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/v1/complaints/intake/",
                data=json.dumps(order).encode(),
                headers={"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "localhost"},
            )
            with urllib.request.urlopen(request, timeout=30) as response, lock:
                answers.append(response.status)

    halves = [orders[:80], orders[40:]]  # orders 40..79 go to both instances
    threads = [threading.Thread(target=send, args=(port, half)) for port, half in zip(ports, halves, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 160 and set(answers) <= {200, 201} and answers.count(201) == 120
    stored = Complaint.objects.filter(external_id__startswith="SCALE-")
    assert stored.count() == 120 and stored.values("external_id").distinct().count() == 120
    assert AuditEvent.objects.filter(action="complaint.submit").count() == 120
    # what one instance makes of the same work orders (routing and deadlines, not saved)
    for complaint in stored:
        order = orders[int(complaint.external_id.removeprefix("SCALE-"))]
        alone = services._new_complaint(
            actor=hotline_user, intake_client=hotline, channel="12328", received_at=complaint.received_at, **order
        )
        assert (complaint.handling_unit_id, complaint.deadline, complaint.accept_deadline) == (
            alone.handling_unit_id,
            alone.deadline,
            alone.accept_deadline,
        )
    # the dashboards' figures count each work order once, wherever it arrived
    figures_refresh()
    from complaints.figure_tables import ComplaintFigure

    for region in ("410105", "410100", "410000"):
        row = ComplaintFigure.objects.get(region_id=region, unit__isnull=True, dim="all")
        assert (row.received, row.complaints, row.open) == (120, 120, 120), region
