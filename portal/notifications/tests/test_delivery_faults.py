"""Alerts are never lost and never doubled, shown with real parts: Celery worker processes
(prefork) and beat against the test database, a real Redis broker, a real SMTP server
(aiosmtpd) and a real HTTP server as the SMS gateway. Counted at the receivers the way a
mailbox counts (by ``Message-ID``; SMS by the gateway's idempotency key), every alert arrives
exactly once on every channel. On the wire, the one repeat the design documents is allowed and
checked to be exactly that: a message whose worker was killed between its last bytes and the
commit point's UPDATE, sent again under the same key (a row the killed worker had in flight,
at most one per pool process).

The broker is an embedded redis-server of the test scope started for this module (in
``var/test-<scope>/alerts-fault-<worker>/``, with the launcher's own ``redis_start`` and
``redis_stop``), not the one every test process shares for its cache: restarting that one would
fail whichever tests run alongside.

Transactional tests: the worker processes must see committed rows. Afterwards the rows the
migrations loaded are put back (``_restore_migrated_data``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from portal.notifications.models import Alert, Delivery, InboxMessage, NotificationPreference, Run
from portal.notifications.sweep import alerts_sweep
from portal.notifications.tests.sinks import GatewaySink, SmtpSink

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

N_ALERTS = 300
CHANNELS = ("inbox", "email", "sms")
WAIT_SECONDS = 120
WORKER_POOL = 2  # prefork processes per worker


class Broker:
    """An embedded Redis for this test: started, stopped and started again on its port."""

    def __init__(self, folder: Path):
        from portal import launcher

        self.launcher, self.folder = launcher, folder
        self.url = launcher.redis_start(folder)
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def restart(self) -> None:
        self.launcher.redis_stop(self.folder)
        with mock.patch.object(self.launcher, "_free_port", return_value=self.port):
            url = self.launcher.redis_start(self.folder)
        assert url == self.url, (url, self.url)

    def stop(self) -> None:
        self.launcher.redis_stop(self.folder)


@pytest.fixture
def broker():
    from portal import launcher

    scope = os.environ.get("TEST_SCOPE", "").strip()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    folder = launcher.VAR_DIR / (f"test-{scope}" if scope else "test") / f"alerts-fault-{worker}"
    shutil.rmtree(folder, ignore_errors=True)  # nothing queued by an earlier run
    started = Broker(folder)
    yield started
    started.stop()
    shutil.rmtree(folder, ignore_errors=True)


class Processes:
    """Celery worker and beat processes, each in its own process group, logs in tmp_path."""

    def __init__(self, env: dict, folder: Path):
        self.env, self.folder = env, folder
        self.running: dict[str, subprocess.Popen] = {}
        self.count = 0

    def start(self, kind: str) -> subprocess.Popen:
        self.count += 1
        name = f"{kind}{self.count}"
        command = [sys.executable, "-m", "celery", "-A", "portal.celery"]
        if kind == "worker":
            command += ["worker", "--concurrency", str(WORKER_POOL), "-P", "prefork"]
            command += ["-Q", self.env["ALERTS_WORKER_QUEUE"]]
            command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        else:
            command += ["beat", "--schedule", str(self.folder / "beat-schedule"), "--pidfile", ""]
        command += ["--loglevel", "WARNING"]
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running[name] = process
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL the whole group at once: the worker and its pool processes, like a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n" + path.read_text(errors="replace")[-3000:]
            for path in sorted(self.folder.glob("*.log"))
        )


@pytest.fixture
def sinks():
    smtp = SmtpSink(delay=0.01).start()
    gateway = GatewaySink(delay=0.01).start()
    yield smtp, gateway
    smtp.stop()
    gateway.stop()


@pytest.fixture
def processes(broker, sinks, tmp_path, _restore_migrated_data):
    smtp, gateway = sinks
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.notifications.tests.worker_settings",
        "DATABASE_URL": database_url,
        "ALERTS_WORKER_BROKER_URL": broker.url,
        "ALERTS_WORKER_QUEUE": f"alerts-fault-{os.getpid()}",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "SMS_GATEWAY_URL": gateway.url,
        "SMS_GATEWAY_TIMEOUT": "5",
    }
    env.pop("COVERAGE_PROCESS_START", None)
    running = Processes(env, tmp_path)
    yield running
    running.stop_all()


def _create_owed(n: int) -> list[Alert]:
    from cases.models import Category, Problem
    from portal.accounts.models import Role, User
    from portal.regions.models import EnforcementDomain, Unit

    unit = Unit.objects.create(name="中牟县交通运输综合行政执法大队", kind="agency", region_id="410122")
    users = User.objects.bulk_create(
        User(
            username=f"fault{i:04d}",
            email=f"fault{i:04d}@example.gov.cn",
            phone=f"139{i:08d}",
            region_id="410122",
            unit=unit,
            roles=[Role.COUNTY_OFFICER],
        )
        for i in range(n)
    )
    NotificationPreference.objects.bulk_create(NotificationPreference(user=u, email=True, sms=True) for u in users)
    category = Category.objects.filter(parent__isnull=False).first()
    domain = EnforcementDomain.objects.first()
    today = timezone.localdate()
    Problem.objects.bulk_create(
        Problem(
            code=f"WT-F-{i:05d}",
            title=f"故障测试问题 {i}",
            category=category,
            source=Problem.Source.INSPECTION,
            region_id="410122",
            unit=unit,
            domain=domain,
            status=Problem.Status.RECTIFYING,
            deadline=today,
            handler_user=user,
        )
        for i, user in enumerate(users)
    )
    run = alerts_sweep(today=today, enqueue=False)  # the ledger; no message sent anywhere
    assert run.alerts == n
    return list(Alert.objects.select_related("step"))


def _wait_until(predicate, what: str, processes: Processes, seconds: float = WAIT_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{processes.logs()}")


def _open_deliveries() -> int:
    return (
        Delivery.objects.filter(status__in=["pending", "sending"]).count()
        + Run.objects.filter(kind="sweep", fanned_at__isnull=True, alerts__gt=0).count()
    )


def _counts_at_the_receivers(alerts, smtp: SmtpSink, gateway: GatewaySink) -> dict[str, Counter]:
    """How many messages each alert produced at each receiver, counted there (inbox: rows)."""
    keys = {alert.pk: alert.key for alert in alerts}
    sms_alert = dict(Delivery.objects.filter(channel="sms").values_list("pk", "alert_id"))
    inbox = Counter(keys[a] for a in InboxMessage.objects.values_list("delivery__alert_id", flat=True))
    email = Counter(smtp.by_alert())
    sms = Counter(keys[sms_alert[int(key.rsplit("-", 1)[1])]] for key in gateway.by_key().elements())
    return {"inbox": inbox, "email": email, "sms": sms}


def _lost_and_doubled(alerts, counts: dict[str, Counter]) -> dict[str, tuple[int, int, int]]:
    keys = [alert.key for alert in alerts]
    summary = {}
    for channel in CHANNELS:
        seen = counts[channel]
        delivered = sum(1 for key in keys if seen[key] >= 1)
        lost = sum(1 for key in keys if seen[key] == 0)
        doubled = sum(seen[key] - 1 for key in keys if seen[key] > 1) + sum(
            n for key, n in seen.items() if key not in set(keys)
        )
        summary[channel] = (delivered, lost, doubled)
    return summary


def _repeats_on_the_wire(smtp: SmtpSink, gateway: GatewaySink) -> dict[tuple[str, int], int]:
    """(channel, delivery id) -> copies received, for the deliveries that arrived more than once.
    Every copy of a delivery must carry its one key (Message-ID; the SMS idempotency key)."""
    copies: Counter = Counter()
    message_ids: dict[int, set] = {}
    for headers in smtp.headers():
        delivery = int(headers["X-Portal-Delivery"])
        copies["email", delivery] += 1
        message_ids.setdefault(delivery, set()).add(headers["Message-ID"])
    for key, n in gateway.by_key().items():
        copies["sms", int(key.rsplit("-", 1)[1])] += n
    assert all(len(ids) == 1 for ids in message_ids.values()), message_ids
    return {key: n for key, n in copies.items() if n > 1}


def _as_a_mailbox_counts(counts: dict[str, Counter]) -> dict[str, Counter]:
    """One message per alert however often its key arrived (what a mailbox, or a gateway that
    drops repeats of a key, shows its reader)."""
    return {channel: Counter(dict.fromkeys(seen, 1)) for channel, seen in counts.items()}


def test_owed_alerts_wait_in_the_database_until_a_worker_starts(processes, sinks):
    smtp, gateway = sinks
    alerts = _create_owed(40)
    processes.start("beat")  # beat runs, Redis runs; no worker
    time.sleep(4)
    assert Alert.objects.count() == 40 and not Delivery.objects.exists()  # owed, waiting in PostgreSQL
    assert Run.objects.get(kind="sweep").fanned_at is None
    assert smtp.raw == [] and gateway.requests == [] and not InboxMessage.objects.exists()

    processes.start("worker")
    _wait_until(lambda: _open_deliveries() == 0, "the waiting alerts to go out", processes)
    summary = _lost_and_doubled(alerts, _counts_at_the_receivers(alerts, smtp, gateway))
    assert summary == dict.fromkeys(CHANNELS, (40, 0, 0)), (
        summary,
        Counter(Delivery.objects.values_list("channel", "status", "last_error")),
        list(Run.objects.values_list("kind", "alerts", "fanned_at", "outcome", "detail")),
        processes.logs()[-3000:],
    )


def test_a_worker_killed_mid_batch_and_a_redis_restart_lose_and_double_nothing(processes, sinks, broker):
    smtp, gateway = sinks
    alerts = _create_owed(N_ALERTS)
    processes.start("beat")
    first = processes.start("worker")

    # Kill the worker (SIGKILL, pool processes included) once a good part of the batch is out.
    def external_sent() -> int:
        return len(smtp.raw) + len(gateway.requests)

    _wait_until(lambda: external_sent() >= N_ALERTS // 2, "the first half of the batch", processes)
    processes.kill(first)
    # What the killed worker had in flight: claimed, not yet recorded as sent.
    in_flight = set(Delivery.objects.filter(status="sending").values_list("pk", flat=True))
    at_kill = {
        "email": len(smtp.raw),
        "sms": len(gateway.requests),
        "claimed": Delivery.objects.filter(status="sending").count(),
        "pending": Delivery.objects.filter(status="pending").count(),
    }
    assert 0 < at_kill["email"] + at_kill["sms"] < 2 * N_ALERTS, at_kill

    broker.restart()  # the queued messages survive in its append-only file, or not: the ledger decides
    processes.start("worker")
    _wait_until(lambda: _open_deliveries() == 0, "every delivery to finish", processes)

    counts = _counts_at_the_receivers(alerts, smtp, gateway)
    summary = _lost_and_doubled(alerts, counts)
    repeats = _repeats_on_the_wire(smtp, gateway)
    print(
        f"\nfault test: {N_ALERTS} alerts x {len(CHANNELS)} channels; killed with {at_kill}; "
        + "; ".join(f"{ch}: delivered {d}, lost {lost}, repeated {dup}" for ch, (d, lost, dup) in summary.items())
        + f"; repeats on the wire {repeats}"
    )
    # Nothing is lost anywhere, and a reader sees every alert once on every channel.
    assert _lost_and_doubled(alerts, _as_a_mailbox_counts(counts)) == dict.fromkeys(CHANNELS, (N_ALERTS, 0, 0))
    # A repeat on the wire is only the documented one (portal/notifications/delivery.py): the
    # killed worker's message in flight whose last bytes had left before its "sent" UPDATE, sent
    # once more under the same key; at most one per pool process. The inbox repeats nothing.
    assert all(n == 2 for n in repeats.values()), repeats
    assert {pk for _channel, pk in repeats} <= in_flight, (repeats, in_flight)
    assert len(repeats) <= WORKER_POOL, repeats
    expected = dict.fromkeys(CHANNELS, (N_ALERTS, 0, 0))
    for channel in ("email", "sms"):
        expected[channel] = (N_ALERTS, 0, sum(1 for ch, _pk in repeats if ch == channel))
    assert summary == expected, (summary, repeats)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
