"""A quiet loopback HTTP server for the demo press sites and end-to-end tests.

Serves a directory tree the way a static press site would: ``/a/b`` is looked up as
``root/a/b``, ``root/a/b.html`` and ``root/a/b/index.html`` in that order. The literal
``__BASE__`` in text responses is replaced by the server's own base URL, so feeds and
sitemaps carry absolute URLs that point back at it. Files are read at request time, so a
test can edit a page between two crawls. Standard library only.

With a ``public_url`` (``http://demo.presswatch.test``) the server answers for that name
instead: pages carry it in place of ``__BASE__``, and a crawler reaches the server as it
would a forward proxy (``GET http://demo.presswatch.test/path``: see ``crawler.routes``),
so the URLs do not depend on the port the server got. A request for another origin is
answered 404.

    python -m crawler.site_server fixtures/demo/sites --port 8000
"""
from __future__ import annotations

import argparse
import hashlib
import threading
import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

BASE_PLACEHOLDER = b"__BASE__"

_TEXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}
_NAMED_TYPES = {
    "rss.xml": "application/rss+xml",
    "atom.xml": "application/atom+xml",
    "feed.atom": "application/atom+xml",
}
_BINARY_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
_NOT_FOUND_PAGE = (
    b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>404 Not Found</title></head>"
    b"<body><h1>404 Not Found</h1><p>The page you requested does not exist.</p></body></html>\n"
)
_FORBIDDEN_PAGE = (
    b"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>403 Forbidden</title></head>"
    b"<body><h1>403 Forbidden</h1></body></html>\n"
)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the server answered."""

    method: str
    path: str
    status: int
    at: float  # time.monotonic() when the response status was sent


def content_type_for(path: Path) -> str:
    """The Content-Type header for a file on disk."""
    name = path.name.lower()
    if name in _NAMED_TYPES:
        return _NAMED_TYPES[name]
    suffix = path.suffix.lower()
    return _TEXT_TYPES.get(suffix) or _BINARY_TYPES.get(suffix, "application/octet-stream")


def is_text_type(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type.endswith(("xml", "json"))


def resolve_request_path(root: Path, url_path: str) -> Path | None:
    """The file that answers ``url_path``, or None; raises PermissionError outside root.

    ``root`` must already be resolved.
    """
    relative = unquote(urlsplit(url_path).path).lstrip("/")
    if "\x00" in relative:
        raise PermissionError(url_path)
    base = (root / relative).resolve()
    if base != root and not base.is_relative_to(root):
        raise PermissionError(url_path)
    candidates = [base]
    if relative and not relative.endswith("/"):
        candidates.append(base.with_name(base.name + ".html"))
    candidates.append(base / "index.html")
    for candidate in candidates:
        real = candidate.resolve()
        if not real.is_relative_to(root):
            raise PermissionError(url_path)
        if real.is_file():
            return real
    return None


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "presswatch-demo/1.0"

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._serve(send_body=True)

    def do_HEAD(self) -> None:
        self._serve(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        """Quiet: no line on stderr per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        status = int(code) if isinstance(code, int) or str(code).isdigit() else 0
        self.server.record(RequestRecord(self.command or "", _origin_form(self.path), status, time.monotonic()))

    def _serve(self, send_body: bool) -> None:
        if not self.server.answers_for(self.path):
            self._send_page(HTTPStatus.NOT_FOUND, _NOT_FOUND_PAGE, send_body)
            return
        try:
            path = resolve_request_path(self.server.root, self.path)
        except (PermissionError, ValueError, OSError):
            self._send_page(HTTPStatus.FORBIDDEN, _FORBIDDEN_PAGE, send_body)
            return
        if path is None:
            self._send_page(HTTPStatus.NOT_FOUND, _NOT_FOUND_PAGE, send_body)
            return
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError:  # vanished between lookup and read
            self._send_page(HTTPStatus.NOT_FOUND, _NOT_FOUND_PAGE, send_body)
            return
        content_type = content_type_for(path)
        if is_text_type(content_type):
            data = data.replace(BASE_PLACEHOLDER, self.server.base_url.encode())
        etag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {
            "Content-Type": content_type,
            "ETag": etag,
            "Last-Modified": formatdate(int(mtime), usegmt=True),
            "Cache-Control": "no-cache",
        }
        if self._not_modified(etag, int(mtime)):
            self._send(HTTPStatus.NOT_MODIFIED, headers, b"", send_body=False)
            return
        self._send(HTTPStatus.OK, headers, data, send_body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        """RFC 9110 §13.2.2: If-None-Match wins; If-Modified-Since only without it."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since:
            try:
                since = parsedate_to_datetime(if_modified_since)
            except (TypeError, ValueError, IndexError):
                return False
            if since.tzinfo is None:
                return False
            return mtime <= since.timestamp()
        return False

    def _send_page(self, status: HTTPStatus, page: bytes, send_body: bool) -> None:
        self._send(status, {"Content-Type": "text/html; charset=utf-8"}, page, send_body)

    def _send(self, status: HTTPStatus, headers: dict[str, str], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # a crawler opens many connections at once; the default 5 drops them

    def __init__(self, address: tuple[str, int], root: Path) -> None:
        super().__init__(address, _Handler)
        self.root = root
        self.base_url = ""
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def answers_for(self, target: str) -> bool:
        """A request line's target is served here: a path, or an absolute URL of this server's own origin."""
        if target.startswith("/"):
            return True
        parts = urlsplit(target)
        return f"{parts.scheme}://{parts.netloc}".lower() == self.base_url.lower()

    def record(self, entry: RequestRecord) -> None:
        with self._lock:
            self._records.append(entry)

    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that hangs up mid-response is not worth a traceback."""


class SiteServer:
    """Serve ``root`` on a loopback port in a daemon thread.

    >>> with SiteServer(Path("fixtures/demo/sites")) as server:  # doctest: +SKIP
    ...     urlopen(server.base_url + "/caspian-post/en/news")
    """

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0, public_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"site root is not a directory: {root}")
        self.host = host
        self.port = port
        self.public_url = public_url.rstrip("/") if public_url else None
        #: The URL pages carry for ``__BASE__``: ``public_url``, else ``address``.
        self.base_url = ""
        #: Where the server listens: ``http://127.0.0.1:PORT``.
        self.address = ""
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of the requests answered so far, oldest first."""
        return self._server.records() if self._server else []

    def clear_requests(self) -> None:
        if self._server:
            self._server.clear()

    def start(self) -> SiteServer:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), self.root)
        host, port = server.server_address[:2]
        self.port = int(port)
        self.address = f"http://{_url_host(str(host))}:{self.port}"
        self.base_url = self.public_url or self.address
        server.base_url = self.base_url
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name=f"site-server-{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _origin_form(target: str) -> str:
    """A request target as a path (``/a?b``), also when it came as an absolute URL."""
    if target.startswith("/"):
        return target
    parts = urlsplit(target)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m crawler.site_server", description="Serve a static site tree on loopback."
    )
    parser.add_argument("root", type=Path, help="directory to serve (e.g. fixtures/demo/sites)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    args = parser.parse_args(argv)
    server = SiteServer(args.root, host=args.host, port=args.port).start()
    print(f"Serving {server.root} at {server.base_url}/ (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
