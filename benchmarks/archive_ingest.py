"""Archive benchmark: ingest rate, full-text search latency, near-duplicate lookup, size.

    .venv/bin/python benchmarks/archive_ingest.py --quick            # CI: 2,000 articles per database
    .venv/bin/python benchmarks/archive_ingest.py --json benchmarks/out/archive-full.json
                                                                     # 1,000,000 on each database
    .venv/bin/python benchmarks/archive_ingest.py --articles 200000 --pg-articles 200000

Synthetic articles (deterministic, ``--seed``): a Zipf-distributed vocabulary of
30,000 made-up words, ~280-word bodies in four paragraphs, a small HTML page
around each (kept compressed in ``raw_pages`` as a crawl would), 20 sources; one
article in ten is an edited copy of a recent one on another source (a new
dateline, a changed sentence, another headline) and one in fifty an exact copy.

Ingest is timed around the archive's write API only (generation and parsing
excluded; dedupe levels 1–3, full-text indexing and raw pages included):
``ingest_per_s`` streams batches of 500 through ``Archive.save_batches`` (the
next batches are normalised, hashed, signed and compressed in a worker process while
one is written), ``ingest_first_100k_per_s`` the same over the first 100,000 only (the
rate must hold as the archive grows); ``save_articles_per_s`` is plain ``Archive.save_articles``
calls (batches of 500, one thread) into a fresh archive of up to 10,000. Then, on the SQLite
archive: ``Archive.search`` latency over two-word queries (p50/p95), the near-duplicate lookup of a new article
(signature + the one candidate query + verification) for edited copies and new
texts, with recall and false matches, and the archive size per 1,000 articles.
Then the labelled dedupe-quality cases (``dedupe_quality``): archived articles
re-posted with 10, 20, 30 or 40 % of their words rewritten (an update under the
same headline with a run of sentences anywhere rewritten, and a reprint under
another headline with its closing sentences rewritten): recall per edit share;
and pairs of different releases on one template (the same opening phrase and
"about"/contact boilerplate, 20–50 % of the text; a third of them under the same
recurring headline, a third opening with the same 27 words): false merges.
PostgreSQL runs when ``PRESSWATCH_TEST_PG`` (or ``--pg``) names a server: a
fresh database is created and dropped. Prints one table; ``--json`` writes it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from measure import work_directory  # noqa: E402  (benchmarks/ is this script's directory)
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from presswatch.storage import ArticleFilter, ArticleIn, open_archive  # noqa: E402
from presswatch.storage.dedupe import NewArticle, find_matches  # noqa: E402
from presswatch.storage.hashing import Fingerprint  # noqa: E402
from presswatch.storage.neardup import signature_of_words  # noqa: E402

T0 = datetime(2024, 1, 1, tzinfo=UTC)
VOCABULARY = 30_000
SOURCES = 20
BATCH = 500
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"] + ["an", "er", "is", "on", "ul"]
BOILERPLATE = "<nav>" + " ".join(f"<a href='/s/{n}'>Section {n}</a>" for n in range(40)) + "</nav>"


class Corpus:
    """Deterministic synthetic articles: article ``i`` is the same on every run."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(seed)
        words: set[str] = set()
        while len(words) < VOCABULARY:
            words.add("".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))))
        self.words = sorted(words, key=lambda w: (len(w), w))
        rng.shuffle(self.words)
        self.cum_weights = list(_cumulative(1 / (rank + 1) ** 1.05 for rank in range(VOCABULARY)))
        self.seed = seed

    def body(self, i: int) -> str:
        rng = random.Random(self.seed * 10_000_019 + i)
        return "\n\n".join(self.paragraph(rng) for _ in range(4))

    def headline(self, i: int) -> str:
        rng = random.Random(self.seed * 7_000_003 + i)
        return " ".join(rng.choices(self.words, cum_weights=self.cum_weights, k=8)).capitalize()

    def paragraph(self, rng: random.Random) -> str:
        return " ".join(self.sentence(rng, rng.randint(9, 16)) for _ in range(rng.randint(4, 6)))

    def sentence(self, rng: random.Random, words: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.cum_weights, k=words)).capitalize() + "."

    def article(self, i: int) -> ArticleIn:
        """Article ``i``: new, or every 10th an edited copy and every 50th an exact copy."""
        source = f"source-{i % SOURCES:02d}"
        body, headline = self.body(i), self.headline(i)
        if i >= 100 and i % 10 == 3:
            original = i - 1 - (i % 97)
            body = edited(self.body(original), f"CITY, {i % 28 + 1} March.", i)
        elif i >= 100 and i % 50 == 7:
            body = self.body(i - 1 - (i % 89))
        return make_article(i, source, headline, body)


