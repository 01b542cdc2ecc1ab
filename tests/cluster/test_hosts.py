"""Tests of the namespace-host harness itself (tests/cluster/hosts.py)."""
from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import URL

from tests.cluster import hosts
from tests.cluster.hosts import Cluster, ClusterUnavailable, Host

cluster_hosts = hosts.cluster_hosts  # the fixture, for the tests of this module

AMQP_VAR = "PRESSWATCH_TEST_AMQP"
AMQP_DEFAULT = "amqp://guest:guest@127.0.0.1:5672/"
SITES = hosts.REPO / "fixtures" / "demo" / "sites"
SITEMAP = "caspian-post/sitemap.xml"

# Run inside a namespace: print the body of URL (argv[1]) to stdout.
FETCH = (
    "import sys, urllib.request; "
    "sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=30).read())"
)
# Run inside a namespace: connect to argv[1]:argv[2]; print "refused" or "connected".
CONNECT = (
    "import socket, sys\n"
    "try:\n"
    "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10).close()\n"
    "    print('connected')\n"
    "except ConnectionRefusedError:\n"
    "    print('refused')\n"
)
# Run inside a namespace: open AMQP 0-9-1 at argv[1]:argv[2] and print the first frame's
# type, channel, class id and method id (Connection.Start is "1 0 10 10").
AMQP_HELLO = (
    "import socket, struct, sys\n"
    "s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)\n"
    "s.sendall(b'AMQP\\x00\\x00\\x09\\x01')\n"
    "data = b''\n"
    "while len(data) < 11:\n"
    "    chunk = s.recv(4096)\n"
    "    if not chunk:\n"
    "        break\n"
    "    data += chunk\n"
    "kind, channel, size, cls, method = struct.unpack('>BHIHH', data[:11])\n"
    "print(kind, channel, cls, method)\n"
)
# Run inside a namespace: SELECT 1 on the PostgreSQL of conninfo argv[1].
PG_SELECT = (
    "import psycopg, sys\n"
    "with psycopg.connect(sys.argv[1], connect_timeout=10) as c:\n"
    "    print(c.execute('select 1').fetchone()[0])\n"
)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``condition`` until true; the deadline is only a guard against a hang."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def serve_site(host: Host, port: int = 8000) -> subprocess.Popen[str]:
    """Start the demo site server on ``host``'s address; return once it is listening."""
    proc = host.popen(
        [sys.executable, "-m", "presswatch.crawler.site_server", str(SITES), "--host", host.address,
         "--port", str(port)],
        stdout=subprocess.PIPE, text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # printed after the socket is bound and listening
    assert line == f"Serving {SITES} at http://{host.address}:{port}/ (Ctrl-C to stop)\n"
    return proc


def expected_sitemap(base: str) -> bytes:
    return (SITES / SITEMAP).read_bytes().replace(b"__BASE__", base.encode())


def netns_list() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                          check=True).stdout


def link_list() -> str:
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True,
                          check=True).stdout


