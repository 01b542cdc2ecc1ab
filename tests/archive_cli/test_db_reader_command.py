"""`presswatch db reader`: the PostgreSQL role `presswatch query` runs as.

Roles are cluster-wide: every test names its roles uniquely and drops them afterwards.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from presswatch.storage import open_archive
from tests.archive_cli.conftest import T1, article
from tests.e2e.helpers import run_presswatch
from tests.storage.reader_roles import as_user, drop_role, unique_role_name

PRESSWATCH_TABLES = [
    "alembic_version", "alert_deliveries", "alert_events", "alerts", "article_lsh", "article_revisions",
    "article_signatures", "articles", "articles_fts", "crawl_errors", "crawl_runs", "duplicate_groups",
    "page_validators", "raw_pages", "releases", "url_aliases", "watches",
]


@pytest.fixture
def archive(pg_url: str) -> str:
    """A PostgreSQL archive with one release, as the superuser that made it."""
    with open_archive(pg_url) as opened:
        opened.save_article(article("hydrogen", "Government adopts hydrogen strategy",
                                    "The strategy sets out how hydrogen will be produced."),
                            seen_at=T1)
    return pg_url


@pytest.fixture
def role(archive: str) -> Iterator[str]:
    name = unique_role_name()
    yield name
    drop_role(archive, name)


def _admin(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                           dbname=parsed.database, autocommit=True)


def _role_state(url: str, name: str) -> dict[str, Any]:
    with _admin(url) as admin:
        def rows(sql: str, *args: Any) -> list[tuple[Any, ...]]:
            return admin.execute(sql, args).fetchall()

        return {
            "attributes": rows(
                "SELECT rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, "
                "rolreplication, rolbypassrls FROM pg_roles WHERE rolname = %s", name),
            "memberships": rows(
                "SELECT roleid::regrole::text FROM pg_auth_members WHERE member = %s::regrole",
                name),
            "table privileges": rows(
                "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
                "FROM information_schema.role_table_grants WHERE grantee = %s "
                "GROUP BY table_name ORDER BY table_name", name),
            "settings": rows(
                "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_database d ON d.oid = "
                "s.setdatabase WHERE s.setrole = %s::regrole AND d.datname = current_database()",
                name),
            "emit message": rows(
                "SELECT has_function_privilege(%s, p.oid, 'EXECUTE') FROM pg_proc p "
                "WHERE p.proname = 'pg_logical_emit_message' ORDER BY p.oid::regprocedure::text",
                name),
        }


def test_db_reader_makes_a_login_role_that_can_only_select_presswatch_tables(
    archive: str, role: str
) -> None:
    result = run_presswatch("db", "reader", "--db", archive, "--role", role)
    reader_url = as_user(archive, role)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.splitlines() == [
        f"reader role {role} created: SELECT on 17 tables and views of the archive, nothing else",
        f'query with: presswatch query --db {reader_url} "SQL"',
        ("no password set: unless the server lets this role in without one, set "
         "PRESSWATCH_READER_PASSWORD and run this again"),
    ]
    assert _role_state(archive, role) == {
        "attributes": [(False, True, False, False, True, False, False)],
        "memberships": [],
        "table privileges": [(table, "SELECT") for table in PRESSWATCH_TABLES],
        "settings": [(["default_transaction_read_only=on", "statement_timeout=30s"],)],
        "emit message": [(False,), (False,)],
    }
    answer = run_presswatch("query", "SELECT headline FROM articles", "--db", reader_url,
                            "--format", "csv")
    assert (answer.returncode, answer.stdout, answer.stderr) == (
        0, "headline\nGovernment adopts hydrogen strategy\n", "")


def test_running_it_again_updates_the_role_and_changes_nothing(archive: str, role: str) -> None:
    assert run_presswatch("db", "reader", "--db", archive, "--role", role).returncode == 0
    before = _role_state(archive, role)
    again = run_presswatch("db", "reader", "--db", archive, "--role", role)
    assert again.returncode == 0
    assert again.stdout.splitlines()[0] == (
        f"reader role {role} updated: SELECT on 17 tables and views of the archive, nothing else")
    assert _role_state(archive, role) == before


def test_extra_privileges_of_an_existing_reader_are_taken_back(archive: str, role: str) -> None:
    assert run_presswatch("db", "reader", "--db", archive, "--role", role).returncode == 0
    with _admin(archive) as admin:
        admin.execute(f'GRANT INSERT, DELETE ON articles TO "{role}"')
    assert run_presswatch("db", "reader", "--db", archive, "--role", role).returncode == 0
    grants = dict(_role_state(archive, role)["table privileges"])
    assert grants["articles"] == "SELECT"


def test_a_password_from_the_environment_is_stored_hashed_and_never_printed(
    archive: str, role: str
) -> None:
    secret = "r3ader-pw-" + role[-8:]
    result = run_presswatch("db", "reader", "--db", archive, "--role", role,
                            env={"PRESSWATCH_READER_PASSWORD": secret})
    assert result.returncode == 0
    assert secret not in result.stdout + result.stderr
    shown = make_url(as_user(archive, role)).set(password=secret)
    assert result.stdout.splitlines() == [
        f"reader role {role} created: SELECT on 17 tables and views of the archive, nothing else",
        f'query with: presswatch query --db {shown.render_as_string(hide_password=True)} "SQL"',
    ]
    assert ":***@" in result.stdout
    with _admin(archive) as admin:
        [(stored,)] = admin.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchall()
        [(method,)] = admin.execute("SHOW password_encryption").fetchall()
    assert stored.startswith("SCRAM-SHA-256$" if method == "scram-sha-256" else "md5")
    assert secret not in stored


def test_an_existing_role_with_powers_is_refused_and_left_as_it_was(archive: str) -> None:
    name = unique_role_name("pw_test_powerful")
    with _admin(archive) as admin:
        admin.execute(f'CREATE ROLE "{name}" LOGIN IN ROLE pg_read_server_files')
    try:
        before = _role_state(archive, name)
        result = run_presswatch("db", "reader", "--db", archive, "--role", name)
        assert (result.returncode, result.stdout) == (4, "")
        assert result.stderr == (
            f"presswatch: role {name} exists and is a member of pg_read_server_files: presswatch "
            "will not make it its read-only role; choose another with --role NAME\n"
        )
        assert _role_state(archive, name) == before
    finally:
        drop_role(archive, name)


def test_an_existing_superuser_role_is_refused_not_demoted(archive: str) -> None:
    name = unique_role_name("pw_test_super")
    with _admin(archive) as admin:
        admin.execute(f'CREATE ROLE "{name}" SUPERUSER')
    try:
        result = run_presswatch("db", "reader", "--db", archive, "--role", name)
        assert result.returncode == 4
        assert result.stderr == (
            f"presswatch: role {name} exists and is a superuser: presswatch will not make it its "
            "read-only role; choose another with --role NAME\n"
        )
        assert _role_state(archive, name)["attributes"][0][0] is True  # still a superuser
    finally:
        drop_role(archive, name)


def test_a_role_name_presswatch_would_have_to_quote_is_refused(archive: str) -> None:
    result = run_presswatch("db", "reader", "--db", archive, "--role", 'Reader"; DROP')
    assert result.returncode == 4
    assert result.stderr == (
        "presswatch: 'Reader\"; DROP' is not a role name presswatch creates: use lower-case "
        "letters, digits and _ (at most 63)\n"
    )


def test_a_user_without_rights_to_create_roles_is_told_whose_url_to_use(archive: str, role: str) -> None:
    plain = unique_role_name("pw_test_plain")
    with _admin(archive) as admin:
        admin.execute(f'CREATE ROLE "{plain}" LOGIN')
        admin.execute(f'GRANT SELECT ON alembic_version TO "{plain}"')  # it can open the archive
    try:
        result = run_presswatch("db", "reader", "--db", as_user(archive, plain), "--role", role)
        assert result.returncode == 3
        assert result.stderr.startswith(f"presswatch: cannot set up the reader role {role} at ")
        assert result.stderr.endswith(
            "permission denied to create role; run presswatch db reader with the URL of a "
            "superuser (or of a role with CREATEROLE that owns the archive's tables)\n"
        )
    finally:
        drop_role(archive, plain)


def test_a_sqlite_archive_needs_no_reader_role(tmp_path: Any) -> None:
    result = run_presswatch("db", "reader", "--db", f"sqlite:///{tmp_path / 'archive.db'}")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "a SQLite archive needs no reader role: presswatch query opens it read-only\n")
    assert list(tmp_path.iterdir()) == []


def test_the_refusal_of_a_superuser_leads_to_a_working_reader(archive: str) -> None:
    """Follow the message: run the command it names, then query with the URL it gives."""
    refused = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", archive)
    assert refused.returncode == 4
    assert "`presswatch db reader --db URL`" in refused.stderr
    suggested = refused.stderr.rstrip("\n").rsplit(" --db ", 1)[1]
    assert make_url(suggested).username == "presswatch_reader"
    with _admin(archive) as admin:  # roles are cluster-wide: it may be someone else's
        existed = admin.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = 'presswatch_reader'").fetchone() is not None
    try:
        made = run_presswatch("db", "reader", "--db", archive)
        assert made.returncode == 0, made.stderr
        answer = run_presswatch("query", "SELECT count(*) AS n FROM articles", "--db", suggested,
                                "--format", "csv")
        assert (answer.returncode, answer.stdout) == (0, "n\n1\n")
    finally:
        if existed:  # someone else's: take back only what this test's database granted it
            with _admin(archive) as admin:
                admin.execute('DROP OWNED BY "presswatch_reader"')
        else:
            drop_role(archive, "presswatch_reader")
