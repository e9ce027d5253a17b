"""Sending deliveries: claimed before sending, recorded at a commit point, never lost to a crash.

What each channel guarantees
----------------------------
*Inbox: exactly once.* The delivery's ``pending → sent`` compare-and-swap and the
``InboxMessage`` insert are one transaction (and the message's ``delivery`` is unique). A
worker killed halfway rolls both back; a repeated task finds the row no longer pending.

*Email and SMS: never lost; a repeat only after a crash, under the same key.* The other side is
a server the ledger cannot share a transaction with, so the send is cut at a *commit point*:

1. **Claim** (one committed UPDATE for the batch): ``pending → sending`` with a fresh claim
   token and a lease (``NOTIFICATIONS_CLAIM_LEASE_SECONDS``, longer than the task's hard time
   limit, renewed while a long batch runs). Only rows this UPDATE returned are sent by this
   worker; a concurrent or repeated task gets none of them.
2. **Prepare**: the channel sends everything but the last bytes (``channels.py``). A server
   keeps nothing that has not received them.
3. **Commit point** (``CommitPoints``): the last bytes go to the server's socket, and right
   after them the UPDATE ``sending → sent`` (guarded by the claim token) is written to
   PostgreSQL's socket *without waiting for its answer*; only then are both answers read.
   Email waits for the server's 250 before the UPDATE: an SMTP server may drop a transaction
   whose client vanished before it answered, so for email "the last bytes" are the final dot
   and its answer, and a kill before the UPDATE is a repeat, never a loss.
   - Killed before the last bytes: the row is still ``sending`` and the server kept nothing.
     When the lease runs out the redispatcher releases the row and it is sent again, once.
   - Killed after the UPDATE was written: PostgreSQL completes the statement it received and
     the server takes the message it received; the row says ``sent``, which is true.
   - Killed *between* the two writes (two adjacent system calls): the message left but the row
     still says ``sending``, so after the lease it is sent again. The repeat carries the same
     ``Message-ID``, the same on every worker host (SMS: the same idempotency key, which an
     idempotent gateway drops), so a receiver can tell it for a repeat: an alert is never lost
     to a crash, and a repeat is the price of a crash in a window two system calls wide.
     (The other order of the two writes loses the message instead; a deadline alert is worth
     a repeat, not a loss.)
4. **Answer**: the server's acknowledgement sets ``confirmed_at``. A refusal (SMTP 4xx,
   gateway 5xx/408/429) turns the row back to ``pending`` with exponential backoff and
   jitter; a final refusal (5xx, other 4xx) or ``NOTIFICATIONS_MAX_ATTEMPTS`` makes it
   ``failed``. When the answer never comes the outcome is unknown: an email stays ``sent``
   without ``confirmed_at`` (its last bytes left: shown on the status page, not sent again); an
   SMS is retried under the same idempotency key when the gateway drops repeats of it
   (``NOTIFICATIONS_SMS_GATEWAY_IDEMPOTENT``), otherwise treated like the email.

Where "exactly once" ends: a PostgreSQL crash in the milliseconds between receiving a commit
point's UPDATE and flushing it to disk forgets that the row was sent, so after the lease it is
sent again; and a worker that stalls longer than its lease (it renews the lease before each
message once half of it has passed) can find at its commit point that another worker took
the row (logged, and raised to the administrators as a warning).

A recipient without an email address or mobile number is ``undeliverable`` for that channel
(recorded once, never retried); nothing else in the batch waits for it. A server that cannot
be reached at all sends the rest of the batch's rows for that channel back with a backoff
instead of timing out once per row.
"""

from __future__ import annotations

import logging
import random
import select
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portal.notifications import conf
from portal.notifications.channels import (
    EmailChannel,
    FinalSendFailed,
    Outcome,
    OutgoingEmail,
    SendResult,
    SmsChannel,
)
from portal.notifications.models import Alert, Channel, Delivery
from portal.notifications.sources import Rendered, source_named

logger = logging.getLogger(__name__)