def alive(pid: int) -> bool:
    """True while ``pid`` runs (and is not a zombie)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


# --- reaching each other ----------------------------------------------------------------


def test_hosts_get_their_own_addresses_on_a_fresh_subnet(cluster_hosts: Cluster) -> None:
    site = cluster_hosts.add_host("site")
    worker = cluster_hosts.add_host("worker")
    net = cluster_hosts.network
    assert net.prefixlen == 24 and str(net).startswith("10.")
    assert cluster_hosts.gateway == str(net.network_address + 1)
    assert (site.address, worker.address) == (
        str(net.network_address + 2), str(net.network_address + 3)
    )
    assert site.netns == f"pw-{cluster_hosts.token}-site"
    assert len(cluster_hosts.bridge) <= 15
    shown = worker.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], capture_output=True,
                       text=True, check=True).stdout
    assert f"inet {worker.address}/24 " in shown
    route = worker.run(["ip", "route", "show", "default"], capture_output=True, text=True,
                       check=True).stdout
    assert route.split()[:3] == ["default", "via", cluster_hosts.gateway]
    with pytest.raises(ValueError, match="already exists"):
        cluster_hosts.add_host("site")


def test_the_gateway_keeps_its_mac_as_hosts_join(cluster_hosts: Cluster) -> None:
    # A bridge takes the lowest MAC of its ports unless it has its own: hosts that had resolved
    # the gateway would then send to a MAC it no longer answers to, and stall until their ARP
    # entries go stale (tens of seconds, as CI once saw). Twelve random veth MACs would move it.
    def bridge_mac() -> str:
        return Path(f"/sys/class/net/{cluster_hosts.bridge}/address").read_text().strip()

    first = cluster_hosts.add_host("first")
    before = bridge_mac()
    for n in range(12):
        cluster_hosts.add_host(f"joiner{n}")
    assert bridge_mac() == before
    [gateway] = [line for line in first.run(["ip", "neigh", "show", cluster_hosts.gateway],
                                              capture_output=True, text=True).stdout.splitlines() if line] or [""]
    assert gateway == "" or before in gateway  # resolved (if at all) to the one MAC the bridge keeps


def test_hosts_reach_each_other_and_root_reaches_them_over_http(cluster_hosts: Cluster) -> None:
    site = cluster_hosts.add_host("site")
    worker = cluster_hosts.add_host("worker")
    serve_site(site)
    serve_site(worker, port=8001)

    from_worker = worker.run([sys.executable, "-c", FETCH, f"http://{site.address}:8000/{SITEMAP}"],
                             capture_output=True, check=True)
    assert from_worker.stdout == expected_sitemap(f"http://{site.address}:8000")
    from_site = site.run([sys.executable, "-c", FETCH, f"http://{worker.address}:8001/{SITEMAP}"],
                         capture_output=True, check=True)
    assert from_site.stdout == expected_sitemap(f"http://{worker.address}:8001")
    with urllib.request.urlopen(f"http://{site.address}:8000/{SITEMAP}", timeout=30) as answer:
        assert answer.read() == expected_sitemap(f"http://{site.address}:8000")


def test_hosts_know_each_other_by_name(cluster_hosts: Cluster) -> None:
    site = cluster_hosts.add_host("site")
    worker = cluster_hosts.add_host("worker")
    serve_site(site)
    by_name = worker.run([sys.executable, "-c", FETCH, f"http://site:8000/{SITEMAP}"],
                         capture_output=True, check=True)
    assert by_name.stdout == expected_sitemap(f"http://{site.address}:8000")
    late = cluster_hosts.add_host("late")  # added after site's server started
    lookup = ("import socket, sys; "
              "print(socket.gethostbyname(sys.argv[1]), socket.gethostbyname(sys.argv[2]))")
    for host in (site, late):
        done = host.run([sys.executable, "-c", lookup, "worker", "late"], capture_output=True,
                        text=True, check=True)
        assert done.stdout == f"{worker.address} {late.address}\n"
    unknown = worker.run([sys.executable, "-c", "import socket; socket.gethostbyname('pypi.org')"],
                         capture_output=True, text=True)
    assert unknown.returncode == 1 and "socket.gaierror" in unknown.stderr


def test_a_host_does_not_see_the_root_loopback(cluster_hosts: Cluster,
                                               pg_server_url: URL) -> None:
    worker = cluster_hosts.add_host("worker")
    target = [pg_server_url.host or "127.0.0.1", str(pg_server_url.port or 5432)]
    direct = worker.run([sys.executable, "-c", CONNECT, *target], capture_output=True,
                        text=True, check=True)
    assert direct.stdout == "refused\n"
    ip, port = cluster_hosts.forward(target[0], int(target[1]))
    forwarded = worker.run([sys.executable, "-c", CONNECT, ip, str(port)], capture_output=True,
                           text=True, check=True)
    assert forwarded.stdout == "connected\n"


# --- services through forwarders -------------------------------------------------------


def test_a_host_queries_postgresql_through_a_forwarder(cluster_hosts: Cluster,
                                                       pg_server_url: URL) -> None:
    worker = cluster_hosts.add_host("worker")
    libpq_url = pg_server_url.set(drivername="postgresql").render_as_string(hide_password=False)
    forwarded = cluster_hosts.forward_url(libpq_url)
    parts = urlsplit(forwarded)
    assert parts.hostname == cluster_hosts.gateway and parts.port != pg_server_url.port
    done = worker.run([sys.executable, "-c", PG_SELECT, forwarded], capture_output=True,
                      text=True, check=True)
    assert done.stdout == "1\n"
    assert cluster_hosts.forwarders[0].accepted == 1


def test_forward_url_keeps_all_but_host_and_port(cluster_hosts: Cluster) -> None:
    cases = [
        ("postgresql+psycopg://postgres:s%40cret@127.0.0.1:5432/test?sslmode=disable",
         "postgresql+psycopg://postgres:s%40cret@{}/test?sslmode=disable", 5432),
        ("amqp://guest:guest@127.0.0.1/", "amqp://guest:guest@{}/", 5672),  # default port
        ("redis://127.0.0.1:6379/0", "redis://{}/0", 6379),
    ]
    for url, expected, port in cases:
        forwarded = cluster_hosts.forward_url(url)
        forwarder = cluster_hosts.forwarders[-1]
        assert forwarder.target == ("127.0.0.1", port)
        assert forwarded == expected.format(f"{cluster_hosts.gateway}:{forwarder.address[1]}")


@pytest.fixture(scope="module")
def amqp_address() -> tuple[str, int]:
    """RabbitMQ's address from PRESSWATCH_TEST_AMQP (default 127.0.0.1:5672), once reachable."""
    raw = os.environ.get(AMQP_VAR, "").strip() or AMQP_DEFAULT
    parts = urlsplit(raw)
    address = (parts.hostname or "127.0.0.1", parts.port or 5672)
    try:
        socket.create_connection(address, timeout=5).close()
    except OSError as exc:
        hosts._service_unavailable(f"RabbitMQ at {address[0]}:{address[1]} ({AMQP_VAR}) "
                                   f"is unreachable: {exc}")
    return address


