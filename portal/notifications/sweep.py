"""Finding what is owed, set-based: the sweep, the fan-out and the redispatcher.

- ``alerts_sweep`` (Celery beat): for every source one ``INSERT ... SELECT`` over its partial
  index writes the alerts owed today that the ledger does not hold yet (key: subject, step,
  version, packed into the primary key); a second sweep right after inserts (and enqueues)
  nothing.
  After commit it enqueues the fan-out of its run.
- ``alerts_fan_out``: one statement claims a sweep run and turns its alerts into deliveries,
  one per (alert, channel, recipient) under a unique key, folding floods into digests; after
  commit the deliveries are enqueued in batches.
- ``deliveries_redispatch`` (beat, and once when a worker starts): the ledger, not Redis, is
  the truth. Claims whose worker died are released; pending deliveries and new alerts whose
  message was lost (Redis restarted, a killed worker held it) are enqueued again. With no
  worker running nothing is lost: owed work waits in PostgreSQL until one starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback

from django.db import connection, transaction
from django.utils import timezone

from portal.notifications import conf
from portal.notifications.models import PACKED_KEY_SQL, Alert, AlertStep, Channel, Delivery, Run
from portal.notifications.sources import active_sources, all_sources, thresholds_for

logger = logging.getLogger(__name__)

SWEEP_LOCK_KEY = 0x414C5254  # "ALRT": one sweep at a time (a second one would only find conflicts)


def _finish(run: Run, **fields) -> None:
    fields.setdefault("outcome", Run.Outcome.OK)
    Run.objects.filter(pk=run.pk).update(finished_at=timezone.now(), **fields)
    for name, value in fields.items():
        setattr(run, name, value)


def _record_error(run: Run, exc: BaseException) -> None:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    try:
        _finish(run, outcome=Run.Outcome.ERROR, error=text)
    except Exception:  # the database itself is what failed; the task's own retry reports it
        logger.exception("could not record the failed %s run %s", run.kind, run.pk)


def _entered_years() -> set[int]:
    from portal.workdays.models import CalendarYear

    return set(CalendarYear.objects.values_list("year", flat=True))


# The rows a source owes that the ledger does not hold yet, under their packed key. Sweeps are
# serialized by an advisory lock and nothing else writes alerts, so the anti-join is exact;
# the primary key stays the guard (a duplicate would fail the sweep, never send twice). A plain
# INSERT over an anti-join costs about half of ON CONFLICT DO NOTHING's speculative insertion,
# row for row; inserted in key order, the key's index is filled page by page.
_KEY = PACKED_KEY_SQL.format(subject="o.subject_id", step="o.step_id", version="o.version")
_INSERT_OWED = f"""
INSERT INTO notifications_alert (id, subject_id, step_id, version, due_on, fire_on, run_id)
SELECT {_KEY}, o.subject_id, o.step_id, o.version, o.due_on, %s::date, %s::bigint
  FROM ({{owed}}) o
 WHERE NOT EXISTS (SELECT 1 FROM notifications_alert a WHERE a.id = {_KEY})
 ORDER BY 1
"""  # noqa: S608 - fixed fragments; values are parameters

# The same for the sources counting in clock minutes: their rows carry the moment the limit passed.
_INSERT_OWED_AT = f"""
INSERT INTO notifications_alert (id, subject_id, step_id, version, due_on, due_at, fire_on, run_id)
SELECT {_KEY}, o.subject_id, o.step_id, o.version, o.due_on, o.due_at, %s::date, %s::bigint
  FROM ({{owed}}) o
 WHERE NOT EXISTS (SELECT 1 FROM notifications_alert a WHERE a.id = {_KEY})
 ORDER BY 1
