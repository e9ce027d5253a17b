"""The channels: the in-portal inbox, email over SMTP and SMS through an HTTP gateway.

Email and SMS leave the portal, so their sends are split around a *commit point* (see
``delivery.CommitPoints``): everything the receiving server needs except the last bytes is
sent first (SMTP: the envelope and the message without its final ``.``; HTTP: the request
without the last byte of its body). A server keeps nothing before it has those last bytes:
an SMTP transaction without its final dot is discarded, an HTTP body shorter than its
Content-Length is not a request. Then the last bytes and the ledger's "sent" update go out
back to back, without waiting in between; only after both does the worker read the answers.
Email reads the server's answer to its final dot before the update: an SMTP server may drop a
transaction whose client vanished before it answered.

The inbox needs none of this: its message is a row written in the transaction that marks the
delivery sent (``delivery.py``).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.client
import json
import re
import select
import smtplib
import socket
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from enum import StrEnum
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.utils.module_loading import import_string

from portal.notifications import conf


class Outcome(StrEnum):
    CONFIRMED = "confirmed"  # the server took it and said so
    UNCONFIRMED = "unconfirmed"  # sent; the server's answer never came (at most once: not sent again)
    RETRY = "retry"  # refused for now or never left: try again after a backoff
    FAILED = "failed"  # refused for good (a bad address, a 5xx): not tried again


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    error: str = ""
    connection_down: bool = False  # the server cannot be reached: the rest of the batch waits too


class FinalSendFailed(Exception):
    """The last bytes could not be written: nothing was taken, the ledger still says sending."""


Commit = Callable[[Callable[[], None]], None]


def _dropped(sock) -> bool:
    """An idle kept-alive connection the server has closed (or said goodbye on) reads ready."""
    if sock is None:
        return True
    try:
        readable, _w, _x = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _short(exc: BaseException | str, limit: int = 280) -> str:
    text = str(exc) if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:limit]


# --- email ------------------------------------------------------------------------------------

_EOL = re.compile(rb"(?:\r\n|\n|\r(?!\n))")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def _smtp_body(data: bytes) -> bytes:
    """The DATA payload without its terminating dot: CRLF line ends, dots doubled (RFC 5321)."""
    data = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", data))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@functools.lru_cache(maxsize=4096)
def _address(address: str) -> str:
    """A plain ASCII address as it is; anything else through Django's check and encoding
    (which parses it with the email package: a millisecond an address)."""
    return address if _PLAIN_ADDRESS.fullmatch(address) else sanitize_address(address, "utf-8")


def _encoded_words(text: str, limit: int = 45) -> str:
    """A header value as RFC 2047 encoded words (UTF-8, base64), folded between words; plain
    ASCII as it is."""
    if text.isascii() and len(text) < 900:
        return text
    words, chunk = [], b""
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > limit:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return "\r\n ".join(f"=?utf-8?b?{base64.b64encode(word).decode()}?=" for word in words)


@dataclass(frozen=True)
class OutgoingEmail:
    """A plain-text alert email. ``as_bytes`` writes the MIME message directly (the SMTP path
    sends hundreds a second; Django's general builder costs ten times as much); other mail
    backends get the equivalent ``EmailMessage``."""

    subject: str
    body: str
    from_email: str
    to: str
    headers: dict

    def as_django(self) -> EmailMessage:
        return EmailMessage(self.subject, self.body, self.from_email, [self.to], headers=self.headers)

    def as_bytes(self) -> bytes:
        body = _EOL.sub(b"\r\n", self.body.encode())
        if any(len(line) > 990 for line in body.split(b"\r\n")):  # too long for 8bit: Django's builder
            return self.as_django().message().as_bytes(linesep="\r\n")
        subject = _encoded_words(self.subject)
        lines = [
            'Content-Type: text/plain; charset="utf-8"',
            "MIME-Version: 1.0",
            "Content-Transfer-Encoding: 8bit",
            f"Subject: {subject}",
            f"From: {_address(self.from_email)}",
            f"To: {_address(self.to)}",
            f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        return "\r\n".join(lines).encode() + b"\r\n\r\n" + body

    def envelope(self) -> tuple[str, list[str]]:
        return _address(self.from_email), [_address(self.to)]


class _NotTaken(Exception):
    """The server did not answer 250 to the message: the ledger must not say sent."""


class EmailChannel:
    """Email through Django's mail backend (``EMAIL_URL``); over SMTP with the commit point."""

    name = "email"

    def __init__(self):
        self.backend = get_connection(timeout=conf.get("SMTP_TIMEOUT_SECONDS"))
        self.two_phase = isinstance(self.backend, SmtpBackend)

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a connection already gone needs no goodbye
            self.backend.close()

    def _drop(self) -> None:
        connection = getattr(self.backend, "connection", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()
        self.backend.connection = None

    def send(self, message: OutgoingEmail, commit: Commit) -> SendResult:
        if not self.two_phase:
            # Console, file and in-memory backends (development, tests) cannot fail halfway: the
            # whole message is the "last bytes", then the ledger says sent.
            sent = []

            def send_whole():
                sent.append(self.backend.send_messages([message.as_django()]))

            try:
                commit(send_whole)
            except FinalSendFailed as exc:
                return SendResult(Outcome.RETRY, _short(exc))
            return SendResult(Outcome.CONFIRMED if sent and sent[0] else Outcome.RETRY)
        return self._send_smtp(message, commit)

    def _refused(self, connection, code: int, reply: bytes, phase: str) -> SendResult:
        text = _short(f"SMTP {phase} refused: {code} {reply.decode(errors='replace')}")
        try:
            connection.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()
        if code == 421:
            self._drop()
        return SendResult(Outcome.RETRY if code < 500 else Outcome.FAILED, text)

    def _envelope(self, connection, sender: str, recipients: list[str]) -> SendResult | None:
        """MAIL, RCPT and DATA up to the server's 354; None when it is ready for the message.
        A server offering PIPELINING (RFC 2920) gets the three commands in one write."""
        if connection.does_esmtp and connection.has_extn("pipelining"):
            commands = [f"MAIL FROM:<{sender}>"]  # sanitized addresses: no parsing again (quoteaddr would)
            commands += [f"RCPT TO:<{recipient}>" for recipient in recipients]
            connection.send(("\r\n".join([*commands, "DATA"]) + "\r\n").encode("ascii"))
            replies = [connection.getreply() for _ in range(len(commands) + 1)]
        else:
            replies = [connection.mail(sender)]
            if replies[0][0] == 250:
                replies += [connection.rcpt(recipient) for recipient in recipients]
                if all(code in (250, 251) for code, _reply in replies[1:]):
                    replies.append(connection.docmd("DATA"))
        phases = ["MAIL FROM", *["RCPT TO"] * len(recipients), "DATA"]
        for (code, reply), phase in zip(replies, phases, strict=False):
            expected = (354,) if phase == "DATA" else (250, 251)
            if code not in expected:
                return self._refused(connection, code, reply, phase)
        return None

    def _send_smtp(self, message: OutgoingEmail, commit: Commit) -> SendResult:
        sender, recipients = message.envelope()
        payload = _smtp_body(message.as_bytes())
        if self.backend.connection is not None and _dropped(getattr(self.backend.connection, "sock", None)):
            self._drop()
        for attempt in (1, 2):
            reused = self.backend.connection is not None
            try:
                self.backend.open()
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                return SendResult(Outcome.RETRY, _short(exc), connection_down=True)
            connection = self.backend.connection
            try:
                # The last bytes are a separate small write: without this, Nagle's algorithm holds
                # them until the server acknowledges the body (a delayed ACK: ~40 ms a message).
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                connection.ehlo_or_helo_if_needed()
                refused = self._envelope(connection, sender, recipients)
                if refused is not None:
                    return refused
                connection.send(payload)
                break
            except (smtplib.SMTPException, OSError) as exc:
                # Nothing is committed: a transaction without its final dot is discarded.
                self._drop()
                if reused and attempt == 1:
                    continue  # the server closed an idle connection: once more on a new one
                return SendResult(Outcome.RETRY, _short(exc))
        # The commit point is the server's 250, not the final dot leaving: a server may drop a
        # transaction whose client vanished before it answered (aiosmtpd does), so the ledger
        # says sent only once the answer is read. A worker killed before that leaves the row
        # "sending": sent again under the same Message-ID, a repeat, never a loss.
        answer: dict = {}

        def final_send():
            connection.send(b".\r\n")
            try:
                answer["reply"] = connection.getreply()
            except (smtplib.SMTPException, OSError) as exc:
                answer["silent"] = exc
            if answer.get("reply", (0, b""))[0] != 250:
                raise _NotTaken

        try:
            commit(final_send)
        except FinalSendFailed as exc:
            if "silent" in answer:  # the message left; whether it was taken is unknown
                self._drop()
                text = _short(f"no answer after the message: {answer['silent']}")
                return SendResult(Outcome.UNCONFIRMED, text)
            if "reply" in answer:
                code, reply = answer["reply"]
                result = self._refused(connection, code, reply, "message")
                return SendResult(result.outcome, result.error)
            self._drop()
            return SendResult(Outcome.RETRY, _short(exc))
        return SendResult(Outcome.CONFIRMED)


# --- SMS --------------------------------------------------------------------------------------


class JsonHttpSmsGateway:
    """The default SMS adapter: ``POST <SMS_GATEWAY_URL>`` with a JSON body
    ``{"id": <idempotency key>, "phone": ..., "text": ...}`` and an ``Idempotency-Key`` header;
    2xx is success, 5xx/408/429 a refusal for now, other 4xx a refusal for good.

    Another gateway (a vendor's SDK, a signed API) is a class with the same ``send`` and
    ``close``, named in ``NOTIFICATIONS_SMS_GATEWAY_ADAPTER``.
    """

    def __init__(self, *, url: str, timeout: float):
        parts = urlsplit(url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.timeout = timeout
        self.auth = f"Bearer {parts.password}" if parts.password else None
        self._connection: http.client.HTTPConnection | None = None

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is not None and self._connection.sock is not None and _dropped(self._connection.sock):
            self.close()
        if self._connection is None:
            cls = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            self._connection = cls(self.host, self.port, timeout=self.timeout)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def send(self, *, key: str, phone: str, text: str, commit: Commit) -> SendResult:
        body = json.dumps({"id": key, "phone": phone, "text": text}, ensure_ascii=False).encode()
        for attempt in (1, 2):
            reused = self._connection is not None
            connection = self._open()
            try:
                connection.putrequest("POST", self.path, skip_accept_encoding=True)
                connection.putheader("Content-Type", "application/json; charset=utf-8")
                connection.putheader("Content-Length", str(len(body)))
                connection.putheader("Idempotency-Key", key)
                if self.auth:
                    connection.putheader("Authorization", self.auth)
                connection.endheaders()
                connection.send(body[:-1])
                break
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                if reused and attempt == 1:
                    continue  # a kept-alive connection the gateway had closed: once more
                return SendResult(Outcome.RETRY, _short(exc), connection_down=True)
        try:
            commit(lambda: connection.send(body[-1:]))
        except FinalSendFailed as exc:
            self.close()
            return SendResult(Outcome.RETRY, _short(exc))
        try:
            response = connection.getresponse()
            answer = response.read(2000)
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            # It may have been sent. A gateway that drops repeats of the key makes retrying safe.
            outcome = Outcome.RETRY if conf.get("SMS_GATEWAY_IDEMPOTENT") else Outcome.UNCONFIRMED
            return SendResult(outcome, _short(f"gateway did not answer: {exc}"))
        if response.will_close:
            self.close()
        if 200 <= response.status < 300:
            return SendResult(Outcome.CONFIRMED)
        text_answer = _short(f"gateway answered {response.status}: {answer.decode(errors='replace')}")
        retry = response.status >= 500 or response.status in (408, 429)
        return SendResult(Outcome.RETRY if retry else Outcome.FAILED, text_answer)


class SmsChannel:
    name = "sms"

    def __init__(self):
        adapter = import_string(conf.get("SMS_GATEWAY_ADAPTER"))
        self.gateway = adapter(url=conf.sms_gateway_url(), timeout=conf.sms_gateway_timeout())

    def close(self) -> None:
        self.gateway.close()

    def send(self, *, key: str, phone: str, text: str, commit: Commit) -> SendResult:
        return self.gateway.send(key=key, phone=phone, text=text, commit=commit)