def test_a_host_gets_the_amqp_handshake_through_a_forwarder(
    cluster_hosts: Cluster, amqp_address: tuple[str, int]
) -> None:
    worker = cluster_hosts.add_host("worker")
    ip, port = cluster_hosts.forward(*amqp_address)
    done = worker.run([sys.executable, "-c", AMQP_HELLO, ip, str(port)], capture_output=True,
                      text=True, check=True)
    assert done.stdout == "1 0 10 10\n"  # a method frame on channel 0: Connection.Start


# --- the forwarder ----------------------------------------------------------------------


class _Echo(socketserver.BaseRequestHandler):
    """Echo each chunk back as it arrives, until EOF."""

    def handle(self) -> None:
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except ConnectionResetError:  # cut() resets our side too
            pass


class _EchoAtEof(socketserver.BaseRequestHandler):
    """Read everything until the client half-closes, then send it all back and close."""

    def handle(self) -> None:
        chunks = []
        while data := self.request.recv(65536):
            chunks.append(data)
        self.request.sendall(b"".join(chunks))


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    # The default backlog of 5 overflows under 50 simultaneous connects, and SYN-cookie
    # connections then get reset by the kernel: a test-server artefact, not the forwarder's.
    request_queue_size = 128


@pytest.fixture
def echo_server(request: pytest.FixtureRequest) -> Iterator[int]:
    """A loopback echo server (parametrized by handler class); yields its port."""
    handler = getattr(request, "param", _Echo)
    server = _EchoServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_cut_resets_open_connections_and_new_ones_work(cluster_hosts: Cluster,
                                                       echo_server: int) -> None:
    forwarder = cluster_hosts.forwarder("127.0.0.1", echo_server)
    clients = [socket.create_connection(forwarder.address, timeout=30) for _ in range(2)]
    try:
        for n, client in enumerate(clients):
            client.sendall(b"hello %d" % n)
            assert recv_exactly(client, 7) == b"hello %d" % n
        assert forwarder.connections == 2

        assert forwarder.cut() == 2

        assert forwarder.connections == 0
        for client in clients:
            with pytest.raises(ConnectionResetError):
                client.recv(1)
        with socket.create_connection(forwarder.address, timeout=30) as fresh:
            fresh.sendall(b"after the blip")
            assert recv_exactly(fresh, 14) == b"after the blip"
        assert forwarder.accepted == 3
    finally:
        for client in clients:
            client.close()