DB_ANSWER_TIMEOUT = 60.0  # seconds to wait for PostgreSQL's answer at the commit point


def backoff(attempts: int) -> float:
    """Seconds before attempt ``attempts + 1``: exponential, capped, with "equal jitter"."""
    base, cap = conf.get("BACKOFF_BASE_SECONDS"), conf.get("BACKOFF_MAX_SECONDS")
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret


# --- rendering ----------------------------------------------------------------------------------


class AlertRow(NamedTuple):
    """An alert as the renderers need it (a delivery batch reads hundreds: no model instances)."""

    pk: int
    source: str
    subject_id: int
    kind: str
    step: str
    version: int

    @property
    def key(self) -> str:
        return f"{self.source}:{self.subject_id}:{self.kind}:{self.step}:v{self.version}"


def render_alerts(alert_ids: Iterable[int], *, today=None, keys: dict | None = None) -> dict[int, Rendered | None]:
    """Texts for alerts, one query per source; None for an alert nobody should get any more.
    ``keys``, when given, receives each alert's ledger key."""
    today = today or timezone.localdate()
    alerts = [
        AlertRow(*row)
        for row in Alert.objects.filter(pk__in=set(alert_ids)).values_list(
            "pk", "step__source", "subject_id", "step__kind", "step__name", "version"
        )
    ]
    if keys is not None:
        keys.update((alert.pk, alert.key) for alert in alerts)
    by_source: dict[str, list[AlertRow]] = defaultdict(list)
    for alert in alerts:
        by_source[alert.source].append(alert)
    out: dict[int, Rendered | None] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for name, group in by_source.items():
            source = source_named(name)
            if source is None or not source.available():
                out.update(dict.fromkeys((a.pk for a in group), None))
                continue
            out.update(source.render(group, today=today))
    return out


def render_digests(digest_ids: Iterable[int], *, today=None) -> dict[int, Rendered | None]:
    items = list(Delivery.objects.filter(digest_id__in=set(digest_ids)).values_list("digest_id", "alert_id"))
    texts = render_alerts({alert for _d, alert in items}, today=today)
    grouped: dict[int, list[Rendered]] = defaultdict(list)
    for digest_id, alert_id in items:
        if texts.get(alert_id) is not None:
            grouped[digest_id].append(texts[alert_id])
    out: dict[int, Rendered | None] = {}
    with translation.override(settings.LANGUAGE_CODE):
        for digest_id in digest_ids:
            entries = grouped.get(digest_id)
            if not entries:
                out[digest_id] = None
                continue
            urgent = sum(1 for e in entries if e.level == "danger")
            title = ngettext(
                "今日提醒汇总：您有 %(n)s 项待办（其中逾期 %(late)s 项）",
                "今日提醒汇总：您有 %(n)s 项待办（其中逾期 %(late)s 项）",
                len(entries),
            ) % {"n": len(entries), "late": urgent}
            lines = [f"{i}. {entry.title}" for i, entry in enumerate(entries, 1)]
            body = "\n".join(
                [_("以下事项今日同时到达提醒节点，合并为一封汇总："), "", *lines, "", _("请登录平台处理。")]
            )
            out[digest_id] = Rendered(
                title=title,
                body=body,
                sms=_("【河南交通执法监督】您今日有%(n)s项待办提醒（逾期%(late)s项），请登录平台查看。")
                % {"n": len(entries), "late": urgent},
                level="danger" if urgent else "warning",
            )
    return out


# --- the commit point ---------------------------------------------------------------------------

_COMMIT_SQL = (
    b"UPDATE notifications_delivery SET status = 'sent', sent_at = now(), updated_at = now(), "
    b"lease_until = NULL, address = $3 "
    b"WHERE id = $1 AND claim_token = $2 AND status = 'sending' RETURNING id"
)


def _wait(sock: int, *, read: bool) -> None:
    ready = select.select([sock] if read else [], [] if read else [sock], [], DB_ANSWER_TIMEOUT)
    if not any(ready):
        raise OperationalError("PostgreSQL did not answer at the commit point")


