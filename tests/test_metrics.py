"""/metrics: Prometheus text from prometheus-client, for METRICS_ALLOWED_IPS only (404 to anyone
else, the same page as a missing one); request latency and errors, the Celery queue, the alert
backlog and the last sweep's age. LOG_FORMAT=json logs one JSON object a line."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from portal.core.logjson import JsonFormatter
from portal.core.metrics import RESPONSES, MetricsMiddleware, address_allowed
from tests.test_authorization_matrix import normalise

pytestmark = pytest.mark.django_db


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_only_allowed_addresses_see_the_metrics_others_get_the_missing_page(client, settings):
    assert client.get("/metrics").status_code == 200  # the test client comes from 127.0.0.1
    outside = {"REMOTE_ADDR": "10.20.30.40"}
    denied = client.get("/metrics", **outside)
    missing = client.get("/no-such-page", **outside)
    assert denied.status_code == 404 == missing.status_code
    assert normalise(denied.content, "/metrics") == normalise(missing.content, "/no-such-page")

    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    assert client.get("/metrics", **outside).status_code == 200
    assert client.get("/metrics").status_code == 404  # loopback is no longer listed


def test_x_real_ip_counts_only_behind_the_trusted_proxy(client, settings):
    settings.METRICS_ALLOWED_IPS = ["192.0.2.7"]
    forged = {"REMOTE_ADDR": "10.0.0.9", "HTTP_X_REAL_IP": "192.0.2.7"}
    settings.TRUST_X_REAL_IP = False
    assert client.get("/metrics", **forged).status_code == 404
    settings.TRUST_X_REAL_IP = True
    assert client.get("/metrics", **forged).status_code == 200


@pytest.mark.parametrize(
    ("address", "allowed"),
    [("127.0.0.1", True), ("::1", True), ("::ffff:127.0.0.1", True), ("10.0.0.1", False), ("", False), ("x", False)],
)
def test_address_allowed_by_the_default_loopback_list(address, allowed):
    assert address_allowed(address) is allowed


def test_requests_are_timed_and_counted_by_url_pattern(client):
    client.get("/healthz")
    client.get("/accounts/login/")
    samples = scrape(client)
    route = (("method", "GET"), ("route", "healthz"))
    assert samples[("portal_http_request_duration_seconds_count", route)] >= 1
    assert samples[("portal_http_request_duration_seconds_bucket", tuple(sorted((*route, ("le", "+Inf")))))] >= 1
    assert samples[("portal_http_responses_total", (("method", "GET"), ("route", "healthz"), ("status", "200")))] >= 1
    # an unknown path is counted under one label, never under its own path
    client.get("/no-such-page-42")
    samples = scrape(client)
    assert not any("no-such-page-42" in str(labels) for _, labels in samples)
    assert samples[("portal_http_responses_total", (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))]


def test_server_errors_and_exceptions_are_counted():
    factory = RequestFactory()
    before = RESPONSES.labels("POST", "<unmatched>", "500")._value.get()
    MetricsMiddleware(lambda request: HttpResponse(status=500))(factory.post("/x"))
    assert RESPONSES.labels("POST", "<unmatched>", "500")._value.get() == before + 1

    from portal.core.metrics import EXCEPTIONS

    middleware = MetricsMiddleware(lambda request: HttpResponse())
    counted = EXCEPTIONS.labels("<unmatched>", "ZeroDivisionError")
    before = counted._value.get()
    middleware.process_exception(factory.get("/y"), ZeroDivisionError())
    assert counted._value.get() == before + 1


def test_the_celery_queue_depth_comes_from_the_broker(client):
    from portal.celery import app

    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    default = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        with app.connection_for_write() as conn:
            redis = conn.default_channel.client
            redis.lpush(queue, "a", "b", "c")
            try:
                samples = scrape(client)
            finally:
                redis.delete(queue)
    finally:
        app.conf.task_default_queue = default
    assert samples[("portal_celery_queue_length", (("queue", queue),))] == 3
    assert samples[("portal_metrics_source_up", (("source", "broker"),))] == 1
    assert ("portal_celery_unacked_tasks", ()) in samples


def test_the_alert_backlog_and_the_age_of_the_last_sweep(client, admin_user, django_assert_num_queries):
    from portal.notifications.models import Delivery, Run

    samples = scrape(client)
    assert samples[("portal_alert_sweep_age_seconds", ())] == float("inf")  # never swept
    assert samples[("portal_alert_deliveries", (("channel", "email"), ("status", "pending")))] == 0

    now = timezone.now()
    Run.objects.create(
        kind="sweep",
        outcome="ok",
        started_at=now - dt.timedelta(minutes=41),
        finished_at=now - dt.timedelta(minutes=40),
    )
    Run.objects.create(kind="sweep", outcome="error", started_at=now - dt.timedelta(minutes=10))  # not a success
    for status in ("pending", "pending", "sending", "failed", "sent"):
        Delivery.objects.create(
            is_digest=True,
            recipient=admin_user,
            channel="email",
            status=status,
            next_attempt_at=now - dt.timedelta(minutes=30),
            **({"claim_token": uuid.uuid4(), "lease_until": now} if status == "sending" else {}),
        )
    # the scrape's database reads: backlog, oldest open delivery, the last success of each job
    with django_assert_num_queries(5):
        response = client.get("/metrics")
    assert response.status_code == 200
    samples = scrape(client)
    assert 40 * 60 - 5 < samples[("portal_alert_sweep_age_seconds", ())] < 40 * 60 + 60
    email = {
        status: samples[("portal_alert_deliveries", (("channel", "email"), ("status", status)))]
        for status in ("pending", "sending", "failed", "retrying")
    }
    assert email == {"pending": 2, "sending": 1, "failed": 1, "retrying": 0}
    assert samples[("portal_alert_oldest_open_delivery_age_seconds", ())] >= 30 * 60 - 5
    assert samples[("portal_metrics_source_up", (("source", "database"),))] == 1


def test_json_log_lines():
    formatter = JsonFormatter()
    record = logging.LogRecord("portal.x", logging.WARNING, __file__, 1, "投诉 %s 超期", ("TS-1",), None)
    record.complaint_id = 42
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING" and line["logger"] == "portal.x"
    assert line["message"] == "投诉 TS-1 超期" and line["complaint_id"] == 42
    assert dt.datetime.fromisoformat(line["time"]).tzinfo is not None
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("portal.x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = json.loads(formatter.format(record))
    assert "ValueError: boom" in line["exception"] and "\n" not in formatter.format(record)
