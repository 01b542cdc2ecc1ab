"""A loopback HTTP server that misbehaves on purpose, path by path.

Each route is a *behaviour*: a function of (request handler, attempt number) that
writes whatever the fault needs — a status sequence, a Retry-After, a socket reset
half-way through the body, a sleep longer than the client's timeout, a gzip bomb, a
redirect loop. The server counts every request per path (with its time and Host
header) so tests can assert retries and their spacing. Standard library only.
"""
from __future__ import annotations

import gzip
import io
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

HTML = "text/html; charset=utf-8"
Behaviour = Callable[["FaultHandler", int], None]
Router = Callable[[str], "Behaviour | None"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One request the server received."""

    path: str  # path and query, as requested
    host: str  # the Host header: tells 127.0.0.1 from localhost
    at: float  # time.monotonic()


class FaultHandler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        attempt = self.server.hit(Hit(self.path, self.headers.get("Host", ""), time.monotonic()))
        behaviour = self.server.route(self.path)
        if behaviour is None:
            send(self, 404, b"<html><body><h1>Not found</h1></body></html>")
            return
        behaviour(self, attempt)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Quiet."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        super().__init__(address, FaultHandler)
        self.router = router
        self.base_url = ""
        self.hits: list[Hit] = []
        self._lock = threading.Lock()

    def hit(self, entry: Hit) -> int:
        """Record a request; return how many times its path was requested, this one included."""
        with self._lock:
            self.hits.append(entry)
            return sum(1 for h in self.hits if h.path == entry.path)

    def route(self, path: str) -> Behaviour | None:
        return self.router(path)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: resets and timeouts are the point of this server."""


class FaultServer:
    """Serve `router` on 127.0.0.1 (or another loopback `host`, any free or a given `port`)
    in a daemon thread (a context manager)."""

    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = _Server((host, port), router)
        self.port = int(self._server.server_address[1])
        self.base_url = f"http://{host}:{self.port}"
        self.other_host_url = f"http://localhost:{self.port}"  # same server, another host name
        self._server.base_url = self.base_url
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    @property
    def hits(self) -> list[Hit]:
        with self._server._lock:
            return list(self._server.hits)

    def clear_hits(self) -> None:
        """Forget the requests so far (attempt numbers start again at 1)."""
        with self._server._lock:
            self._server.hits.clear()

    def hits_on(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]

    def count(self, path: str) -> int:
        return len(self.hits_on(path))


# -- behaviours ------------------------------------------------------------------------------


def send(handler: FaultHandler, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
    """A complete response with a Content-Length."""
    headers = {"Content-Type": HTML, **(headers or {})}
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    _write(handler, body)


def _write(handler: FaultHandler, data: bytes) -> bool:
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
    except OSError:  # the client gave up (timeout, size limit): expected here
        handler.close_connection = True
        return False
    return True


def page(body: bytes | str, status: int = 200, content_type: str = HTML, **headers: str) -> Behaviour:
    data = body.encode() if isinstance(body, str) else body

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        send(handler, status, data, {"Content-Type": content_type, **_header_names(headers)})

    return behaviour


def _header_names(headers: dict[str, str]) -> dict[str, str]:
    return {name.replace("_", "-"): value for name, value in headers.items()}


def sequence(*steps: Behaviour) -> Behaviour:
    """The n-th request gets the n-th behaviour; later ones get the last."""

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        steps[min(attempt, len(steps)) - 1](handler, attempt)

    return behaviour


def status(code: int, **headers: str) -> Behaviour:
    return page(f"<html><body><h1>{code}</h1></body></html>", code, **headers)


def reset_mid_body(body: bytes | str) -> Behaviour:
    """Announce the whole body, send half of it, then reset the TCP connection."""
    data = body.encode() if isinstance(body, str) else body

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", HTML)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        _write(handler, data[: len(data) // 2])
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.close_connection = True
        handler.connection.close()  # SO_LINGER 0: RST, not FIN

    return behaviour


def slow(seconds: float, then: Behaviour) -> Behaviour:
    def behaviour(handler: FaultHandler, attempt: int) -> None:
        time.sleep(seconds)
        then(handler, attempt)

    return behaviour


def gzip_bomb(inflated_bytes: int) -> Behaviour:
    """A small gzip body that inflates to `inflated_bytes` of zeros."""
    compressed = _bomb(inflated_bytes)

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        send(handler, 200, compressed, {"Content-Encoding": "gzip"})

    return behaviour


def _bomb(size: int) -> bytes:
    chunk = b"\0" * (1 << 20)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as stream:
        stream.write(b"<html><body>")
        for _ in range(size // len(chunk)):
            stream.write(chunk)
    return buffer.getvalue()


def oversized(declared_bytes: int) -> Behaviour:
    """Declare a huge Content-Length and stream it in 1 MB pieces until the client hangs up."""

    def behaviour(handler: FaultHandler, attempt: int) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", HTML)
        handler.send_header("Content-Length", str(declared_bytes))
        handler.end_headers()
        piece = b"<p>" + b"x" * ((1 << 20) - 3)
        for _ in range(declared_bytes // len(piece)):
            if not _write(handler, piece):
                return
        handler.close_connection = True

    return behaviour


def redirect(location: str | Callable[[FaultHandler], str], code: int = 302) -> Behaviour:
    def behaviour(handler: FaultHandler, attempt: int) -> None:
        target = location(handler) if callable(location) else location
        send(handler, code, b"", {"Location": target})

    return behaviour


def table(routes: dict[str, Behaviour], *dynamic: Router) -> Router:
    """Exact path-and-query match first, then the dynamic routers in order."""

    def router(path: str) -> Behaviour | None:
        if path in routes:
            return routes[path]
        for route in dynamic:
            found = route(path)
            if found is not None:
                return found
        return None

    return router

