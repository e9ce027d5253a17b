"""Prometheus metrics (prometheus-client) at ``/metrics``, for the addresses in METRICS_ALLOWED_IPS.

Per request (``MetricsMiddleware``, outermost in MIDDLEWARE):

- ``portal_http_request_duration_seconds{method,route}``: a latency histogram; ``route`` is the
  URL pattern (``cases/problems/<int:pk>/``), never the path, so the label set stays bounded;
- ``portal_http_responses_total{method,route,status}``: answers by status (errors: ``5..``);
- ``portal_http_exceptions_total{route,exception}``: exceptions a view raised (each also a 500).

Read at each scrape (``StateCollector``), from the broker and the alert ledger:

- ``portal_celery_queue_length{queue}``: messages waiting in the Celery queue (Redis LLEN);
- ``portal_celery_unacked_tasks``: tasks a worker has taken but not finished (late acks);
- ``portal_alert_deliveries{channel,status}``: unfinished deliveries (pending, retrying, sending,
  failed), the alert backlog;
- ``portal_alert_oldest_open_delivery_age_seconds``: how long the longest-waiting delivery is due;
- ``portal_alert_job_last_success_timestamp_seconds{job}``: sweep, fanout, redispatch;
- ``portal_alert_sweep_age_seconds``: seconds since the last successful sweep (+Inf: never);
- ``portal_metrics_source_up{source}``: 0 when the database or the broker could not be read
  (the scrape still answers 200, with what it could read).

Under gunicorn every worker process counts its own requests; ``portal/gunicorn_conf.py`` sets
PROMETHEUS_MULTIPROC_DIR, so whichever worker answers the scrape reports the sum of all of them.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import time
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from portal.accounts.access import public
from portal.audit.context import client_ip

logger = logging.getLogger(__name__)

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
UNMATCHED = "<unmatched>"

REQUEST_SECONDS = Histogram(
    "portal_http_request_duration_seconds",
    "Time from the request's arrival to its answer, by URL pattern.",
    ["method", "route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
RESPONSES = Counter("portal_http_responses_total", "Answers by URL pattern and status.", ["method", "route", "status"])
EXCEPTIONS = Counter("portal_http_exceptions_total", "Exceptions raised by views.", ["route", "exception"])


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        route = _route(request)
        REQUEST_SECONDS.labels(method, route).observe(time.perf_counter() - started)
        RESPONSES.labels(method, route, str(response.status_code)).inc()
        return response

    def process_exception(self, request, exception):
        EXCEPTIONS.labels(_route(request), type(exception).__name__).inc()


# --- state read at scrape time -----------------------------------------------------------------


class StateCollector:
    """The broker's queue and the alert ledger, read when Prometheus asks (a few index probes)."""

    def collect(self):
        up = GaugeMetricFamily("portal_metrics_source_up", "1 when the source could be read.", labels=["source"])
        try:
            yield from self._broker()
            up.add_metric(["broker"], 1)
        except Exception as exc:
            logger.warning("metrics: broker not readable: %s", exc)
            up.add_metric(["broker"], 0)
        try:
            yield from self._alerts()
            up.add_metric(["database"], 1)
        except Exception as exc:
            logger.warning("metrics: alert ledger not readable: %s", exc)
            up.add_metric(["database"], 0)
        yield up

    def _broker(self):
        from portal.celery import app

        queue = app.conf.task_default_queue
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            channel = conn.default_channel
            client = channel.client
            # kombu keeps one Redis list per priority step: "celery", "celery\x06\x163", ...
            names = [channel._q_for_pri(queue, step) for step in channel.priority_steps]
            length = sum(client.llen(name) for name in dict.fromkeys(names))
            unacked = client.hlen(channel.unacked_key)
        family = GaugeMetricFamily("portal_celery_queue_length", "Messages waiting in the queue.", labels=["queue"])
        family.add_metric([queue], length)
        yield family
        yield GaugeMetricFamily("portal_celery_unacked_tasks", "Tasks taken by a worker, not finished.", value=unacked)

    def _alerts(self):
        from portal.notifications.selectors import delivery_backlog, last_successful_runs, oldest_open_delivery

        now = timezone.now()
        deliveries = GaugeMetricFamily(
            "portal_alert_deliveries", "Unfinished alert deliveries (the backlog).", labels=["channel", "status"]
        )
        for row in delivery_backlog():
            for status in ("pending", "retrying", "sending", "failed"):
                deliveries.add_metric([row["channel"], status], row[status])
        yield deliveries
        oldest = oldest_open_delivery()
        yield GaugeMetricFamily(
            "portal_alert_oldest_open_delivery_age_seconds",
            "How long the longest-waiting pending or sending delivery has been due (0: none).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        runs = last_successful_runs()
        last = GaugeMetricFamily(
            "portal_alert_job_last_success_timestamp_seconds",
            "When each alert job last finished successfully (Unix time).",
            labels=["job"],
        )
        for job, at in sorted(runs.items()):
            last.add_metric([job], at.timestamp())
        yield last
        sweep = runs.get("sweep")
        yield GaugeMetricFamily(
            "portal_alert_sweep_age_seconds",
            "Seconds since the last successful alert sweep (+Inf: none yet).",
            value=(now - sweep).total_seconds() if sweep else math.inf,
        )


STATE = CollectorRegistry(auto_describe=False)
STATE.register(StateCollector())


# --- the endpoint --------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _networks(allowed: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in allowed)


def address_allowed(address: str | None) -> bool:
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


def _requests_registry():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


@public
@never_cache
@require_GET
def metrics(request):
    """Prometheus text format; any address outside METRICS_ALLOWED_IPS gets the missing page."""
    if not address_allowed(client_ip(request)):
        raise Http404
    body = generate_latest(_requests_registry()) + generate_latest(STATE)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