def _answer(pgconn) -> int:
    """Read every result of the statement sent; return the number of rows it returned."""
    from psycopg import pq

    rows, error = 0, None
    while True:
        pgconn.consume_input()
        if pgconn.is_busy():
            _wait(pgconn.socket, read=True)
            continue
        result = pgconn.get_result()
        if result is None:
            break
        if result.status == pq.ExecStatus.TUPLES_OK:
            rows += result.ntuples
        elif result.status == pq.ExecStatus.FATAL_ERROR:
            error = (result.error_message or b"").decode(errors="replace")
    if error:
        raise DatabaseError(error)
    return rows


class CommitPoints:
    """A batch's commit points, on the worker's own database connection.

    Each commit point writes the last bytes to the server and then the "sent" UPDATE, without
    waiting for PostgreSQL's answer (see the module docs). The answer is read just before the
    next statement on the connection (the next commit point, a lease renewal, the batch's
    record), so PostgreSQL's flush to disk overlaps the next message's conversation.
    """

    def __init__(self, token: uuid.UUID):
        self.token = token
        self.outstanding: int | None = None
        self.lost: list[int] = []  # rows that were no longer this worker's claim

    def __call__(self, delivery_id: int, address: str, final_send: Callable[[], None]) -> None:
        """Raises ``FinalSendFailed`` when the last bytes could not be written (nothing was
        taken, the row still says sending; the caller turns it back)."""
        self.settle()
        connection.ensure_connection()  # before the last bytes: nothing between them and the UPDATE
        pgconn = connection.connection.pgconn
        try:
            final_send()
        except Exception as exc:  # a socket or protocol error: the bytes did not go
            raise FinalSendFailed(str(exc)) from exc
        with connection.wrap_database_errors:
            pgconn.send_query_params(
                _COMMIT_SQL, [str(delivery_id).encode(), str(self.token).encode(), address.encode()]
            )
            while pgconn.flush():  # the connection is non-blocking: push the statement out now
                _wait(pgconn.socket, read=False)
        self.outstanding = delivery_id

    def settle(self) -> None:
        """Read the answer to the last commit point, if it is still unread."""
        if self.outstanding is None:
            return
        delivery_id, self.outstanding = self.outstanding, None
        with connection.wrap_database_errors:
            rows = _answer(connection.connection.pgconn)
        if rows != 1:
            # Only possible if this worker stalled past its lease and another one took the row:
            # the last bytes went out anyway, so the other worker may send it a second time.
            logger.error("delivery %s: claim lost at the commit point; it may be sent twice", delivery_id)
            self.lost.append(delivery_id)


# --- sending ------------------------------------------------------------------------------------


def deliveries_send(*, channel: str, ids: list[int]) -> dict[str, int]:
    """Send these deliveries (those still pending and due); returns counts by outcome."""
    if not ids:
        return {}
    if channel == Channel.INBOX:
        return {"sent": _send_inbox(ids)}
    return _send_external(channel, ids)


def _send_inbox(ids: list[int]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_delivery
               SET status = 'sent', sent_at = now(), confirmed_at = now(), attempts = attempts + 1,
                   updated_at = now()
             WHERE id = ANY(%s) AND status = 'pending' AND channel = 'inbox' AND next_attempt_at <= now()
         RETURNING id, recipient_id, alert_id
            """,
            [list(ids)],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0
        texts = render_alerts({alert_id for _pk, _user, alert_id in rows})
        messages, cancelled = [], []
        for pk, user_id, alert_id in rows:
            text = texts.get(alert_id)
            if text is None:
                cancelled.append(pk)
                continue
            messages.append((user_id, pk, text.title[:200], text.body, text.link[:200], text.level))
        if messages:
            cursor.execute(
                """
                INSERT INTO notifications_inboxmessage (user_id, delivery_id, title, body, link, level, created_at)
                SELECT *, now() FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::text[], %s::varchar[],
                                            %s::varchar[])
                """,
                [list(column) for column in zip(*messages, strict=True)],
            )
        if cancelled:
            Delivery.objects.filter(pk__in=cancelled).update(
                status=Delivery.Status.CANCELLED,
                confirmed_at=None,
                last_error="the subject no longer owes this alert",
                updated_at=timezone.now(),
            )
    return len(messages)


def _claim(channel: str, ids: list[int], token: uuid.UUID) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_delivery
               SET status = 'sending', claim_token = %s, lease_until = now() + make_interval(secs => %s),
                   attempts = attempts + 1, updated_at = now()
             WHERE id = ANY(%s) AND status = 'pending' AND channel = %s AND next_attempt_at <= now()
         RETURNING id, recipient_id, alert_id, is_digest, attempts
            """,
            [token, conf.get("CLAIM_LEASE_SECONDS"), list(ids), channel],
        )
        return sorted(cursor.fetchall())


