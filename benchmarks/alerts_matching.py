"""Alerts benchmark: what matching costs per new article, and how soon an alert reaches its webhook.

    .venv/bin/python benchmarks/alerts_matching.py --quick     # CI: 1,000 articles, 15 stories (~1.5 min)
    .venv/bin/python benchmarks/alerts_matching.py             # 5,000 articles, 60 stories per mode

(a) Matching. 50 watches (`--watches`) of the kinds people write — a word, "a phrase",
`a OR b`, `-word`, with and without `sources`, `agencies`, `languages`, `labels`, `updates`,
`digest` — over 20 sources that each had an `ok` run already (so nothing counts as a
backfill). One run's worth of new articles (`--articles`, default 5,000; generated
English press releases, `benchmarks/textgen.py`, one in ten an exact copy of an earlier one
on another source, some labelled UPDATED or PHOTO) is saved in batches of 500, which records
their alert events; then `Archive.match_alerts` — what `deliver` does before it sends —
matches every event against every watch and records the alerts and deliveries. Printed:
matching ms per article (the whole call: reading the events, the watches' tests, the
story look-ups and writes), the watches' tests alone (pure Python over the same articles),
saving ms per article for scale, and how many alerts were recorded. On SQLite, and on
PostgreSQL when `PRESSWATCH_TEST_PG` (or `--pg`) names a server (a fresh database, dropped).

(b) Delivery latency. `benchmarks/watch_server.py` serves `--sites` small press sites on
loopback; `presswatch serve` watches them every `--interval` seconds (default politeness)
with five watches, one of which matches every release, all notifying one loopback webhook
(`json://`). After every source's first (backfill) run, `--stories` releases are published
at random times over `--window` seconds; the benchmark waits until every one has been
alerted and nothing is pending. Printed: the delay from each story's save in the archive
(`articles.first_seen_at`) to the webhook receiving its alert, p50/p95/max over every alert,
and, for scale, from publication to the webhook (that includes waiting for the next check).
The same again with `serve --broker` and one `presswatch worker` (PostgreSQL and RabbitMQ:
`PRESSWATCH_TEST_PG`, `PRESSWATCH_TEST_AMQP` or `--pg`/`--amqp`; a fresh database and
virtual host), where the active scheduler delivers on its 2 s poll; `--no-broker` skips it.

Figures only: the exit status is non-zero when the benchmark itself breaks (a service exits,
an alert does not come within the window plus two intervals plus a minute), never for speed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import textgen  # noqa: E402  (benchmarks/ is this script's directory)
from measure import log_tail, work_directory  # noqa: E402
from scale_out import fresh_database, fresh_queues, percentile, private_vhost, start_process  # noqa: E402
from sqlalchemy import create_engine, func, select  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402
from watch_scale import PRESSWATCH, Broken, config_text, progress, site_server, stop_service  # noqa: E402
from watch_scale import Options as SiteOptions  # noqa: E402

from presswatch.crawler import watches as watch_module  # noqa: E402
from presswatch.crawler.config import parse_config  # noqa: E402
from presswatch.scheduler.alerts import rules  # noqa: E402
from presswatch.storage import ArticleIn, RunCounts, open_archive  # noqa: E402
from presswatch.storage.alerts import AlertArticle  # noqa: E402
from presswatch.storage.models import Alert, AlertDelivery, AlertEvent, ArticleRow, CrawlRun  # noqa: E402

SOURCES = 20
BATCH = 500
AGENCIES = (*textgen.REPORTS_AGENCIES, *textgen.DATELINE_AGENCIES)
NOWHERE = "json://127.0.0.1:9/hook"  # matching only: nothing is sent in (a)
TARGET_MATCH_MS = 1.0
TARGET_P95_S = 5.0
BACKFILL_LIMIT = 180.0
EVERY = "every-release"


# --- (a) matching ---------------------------------------------------------------------------


def source_names() -> list[str]:
    return [f"wire-{n:02d}" for n in range(SOURCES)]


def watch_tables(count: int, seed: int) -> list[dict[str, Any]]:
    """`count` watches of varied shapes, deterministic for `seed`."""
    rng = random.Random(seed)
    names = source_names()
    org = lambda: rng.choice(textgen.ORGS).removeprefix("the ")  # noqa: E731

    def quote_words() -> str:
        words = rng.choice(textgen.QUOTES).split()
        at = rng.randrange(len(words) - 2)
        return " ".join(words[at : at + 3])

    topic, city, country = (lambda: rng.choice(textgen.TOPICS), lambda: rng.choice(textgen.CITIES),
                            lambda: rng.choice(textgen.COUNTRIES))
    shapes: list[Callable[[], dict[str, Any]]] = [
        lambda: {"query": f'"{topic()}" "{org()}" {city()}'},
        lambda: {"query": f'"{topic()}" OR "{topic()}" {country()} {city()}', "languages": ["en"]},
        lambda: {"query": f"{country()} {city()} {rng.choice(textgen.MONTHS)} -{country()}"},
        lambda: {"query": f'"{org()}" tender {city()}', "digest": "1h"},
        lambda: {"query": f"{city()} OR {city()}", "sources": rng.sample(names, 2)},
        lambda: {"query": f'"{rng.choice(textgen.PEOPLE)}" "{topic()}"', "agencies": rng.sample(AGENCIES, 2)},
        lambda: {"query": f'"{topic()}" memorandum', "labels": ["UPDATED"], "updates": True},
        lambda: {"query": f'"{quote_words()}" {country()}'},
        lambda: {"sources": [rng.choice(names)], "labels": ["PHOTO"]},  # no query: one source's photo stories
        lambda: {"query": f'"{topic()}" {" ".join(rng.sample(textgen.COUNTRIES, 2))} -"{org()}"',
                 "sources": rng.sample(names, 5)},
    ]
    return [{"name": f"watch-{n:02d}", "notify": [NOWHERE], **shapes[n % len(shapes)]()} for n in range(count)]


def new_articles(count: int, seed: int) -> list[ArticleIn]:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    articles: list[ArticleIn] = []
    for i in range(count):
        source = f"wire-{rng.randrange(SOURCES):02d}"
        if i >= 20 and rng.random() < 0.1:  # a copy of an earlier release on another site: one story
            original = articles[rng.randrange(i)]
            headline, body = original.headline, original.body
        else:
            headline, body = textgen.headline(rng), "\n\n".join(textgen.paragraphs(rng, rng.randint(3, 5)))
        labels = ("UPDATED",) if rng.random() < 0.1 else ("PHOTO",) if rng.random() < 0.05 else ()
        url = f"https://{source}.example/news/{i}-{textgen.slugify(headline or '', 6)}"
        articles.append(ArticleIn(
            url=url, source_name=source, headline=headline, labels=labels,
            published_at=now - timedelta(minutes=count - i), modified_at=None,
            source=rng.choice(AGENCIES) if rng.random() < 0.6 else source, publisher=source, body=body,
            language="en" if rng.random() < 0.9 else rng.choice(("de", "ru")), authors=(), date_raw=None,
            date_precision="second", date_method="synthetic", source_evidence=None,
        ))
    return articles


def matching(url: str, label: str, count: int, watches: int, seed: int) -> dict[str, Any]:
    config = parse_config({
        "sources": [{"name": name, "start_urls": [f"https://{name}.example/news"]} for name in source_names()],
        "watches": watch_tables(watches, seed),
    })
    watch_rules = rules(config.watches)
    articles = new_articles(count, seed)
    with open_archive(url) as archive:
        for name in source_names():  # each source had a completed run: its articles are news, not backfill
            archive.finish_run(archive.start_run(name), "ok", RunCounts())
        archive.register_watches([w.name for w in config.watches])
        progress(f"{label}: saving {count:,} articles (their alert events recorded with them)")
        began = time.perf_counter()
        for start in range(0, count, BATCH):
            archive.save_articles(articles[start : start + BATCH])
        saving = time.perf_counter() - began
        with archive.engine.connect() as connection:
            events = connection.scalar(select(func.count()).select_from(AlertEvent)) or 0
        tests = watch_tests(articles, watch_rules)
        progress(f"{label}: matching {events:,} events against {watches} watches")
        forget_words()
        began = time.perf_counter()
        recorded = archive.match_alerts(watch_rules)
        matched = time.perf_counter() - began
        with archive.engine.connect() as connection:
            deliveries = connection.scalar(select(func.count()).select_from(AlertDelivery)) or 0
            stories = connection.scalar(select(func.count(func.distinct(Alert.article_id)))) or 0
    return {
        "database": label, "articles": count, "events": events, "watches": watches,
        "save_ms_per_article": 1000 * saving / count,
        "match_ms_per_article": 1000 * matched / count,
        "watch_tests_ms_per_article": 1000 * tests / count,
        "alerts": recorded, "deliveries": deliveries, "articles_alerted_share": stories / count,
    }


def watch_tests(articles: list[ArticleIn], watch_rules: list[Any]) -> float:
    """Seconds for every watch's test on every article, in Python alone (no database)."""
    fields = [AlertArticle(a.source_name, a.source, a.language, a.labels, a.headline, a.body) for a in articles]
    forget_words()
    began = time.perf_counter()
    for article in fields:
        for rule in watch_rules:
            rule.matches(article)
    return time.perf_counter() - began


