"""Crawl throughput benchmark: presswatch against a minimal Scrapy spider, on a local corpus.

    .venv/bin/python benchmarks/crawl_throughput.py --quick          # 400 articles (CI)
    .venv/bin/python benchmarks/crawl_throughput.py                  # 5000 articles
    .venv/bin/python benchmarks/crawl_throughput.py --articles 2000 --sites 6 --json out.json

What it does, in one temporary directory:

1. generates a deterministic synthetic press corpus (``benchmarks/corpus.py``): S sites with
   paginated listings and article pages in four template styles, plus the truth per article;
2. serves it on 127.0.0.1 with ``crawler.site_server.SiteServer`` (in this process);
3. writes a sources TOML for it (the ``[crawl]`` table opened up for a local run: 32
   concurrent requests, no delay, no autothrottle, no robots.txt) and times
   ``presswatch crawl --config FILE --db sqlite:///DIR/archive.db`` as a child process,
   start-up included, with its peak RSS from ``os.wait4``;
4. times ``scrapy runspider benchmarks/minimal_spider.py`` the same way, same server, same
   settings: listing pages → article pages, one ``{"url", "title"}`` item each, nothing else;
5. checks the archive against the truth (per-field exact accuracy, a few mismatches);
6. prints a table (and ``--json PATH`` writes the figures).

More options: ``--workdir DIR`` keeps the corpus, config, logs and archive; ``--profile``
runs presswatch under cProfile and prints where its time goes; ``--skip-minimal`` /
``--skip-presswatch``; ``--listing-limit N`` (see --help).

It reports figures and never judges them: the exit status is non-zero only when the
benchmark itself breaks (a crawl command fails, the archive cannot be read).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
for path in (str(HERE), str(REPO)):
    if path not in sys.path:
        sys.path.insert(0, path)

import accuracy  # noqa: E402
import corpus  # noqa: E402
from measure import Measured, log_tail, run_measured, work_directory  # noqa: E402

from presswatch.crawler.site_server import SiteServer  # noqa: E402

FULL_ARTICLES = 5000
QUICK_ARTICLES = 400
CRAWL_SETTINGS: dict[str, Any] = {
    "concurrent_requests": 32,
    "concurrent_per_domain": 32,
    "download_delay": 0,
    "autothrottle": False,
    "obey_robots": False,
}
SCRAPY_SETTINGS: dict[str, Any] = {  # the same settings, spelled for `scrapy runspider -s`
    "CONCURRENT_REQUESTS": CRAWL_SETTINGS["concurrent_requests"],
    "CONCURRENT_REQUESTS_PER_DOMAIN": CRAWL_SETTINGS["concurrent_per_domain"],
    "DOWNLOAD_DELAY": CRAWL_SETTINGS["download_delay"],
    "AUTOTHROTTLE_ENABLED": CRAWL_SETTINGS["autothrottle"],
    "ROBOTSTXT_OBEY": CRAWL_SETTINGS["obey_robots"],
    "TELNETCONSOLE_ENABLED": False,
    "REMOTE_CONTROL_ENABLED": False,
    "LOG_LEVEL": "WARNING",  # as presswatch crawl without -v
}


@dataclass(frozen=True, slots=True)
class CrawlFigures:
    """One timed crawl, as printed and written to JSON."""

    name: str
    ok: bool
    returncode: int
    articles: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float
    requests_served: int
    non_200: int
    server_cpu_seconds: float
    listen_overflows: int | None  # listen-queue drops meanwhile, system-wide (Linux)

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else 0.0

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "articles_per_second": round(self.articles_per_second, 2),
                "seconds": round(self.seconds, 3), "peak_rss_mb": round(self.peak_rss_mb, 1),
                "cpu_seconds": round(self.cpu_seconds, 2),
                "server_cpu_seconds": round(self.server_cpu_seconds, 2)}


# ---------------------------------------------------------------- set-up

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ARTICLES} articles instead of {FULL_ARTICLES}")
    parser.add_argument("--articles", type=int, help="articles in all (overrides --quick)")
    parser.add_argument("--sites", type=int, default=4, help="number of sites (default 4)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--workdir", type=Path, help="work here and keep the files (default: a temp dir, removed)")
    parser.add_argument("--listing-limit", type=int, metavar="N",
                        help="presswatch max_listing_pages (default: the corpus's listing pages + 1)")
    parser.add_argument("--profile", action="store_true",
                        help="run presswatch under cProfile (slower) and print where its time goes")
    parser.add_argument("--parse-workers", type=int, metavar="N",
                        help="presswatch parse_workers (default: presswatch's own default)")
    parser.add_argument("--skip-minimal", action="store_true", help="time presswatch only")
    parser.add_argument("--skip-presswatch", action="store_true", help="time the minimal spider only")
    args = parser.parse_args(argv)
    if args.articles is None:
        args.articles = QUICK_ARTICLES if args.quick else FULL_ARTICLES
    if args.articles < args.sites or args.sites < 1:
        parser.error("need at least one site and one article per site")
    return args


def venv_tool(name: str) -> str:
    """A console script next to this interpreter (the venv's), else from PATH."""
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found next to {sys.executable} or on PATH")
    return found


def child_env() -> dict[str, str]:
    """Our environment without settings that would redirect the crawls."""
    env = dict(os.environ)
    for key in ("PRESSWATCH_CONFIG", "PRESSWATCH_DB", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT"):
        env.pop(key, None)
    return env


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def sources_toml(generated: corpus.Corpus, base_url: str, listing_limit: int | None = None,
                 parse_workers: int | None = None) -> str:
    """The sources config of the corpus served at `base_url` (DESIGN §3 keys + link patterns).

    presswatch's own limits are set above the corpus (every source has fewer listing pages
    and articles than the whole corpus), so its defaults do not cut the crawl short;
    `listing_limit` overrides `max_listing_pages`.
    """
    crawl = {
        **CRAWL_SETTINGS,
        "max_listing_pages": listing_limit or generated.pages + 1,
        "max_articles": generated.articles + 1,
    }
    if parse_workers is not None:
        crawl["parse_workers"] = parse_workers
    lines = ["# Generated by benchmarks/crawl_throughput.py", "[crawl]"]
    lines += [f"{key} = {toml_value(value)}" for key, value in crawl.items()]
    for site in generated.sites:
        source = {
            "name": site.name,
            "publisher": site.publisher,
            "start_urls": [f"{base_url}{corpus.listing_path(site, 1)}"],
            "timezone": site.timezone,
            "language": "en",
            "interval": "1h",
            "article_pattern": rf"://[^/]+/{site.name}/news/(?!page/)[a-z0-9-]+/[a-z0-9-]+-\d+$",
            "listing_pattern": rf"://[^/]+/{site.name}/news(?:/page/\d+)?$",
        }
        lines += ["", "[[sources]]"] + [f"{key} = {toml_value(value)}" for key, value in source.items()]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the two crawls

def progress_printer(label: str, server: SiteServer) -> Any:
    def show(elapsed: float) -> None:
        print(f"  … {label}: {elapsed:5.0f} s, {len(server.requests)} requests served", flush=True)
    return show


def timed_crawl(name: str, command: list[str], server: SiteServer, workdir: Path) -> Measured:
    print(f"- {name}: {' '.join(command)}", flush=True)
    server.clear_requests()
    stem = workdir / name.replace(" ", "-")
    measured = run_measured(
        command, out_path=stem.with_suffix(".out"), log_path=stem.with_suffix(".log"), cwd=workdir,
        env=child_env(), progress=progress_printer(name, server),
    )
    print(f"  {name} finished in {measured.seconds:.1f} s (exit {measured.returncode})", flush=True)
    if measured.returncode != 0:
        print(f"  {name} FAILED (exit {measured.returncode})", file=sys.stderr)
        for path in (measured.out_path, measured.log_path):
            tail = log_tail(path)
            if tail.strip():
                print(f"  last lines of {path.name}:\n{indent(tail)}", file=sys.stderr)
    return measured


def figures(name: str, measured: Measured, articles: int, server: SiteServer, ok: bool) -> CrawlFigures:
    statuses = Counter(r.status for r in server.requests)
    return CrawlFigures(
        name=name, ok=ok, returncode=measured.returncode, articles=articles,
        seconds=measured.seconds, peak_rss_mb=measured.peak_rss_mb, cpu_seconds=measured.cpu_seconds,
        requests_served=sum(statuses.values()), non_200=sum(n for s, n in statuses.items() if s != 200),
        server_cpu_seconds=measured.parent_cpu_seconds, listen_overflows=measured.listen_overflows,
    )


def run_minimal(config_path: Path, server: SiteServer, workdir: Path) -> CrawlFigures:
    summary_path = workdir / "minimal-summary.json"
    command = [venv_tool("scrapy"), "runspider", str(HERE / "minimal_spider.py"),
               "-a", f"config={config_path}", "-a", f"summary={summary_path}"]
    for key, value in SCRAPY_SETTINGS.items():
        command += ["-s", f"{key}={value}"]  # str(True) == "True": Scrapy reads it as a bool
    measured = timed_crawl("minimal spider", command, server, workdir)
    summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
    ok = measured.returncode == 0 and summary.get("finish_reason") == "finished"
    if measured.returncode == 0 and not ok:
        print(f"  minimal spider did not finish cleanly: {summary or 'no summary written'}", file=sys.stderr)
    return figures("minimal spider", measured, int(summary.get("items", 0)), server, ok)


def run_presswatch(config_path: Path, db_url: str, server: SiteServer, workdir: Path,
                   profile: Path | None = None) -> tuple[CrawlFigures, int]:
    arguments = ["crawl", "--config", str(config_path), "--db", db_url]
    if profile is None:
        command = [venv_tool("presswatch"), *arguments]
    else:
        command = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "presswatch.scheduler.cli", *arguments]
    measured = timed_crawl("presswatch crawl", command, server, workdir)
    rows = archive_rows(accuracy.db_path_from_url(db_url)) if measured.returncode == 0 else 0
    summary = log_tail(measured.out_path, 20)
    if summary and measured.returncode == 0:
        print(indent(summary))
    ok = measured.returncode == 0 and rows >= 0
    return figures("presswatch crawl", measured, max(rows, 0), server, ok), rows


def archive_rows(db_path: Path) -> int:
    """Rows in `articles`, or -1 when the archive cannot be read."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as connection:
            return int(connection.execute("SELECT count(*) FROM articles").fetchone()[0])
    except sqlite3.Error as exc:
        print(f"  cannot read the archive {db_path}: {exc}", file=sys.stderr)
        return -1


# ---------------------------------------------------------------- report

def indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def print_table(runs: list[CrawlFigures]) -> None:
    print(f"\n{'crawl':<20}{'articles':>9}{'seconds':>9}{'art/s':>9}{'peak RSS MB':>13}"
          f"{'CPU s':>8}{'requests':>10}{'server CPU':>12}{'SYN drops':>11}")
    for run in runs:
        server_share = run.server_cpu_seconds / run.seconds if run.seconds else 0.0
        flag = "" if run.ok else "  (FAILED)"
        print(f"{run.name:<20}{run.articles:>9}{run.seconds:>9.2f}{run.articles_per_second:>9.1f}"
              f"{run.peak_rss_mb:>13.1f}{run.cpu_seconds:>8.1f}{run.requests_served:>10}"
              f"{server_share:>12.0%}{_count(run.listen_overflows):>11}{flag}")
    by_name = {run.name: run for run in runs}
    press, minimal = by_name.get("presswatch crawl"), by_name.get("minimal spider")
    if press and minimal:
        ratios = ratio_figures(press, minimal)
        cells = [f"{v:.2f}x" if v is not None else "n/a" for v in ratios.values()]
        print(f"{'presswatch/minimal':<20}{'':>9}{cells[0]:>9}{cells[1]:>9}{cells[2]:>13}")


def _count(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def ratio_figures(press: CrawlFigures, minimal: CrawlFigures) -> dict[str, float | None]:
    return {
        "seconds": ratio(press.seconds, minimal.seconds),
        "articles_per_second": ratio(press.articles_per_second, minimal.articles_per_second),
        "peak_rss": ratio(press.peak_rss_mb, minimal.peak_rss_mb),
    }


def print_accuracy(result: accuracy.Accuracy) -> None:
    print(f"\ncorrectness: {result.rows} rows in the archive for {result.expected} articles "
          f"({result.found} matched by URL)")
    shares = "  ".join(f"{name} {result.share(name):.1%}" for name in (*accuracy.FIELDS, "all"))
    print(f"  exact: {shares}")
    if result.missing:
        print(f"  missing {result.expected - result.found}, e.g. {', '.join(result.missing)}")
    for miss in result.examples:
        print(f"  ✗ {miss.field} {miss.url}\n      want {clip(miss.expected)}\n      got  {clip(miss.got)}")


def print_profile(path: Path) -> None:
    """Where presswatch spent its time: project functions by cumulative time, all by own time."""
    import io
    import pstats

    sections: tuple[tuple[str, str, tuple[Any, ...], bool], ...] = (
        ("presswatch functions by cumulative time", "cumulative", (r"/(crawler|storage|scheduler)/", 18), False),
        ("all functions by own time", "tottime", (12,), True),
    )
    for title, order, restrictions, strip in sections:
        text = io.StringIO()
        stats = pstats.Stats(str(path), stream=text)
        if strip:
            stats.strip_dirs()
        stats.sort_stats(order).print_stats(*restrictions)
        table = text.getvalue()
        table = table[table.find("ncalls"):].rstrip().replace(str(REPO) + "/", "")
        print(f"\nprofile: {title}\n{table}")


def clip(text: str, width: int = 150) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------- main

def load_average() -> list[float] | None:
    """1/5/15-minute load: other work on the machine makes the figures noisy."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


def generate_corpus(args: argparse.Namespace, workdir: Path) -> corpus.Corpus:
    print(f"generating {args.articles} articles on {args.sites} sites (seed {args.seed}) in {workdir}", flush=True)
    generated = corpus.generate(workdir / "corpus", sites=args.sites, articles=args.articles,
                                seed=args.seed, progress=True)
    print(f"  {generated.pages} listing pages, {generated.bytes / 1e6:.1f} MB of HTML", flush=True)
    return generated


def run_crawls(args: argparse.Namespace, generated: corpus.Corpus,
               workdir: Path) -> tuple[list[CrawlFigures], accuracy.Accuracy | None]:
    """Serve the corpus, time the crawls, check the archive."""
    runs: list[CrawlFigures] = []
    result: accuracy.Accuracy | None = None
    with SiteServer(generated.root) as server:
        print(f"serving at {server.base_url}", flush=True)
        config_path = workdir / "sources.toml"
        config_path.write_text(sources_toml(generated, server.base_url, args.listing_limit, args.parse_workers), encoding="utf-8")
        if not args.skip_minimal:
            runs.append(run_minimal(config_path, server, workdir))
        if not args.skip_presswatch:
            db_url = f"sqlite:///{workdir / 'archive.db'}"
            profile = workdir / "presswatch.prof" if args.profile else None
            press, rows = run_presswatch(config_path, db_url, server, workdir, profile)
            runs.append(press)
            if press.ok and rows >= 0:
                truth = corpus.read_truth(generated.truth_path)
                result = accuracy.evaluate(truth, accuracy.db_path_from_url(db_url))
    return runs, result


def run(args: argparse.Namespace, workdir: Path) -> int:
    load_before = load_average()
    print(f"{os.cpu_count()} CPUs, load average {load_before}", flush=True)
    generated = generate_corpus(args, workdir)
    runs, result = run_crawls(args, generated, workdir)
    print_table(runs)
    print(f"load average before {load_before}, after {load_average()}")
    if result is not None:
        print_accuracy(result)
    if args.profile and (workdir / "presswatch.prof").exists():
        print_profile(workdir / "presswatch.prof")
    if args.json:
        write_json(args, generated, runs, result, [load_before, load_average()])
    return 0 if all(run.ok for run in runs) else 1


def write_json(args: argparse.Namespace, generated: corpus.Corpus, runs: list[CrawlFigures],
               result: accuracy.Accuracy | None, load: list[list[float] | None]) -> None:
    by_name = {run.name: run for run in runs}
    press, minimal = by_name.get("presswatch crawl"), by_name.get("minimal spider")
    data = {
        "corpus": {"sites": args.sites, "articles": generated.articles, "listing_pages": generated.pages,
                   "html_mb": round(generated.bytes / 1e6, 1), "seed": args.seed},
        "settings": CRAWL_SETTINGS,
        "cpus": os.cpu_count(),
        "load_average_before_after": load,
        "runs": {run.name: run.as_json() for run in runs},
        "presswatch_over_minimal": ratio_figures(press, minimal) if press and minimal else None,
        "correctness": result.as_json() if result else None,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nfigures written to {args.json}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with work_directory(args.workdir) as workdir:
        return run(args, workdir)


if __name__ == "__main__":
    raise SystemExit(main())