def _renew(token: uuid.UUID) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE notifications_delivery SET lease_until = now() + make_interval(secs => %s) "
            "WHERE claim_token = %s AND status = 'sending' AND lease_until > now()",
            [conf.get("CLAIM_LEASE_SECONDS"), token],
        )
        return cursor.rowcount


def _message_id_domain() -> str:
    """The same on every worker host (a container's host name is its id), so a message sent
    again by another worker keeps its Message-ID: the site's host, else the sender's domain."""
    site = urlsplit(conf.get("SITE_URL") or "").hostname
    if site:
        return site
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "portal.invalid"


def _email_message(pk: int, key: str, alert_key: str, text: Rendered, address: str) -> OutgoingEmail:
    body = text.body
    if text.link:
        body += "\n\n" + _("详情：%(url)s") % {"url": conf.get("SITE_URL") + text.link}
    return OutgoingEmail(
        subject=text.title,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=address,
        headers={
            # Stable across retries, so a receiver can recognise a repeat.
            "Message-ID": f"<{key}@{_message_id_domain()}>",
            "X-Portal-Alert": alert_key,
            "X-Portal-Delivery": str(pk),
        },
    )


def _send_external(channel: str, ids: list[int]) -> dict[str, int]:
    token = uuid.uuid4()
    claimed = _claim(channel, ids, token)
    if not claimed:
        return {}
    claimed_at = time.monotonic()
    lease = conf.get("CLAIM_LEASE_SECONDS")
    from portal.accounts.models import User

    users = {
        pk: (email, phone)
        for pk, email, phone in User.objects.filter(pk__in={row[1] for row in claimed}).values_list(
            "pk", "email", "phone"
        )
    }
    alert_rows = [row for row in claimed if not row[3]]
    alert_keys: dict[int, str] = {}
    texts = render_alerts({row[2] for row in alert_rows}, keys=alert_keys)
    digests = render_digests([row[0] for row in claimed if row[3]])
    results: dict[int, SendResult | str] = {}
    down: str | None = None
    commit = CommitPoints(token)
    sender = EmailChannel() if channel == Channel.EMAIL else SmsChannel()
    try:
        for pk, user_id, alert_id, is_digest, _attempts in claimed:
            text = digests.get(pk) if is_digest else texts.get(alert_id)
            if text is None:
                results[pk] = "cancelled"
                continue
            email, phone = users.get(user_id, ("", ""))
            address = ((email if channel == Channel.EMAIL else phone) or "").strip()
            if not address:
                results[pk] = "undeliverable"
                continue
            if down is not None:
                results[pk] = SendResult(Outcome.RETRY, down)
                continue
            if time.monotonic() - claimed_at > lease / 2:
                commit.settle()
                if not _renew(token):
                    break  # every remaining claim has lapsed: another worker owns them now
                claimed_at = time.monotonic()
            key = f"portal-delivery-{pk}"

            def at_commit_point(final_send, pk=pk, address=address):
                commit(pk, address, final_send)

            if channel == Channel.EMAIL:
                alert_key = f"digest:{pk}" if is_digest else alert_keys.get(alert_id, "")
                result = sender.send(_email_message(pk, key, alert_key, text, address), at_commit_point)
            else:
                result = sender.send(key=key, phone=address, text=text.sms, commit=at_commit_point)
            results[pk] = result
            if result.connection_down:
                down = result.error
    finally:
        sender.close()
        commit.settle()
        for pk in commit.lost:
            results.pop(pk, None)
        retry_at, counts = _record(token, results, {row[0]: row[4] for row in claimed if row[0] not in commit.lost})
    if commit.lost:
        from portal.core.services import admin_warning_raise

        admin_warning_raise(
            key="notifications-claim-lost",
            message=_("提醒投递 %(ids)s 在发送时已失去领取（工作进程停顿超过租期），可能重复发送。")
            % {"ids": ", ".join(map(str, commit.lost))},
        )
    if retry_at:
        from portal.notifications.tasks import enqueue_deliveries

        ready_in = max(0.0, max(delay for _pk, delay in retry_at))
        again = [(pk, channel) for pk, _delay in retry_at]
        transaction.on_commit(lambda: enqueue_deliveries(again, countdown=ready_in), robust=True)
    return counts