def forget_words() -> None:
    """Each pass starts cold: the words an earlier pass read are forgotten (a build without the cache has none)."""
    cached = getattr(watch_module, "article_text", None)
    if cached is not None:
        cached.cache_clear()


# --- (b) delivery latency ---------------------------------------------------------------------


@dataclass
class Receiver:
    """A webhook on 127.0.0.1 that keeps (arrival Unix time, alert title) of every POST."""

    received: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append((time.time(), json.loads(body or b"{}").get("title", "")))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="webhook", daemon=True).start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def latency_watches(hook: str) -> str:
    """Five watches on one webhook; the first matches every release (watch_server's lead paragraph)."""
    queries = [(EVERY, '"issued its release"'), ("hydrogen", '"green hydrogen" OR "renewable energy"'),
               ("socar", "SOCAR -tender"), ("baku-rail", "Baku railway"), ("zeppelin", "zeppelin")]
    return "".join(f'\n[[watches]]\nname = "{name}"\nquery = \'{query}\'\nnotify = ["{hook}"]\n'
                   for name, query in queries)


@dataclass
class Mode:
    """One way of running presswatch for (b): `serve` on SQLite, or `serve --broker` with a worker."""

    name: str
    db: str
    commands: list[tuple[str, list[str]]]  # (log name, command), started in this order
    ready: str  # what the first command logs once its archive is open