def test_cut_breaks_a_postgresql_session_and_a_new_one_works(cluster_hosts: Cluster,
                                                             pg_server_url: URL) -> None:
    import psycopg

    libpq_url = pg_server_url.set(drivername="postgresql").render_as_string(hide_password=False)
    forwarded = cluster_hosts.forward_url(libpq_url)
    with psycopg.connect(forwarded, connect_timeout=10, autocommit=True) as before:
        assert before.execute("select 41 + 1").fetchone() == (42,)
        assert cluster_hosts.cut() == 1
        with pytest.raises(psycopg.OperationalError):
            before.execute("select 1")
    with psycopg.connect(forwarded, connect_timeout=10) as after:
        assert after.execute("select 2").fetchone() == (2,)


@pytest.mark.parametrize("echo_server", [_EchoAtEof], indirect=True)
def test_many_concurrent_half_closed_connections_round_trip(cluster_hosts: Cluster,
                                                           echo_server: int) -> None:
    forwarder = cluster_hosts.forwarder("127.0.0.1", echo_server)

    def round_trip(n: int) -> bytes:
        payload = bytes([n]) * (256 * 1024 + n)
        with socket.create_connection(forwarder.address, timeout=60) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)  # the server answers only after our EOF
            answer = recv_exactly(sock, len(payload) + 1)  # +1: proves EOF follows
        assert answer == payload
        return answer

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(round_trip, range(50)))
    assert [len(a) for a in answers] == [256 * 1024 + n for n in range(50)]
    assert forwarder.accepted == 50
    wait_for(lambda: forwarder.connections == 0, "the forwarder to close finished pairs")


# --- processes --------------------------------------------------------------------------


def test_popen_pid_is_the_program_in_the_namespace(cluster_hosts: Cluster) -> None:
    worker = cluster_hosts.add_host("worker")
    proc = worker.popen(["sleep", "1000"])
    assert Path(f"/proc/{proc.pid}/cmdline").read_bytes() == b"sleep\x001000\x00"
    netns_inode = os.stat(f"/run/netns/{worker.netns}").st_ino
    assert os.stat(f"/proc/{proc.pid}/ns/net").st_ino == netns_inode
    assert os.getpgid(proc.pid) == proc.pid  # leads its own process group
    assert worker.pids() == [proc.pid]


def test_kill9_kills_exactly_that_process(cluster_hosts: Cluster) -> None:
    worker = cluster_hosts.add_host("worker")
    victim = worker.popen(["sleep", "1000"])
    bystander = worker.popen(["sleep", "1000"])
    parent = worker.popen(
        [sys.executable, "-c",
         "import subprocess; c = subprocess.Popen(['sleep', '1000']); print(c.pid, flush=True); "
         "c.wait()"],
        stdout=subprocess.PIPE, text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())

    assert worker.kill9(victim) == -9
    assert worker.kill9(parent) == -9  # its child lives on: not a group kill

    assert bystander.poll() is None
    assert alive(child)
    assert sorted(worker.pids()) == sorted([bystander.pid, child])