def _cumulative(values: Iterator[float] | Any) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


def edited(body: str, dateline: str, salt: int) -> str:
    """A republished copy: a dateline in front and one sentence of one paragraph changed."""
    paragraphs = body.split("\n\n")
    which = salt % len(paragraphs)
    sentences = paragraphs[which].split(". ")
    sentences[salt % len(sentences)] = "The statement was confirmed by the press office"
    paragraphs[which] = ". ".join(sentences)
    return f"{dateline} " + "\n\n".join(paragraphs)


def make_article(i: int, source: str, headline: str, body: str) -> ArticleIn:
    url = f"https://{source}.example/news/{i}-{headline.split()[0].lower()}"
    html = (
        f"<!doctype html><html><head><title>{headline}</title></head><body>{BOILERPLATE}"
        f"<article><h1>{headline}</h1>"
        + "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
        + "</article></body></html>"
    ).encode()
    return ArticleIn(
        url=url, source_name=source, headline=headline, labels=(),
        published_at=T0 + timedelta(seconds=30 * i), modified_at=None, source=source.upper(),
        publisher=source, body=body, language="en", authors=(), date_raw=None,
        date_precision="second", date_method="synthetic", source_evidence=None,
        fetched_url=url, html=html, parser_version="bench",
    )


@dataclass
class IngestResult:
    articles: int
    seconds: float
    outcomes: dict[str, int]
    first_100k_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.articles / self.seconds