def local_mode(workdir: Path, presswatch: Path, config: Path) -> Mode:
    db = f"sqlite:///{workdir / 'latency.db'}"
    return Mode("serve", db, [("serve", [str(presswatch), "serve", "--config", str(config), "--db", db])],
                "serving")


def broker_mode(db: str, amqp: str, presswatch: Path, config: Path) -> Mode:
    return Mode("serve --broker", db, [
        ("serve-broker", [str(presswatch), "serve", "--broker", amqp, "--config", str(config), "--db", db]),
        ("worker", [str(presswatch), "worker", "--broker", amqp, "--db", db]),
    ], "active scheduler")


def delivery_latency(mode_for: Any, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Run one mode against the sites and the webhook; the latency figures."""
    rng = random.Random(args.seed)
    site = SiteOptions(sources=args.sites, interval=args.interval, window=args.window, seed=args.seed, releases=3,
                       presswatch=args.presswatch, crawl=(), service=(), max_rss_gb=8.0, json=None, workdir=None)
    receiver = Receiver()
    processes: list[tuple[str, Any, Path]] = []
    try:
        with site_server(site, workdir / "sites.log") as server:
            config = workdir / "sources.toml"
            config.write_text(config_text(site, server.port) + latency_watches(receiver.url), encoding="utf-8")
            mode: Mode = mode_for(config)
            progress(f"{mode.name}: starting; {args.sites} sites every {args.interval} s")
            for name, command in mode.commands:
                log = workdir / f"{name}.log"
                processes.append((name, start_process(command, log, workdir), log))
            first_log = processes[0][2]
            wait(lambda: mode.ready in first_log.read_text(encoding="utf-8", errors="replace"), BACKFILL_LIMIT,
                 f"{mode.commands[0][0]} to start", processes)
            engine = create_engine(mode.db, poolclass=NullPool)
            try:
                wait(lambda: count(engine, select(func.count(func.distinct(CrawlRun.source)))
                                   .where(CrawlRun.status == "ok")) >= args.sites,
                     BACKFILL_LIMIT, "every site's first (backfill) run", processes)
                progress(f"{mode.name}: backfill done; publishing {args.stories} stories over {args.window:g} s")
                published = publish(server, rng, args)
                wait(lambda: delivered(receiver, engine, args.stories), 2 * args.interval + 60.0,
                     "every story's alert", processes)
                with engine.connect() as connection:
                    archived = connection.execute(select(ArticleRow.headline, ArticleRow.url, ArticleRow.first_seen_at)).all()
            finally:
                engine.dispose()
    finally:
        stops = [stop_service(process) for _, process, _ in reversed(processes)]
        receiver.close()
    return figures(mode.name, receiver.received, archived, published, stops)


def publish(server: Any, rng: random.Random, args: argparse.Namespace) -> dict[str, float]:
    """Publish the stories at random times over the window: {url: publication Unix time}."""
    start = time.monotonic()
    published = {}
    for at in sorted(rng.uniform(0, args.window) for _ in range(args.stories)):
        time.sleep(max(0.0, start + at - time.monotonic()))
        release = server.publish(rng.randrange(args.sites))
        published[release.url] = release.published
    return published


def delivered(receiver: Receiver, engine: Any, stories: int) -> bool:
    if sum(title.startswith(f"[{EVERY}] ") for _, title in receiver.received) < stories:
        return False
    pending = select(func.count()).select_from(AlertDelivery).where(AlertDelivery.status == "pending")
    return count(engine, select(func.count()).select_from(AlertEvent)) == 0 and count(engine, pending) == 0


def count(engine: Any, query: Any) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(query) or 0)


def wait(condition: Any, limit: float, what: str, processes: list[tuple[str, Any, Path]]) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        for name, process, log in processes:
            if process.poll() is not None:
                raise Broken(f"{name} exited early (exit {process.returncode}); log tail:\n{log_tail(log, 15)}")
        if time.monotonic() > deadline:
            raise Broken(f"no {what} within {limit:.0f} s")
        time.sleep(0.2)


def figures(mode: str, received: list[tuple[float, str]], archived: Sequence[Any], published: dict[str, float],
            stops: list[dict[str, Any]]) -> dict[str, Any]:
    """Per alert: arrival - its story's save; per story (the every-release watch): arrival - publication."""
    saved = {row.headline: (row.url, row.first_seen_at.timestamp()) for row in archived if row.headline}
    delays, end_to_end = [], []
    for arrived, title in received:
        url, saved_at = saved[title.split("] ", 1)[1]]
        delays.append(arrived - saved_at)
        if title.startswith(f"[{EVERY}] ") and url in published:
            end_to_end.append(arrived - published[url])
    return {
        "mode": mode, "stories": len(published), "alerts": len(received),
        "p50_s": statistics.median(delays), "p95_s": percentile(delays, 0.95), "max_s": max(delays),
        "published_to_webhook_p50_s": statistics.median(end_to_end) if end_to_end else None,
        "exit_codes": [stop["exit"] for stop in stops],
    }


# --- report ----------------------------------------------------------------------------------


def print_matching(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    first = rows[0]
    print(f"(a) matching: {first['articles']:,} new articles in one run, {first['watches']} watches")
    keys = [("match_ms_per_article", "{:.3f}", f"target <= {TARGET_MATCH_MS:g} ms"),
            ("watch_tests_ms_per_article", "{:.3f}", "the watches' tests alone, Python"),
            ("save_ms_per_article", "{:.3f}", "saving, events included (for scale)"),
            ("events", "{:,}", ""), ("alerts", "{:,}", ""), ("deliveries", "{:,}", ""),
            ("articles_alerted_share", "{:.1%}", "")]
    print(f"  {'':28}" + "".join(f"{row['database']:>14}" for row in rows))
    for key, fmt, note in keys:
        print(f"  {key:28}" + "".join(f"{fmt.format(row[key]):>14}" for row in rows) + (f"   {note}" if note else ""))


def print_latency(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    print("(b) delivery latency: archive save (articles.first_seen_at) -> webhook received, over every alert")
    keys = [("stories", "{:,}", ""), ("alerts", "{:,}", ""), ("p50_s", "{:.2f}", ""),
            ("p95_s", "{:.2f}", f"target <= {TARGET_P95_S:g} s"), ("max_s", "{:.2f}", ""),
            ("published_to_webhook_p50_s", "{:.1f}", "includes waiting for the next check")]
    print(f"  {'':28}" + "".join(f"{row['mode']:>16}" for row in rows))
    for key, fmt, note in keys:
        cells = (fmt.format(row[key]) if row.get(key) is not None else "-" for row in rows)
        print(f"  {key:28}" + "".join(f"{cell:>16}" for cell in cells) + (f"   {note}" if note else ""))


# --- main ------------------------------------------------------------------------------------


@contextmanager
def pg_database(server: str) -> Iterator[str]:
    with fresh_database(server) as (url, _):
        yield url


def run(args: argparse.Namespace, workdir: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    matched: list[dict[str, Any]] = []
    latencies: list[dict[str, Any]] = []
    if not args.no_matching:
        matched.append(matching(f"sqlite:///{workdir / 'matching.db'}", "sqlite", args.articles, args.watches,
                                args.seed))
        if args.pg:
            with pg_database(args.pg) as url:
                matched.append(matching(url, "postgresql", args.articles, args.watches, args.seed))
        else:
            progress("PostgreSQL matching skipped: set PRESSWATCH_TEST_PG or --pg")
    if args.no_latency:
        return matched, latencies
    local = workdir / "serve"
    local.mkdir(exist_ok=True)
    latencies.append(delivery_latency(lambda config: local_mode(local, args.presswatch, config), local, args))
    if args.no_broker or not (args.pg and args.amqp):
        progress("serve --broker skipped" + ("" if args.no_broker else ": set PRESSWATCH_TEST_PG and "
                                                                       "PRESSWATCH_TEST_AMQP (or --pg, --amqp)"))
        return matched, latencies
    cluster = workdir / "broker"
    cluster.mkdir(exist_ok=True)
    with ExitStack() as stack:
        db = stack.enter_context(pg_database(args.pg))
        amqp = stack.enter_context(private_vhost(args.amqp)) or args.amqp
        stack.enter_context(fresh_queues(amqp))
        latencies.append(delivery_latency(lambda config: broker_mode(db, amqp, args.presswatch, config), cluster,
                                          args))
    return matched, latencies


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="CI: 1,000 articles; 5 sites every 5 s, 15 stories over 20 s per mode")
    parser.add_argument("--articles", type=int, help="new articles matched (default 5,000; --quick 1,000)")
    parser.add_argument("--watches", type=int, default=50)
    parser.add_argument("--sites", type=int, help="press sites served for (b) (default 10; --quick 5)")
    parser.add_argument("--interval", type=int, help="seconds between checks of a site (default 10; --quick 5)")
    parser.add_argument("--stories", type=int, help="stories published in (b) (default 60; --quick 15)")
    parser.add_argument("--window", type=float, help="seconds they are published over (default 120; --quick 20)")
    parser.add_argument("--pg", default=os.environ.get("PRESSWATCH_TEST_PG", ""), help="PostgreSQL server URL")
    parser.add_argument("--amqp", default=os.environ.get("PRESSWATCH_TEST_AMQP", ""), help="RabbitMQ URL")
    parser.add_argument("--no-broker", action="store_true", help="(b) with `serve` only")
    parser.add_argument("--no-matching", action="store_true", help="skip (a)")
    parser.add_argument("--no-latency", action="store_true", help="skip (b)")
    parser.add_argument("--presswatch", type=Path, default=PRESSWATCH)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep archives, config and logs here")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.articles = args.articles or (1_000 if args.quick else 5_000)
    args.sites = args.sites or (5 if args.quick else 10)
    args.interval = args.interval or (5 if args.quick else 10)
    args.stories = args.stories or (15 if args.quick else 60)
    args.window = args.window or (20.0 if args.quick else 120.0)
    load_before = os.getloadavg()[0]
    try:
        with work_directory(args.workdir, prefix="presswatch-alerts-") as workdir:
            matched, latencies = run(args, workdir)
    except Broken as exc:
        print(f"alerts_matching: {exc}", file=sys.stderr)
        return 1
    print_matching(matched)
    print_latency(latencies)
    print(f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, {os.cpu_count()} CPUs")
    if args.json:
        args.json.write_text(json.dumps({"matching": matched, "latency": latencies}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
