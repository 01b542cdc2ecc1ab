"""`presswatch query` on PostgreSQL: no statement takes powers back (issue #18).

Each escape attempt runs through the real command, as the reader role `presswatch db
reader` makes. It must be refused (a non-zero exit and a one-line message) or be provably
harmless: after every attempt the secret file's content is not in the output, the other
sessions are alive, the archive's rows, sequences and large objects are as they were,
no file was written, no server setting, role or replication slot changed. The same
attempts with the superuser's URL are refused before the statement runs.
"""
from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import URL

from presswatch.storage import open_archive
from tests.e2e.helpers import run_presswatch
from tests.storage.conftest import BASE_ARTICLE, T0
from tests.storage.reader_roles import drop_role, reader_role, unique_role_name

REFUSED = "refused"  # exit 4: presswatch query is read-only: ... refused
FAILS = "fails"  # exit 4 or 6: refused, or the statement cannot run at all
HARMLESS = "harmless"  # exit 0: it runs, as the reader, and changes nothing that lasts


@dataclass(frozen=True)
class Escape:
    name: str
    sql: str
    outcome: str
    needs: str = ""  # "dblink": only where the extension can be installed


ESCAPES = [
    # Taking a role back: the original report, then every spelling of it.
    Escape("issue-18-role-none-then-read-a-file",
           "SELECT set_config('role','none',true) r, query_to_xml('select current_user u, "
           "pg_read_file(''{secret_file}'') f',true,false,'') x", REFUSED),
    Escape("set-config-role-none-stays-the-reader",
           "SELECT set_config('role','none',true) AS r, current_user AS u, session_user AS s",
           HARMLESS),
    Escape("set-config-role-superuser", "SELECT set_config('role','{admin}',true)", REFUSED),
    Escape("set-config-session-authorization",
           "SELECT set_config('session_authorization','{admin}',false)", REFUSED),
    Escape("reset-role", "RESET ROLE", REFUSED),
    Escape("set-role", "SET ROLE {admin}", REFUSED),
    Escape("set-session-authorization", "SET SESSION AUTHORIZATION {admin}", REFUSED),
    Escape("do-block",
           "DO $$BEGIN PERFORM pg_read_file('{secret_file}'); END$$", REFUSED),
    Escape("do-block-in-dynamic-sql",
           "SELECT query_to_xml('DO $b$BEGIN PERFORM 1; END$b$', true, false, '')", FAILS),
    Escape("set-role-in-dynamic-sql",
           "SELECT query_to_xml('SET ROLE {admin}', true, false, '')", FAILS),
    # Dynamic SQL runs as the reader too.
    Escape("query-to-xml-runs-as-the-reader",
           "SELECT query_to_xml('select current_user u', true, false, '') AS x", HARMLESS),
    Escape("query-to-xml-read-file",
           "SELECT query_to_xml('select pg_read_file(''{secret_file}'') f', true, false, '')",
           REFUSED),
    Escape("query-to-xml-and-xmlschema-read-file",
           "SELECT query_to_xml_and_xmlschema('select pg_read_file(''{secret_file}'') f', "
           "true, false, '')", REFUSED),
    Escape("cursor-to-xml", "SELECT cursor_to_xml('c'::refcursor, 10, true, false, '')", FAILS),
    # Server files and programs.
    Escape("pg-read-file", "SELECT pg_read_file('{secret_file}')", REFUSED),
    Escape("pg-read-binary-file", "SELECT pg_read_binary_file('{secret_file}')", REFUSED),
    Escape("pg-ls-dir", "SELECT pg_ls_dir('{secret_dir}')", REFUSED),
    Escape("pg-stat-file", "SELECT pg_stat_file('{secret_file}')", REFUSED),
    Escape("lo-import", "SELECT lo_import('{secret_file}')", REFUSED),
    Escape("lo-export", "SELECT lo_export(lo_from_bytea(0, 'x'), '{write_dir}/exported')",
           REFUSED),
    Escape("lo-from-bytea-is-rolled-back", "SELECT lo_from_bytea(0, 'kept?') > 0 AS made",
           HARMLESS),
    Escape("copy-to-program", "COPY (SELECT 1) TO PROGRAM 'touch {write_dir}/program-ran'",
           REFUSED),
    Escape("copy-to-file", "COPY articles TO '{write_dir}/copy.csv'", REFUSED),
    Escape("copy-in-dynamic-sql",
           "SELECT query_to_xml('COPY (SELECT 1) TO PROGRAM ''touch {write_dir}/ran''', "
           "true, false, '')", FAILS),
    Escape("current-setting-data-directory", "SELECT current_setting('data_directory')",
           REFUSED),
    # Other sessions.
    Escape("terminate-a-superuser-backend", "SELECT pg_terminate_backend({victim_pid})",
           REFUSED),
    Escape("cancel-a-superuser-backend", "SELECT pg_cancel_backend({victim_pid})", REFUSED),
    Escape("terminate-a-writer-backend", "SELECT pg_terminate_backend({writer_pid})", REFUSED),
    Escape("terminate-every-other-backend",
           "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
           "WHERE pid <> pg_backend_pid() AND pid IN ({victim_pid}, {writer_pid})", REFUSED),
    Escape("dblink-as-the-superuser",
           "SELECT * FROM dblink('{dblink_target}', "
           "'select pg_read_file(''{secret_file}'')') AS t(f text)", FAILS, needs="dblink"),
    Escape("dblink-exec-delete",
           "SELECT dblink_exec('{dblink_target}', 'DELETE FROM articles')", FAILS,
           needs="dblink"),
    # Settings.
    Escape("set-config-work-mem-lasts-one-transaction",
           "SELECT set_config('work_mem', '1GB', false) AS w", HARMLESS),
    Escape("set-config-read-write-default",
           "SELECT set_config('default_transaction_read_only', 'off', false) AS d", HARMLESS),
    Escape("set-config-transaction-read-write",
           "SELECT set_config('transaction_read_only', 'off', true)", FAILS),
    Escape("set-config-superuser-setting", "SELECT set_config('log_statement', 'all', false)",
           REFUSED),
    Escape("pg-reload-conf", "SELECT pg_reload_conf()", REFUSED),
    # Writes hidden in reads, and functions with side effects.
    Escape("cte-delete", "WITH x AS (DELETE FROM articles RETURNING 1) SELECT count(*) FROM x",
           REFUSED),
    Escape("cte-update",
           "WITH x AS (UPDATE articles SET headline = 'hacked' RETURNING 1) SELECT * FROM x",
           REFUSED),
    Escape("select-for-update", "SELECT id FROM articles FOR UPDATE", REFUSED),
    Escape("explain-analyze-delete", "EXPLAIN ANALYZE DELETE FROM articles", REFUSED),
    Escape("nextval", "SELECT nextval('crawl_runs_id_seq')", REFUSED),
    Escape("setval", "SELECT setval('crawl_runs_id_seq', 1000)", REFUSED),
    Escape("logical-emit-message", "SELECT pg_logical_emit_message(false, 'presswatch', 'x')",
           REFUSED),
    Escape("replication-slot",
           "SELECT pg_create_physical_replication_slot('presswatch_escape')", REFUSED),
    Escape("pg-switch-wal", "SELECT pg_switch_wal()", REFUSED),
    Escape("pg-stat-reset", "SELECT pg_stat_reset()", REFUSED),
    Escape("gin-clean-pending-list",
           "SELECT gin_clean_pending_list(c.oid) FROM pg_class c JOIN pg_am a ON a.oid = c.relam "
           "WHERE a.amname = 'gin'", REFUSED),
    Escape("advisory-lock-ends-with-the-query", "SELECT pg_try_advisory_lock(424242) AS l",
           HARMLESS),
    Escape("notify-is-rolled-back",
           "SELECT count(*) AS n FROM (SELECT pg_notify('presswatch_escape', 'x')) AS sent",
           HARMLESS),
    Escape("two-statements",
           "SELECT 1; SELECT pg_read_file('{secret_file}')", REFUSED),
    Escape("temp-table", "CREATE TEMP TABLE scratch AS SELECT * FROM articles", REFUSED),
]