def ingest(url: str, corpus: Corpus, count: int, progress: bool, *, stream: bool) -> IngestResult:
    """Save articles 0..count-1 in batches of 500; only the saving is timed.

    ``stream``: ``Archive.save_batches`` (the next batch is prepared in a worker
    thread while one is written), over generated chunks of 40 batches; else one
    ``Archive.save_articles`` call per batch.
    """
    outcomes: dict[str, int] = {}
    elapsed = 0.0
    first_100k: float | None = None
    chunk = BATCH * (40 if stream else 1)
    with open_archive(url) as archive:
        for start in range(0, count, chunk):
            articles = [corpus.article(i) for i in range(start, min(count, start + chunk))]
            batches = [articles[n : n + BATCH] for n in range(0, len(articles), BATCH)]
            began = time.perf_counter()
            if stream:
                saved = [r for results in archive.save_batches(batches) for r in results]
            else:
                saved = archive.save_articles(batches[0])
            elapsed += time.perf_counter() - began
            for result in saved:
                outcomes[result.outcome.value] = outcomes.get(result.outcome.value, 0) + 1
            done = start + len(articles)
            if done == 100_000:
                first_100k = elapsed
            if progress and (not stream and (start // BATCH) % 20 == 0 or stream):
                print(f"\r  {done:,} articles, {done / elapsed:,.0f}/s", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)
    return IngestResult(count, elapsed, outcomes, first_100k)


def batch_rate(url: str, corpus: Corpus, count: int) -> float:
    """Articles/s of plain ``save_articles`` batches into a fresh archive (no worker thread)."""
    return ingest(url, corpus, count, progress=False, stream=False).rate


def search_latency(url: str, corpus: Corpus, queries: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    timings, hits = [], []
    with open_archive(url) as archive:
        for n in range(queries):
            terms = " ".join(rng.sample(corpus.words[50:3000], 2))
            where = ArticleFilter(source_name=f"source-{n % SOURCES:02d}") if n % 4 == 0 else ArticleFilter()
            began = time.perf_counter()
            found = archive.search(terms, where, limit=20)
            timings.append(time.perf_counter() - began)
            hits.append(len(found))
    return {
        "search_p50_ms": 1000 * statistics.median(timings),
        "search_p95_ms": 1000 * statistics.quantiles(timings, n=20)[-1],
        "search_mean_hits": statistics.mean(hits),
    }


def neardup_lookup(url: str, corpus: Corpus, archived: int, probes: int) -> dict[str, float]:
    """Time the level-3 lookup of new texts: edited copies of archived articles, and new ones."""
    timings, found_copies, false_matches = [], 0, 0
    with open_archive(url) as archive, archive.engine.connect() as connection:
        for n in range(probes):
            is_copy = n % 2 == 0
            if is_copy:
                original = _archived_original(corpus, (n * 7919) % archived)
                body = edited(corpus.body(original), "PROBE, 1 April.", n + 1)
            else:
                body = corpus.body(archived + 1_000_000 + n)
            began = time.perf_counter()
            fingerprint = Fingerprint.of(None, body)
            probe = NewArticle.signed(-1, None, False, signature_of_words(fingerprint.words))
            matches = find_matches(connection, probe)
            timings.append(time.perf_counter() - began)
            if is_copy:
                found_copies += bool(matches)
            else:
                false_matches += bool(matches)
    return {
        "neardup_lookup_p50_ms": 1000 * statistics.median(timings),
        "neardup_lookup_mean_ms": 1000 * statistics.mean(timings),
        "neardup_recall": found_copies / (probes // 2),
        "neardup_false_match_rate": false_matches / (probes - probes // 2),
    }


EDIT_SHARES = (10, 20, 30, 40)
BOILERPLATE_SHARES = (20, 30, 40, 50)


def rewritten(corpus: Corpus, body: str, share: int, rng: random.Random, *, closing: bool) -> str:
    """``body`` with a run of whole sentences holding ``share`` % of its words rewritten
    (new sentences of the same lengths): its closing sentences, or a run anywhere."""
    sentences = [(n, s) for n, p in enumerate(body.split("\n\n")) for s in p.split(". ")]
    lengths = [len(s.split()) for _, s in sentences]
    target = share / 100 * sum(lengths)
    start = len(sentences) if closing else rng.randrange(len(sentences))
    end = start
    while sum(lengths[start:end]) < target:  # grow forward, then backward at the end
        if end < len(sentences) and not closing:
            end += 1
        else:
            start -= 1
    out: dict[int, list[str]] = {}
    for i, (paragraph, sentence) in enumerate(sentences):
        if start <= i < end:
            sentence = corpus.sentence(rng, lengths[i])[: None if sentence.endswith(".") else -1]
        out.setdefault(paragraph, []).append(sentence)
    return "\n\n".join(". ".join(parts) for parts in out.values())


def template_release(corpus: Corpus, template: int, share: int, rng: random.Random, *,
                     long_opening: bool = False) -> str:
    """A release on template ``template``: its fixed opening phrase (13 words, or 27) and
    closing boilerplate ("about" paragraph and contacts; ``share`` % of the words in all)
    around new paragraphs."""
    fixed = random.Random(template)
    company = corpus.sentence(fixed, 3).rstrip(".")
    opening = f"CITY, {template % 28 + 1} May. {company}, a leading provider of services, today announced"
    if long_opening:
        opening += " " + corpus.sentence(fixed, 14).lower()
    boilerplate = f"About {company}. " + " ".join(corpus.sentence(fixed, 12) for _ in range(12))
    about = boilerplate.split()
    own_words = 280 * (100 - share) // 100
    about_words = 280 * share // 100 - len(opening.split())
    paragraphs = []
    while sum(len(p.split()) for p in paragraphs) < own_words:
        paragraphs.append(corpus.paragraph(rng))
    own = " ".join(" ".join(paragraphs).split()[:own_words])
    return f"{opening} {own}\n\n" + " ".join(about[:max(about_words, 12)]) + "\n\nContact: press office."


def dedupe_quality(url: str, corpus: Corpus, archived: int, cases: int) -> dict[str, float]:
    """The labelled cases: re-posted edited copies (recall by edit share) and different
    releases sharing a template (false merges), through the archive's save path."""
    rng = random.Random(corpus.seed)
    figures: dict[str, float] = {}
    with open_archive(url) as archive:
        for share in EDIT_SHARES:
            found = 0
            for n in range(cases):
                original = _archived_original(corpus, (n * 7919 + share * 131) % archived)
                closing = n % 2 == 1
                body = rewritten(corpus, corpus.body(original), share, rng, closing=closing)
                headline = corpus.headline(original) if not closing else f"Reprint {n}: {corpus.headline(n)}"
                saved = archive.save_article(make_article(10_000_000 + share * cases + n,
                                                          "reposts", headline, body))
                found += saved.group_id is not None
            figures[f"dedupe_recall_edit_{share}"] = found / cases
        merges = 0
        for n in range(cases):
            share = BOILERPLATE_SHARES[n // 3 % len(BOILERPLATE_SHARES)]
            headlines = [f"Template {n} weekly market update"] * 2 if n % 3 == 1 else [
                corpus.headline(20_000_000 + n), corpus.headline(21_000_000 + n)]
            first, second = (
                make_article(22_000_000 + 2 * n + k, f"template-{n}", headlines[k],
                             template_release(corpus, n, share, rng, long_opening=n % 3 == 2))
                for k in range(2)
            )
            archive.save_article(first)
            merges += archive.save_article(second).group_id is not None
        figures["dedupe_template_pairs"] = cases
        figures["dedupe_false_merges"] = merges
    return figures


def _archived_original(corpus: Corpus, index: int) -> int:
    """An archived article whose body is its own (copies in the corpus hold another's body)."""
    while index % 10 == 3 or index % 50 == 7:
        index += 1
    return index


def groups(url: str) -> dict[str, int]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            count, members = connection.execute(
                text("SELECT count(*), coalesce(sum(size), 0) FROM duplicate_groups")
            ).one()
    finally:
        engine.dispose()
    return {"duplicate_groups": int(count), "grouped_articles": int(members)}


def sqlite_size(path: Path) -> int:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def pg_size(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT pg_database_size(current_database())")))
    finally:
        engine.dispose()


def run_sqlite(workdir: Path, corpus: Corpus, count: int, args: argparse.Namespace) -> dict[str, Any]:
    path = workdir / "archive.db"
    url = f"sqlite:///{path}"
    small = workdir / "batches.db"
    print(f"SQLite: {min(count, 10_000):,} articles with save_articles", file=sys.stderr)
    plain = batch_rate(f"sqlite:///{small}", corpus, min(count, 10_000))
    for leftover in workdir.glob("batches.db*"):
        leftover.unlink()
    print(f"SQLite: ingesting {count:,} articles into {path}", file=sys.stderr)
    result = ingest(url, corpus, count, progress=not args.quiet, stream=True)
    size = sqlite_size(path)
    figures: dict[str, Any] = {
        "database": "sqlite", "articles": count, "ingest_per_s": result.rate,
        "save_articles_per_s": plain,
        "ingest_first_100k_per_s": 100_000 / result.first_100k_seconds
        if result.first_100k_seconds else None,
        "ingest_seconds": result.seconds, "outcomes": result.outcomes,
        "bytes_per_1k_articles": size * 1000 / count, **groups(url),
    }
    print("SQLite: search and near-duplicate lookups", file=sys.stderr)
    figures.update(search_latency(url, corpus, args.queries, args.seed))
    figures.update(neardup_lookup(url, corpus, count, args.probes))
    figures.update(dedupe_quality(url, corpus, count, args.cases))
    return figures


def run_postgresql(server: str, corpus: Corpus, count: int, args: argparse.Namespace) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    admin_url = make_url(server).set(drivername="postgresql+psycopg")
    name = f"presswatch_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}_b"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        print(f"PostgreSQL: {min(count, 10_000):,} articles with save_articles", file=sys.stderr)
        plain_url = admin_url.set(database=f"{name}_b").render_as_string(hide_password=False)
        plain = batch_rate(plain_url, corpus, min(count, 10_000))
        print(f"PostgreSQL: ingesting {count:,} articles into {name}", file=sys.stderr)
        result = ingest(url, corpus, count, progress=not args.quiet, stream=True)
        figures: dict[str, Any] = {
            "database": "postgresql", "articles": count, "ingest_per_s": result.rate,
            "save_articles_per_s": plain,
            "ingest_first_100k_per_s": 100_000 / result.first_100k_seconds
            if result.first_100k_seconds else None,
            "ingest_seconds": result.seconds, "outcomes": result.outcomes,
            "bytes_per_1k_articles": pg_size(url) * 1000 / count, **groups(url),
        }
        figures.update(search_latency(url, corpus, min(args.queries, 100), args.seed))
        figures.update(neardup_lookup(url, corpus, count, min(args.probes, 200)))
        figures.update(dedupe_quality(url, corpus, count, min(args.cases, 40)))
        return figures
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}_b" WITH (FORCE)')
        admin.dispose()


def print_table(rows: list[dict[str, Any]]) -> None:
    keys = [
        ("articles", "{:,}"), ("ingest_per_s", "{:,.0f}"), ("save_articles_per_s", "{:,.0f}"),
        ("ingest_first_100k_per_s", "{:,.0f}"), ("search_p50_ms", "{:.1f}"),
        ("search_p95_ms", "{:.1f}"), ("search_mean_hits", "{:.1f}"),
        ("neardup_lookup_p50_ms", "{:.2f}"), ("neardup_lookup_mean_ms", "{:.2f}"),
        ("neardup_recall", "{:.3f}"), ("neardup_false_match_rate", "{:.3f}"),
        *((f"dedupe_recall_edit_{share}", "{:.3f}") for share in EDIT_SHARES),
        ("dedupe_template_pairs", "{:,}"), ("dedupe_false_merges", "{:,}"),
        ("duplicate_groups", "{:,}"), ("bytes_per_1k_articles", "{:,.0f}"),
    ]
    print(f"{'':28}" + "".join(f"{row['database']:>16}" for row in rows))
    for key, fmt in keys:
        cells = (fmt.format(row[key]) if row.get(key) is not None else "-" for row in rows)
        print(f"{key:28}" + "".join(f"{cell:>16}" for cell in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2,000 articles per database (CI)")
    parser.add_argument("--articles", type=int, help="SQLite articles (default 1,000,000; --quick 2,000)")
    parser.add_argument("--pg-articles", type=int, help="PostgreSQL articles (default 1,000,000; --quick 2,000)")
    parser.add_argument("--pg", default=os.environ.get("PRESSWATCH_TEST_PG", ""), help="PostgreSQL server URL")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=200, help="labelled dedupe cases of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the SQLite archive here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    count = args.articles or (2_000 if args.quick else 1_000_000)
    pg_count = args.pg_articles or (2_000 if args.quick else 1_000_000)
    if args.quick:
        args.queries, args.probes, args.cases = min(args.queries, 50), min(args.probes, 100), min(args.cases, 40)
    corpus = Corpus(args.seed)
    rows = []
    with work_directory(args.workdir) as workdir:
        rows.append(run_sqlite(workdir, corpus, count, args))
        if args.pg:
            rows.append(run_postgresql(args.pg, corpus, pg_count, args))
        else:
            print("PostgreSQL skipped: set PRESSWATCH_TEST_PG or --pg", file=sys.stderr)
    print_table(rows)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
