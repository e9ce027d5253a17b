"""Delivery over real receivers: the inbox, SMTP (aiosmtpd) and an HTTP SMS gateway."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.db import connection

from portal.notifications.delivery import backoff, deliveries_send
from portal.notifications.models import Delivery, InboxMessage, NotificationPreference
from portal.notifications.sweep import alerts_fan_out, alerts_sweep, deliveries_redispatch
from portal.notifications.tests.conftest import TODAY

pytestmark = pytest.mark.django_db


def owe(today=TODAY) -> dict[str, list[int]]:
    run = alerts_sweep(today=today, enqueue=False)
    rows = alerts_fan_out(run_id=run.pk, enqueue=False)["to_send"]
    by_channel: dict[str, list[int]] = {}
    for pk, channel in rows:
        by_channel.setdefault(channel, []).append(pk)
    return by_channel


def make_due_again(*ids):
    """PostgreSQL's now() is the test transaction's start: put retries back in the past."""
    Delivery.objects.filter(pk__in=ids).update(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def test_the_inbox_receives_each_alert_exactly_once(people, make_problem):
    problem = make_problem(TODAY, handler=people["handler"], deputy=people["deputy"])
    ids = owe()["inbox"]
    assert deliveries_send(channel="inbox", ids=ids) == {"sent": 2}
    assert deliveries_send(channel="inbox", ids=ids) == {"sent": 0}  # a repeated task
    messages = InboxMessage.objects.order_by("user__username")
    assert [m.user.username for m in messages] == ["deputy", "handler"]
    assert problem.code in messages[0].title and messages[0].level == "warning"
    assert set(Delivery.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
    assert not Delivery.objects.filter(pk__in=ids, confirmed_at__isnull=True).exists()


def test_email_through_a_non_smtp_backend_goes_out_once(people, make_problem):
    make_problem(dt.date(2026, 6, 12), handler=people["handler"])  # overdue: the chain only
    ids = owe()["email"]
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    assert deliveries_send(channel="email", ids=ids) == {}
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["handler@example.gov.cn"] and "已逾期" in message.subject
    assert message.extra_headers["X-Portal-Alert"].startswith("problem:")


def test_email_over_smtp_is_taken_once_and_confirmed(people, make_problem, smtp_sink):
    for _ in range(3):
        make_problem(TODAY, handler=people["handler"], deputy=people["deputy"])
    ids = owe()["email"]
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 6}
    assert deliveries_send(channel="email", ids=ids) == {}
    assert len(smtp_sink.messages) == 6 and set(smtp_sink.by_alert().values()) == {2}  # two people per alert
    first = smtp_sink.messages[0]
    assert first["Message-ID"].startswith("<portal-delivery-") and "今日到期" in first["Subject"]
    rows = Delivery.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    assert not rows.filter(confirmed_at__isnull=True).exists()
    assert set(rows.values_list("address", flat=True)) == {"handler@example.gov.cn", "deputy@example.gov.cn"}


def test_an_smtp_refusal_is_recorded_and_retried_with_backoff(
    people, make_problem, smtp_sink, django_capture_on_commit_callbacks
):
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    smtp_sink.reply = "451 4.3.0 mailbox busy, try later"
    with django_capture_on_commit_callbacks() as retries:
        assert deliveries_send(channel="email", ids=ids) == {"retry": 1}
    row = Delivery.objects.get(pk=ids[0])
    assert (row.status, row.attempts, row.sent_at) == ("pending", 1, None)
    assert "451" in row.last_error and row.claim_token is None
    assert len(retries) == 1  # the retry is enqueued, after commit, for when the backoff ends
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM next_attempt_at - now()) FROM notifications_delivery WHERE id = %s", ids
        )
        wait = cursor.fetchone()[0]
    assert 15 <= wait <= 30  # the first backoff: 30 s with jitter in [15, 30]
    assert deliveries_send(channel="email", ids=ids) == {}  # not before its time
    smtp_sink.reply = None
    make_due_again(*ids)
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    assert len(smtp_sink.messages) == 1 and smtp_sink.attempts == 2


def test_a_final_refusal_fails_without_retrying(people, make_problem, smtp_sink):
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    smtp_sink.refuse_rcpt = "550 5.1.1 no such user"
    assert deliveries_send(channel="email", ids=ids) == {"failed": 1}
    row = Delivery.objects.get(pk=ids[0])
    assert row.status == "failed" and "550" in row.last_error and smtp_sink.messages == []


def test_an_unreachable_smtp_server_sends_the_batch_back_at_once(people, make_problem, settings):
    from portal.notifications.tests.sinks import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    for _ in range(4):
        make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    assert deliveries_send(channel="email", ids=ids) == {"retry": 4}
    rows = Delivery.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {("pending", 1)}
    assert all("refused" in e.lower() for e in rows.values_list("last_error", flat=True))


def test_after_the_last_attempt_a_delivery_is_failed(people, make_problem, smtp_sink, settings):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    smtp_sink.reply = "452 4.2.2 over quota"
    deliveries_send(channel="email", ids=ids)
    make_due_again(*ids)
    assert deliveries_send(channel="email", ids=ids) == {"failed": 1}
    assert Delivery.objects.get(pk=ids[0]).status == "failed"


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings):
    settings.NOTIFICATIONS_BACKOFF_BASE_SECONDS = 10
    settings.NOTIFICATIONS_BACKOFF_MAX_SECONDS = 100
    for attempts, full in ((1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)):
        samples = [backoff(attempts) for _ in range(50)]
        assert all(full / 2 <= s <= full for s in samples)
        assert len(set(samples)) > 1


def test_sms_goes_through_the_gateway_once_with_its_idempotency_key(people, make_problem, gateway):
    NotificationPreference.objects.create(user=people["handler"], email=False, sms=True)
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["sms"]
    assert deliveries_send(channel="sms", ids=ids) == {"confirmed": 1}
    assert deliveries_send(channel="sms", ids=ids) == {}
    (request,) = gateway.requests
    assert request["id"] == f"portal-delivery-{ids[0]}" and request["phone"] == people["handler"].phone
    assert "今日到期" in request["text"] and gateway.headers[0]["Idempotency-Key"] == request["id"]


def test_a_gateway_answering_500_is_retried_with_backoff(people, make_problem, gateway):
    NotificationPreference.objects.create(user=people["handler"], sms=True)
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["sms"]
    gateway.status = 500
    assert deliveries_send(channel="sms", ids=ids) == {"retry": 1}
    row = Delivery.objects.get(pk=ids[0])
    assert row.status == "pending" and "500" in row.last_error and row.sent_at is None
    gateway.status = 200
    make_due_again(*ids)
    assert deliveries_send(channel="sms", ids=ids) == {"confirmed": 1}
    assert len(gateway.requests) == 1 and gateway.seen == 2


def test_a_hanging_gateway_is_retried_under_the_same_key(people, make_problem, gateway, settings):
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    NotificationPreference.objects.create(user=people["handler"], sms=True)
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["sms"]
    gateway.hang = 1.5
    assert deliveries_send(channel="sms", ids=ids) == {"retry": 1}
    assert "did not answer" in Delivery.objects.get(pk=ids[0]).last_error


def test_a_hanging_gateway_that_cannot_drop_repeats_is_left_unconfirmed(people, make_problem, gateway, settings):
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    settings.NOTIFICATIONS_SMS_GATEWAY_IDEMPOTENT = False
    NotificationPreference.objects.create(user=people["handler"], sms=True)
    make_problem(TODAY, handler=people["handler"])
    ids = owe()["sms"]
    gateway.hang = 1.5
    assert deliveries_send(channel="sms", ids=ids) == {"unconfirmed": 1}
    row = Delivery.objects.get(pk=ids[0])
    assert row.status == "sent" and row.confirmed_at is None  # at most once: not sent again
    make_due_again(*ids)
    assert deliveries_send(channel="sms", ids=ids) == {}


def test_a_recipient_without_a_phone_blocks_nobody_else(people, make_problem, gateway):
    for name in ("handler", "deputy"):
        NotificationPreference.objects.create(user=people[name], email=False, sms=True)
    make_problem(TODAY, handler=people["handler"], deputy=people["deputy"])
    ids = owe()["sms"]
    people["handler"].phone = ""  # removed after the fan-out: found out at sending time
    people["handler"].save(update_fields=["phone"])
    assert deliveries_send(channel="sms", ids=ids) == {"undeliverable": 1, "confirmed": 1}
    assert [r["phone"] for r in gateway.requests] == [people["deputy"].phone]


def test_a_stale_claim_is_released_and_sent_once(people, make_problem, smtp_sink):
    """A worker died holding a claim before its commit point: nothing left for that row."""
    import uuid

    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    Delivery.objects.filter(pk__in=ids).update(
        status="sending", claim_token=uuid.uuid4(), lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC), attempts=1
    )
    assert deliveries_send(channel="email", ids=ids) == {}  # still claimed: nobody else sends it
    result = deliveries_redispatch(enqueue=False)
    assert result["released_claims"] == 1 and result["deliveries"] == ids
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    assert len(smtp_sink.messages) == 1


def test_a_server_dropping_the_connection_before_the_final_dot_keeps_nothing(people, make_problem, smtp_sink):
    """Killed while sending the message (before the commit point): the row is not sent and
    the server holds no message; the next attempt sends it once."""
    from unittest import mock

    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    real_send = smtplib.SMTP.send

    def cut(self, data):
        if isinstance(data, bytes) and data.startswith(b"Content-Type"):
            real_send(self, data[:20])
            self.close()
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real_send(self, data)

    with mock.patch.object(smtplib.SMTP, "send", cut):
        assert deliveries_send(channel="email", ids=ids) == {"retry": 1}
    assert smtp_sink.messages == [] and Delivery.objects.get(pk=ids[0]).sent_at is None
    make_due_again(*ids)
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    assert len(smtp_sink.messages) == 1


def test_the_last_bytes_leave_before_the_ledger_says_sent(people, make_problem, smtp_sink):
    """The order at the commit point: the message's last bytes, the server's 250, then the "sent"
    UPDATE. A worker killed before the UPDATE leaves its row "sending", which is sent again
    under the same Message-ID (a repeat a mailbox recognises), never a "sent" row whose message
    the server did not take (it may drop a transaction whose client vanished before its answer)."""
    import uuid
    from unittest import mock

    from psycopg import pq

    make_problem(TODAY, handler=people["handler"])
    ids = owe()["email"]
    real_send, real_getreply = smtplib.SMTP.send, smtplib.SMTP.getreply
    database_busy, at_the_answer = [], []

    def watch(self, data):
        if data == b".\r\n":  # the last bytes: is the "sent" UPDATE already on its way?
            database_busy.append(connection.connection.pgconn.transaction_status == pq.TransactionStatus.ACTIVE)
        return real_send(self, data)

    def watch_answer(self):
        reply = real_getreply(self)
        if database_busy and not at_the_answer:  # the server's answer to the message
            at_the_answer.append((reply[0], Delivery.objects.get(pk=ids[0]).status))
        return reply

    with mock.patch.object(smtplib.SMTP, "send", watch), mock.patch.object(smtplib.SMTP, "getreply", watch_answer):
        assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    assert database_busy == [False]
    assert at_the_answer == [(250, "sending")]  # the ledger says sent only after the server's 250
    assert Delivery.objects.get(pk=ids[0]).sent_at is not None

    # What a kill between the two writes leaves behind: the message left, the row says sending.
    Delivery.objects.filter(pk__in=ids).update(
        status="sending",
        claim_token=uuid.uuid4(),
        lease_until=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        sent_at=None,
        confirmed_at=None,
    )
    assert deliveries_redispatch(enqueue=False)["released_claims"] == 1
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    first, again = smtp_sink.messages
    assert first["Message-ID"] == again["Message-ID"] and first["Subject"] == again["Subject"]


def test_a_digest_lists_the_items_in_one_email(people, make_problem, smtp_sink, settings):
    settings.NOTIFICATIONS_DIGEST_THRESHOLD = 2
    problems = [make_problem(TODAY, handler=people["handler"]) for _ in range(4)]
    ids = owe()["email"]
    assert len(ids) == 1
    assert deliveries_send(channel="email", ids=ids) == {"confirmed": 1}
    (message,) = smtp_sink.messages
    assert "4 项" in message["Subject"] and message["X-Portal-Alert"] == f"digest:{ids[0]}"
    body = message.get_content()
    assert all(p.code in body for p in problems)


def test_a_problem_closed_before_delivery_is_not_announced(people, make_problem):
    from cases.models import Problem

    problem = make_problem(TODAY, handler=people["handler"])
    by_channel = owe()
    Problem.objects.filter(pk=problem.pk).update(status="closed", closed_at=dt.datetime(2026, 6, 15, tzinfo=dt.UTC))
    assert deliveries_send(channel="inbox", ids=by_channel["inbox"]) == {"sent": 0}
    assert deliveries_send(channel="email", ids=by_channel["email"]) == {"cancelled": 1}
    assert set(Delivery.objects.values_list("status", flat=True)) == {"cancelled"}
    assert not InboxMessage.objects.exists() and mail.outbox == []