#: What the harmless attempts print (csv): they ran as the reader and nothing more.
HARMLESS_OUTPUT = {
    "set-config-role-none-stays-the-reader": "r,u,s\nnone,{reader},{reader}\n",
    "query-to-xml-runs-as-the-reader": (
        'x\n"<table xmlns:xsi=""http://www.w3.org/2001/XMLSchema-instance"">\n\n<row>\n'
        '  <u>{reader}</u>\n</row>\n\n</table>\n"\n'
    ),
    "lo-from-bytea-is-rolled-back": "made\nTrue\n",
    "set-config-work-mem-lasts-one-transaction": "w\n1GB\n",
    "set-config-read-write-default": "d\noff\n",
    "advisory-lock-ends-with-the-query": "l\nTrue\n",
    "notify-is-rolled-back": "n\n1\n",
}


@dataclass
class Scene:
    """A filled archive, its reader, two other sessions, a secret file and an empty directory."""

    admin: psycopg.Connection[Any]
    admin_url: str
    reader_url: str
    reader: str
    values: dict[str, str]
    victim: psycopg.Connection[Any]
    writer: psycopg.Connection[Any]
    listener: psycopg.Connection[Any]
    secret: str
    secret_name: str
    write_dir: Path
    baseline: dict[str, Any]
    dblink: bool


