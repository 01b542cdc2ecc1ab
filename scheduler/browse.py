"""`presswatch browse`: the SQLite archive in Datasette, read-only, on loopback by default.

Datasette opens the archive file with ``mode=ro`` (so it sees what a running crawl
adds, WAL included, and cannot write), with presswatch's metadata
(``scheduler.browse_metadata``) and its one plugin (``scheduler.browse_plugin``, cell
rendering only); no other Datasette database (no ``_memory``), and no plugin installed
beside Datasette is loaded (none can add writing).
Datasette is an optional extra: ``pip install 'presswatch[browse]'``.
"""
from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any

import click

from presswatch.scheduler.cli_common import (
    EXIT_CONFIG,
    EXIT_DATABASE,
    PresswatchError,
    archive_errors,
    db_option,
)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
INSTALL = "pip install 'presswatch[browse]'"
#: Datasette settings: no facet suggestions (a full scan per column on a large archive),
#: no download of the database file.
SETTINGS = {"suggest_facets": False, "allow_download": False}


@click.command()
@db_option
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Address to listen on (anything but loopback lets others read the archive).")
@click.option("--port", type=click.IntRange(1, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the archive in the web browser once it is served.")
def browse(db_url: str, host: str, port: int, open_browser: bool) -> None:
    """Browse the SQLite archive in a web page (Datasette), read-only, until Ctrl-C.

    Needs the optional Datasette extra: pip install 'presswatch[browse]'.
    """
    path = archive_file(db_url)
    require_datasette()
    check_port(host, port)
    from presswatch.scheduler.browse_metadata import DATABASE

    url = f"http://{host_in_url(host)}:{port}/{DATABASE}"
    click.echo(f"Browsing {path} at {url} (read-only); Ctrl-C stops")
    if not is_loopback(host):
        click.echo(f"presswatch: warning: listening on {host}: whoever reaches it can read the archive", err=True)
    if open_browser:
        threading.Thread(target=open_when_served, args=(host, port, url), daemon=True).start()
    serve(path, host, port)


def archive_file(db_url: str) -> Path:
    """The SQLite file behind ``db_url``, migrated to the current schema; a clear error otherwise."""
    from presswatch.storage import upgrade_archive
    from presswatch.storage.dialect import is_sqlite, masked, parse_url, sqlite_path
    from presswatch.storage.readonly import require_archive

    try:
        parsed = parse_url(db_url)
        if not is_sqlite(parsed):
            raise PresswatchError(postgresql_message(masked(parsed)), EXIT_CONFIG)
        require_archive(parsed)
        upgrade_archive(db_url)  # as every command does; a no-op read when already current
    except archive_errors() as exc:
        raise PresswatchError(str(exc), EXIT_DATABASE) from None
    path = sqlite_path(parsed)
    assert path is not None  # require_archive refuses an in-memory database
    return path.resolve()


def postgresql_message(where: str) -> str:
    return (
        f"presswatch browse serves SQLite archives only (Datasette reads SQLite), and {where} is "
        "PostgreSQL. For a PostgreSQL archive use `presswatch query \"SQL\"`, `presswatch search` "
        "and `presswatch export` with --db, or point a PostgreSQL client at it"
    )


def require_datasette() -> None:
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise PresswatchError(
            f"presswatch browse needs Datasette, which is not installed: {INSTALL}", EXIT_CONFIG
        ) from None


def check_port(host: str, port: int) -> None:
    """Refuse a port that is taken before starting, with what to do."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise PresswatchError(f"--host {host}: {exc.strerror}", EXIT_CONFIG) from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            hint = "choose another with --port" if exc.errno == errno.EADDRINUSE else "check --host and --port"
            raise PresswatchError(f"cannot listen on {host}:{port}: {exc.strerror}; {hint}", EXIT_CONFIG) from None


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach an address (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_in_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def make_datasette(path: Path) -> Any:
    """A Datasette serving only this archive, read-only, as ``/archive``, with presswatch's metadata."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import DEFAULT_PLUGINS, pm

    from presswatch.scheduler import browse_plugin
    from presswatch.scheduler.browse_metadata import DATABASE, browse_metadata

    for name, plugin in pm.list_name_plugin():  # no installed plugin (one might write), only Datasette's own
        if name not in DEFAULT_PLUGINS and plugin is not browse_plugin:
            pm.unregister(plugin)
    if not pm.is_registered(browse_plugin):
        pm.register(browse_plugin, name="presswatch")
    datasette = Datasette([], metadata=browse_metadata(), settings=SETTINGS)
    datasette.remove_database("_memory")
    datasette.add_database(Database(datasette, path=str(path), is_mutable=True), name=DATABASE, route=DATABASE)
    return datasette


def serve(path: Path, host: str, port: int) -> None:
    import uvicorn

    datasette = make_datasette(path)
    asyncio.run(datasette.invoke_startup())
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


def open_when_served(host: str, port: int, url: str) -> None:
    """Open the browser once the port answers (the server starts after this thread)."""
    connect_to = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    while True:
        try:
            socket.create_connection((connect_to, port), timeout=1).close()
            break
        except OSError:
            threading.Event().wait(0.1)
    if not webbrowser.open(url):
        print(f"presswatch: no web browser found here; open {url}", file=sys.stderr)
