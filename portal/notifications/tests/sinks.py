"""Real receivers on localhost for the channel tests: an SMTP server (aiosmtpd) and an HTTP
server standing in for the SMS gateway, each in a thread, recording everything they take."""

from __future__ import annotations

import asyncio
import email
import email.parser
import json
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class SmtpSink:
    """aiosmtpd on 127.0.0.1; ``reply`` (e.g. "451 4.3.0 try later") refuses messages,
    ``refuse_rcpt`` refuses recipients, ``delay`` slows each message down."""

    port: int = 0
    reply: str | None = None
    refuse_rcpt: str | None = None
    delay: float = 0.0
    pipelining: bool = True  # as real mail servers do (RFC 2920)
    raw: list = field(default_factory=list)
    attempts: int = 0

    def start(self) -> SmtpSink:
        import logging

        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)

        sink = self

        class Handler:
            async def handle_EHLO(self, server, session, envelope, hostname, responses):
                session.host_name = hostname
                return [responses[0], "250-PIPELINING", *responses[1:]] if sink.pipelining else responses

            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if sink.refuse_rcpt:
                    return sink.refuse_rcpt
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                sink.attempts += 1
                if sink.delay:
                    await asyncio.sleep(sink.delay)
                if sink.reply:
                    return sink.reply
                sink.raw.append(envelope.content)  # parsed when read: the sink must keep up
                return "250 OK queued"

        self.port = self.port or free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def messages(self) -> list:
        return [email.message_from_bytes(content, policy=default_policy) for content in list(self.raw)]

    def __len__(self) -> int:
        return len(self.raw)

    def headers(self) -> list:
        """The headers of every message received, in order."""
        parse = email.parser.BytesHeaderParser().parsebytes
        return [parse(content) for content in list(self.raw)]

    def by_alert(self) -> Counter:
        return Counter(headers["X-Portal-Alert"] for headers in self.headers())


@dataclass
class GatewaySink:
    """A JSON SMS gateway on 127.0.0.1. ``status`` is the answer (200, 500 ...); ``hang``
    seconds are slept before answering. Only complete, valid requests count as messages."""

    status: int = 200
    hang: float = 0.0
    requests: list = field(default_factory=list)
    headers: list = field(default_factory=list)
    delay: float = 0.0
    seen: int = 0

    def start(self) -> GatewaySink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                sink.seen += 1
                try:
                    payload = json.loads(raw) if len(raw) == length else None
                except ValueError:
                    payload = None
                if payload is None:  # a cut-off request is not a message
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if sink.hang:
                    time.sleep(sink.hang)
                if sink.delay:
                    time.sleep(sink.delay)
                if 200 <= sink.status < 300:
                    sink.requests.append(payload)
                    sink.headers.append(dict(self.headers))
                body = json.dumps({"ok": sink.status < 300}).encode()
                try:
                    self.send_response(sink.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the hanging-gateway tests)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms/send"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def by_key(self) -> Counter:
        return Counter(request["id"] for request in self.requests)