def _admin_psycopg(url: str) -> psycopg.Connection[Any]:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
        dbname=parsed.database, autocommit=True,
    )


def _state(admin: psycopg.Connection[Any], reader: str) -> dict[str, Any]:
    """Everything an escape could have changed, read as the superuser."""

    def one(sql: str, *args: str) -> list[tuple[Any, ...]]:
        return admin.execute(sql, args).fetchall()

    return {
        "articles": one("SELECT id, url, headline, body FROM articles ORDER BY id"),
        "sequence": one("SELECT last_value, is_called FROM crawl_runs_id_seq"),
        "large objects": one("SELECT count(*) FROM pg_largeobject_metadata"),
        "slots": one("SELECT slot_name FROM pg_replication_slots ORDER BY 1"),
        "reader role": one(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, "
            "rolcanlogin FROM pg_roles WHERE rolname = %s", reader),
        "reader memberships": one(
            "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = %s::regrole",
            reader),
        "role settings": one(
            "SELECT setdatabase, setrole, setconfig FROM pg_db_role_setting ORDER BY 1, 2"),
        "server settings": one(
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('work_mem', 'log_statement', 'default_transaction_read_only', 'statement_timeout') "
            "ORDER BY name"),
    }


@pytest.fixture(scope="module")
def scene(pg_server_url: URL) -> Iterator[Scene]:
    name = f"presswatch_escapes_{uuid.uuid4().hex[:12]}"
    server = _admin_psycopg(pg_server_url.render_as_string(hide_password=False))
    server.execute(f'CREATE DATABASE "{name}"')
    admin_url = pg_server_url.set(database=name).render_as_string(hide_password=False)
    secret = f"presswatch-secret-{uuid.uuid4().hex}"
    secret_dir = Path(f"/tmp/presswatch-secret-{uuid.uuid4().hex[:8]}")
    write_dir = Path(f"/tmp/presswatch-escape-{uuid.uuid4().hex[:8]}")
    writer_role = unique_role_name("pw_test_writer")
    connections: list[psycopg.Connection[Any]] = []
    try:
        with open_archive(admin_url) as archive:
            archive.save_article(BASE_ARTICLE, seen_at=T0)
            archive.save_article(replace(BASE_ARTICLE, url="https://news.example.az/en/second",
                                         headline="Second release"), seen_at=T0)
        admin = _admin_psycopg(admin_url)
        connections.append(admin)
        dblink = admin.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'dblink'").fetchone() is not None
        if dblink:
            admin.execute("CREATE EXTENSION dblink")
        secret_dir.mkdir(mode=0o755)
        secret_name = f"secret-{uuid.uuid4().hex[:12]}.txt"
        (secret_dir / secret_name).write_text(secret + "\n")
        (secret_dir / secret_name).chmod(0o644)
        write_dir.mkdir()
        write_dir.chmod(0o777)
        secret_file = secret_dir / secret_name
        # The control: the server can read the secret, so a superuser statement would show it.
        assert admin.execute("SELECT pg_read_file(%s)", (str(secret_file),)).fetchone() == (
            secret + "\n",)
        admin.execute(f'CREATE ROLE "{writer_role}" LOGIN')
        victim = _admin_psycopg(admin_url)
        writer = psycopg.connect(admin.info.dsn, user=writer_role, autocommit=True)
        listener = _admin_psycopg(admin_url)
        connections += [victim, writer, listener]
        listener.execute("LISTEN presswatch_escape")
        with reader_role(admin_url) as reader_url:
            reader = reader_url.split("://", 1)[1].split("@", 1)[0]
            values = {
                "secret_file": str(secret_file), "secret_dir": str(secret_dir),
                "write_dir": str(write_dir), "admin": str(pg_server_url.username),
                "victim_pid": str(victim.info.backend_pid),
                "writer_pid": str(writer.info.backend_pid),
                "dblink_target": (f"host={pg_server_url.host} port={pg_server_url.port or 5432} "
                                  f"dbname={name} user={pg_server_url.username}"),
            }
            yield Scene(admin, admin_url, reader_url, reader, values, victim, writer, listener,
                        secret, secret_name, write_dir, _state(admin, reader), dblink)
    finally:
        for connection in connections:
            connection.close()
        drop_role(pg_server_url.render_as_string(hide_password=False), writer_role)
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.close()
        shutil.rmtree(secret_dir, ignore_errors=True)
        shutil.rmtree(write_dir, ignore_errors=True)


