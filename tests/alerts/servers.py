"""Real notification endpoints on loopback: a webhook HTTP server and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hook:
    """One request the webhook received, and the status it answered."""

    path: str
    headers: dict[str, str]
    payload: dict[str, Any]
    status: int


@dataclass
class Webhook:
    """A webhook on 127.0.0.1: answers each POST with the next of `statuses` (then 200)."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    hold: threading.Event | None = None  # set: requests wait for it before answering
    received: list[Hook] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Webhook:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status = hook.statuses.pop(0) if hook.statuses else 200
                hook.arrived.set()
                if hook.hold is not None:
                    hook.hold.wait()
                hook.received.append(Hook(self.path, dict(self.headers), json.loads(body or b"{}"), status))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook"

    def delivered(self) -> list[dict[str, Any]]:
        """The payloads answered 2xx: the alerts that arrived."""
        return [h.payload for h in self.received if 200 <= h.status < 300]


class Mailbox:
    """An SMTP server on 127.0.0.1 with AUTH (no TLS: loopback), keeping every message."""

    def __init__(self, user: str, password: str) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.messages: list[EmailMessage] = []
        self.logins: list[tuple[str, str]] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                box.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
                return "250 OK"

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            login = (data.login.decode(), data.password.decode())
            box.logins.append(login)
            return AuthResult(success=login == (user, password))

        from tests.e2e.helpers import free_port

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, authenticator=authenticate,
                                     auth_require_tls=False, auth_exclude_mechanism=["DONT"])

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll `condition` until it is truthy (a generous failure guard, not a timing bound)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")