def _record(
    token: uuid.UUID, results: dict[int, SendResult | str], attempts: dict[int, int]
) -> tuple[list[tuple[int, float]], dict]:
    """Write every outcome of the batch in one statement; release what was never tried.
    ``attempts`` are the claimed rows with their attempt numbers. Returns the rows to try
    again (with their delays) and the counts by what happened."""
    max_attempts = conf.get("MAX_ATTEMPTS")
    rows: list[tuple[int, str, float, str, bool, int]] = []  # id, status, delay, error, confirmed, untried
    retry_at = []
    counts: dict[str, int] = defaultdict(int)
    for pk, tries in attempts.items():
        result = results.get(pk)
        if result is None:  # never tried (the batch stopped early): back in line, no attempt spent
            rows.append((pk, "pending", 0.0, "", False, 1))
            retry_at.append((pk, 0.0))
            label = "released"
        elif result == "cancelled":
            rows.append((pk, "cancelled", 0.0, "the subject no longer owes this alert", False, 0))
            label = "cancelled"
        elif result == "undeliverable":
            rows.append((pk, "undeliverable", 0.0, "no email address or mobile number on file", False, 0))
            label = "undeliverable"
        elif result.outcome == Outcome.CONFIRMED:
            rows.append((pk, "sent", 0.0, "", True, 0))
            label = "confirmed"
        elif result.outcome == Outcome.UNCONFIRMED:
            rows.append((pk, "sent", 0.0, result.error, False, 0))
            label = "unconfirmed"
        elif result.outcome == Outcome.RETRY and tries < max_attempts:
            delay = backoff(tries)
            rows.append((pk, "pending", delay, result.error, False, 0))
            retry_at.append((pk, delay))
            label = "retry"
        else:
            rows.append((pk, "failed", 0.0, result.error, False, 0))
            label = "failed"
        counts[label] += 1
    if not rows:
        return [], {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE notifications_delivery d
               SET status = x.status,
                   next_attempt_at = CASE WHEN x.status = 'pending'
                                          THEN now() + make_interval(secs => x.delay) ELSE d.next_attempt_at END,
                   enqueued_at = CASE WHEN x.status = 'pending' THEN now() ELSE d.enqueued_at END,
                   confirmed_at = CASE WHEN x.confirmed THEN now() ELSE d.confirmed_at END,
                   sent_at = CASE WHEN x.status = 'sent' THEN coalesce(d.sent_at, now()) ELSE NULL END,
                   claim_token = CASE WHEN x.status = 'sent' THEN d.claim_token ELSE NULL END,
                   lease_until = NULL,
                   attempts = d.attempts - x.untried,
                   last_error = x.error,
                   updated_at = now()
              FROM unnest(%s::bigint[], %s::varchar[], %s::float8[], %s::varchar[], %s::bool[], %s::int[])
                   AS x(id, status, delay, error, confirmed, untried)
             WHERE d.id = x.id AND d.claim_token = %s AND d.status IN ('sending', 'sent')
            """,
            [*map(list, zip(*rows, strict=True)), token],
        )
    return retry_at, dict(counts)