def _attempt(scene: Scene, escape: Escape, url: str) -> tuple[str, Any]:
    """Run ``escape`` through `presswatch query` at ``url``: (its SQL, the finished process)."""
    if escape.needs == "dblink" and not scene.dblink:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true: the dblink escape must be tried; install PostgreSQL's contrib (dblink)")
        pytest.skip("the dblink extension is not available on this server")
    sql = escape.sql.format(**scene.values)
    return sql, run_presswatch("query", sql, "--db", url, "--format", "csv", timeout=60)


def _assert_nothing_escaped(scene: Scene, sql: str, shown: str) -> None:
    """``shown``: what the attempt printed."""
    assert scene.secret not in shown
    if scene.secret_name not in sql:
        assert scene.secret_name not in shown  # no directory listing
    assert list(scene.write_dir.iterdir()) == []
    assert scene.victim.execute("SELECT 1").fetchone() == (1,)
    assert scene.writer.execute("SELECT 1").fetchone() == (1,)
    assert _state(scene.admin, scene.reader) == scene.baseline
    assert list(scene.listener.notifies(timeout=0.2, stop_after=1)) == []
    # a session lock taken by the statement went with its session
    assert scene.admin.execute("SELECT pg_try_advisory_lock(424242)").fetchone() == (True,)
    scene.admin.execute("SELECT pg_advisory_unlock(424242)")


@pytest.mark.parametrize("escape", ESCAPES, ids=[e.name for e in ESCAPES])
def test_as_the_reader_role_every_escape_is_refused_or_harmless(scene: Scene, escape: Escape) -> None:
    sql, result = _attempt(scene, escape, scene.reader_url)
    message = result.stderr.splitlines()
    if escape.outcome == HARMLESS:
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == HARMLESS_OUTPUT[escape.name].format(reader=scene.reader)
    else:
        allowed = {4} if escape.outcome == REFUSED else {4, 6}
        assert result.returncode in allowed, (result.returncode, result.stderr)
        assert len(message) == 1 and message[0].startswith("presswatch: "), result.stderr
        if result.returncode == 4:
            assert message[0].startswith("presswatch: presswatch query is read-only")
            assert message[0].endswith(" refused")
        assert result.stdout == ""
    _assert_nothing_escaped(scene, sql, result.stdout + result.stderr)