"""  # noqa: S608 - fixed fragments; values are parameters

# The ledger's length in blocks. Only sweeps write alerts and nothing updates or deletes them,
# so a sweep's rows go to the block that was last and the blocks added after it
# (``Run.first_block``); only the space of a failed sweep's rows, once vacuumed in the middle of
# the table, can take some elsewhere, and the fan-out's count notices.
_BLOCKS = "SELECT pg_relation_size('notifications_alert') / current_setting('block_size')::bigint"


class StepCodes(dict):
    """A source's (kind, step) pairs → the ledger's step codes; a pair the source did not
    declare in ``alert_keys()`` stops the sweep with a message saying so."""

    def __init__(self, source: str, codes):
        super().__init__(codes)
        self.source = source

    def __missing__(self, key):
        raise LookupError(f"alert source {self.source!r} owes {key!r}, which its alert_keys() does not declare")


def _step_codes(sources) -> dict[str, StepCodes]:
    """The step codes of every (source, kind, step) the sources can owe, registered first (on
    their own, before the sweep's transaction: a failed sweep must not use up codes)."""

    def known() -> dict[tuple, int]:
        return {(s, k, n): pk for s, k, n, pk in AlertStep.objects.values_list("source", "kind", "name", "pk")}

    wanted = {(source.name, kind, step) for source in sources for kind, step in source.alert_keys()}
    codes = known()
    if wanted - codes.keys():
        AlertStep.objects.bulk_create(
            [AlertStep(source=s, kind=k, name=n) for s, k, n in sorted(wanted - codes.keys())], ignore_conflicts=True
        )
        codes = known()
    return {
        source.name: StepCodes(source.name, {(k, n): codes[source.name, k, n] for k, n in source.alert_keys()})
        for source in sources
    }


def alerts_sweep(*, today=None, now=None, minutes: bool = False, enqueue: bool = True) -> Run:
    """Write every alert owed on ``today`` (default: the local date) into the ledger.

    ``minutes``: the round-the-clock minute sweep (beat every minute, schedule.py), over only
    the sources whose limits are in clock minutes (``minute_precision``), owed at ``now``
    (default: the server's clock). The day sweep covers those sources too; a limit passed at
    23:50 on a holiday is in the ledger by the next minute's sweep either way."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    run = Run.objects.create(kind=Run.Kind.SWEEP, today=today, detail={"minutes": True} if minutes else {})
    try:
        sources = [s for s in active_sources() if s.minute_precision or not minutes]
        codes = _step_codes(sources)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SWEEP_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    _finish(run, outcome=Run.Outcome.SKIPPED, error="another sweep is running")
                    return run
                # A province's owed alerts are sorted in memory, not on disk.
                cursor.execute("SET LOCAL work_mem = '64MB'")
                thresholds = thresholds_for(sources, today)
                per_source = {}
                cursor.execute(_BLOCKS)
                blocks_before = cursor.fetchone()[0]
                for source in sources:
                    if source.minute_precision:
                        owed, insert = source.owed_sql_at(now=now, codes=codes[source.name]), _INSERT_OWED_AT
                    else:
                        limits = thresholds.of(source.name)
                        owed = source.owed_sql(today=today, thresholds=limits, codes=codes[source.name])
                        insert = _INSERT_OWED
                    if owed is None:
                        per_source[source.name] = 0
                        continue
                    sql, params = owed
                    cursor.execute(insert.format(owed=sql), [today, run.pk, *params])
                    per_source[source.name] = cursor.rowcount
                cursor.execute(_BLOCKS)
                blocks_after = cursor.fetchone()[0]
                entered = _entered_years()
                missing = sorted({y for s in sources for y in s.check_calendar(cursor, entered_years=entered)})
            for year in missing:
                from portal.workdays.calendar import warn_year_missing

                warn_year_missing(year)  # an administrator warning; the sweep goes on
            total = sum(per_source.values())
            _finish(
                run,
                alerts=total,
                first_block=max(blocks_before - 1, 0) if total else None,
                last_block=blocks_after - 1 if total else None,
                detail={
                    **({"minutes": True, "now": now.isoformat()} if minutes else {}),
                    "sources": per_source,
                    "thresholds": thresholds.as_json(),
                    "provisional": thresholds.provisional,
                    "years_without_calendar": missing,
                },
            )
            if total and enqueue:
                from portal.notifications.tasks import enqueue_fan_out

                transaction.on_commit(lambda: enqueue_fan_out(run.pk), robust=True)
        _prune_runs()
    except Exception as exc:
        _record_error(run, exc)
        raise
    return run


def _prune_runs() -> None:
    now = timezone.now()
    Run.objects.filter(started_at__lt=now - dt.timedelta(days=conf.get("RUN_RETENTION_DAYS"))).delete()
    # A redispatch (or a minute sweep) that found nothing is worth a day of history, not a month of minutes.
    Run.objects.filter(kind=Run.Kind.REDISPATCH, enqueued=0, started_at__lt=now - dt.timedelta(days=1)).delete()
    Run.objects.filter(
        kind=Run.Kind.SWEEP, alerts=0, detail__minutes=True, started_at__lt=now - dt.timedelta(days=1)
    ).delete()


# --- fan-out ----------------------------------------------------------------------------------

_NO_PAIRS = "SELECT NULL::bigint AS alert_id, NULL::bigint AS user_id WHERE FALSE"

_FAN_OUT = """
WITH run AS (
    UPDATE notifications_run SET fanned_at = now()
     WHERE id = %s AND kind = 'sweep' AND fanned_at IS NULL
 RETURNING id
),
claimed AS (
    SELECT a.id, s.source, a.subject_id, s.kind, s.name AS step, a.version
      FROM run
      JOIN notifications_alert a ON {located}
      JOIN notifications_alertstep s ON s.id = a.step_id
),
pairs AS ({pairs}),
targets AS (
    SELECT pr.alert_id, u.id AS user_id, ch.channel,
           CASE ch.channel WHEN 'email' THEN coalesce(u.email, '') WHEN 'sms' THEN coalesce(u.phone, '')
                ELSE 'inbox' END AS address
      FROM pairs pr
      JOIN accounts_user u ON u.id = pr.user_id AND u.is_active
      LEFT JOIN notifications_notificationpreference np ON np.user_id = u.id
     CROSS JOIN LATERAL (VALUES ('inbox', TRUE),
                                ('email', coalesce(np.email, %s)),
                                ('sms', coalesce(np.sms, %s) AND %s)) AS ch(channel, wanted)
     WHERE ch.wanted
),
counted AS (
    SELECT t.*, count(*) FILTER (WHERE t.address <> '') OVER (PARTITION BY t.user_id, t.channel) AS n
      FROM targets t
),
flood AS (
    SELECT DISTINCT user_id, channel FROM counted
     WHERE n > %s AND channel = ANY(%s) AND address <> ''
),
digests AS (
    INSERT INTO notifications_delivery
           (alert_id, is_digest, digest_id, recipient_id, channel, status, address, attempts,
            next_attempt_at, enqueued_at, last_error, created_at, updated_at)
    SELECT NULL, TRUE, NULL, f.user_id, f.channel, 'pending', '', 0, now(), now(), '', now(), now()
      FROM flood f
 RETURNING id, recipient_id, channel
),
items AS (
    INSERT INTO notifications_delivery
           (alert_id, is_digest, digest_id, recipient_id, channel, status, address, attempts,
            next_attempt_at, enqueued_at, last_error, created_at, updated_at)
    SELECT c.alert_id, FALSE, g.id, c.user_id, c.channel,
           CASE WHEN c.address = '' THEN 'undeliverable' WHEN g.id IS NOT NULL THEN 'digested' ELSE 'pending' END,
           CASE WHEN c.channel = 'inbox' THEN '' ELSE c.address END, 0, now(), now(),
           CASE WHEN c.address = '' THEN %s ELSE '' END, now(), now()
      FROM counted c
      LEFT JOIN digests g ON g.recipient_id = c.user_id AND g.channel = c.channel AND c.address <> ''
    ON CONFLICT DO NOTHING
 RETURNING id, channel, status
)
SELECT 'item', id, channel, status FROM items
 UNION ALL SELECT 'digest', id, channel, 'pending' FROM digests
 UNION ALL SELECT 'claimed', count(*), '', '' FROM claimed
 UNION ALL SELECT 'unaddressed', count(*), '', '' FROM claimed c WHERE NOT EXISTS (
       SELECT 1 FROM pairs p WHERE p.alert_id = c.id)
"""


def _located(cursor, run_id: int) -> tuple[str, list, str]:
    """How the fan-out finds a run's alerts: in the heap blocks its sweep wrote (a TID range
    scan), when those hold all of them; else by run id over the whole ledger (rows that went to
    free space elsewhere or were moved by a table rewrite such as VACUUM FULL, or a run written
    before runs kept their blocks)."""
    cursor.execute("SELECT alerts, first_block, last_block FROM notifications_run WHERE id = %s", [run_id])
    row = cursor.fetchone()
    if row is not None and row[1] is not None:
        alerts, first, last = row
        bounds = [f"({first},0)", f"({last},65535)"]
        cursor.execute(
            "SELECT count(*) FROM notifications_alert WHERE ctid >= %s::tid AND ctid <= %s::tid AND run_id = %s",
            [*bounds, run_id],
        )
        if cursor.fetchone()[0] == alerts:
            return "a.ctid >= %s::tid AND a.ctid <= %s::tid AND a.run_id = run.id", bounds, "blocks"
        logger.warning(
            "sweep run %s: not all its alerts in blocks %s-%s; reading the ledger by run id", run_id, first, last
        )
    return "a.run_id = run.id", [], "run"


def alerts_fan_out(*, run_id: int, enqueue: bool = True) -> dict:
    """Deliveries for the alerts of one sweep run; returns counts. Safe to repeat: the run is
    claimed by compare-and-swap (``fanned_at``) in the same statement, so a second fan-out of
    the same run finds nothing."""
    from portal.notifications.conf import sms_gateway_url

    sources = [s for s in all_sources() if s.available()]
    pieces = [s.recipients_sql() for s in sources]
    union = " UNION ALL ".join(f"({sql})" for sql, _params in pieces) or _NO_PAIRS
    pairs = f"SELECT DISTINCT alert_id, user_id FROM ({union}) AS every_pair"  # noqa: S608 - fixed fragments
    pair_params = [p for _sql, params in pieces for p in params]
    defaults = conf.get("DEFAULT_CHANNELS")
    no_address = "no email address or mobile number on file"
    params = [
        run_id,
        *pair_params,
        bool(defaults.get("email", True)),
        bool(defaults.get("sms", False)),
        bool(sms_gateway_url()),
        conf.get("DIGEST_THRESHOLD"),
        list(conf.get("DIGEST_CHANNELS")),
        no_address,
    ]
    run = Run.objects.create(kind=Run.Kind.FANOUT, detail={"sweep_run": run_id})
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            located, bounds, how = _located(cursor, run_id)
            cursor.execute(_FAN_OUT.format(pairs=pairs, located=located), [params[0], *bounds, *params[1:]])
            rows = cursor.fetchall()
            to_send = [
                (pk, channel)
                for what, pk, channel, status in rows
                if what in ("item", "digest") and status == "pending"
            ]
            counts = {"claimed_alerts": 0, "unaddressed_alerts": 0, "deliveries": 0, "digests": 0, "located_by": how}
            by_status: dict[str, int] = {}
            for what, pk, _channel, status in rows:
                if what == "claimed":
                    counts["claimed_alerts"] = pk
                elif what == "unaddressed":
                    counts["unaddressed_alerts"] = pk
                elif what == "digest":
                    counts["digests"] += 1
                else:
                    counts["deliveries"] += 1
                    by_status[status] = by_status.get(status, 0) + 1
            counts["by_status"] = by_status
            _finish(
                run,
                alerts=counts["claimed_alerts"],
                deliveries=counts["deliveries"],
                enqueued=len(to_send),
                detail={"sweep_run": run_id, **counts},
            )
            if to_send and enqueue:
                from portal.notifications.tasks import enqueue_deliveries

                transaction.on_commit(lambda: enqueue_deliveries(to_send), robust=True)
    except Exception as exc:
        _record_error(run, exc)
        raise
    counts["to_send"] = to_send
    return counts


# --- the redispatcher -------------------------------------------------------------------------


def deliveries_redispatch(*, enqueue: bool = True) -> dict:
    """Release dead workers' claims and enqueue again whatever should have gone out by now."""
    after = conf.get("REDISPATCH_AFTER_SECONDS")
    run = Run.objects.create(kind=Run.Kind.REDISPATCH)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # A row still "sending" after its lease lost its worker before the ledger said sent
            # (delivery.py): its message did not leave, or left in the worker's last moment; it
            # is sent again under the same key, never lost.
            cursor.execute(
                """
                UPDATE notifications_delivery
                   SET status = 'pending', claim_token = NULL, lease_until = NULL, enqueued_at = NULL,
                       next_attempt_at = now(), updated_at = now(),
                       last_error = 'claim expired (its worker stopped before recording it sent); sent again'
                 WHERE status = 'sending' AND lease_until < now()
                """
            )
            released = cursor.rowcount
            cursor.execute(
                """
                UPDATE notifications_delivery SET enqueued_at = now()
                 WHERE status = 'pending' AND next_attempt_at <= now()
                   AND (enqueued_at IS NULL
                        OR greatest(enqueued_at, next_attempt_at) < now() - make_interval(secs => %s))
             RETURNING id, channel
                """,
                [after],
            )
            again = cursor.fetchall()
            cursor.execute(
                """
                SELECT id FROM notifications_run
                 WHERE kind = 'sweep' AND fanned_at IS NULL AND alerts > 0
                   AND started_at < now() - make_interval(secs => %s)
                """,
                [after],
            )
            runs = [r for (r,) in cursor.fetchall() if r is not None]
            _finish(
                run,
                enqueued=len(again),
                detail={"released_claims": released, "deliveries": len(again), "fan_out_runs": runs},
            )
            if enqueue and (again or runs):
                from portal.notifications.tasks import enqueue_deliveries, enqueue_fan_out

                def send():
                    for sweep_run in runs:
                        enqueue_fan_out(sweep_run)
                    if again:
                        enqueue_deliveries(again)

                transaction.on_commit(send, robust=True)
    except Exception as exc:
        _record_error(run, exc)
        raise
    return {"released_claims": released, "deliveries": [pk for pk, _c in again], "fan_out_runs": runs}


__all__ = ["Alert", "Channel", "Delivery", "alerts_fan_out", "alerts_sweep", "deliveries_redispatch"]