def test_run_returns_like_subprocess_run(cluster_hosts: Cluster) -> None:
    worker = cluster_hosts.add_host("worker")
    done = worker.run(["sh", "-c", "cat; echo err >&2; exit 3"], input="in\n",
                      capture_output=True, text=True, env={"X": "1"})
    assert (done.args, done.returncode, done.stdout, done.stderr) == (
        ["sh", "-c", "cat; echo err >&2; exit 3"], 3, "in\n", "err\n"
    )
    assert worker.run(["sh", "-c", 'printf %s "$X"'], env={"X": "41"}, capture_output=True,
                      text=True).stdout == "41"
    with pytest.raises(subprocess.CalledProcessError):
        worker.run(["false"], check=True)
    with pytest.raises(subprocess.TimeoutExpired):
        worker.run(["sleep", "1000"], timeout=0.5)
    assert worker.pids() == []


# --- teardown and availability ----------------------------------------------------------


def _assert_all_gone(token: str, bridge: str, pids: list[int]) -> None:
    assert [line for line in netns_list().splitlines() if line.startswith(f"pw-{token}-")] == []
    assert sorted(Path("/etc/netns").glob(f"pw-{token}-*")) == []
    assert not (hosts._STATE_DIR / token).exists()
    names = [line.split(":")[1].strip().split("@")[0] for line in link_list().splitlines()]
    assert [n for n in names if n == bridge or n.startswith(f"pwv{token}")] == []
    assert [pid for pid in pids if alive(pid)] == []
    assert [t.name for t in threading.enumerate() if t.name.startswith("forwarder-")] == []


@pytest.mark.usefixtures("cluster_hosts")  # only to skip where namespaces cannot be made
def test_teardown_removes_everything(echo_server: int) -> None:
    with Cluster() as cluster:
        site, worker = cluster.add_host("site"), cluster.add_host("worker")
        pids = [site.popen(["sleep", "1000"]).pid]
        escaped = worker.popen(  # leaves our process group: found by its namespace
            ["sh", "-c", "setsid sleep 1000 & echo $!; wait"], stdout=subprocess.PIPE, text=True
        )
        assert escaped.stdout is not None
        pids += [escaped.pid, int(escaped.stdout.readline())]
        held = socket.create_connection(cluster.forward("127.0.0.1", echo_server), timeout=30)
        token, bridge = cluster.token, cluster.bridge
        assert f"pw-{token}-site" in netns_list() and bridge in link_list()
    with held, pytest.raises(ConnectionResetError):  # the forwarder reset it on its way out
        held.recv(1)
    _assert_all_gone(token, bridge, pids)


@pytest.mark.usefixtures("cluster_hosts")  # only to skip where namespaces cannot be made
def test_teardown_runs_when_the_test_fails() -> None:
    with pytest.raises(ZeroDivisionError), Cluster() as cluster:
        pid = cluster.add_host("site").popen(["sleep", "1000"]).pid
        cluster.forward("127.0.0.1", 9)
        1 / 0  # the failing "test"
    _assert_all_gone(cluster.token, cluster.bridge, [pid])


ORPHAN = """
import time
from tests.cluster.hosts import Cluster
cluster = Cluster().start()
proc = cluster.add_host("orphan").popen(["sleep", "1000"])
print(cluster.token, cluster.bridge, proc.pid, flush=True)
time.sleep(1000)  # until SIGKILLed, before any teardown
"""


@pytest.mark.usefixtures("cluster_hosts")  # only to skip where namespaces cannot be made
def test_the_next_start_removes_a_cluster_whose_process_was_killed() -> None:
    owner = subprocess.Popen([sys.executable, "-c", ORPHAN], cwd=hosts.REPO,
                             stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    token, bridge, pid = owner.stdout.readline().split()
    owner.kill()
    owner.wait()
    assert f"pw-{token}-orphan" in netns_list() and alive(int(pid))  # left behind
    with Cluster():
        pass
    _assert_all_gone(token, bridge, [int(pid)])


def test_unavailable_without_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(ClusterUnavailable, match=r"need root \(euid is 1000\)"):
        Cluster().start()


def test_unavailable_skips_except_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no namespaces"):
        hosts._service_unavailable("no namespaces")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        hosts._service_unavailable("no namespaces")