def test_as_a_superuser_every_escape_is_refused_before_it_runs(scene: Scene) -> None:
    tried = [e for e in ESCAPES if scene.dblink or e.needs != "dblink"]
    statements = [e.sql.format(**scene.values) for e in tried]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(
            lambda sql: run_presswatch("query", sql, "--db", scene.admin_url, timeout=60),
            statements,
        ))
    for escape, sql, result in zip(tried, statements, results, strict=True):
        assert result.returncode == 4, (escape.name, result.stderr)
        assert result.stdout == ""
        assert result.stderr.startswith("presswatch: presswatch query is read-only"), escape.name
        assert result.stderr.count("\n") == 1
        assert scene.secret not in result.stderr
        if not escape.sql.startswith(("RESET", "SET", "DO", "COPY", "CREATE")):
            assert f"will not run as {scene.values['admin']} (a superuser)" in result.stderr
    _assert_nothing_escaped(scene, "", "")


def test_a_role_that_could_become_a_superuser_is_refused(scene: Scene) -> None:
    member = unique_role_name("pw_test_member")
    scene.admin.execute(f'CREATE ROLE "{member}" LOGIN')
    scene.admin.execute(f'GRANT "{scene.values["admin"]}" TO "{member}"')
    try:
        url = scene.reader_url.replace(f"{scene.reader}@", f"{member}@", 1)
        result = run_presswatch("query", "SELECT 1", "--db", url)
        assert result.returncode == 4
        assert result.stderr.startswith(
            f"presswatch: presswatch query is read-only and will not run as {member} "
            f"(a member of {scene.values['admin']} (SUPERUSER"
        )
    finally:
        drop_role(scene.admin_url, member)


@pytest.mark.parametrize("power", ["pg_read_server_files", "pg_signal_backend",
                                   "pg_execute_server_program", "pg_read_all_data"])
def test_a_member_of_a_powerful_predefined_role_is_refused(scene: Scene, power: str) -> None:
    member = unique_role_name("pw_test_member")
    scene.admin.execute(f'CREATE ROLE "{member}" LOGIN IN ROLE {power}')
    try:
        url = scene.reader_url.replace(f"{scene.reader}@", f"{member}@", 1)
        result = run_presswatch("query", "SELECT 1", "--db", url)
        assert result.returncode == 4
        assert f"will not run as {member} (a member of {power}" in result.stderr
        assert "presswatch db reader" in result.stderr
    finally:
        drop_role(scene.admin_url, member)


def test_the_keyword_check_is_the_first_layer_not_the_only_one(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the keyword check switched off, the reader role alone stops what it caught."""
    from presswatch.storage import readonly
    from presswatch.storage import ReadOnlyQueryError, run_readonly_query

    monkeypatch.setattr(readonly, "refuse_writing_statement", lambda sql: None)
    caught_by_keywords = {
        "set-role": "permission denied to set role",
        "set-session-authorization": "permission denied to set session authorization",
        "do-block": "permission denied for function pg_read_file",
        "copy-to-program": "pg_execute_server_program",
        "copy-to-file": "pg_write_server_files",
        "temp-table": "read-only transaction",
    }
    for escape in ESCAPES:
        if escape.name in caught_by_keywords:
            sql = escape.sql.format(**scene.values)
            with pytest.raises(ReadOnlyQueryError) as raised:
                run_readonly_query(scene.reader_url, sql)
            assert caught_by_keywords[escape.name] in str(raised.value), escape.name
            _assert_nothing_escaped(scene, sql, str(raised.value))
    # RESET ROLE runs, and leaves the reader the reader
    assert run_readonly_query(scene.reader_url, "RESET ROLE").rows == []
    assert _state(scene.admin, scene.reader) == scene.baseline


def test_the_secret_is_readable_by_the_server_so_the_refusals_mean_something(scene: Scene) -> None:
    content = scene.admin.execute(
        "SELECT pg_read_file(%s)", (scene.values["secret_file"],)).fetchone()
    assert content == (scene.secret + "\n",)
    assert os.stat(scene.values["secret_file"]).st_mode & 0o777 == 0o644
