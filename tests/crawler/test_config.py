"""The sources config: valid files load into typed sources; every mistake is named."""
from __future__ import annotations

from pathlib import Path

import pytest

from presswatch.crawler.config import CRAWL_KEYS, SOURCE_KEYS, ConfigError, CrawlSettings, load_config

GOOD = """
[crawl]
concurrent_per_domain = 1
download_delay = 2

[[sources]]
name = "apa-en"
publisher = "APA"
start_urls = ["https://example.az/en/official-news"]
feeds = ["https://example.az/en/rss"]
sitemaps = ["https://example.az/sitemap-news.xml"]
timezone = "Asia/Baku"
language = "en"
interval = "10m"
article_pattern = "/en/news/\\\\d+"
selectors = { headline = "h1.title", body = "div.news-text" }
download_timeout = 12

[[sources]]
name = "tass"
start_urls = ["https://tass.example/news"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return caught.value.problems


def test_a_valid_config_loads_into_typed_sources(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    apa, tass = config.sources
    assert apa.name == "apa-en"
    assert apa.publisher == "APA"
    assert apa.feeds == ("https://example.az/en/rss",)
    assert apa.interval_seconds == 600
    assert apa.allowed_domains == ("example.az",)
    assert apa.article_pattern is not None and apa.article_pattern.search("https://example.az/en/news/42")
    assert apa.crawl.download_timeout == 12.0
    assert apa.crawl.download_delay == 2.0
    assert apa.crawl.concurrent_per_domain == 1
    assert tass.publisher == "tass"
    assert tass.crawl == CrawlSettings(concurrent_per_domain=1, download_delay=2.0)
    assert apa.profile().timezone == "Asia/Baku"
    assert apa.profile().selectors == {"headline": "h1.title", "body": "div.news-text"}


def test_every_problem_names_the_source_and_the_key(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, """
[[sources]]
name = "bad-one"
start_urls = ["ftp://example.org/x", "not a url"]
timezone = "Mars/Olympus_Mons"
article_pattern = "(unclosed"
interval = "often"
colour = "blue"
selectors = { headline = "h1[", teaser = "p" }
""")
    assert problems == [
        "source 'bad-one': key 'colour': unknown key (allowed: "
        + ", ".join(sorted(SOURCE_KEYS | CRAWL_KEYS)) + ")",
        "source 'bad-one': key 'start_urls': 'ftp://example.org/x' is not an http(s) URL with a host",
        "source 'bad-one': key 'start_urls': 'not a url' is not an http(s) URL with a host",
        "source 'bad-one': key 'start_urls': give at least one of start_urls, feeds, sitemaps",
        "source 'bad-one': key 'timezone': unknown time zone 'Mars/Olympus_Mons' (use an IANA name such as 'Asia/Baku')",
        "source 'bad-one': key 'interval': not an interval: 'often' (use e.g. '90s', '10m', '1h', '1d')",
        "source 'bad-one': key 'article_pattern': bad regular expression '(unclosed': missing ) at position 9",
        "source 'bad-one': key 'selectors.headline': 'h1[' is not a valid CSS selector",
        "source 'bad-one': key 'selectors.teaser': unknown field (allowed: headline, body, published_at, source, authors)",
    ]


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, """
[[sources]]
name = "twin"
start_urls = ["https://a.example/"]
[[sources]]
name = "twin"
start_urls = ["https://b.example/"]
""")
    assert problems == ["source 'twin': key 'name': duplicate source name"]


def test_bad_names_languages_and_crawl_values_are_refused(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, """
[crawl]
download_timeout = "slow"
retries = 3
[[sources]]
name = "Bad Name"
start_urls = ["https://a.example/"]
language = "english"
concurrent_per_domain = -1
""")
    assert problems == [
        "[crawl]: key 'retries': unknown key (allowed: " + ", ".join(sorted(CrawlSettings.__dataclass_fields__)) + ")",
        "[crawl]: key 'download_timeout': must be float, got 'slow'",
        "source 'Bad Name': key 'name': required, lower-case letters, digits and '-' only",
        "source 'Bad Name': key 'language': 'english' is not an ISO 639-1 code such as 'en'",
        "source 'Bad Name': key 'concurrent_per_domain': -1 is out of range (from 1 to 256)",
    ]


def test_missing_file_and_bad_toml_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nowhere.toml")
    assert caught.value.problems == [
        "file not found; pass --config PATH, set PRESSWATCH_CONFIG, or create ./sources.toml"
    ]
    assert problems_of(tmp_path, "[[sources]\nname=")[0].startswith("not valid TOML: ")


def test_an_empty_config_asks_for_a_source(tmp_path: Path) -> None:
    assert problems_of(tmp_path, "") == ["no [[sources]] defined: add at least one [[sources]] table"]


def test_selecting_an_unknown_source_is_an_error(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert [s.name for s in config.select(["tass"])] == ["tass"]
    with pytest.raises(ConfigError) as caught:
        config.select(["nope"])
    assert caught.value.problems == ["no source named 'nope' (configured: apa-en, tass)"]


def test_the_base_placeholder_is_replaced(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nname = "demo"\nstart_urls = ["__BASE__/demo/news"]\n')
    config = load_config(path, base_url="http://127.0.0.1:8765/")
    assert config.sources[0].start_urls == ("http://127.0.0.1:8765/demo/news",)
    assert config.sources[0].allowed_domains == ("127.0.0.1:8765",)  # the host and its port


def test_the_fault_limits_have_defaults_and_can_be_set_per_source(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[crawl]
max_retry_after = 10
[[sources]]
name = "a"
start_urls = ["https://a.example/"]
max_depth = 3
min_body_chars = 0
[[sources]]
name = "b"
start_urls = ["https://b.example/"]
"""))
    a, b = config.sources
    assert (a.crawl.max_retry_after, a.crawl.max_depth, a.crawl.min_body_chars) == (10.0, 3, 0)
    assert (b.crawl.max_retry_after, b.crawl.max_depth, b.crawl.min_body_chars) == (10.0, 0, 80)
    assert problems_of(tmp_path, '[[sources]]\nname = "c"\nstart_urls = ["https://c.example/"]\nmax_depth = -2\n') == [
        "source 'c': key 'max_depth': -2 is out of range (from 0 to 1000000)"
    ]


def test_cron_schedules_are_validated(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "wire"\nstart_urls = ["https://wire.example/"]\n'
    assert load_config(write(tmp_path, base + 'cron = "*/15 8-20 * * mon-fri"\n')).sources[0].cron == "*/15 8-20 * * mon-fri"
    assert problems_of(tmp_path, base + 'cron = "61 * * * *"\n') == [
        "source 'wire': key 'cron': '61 * * * *' is not a crontab expression: "
        "Error validating expression '61': the last value (61) is higher than the maximum value (59)"
    ]
    assert problems_of(tmp_path, base + 'cron = "0 * * * *"\ninterval = "1h"\n') == [
        "source 'wire': key 'cron': give either 'interval' or 'cron', not both"
    ]


def test_revisit_policy_and_adaptive_bounds_are_durations(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "wire"\nstart_urls = ["https://wire.example/"]\n'
    defaults = load_config(write(tmp_path, base)).sources[0].crawl
    assert (defaults.revisit_within_seconds, defaults.revisit_every_seconds, defaults.interval_bounds) == (
        86400, 21600, (300, 21600)
    )
    off = load_config(write(tmp_path, base + 'revisit_within = "0h"\ninterval = "auto"\nmax_interval = "1d"\n'))
    assert off.sources[0].crawl.revisit_within_seconds == 0
    assert off.sources[0].adaptive and off.sources[0].interval_seconds == 86400
    assert problems_of(tmp_path, base + 'revisit_every = "0h"\nmin_interval = "soon"\n') == [
        "source 'wire': key 'revisit_every': '0h' is zero: give a positive duration such as '90s', '10m', '1h'",
        "source 'wire': key 'min_interval': not an interval: 'soon' (use e.g. '90s', '10m', '1h', '1d')",
    ]
    assert problems_of(tmp_path, '[crawl]\nmin_interval = "2h"\nmax_interval = "1h"\n\n' + base) == [
        "[crawl]: key 'min_interval': '2h' is longer than max_interval '1h'"
    ]
    assert problems_of(tmp_path, base + 'interval = "0s"\n') == [
        "source 'wire': key 'interval': '0s' is zero: give a positive duration such as '90s', '10m', '1h'"
    ]


def test_the_service_table_sets_the_workers_and_every_value_is_range_checked(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "wire"\nstart_urls = ["https://wire.example/"]\n'
    defaults = load_config(write(tmp_path, base)).service
    assert (defaults.workers, defaults.runs_per_worker, defaults.requests_per_worker) == (0, 50, 100)
    assert defaults.worker_count >= 1  # 0: one per CPU core
    assert (defaults.run_timeout_seconds, defaults.stop_grace_seconds, defaults.restart_delay_seconds) == (None, 10, 1)
    service = load_config(write(tmp_path, '[service]\nworkers = 3\nrun_timeout = "10m"\nstop_grace = "0s"\n' + base))
    assert (service.service.worker_count, service.service.run_timeout_seconds, service.service.stop_grace_seconds) == (
        3, 600, 0
    )
    bad = ('[service]\nworkers = 0\nruns_per_worker = "many"\nrecycle_above_mb = 50\nrun_timeout = "5s"\n'
           'restart_delay = 3\nstop_grace = "2h"\nthreads = 4\n\n' + base)
    assert problems_of(tmp_path, bad) == [
        "[service]: key 'workers': must be a whole number from 1 to 64, got 0",
        "[service]: key 'runs_per_worker': must be a whole number from 1 to 1000, got 'many'",
        "[service]: key 'recycle_above_mb': 50 MB is less than a worker needs to start (use 0 for never, or at least 200)",
        "[service]: key 'run_timeout': '5s' is out of range (10s to 86400s)",
        "[service]: key 'restart_delay': must be a duration such as '10s', got 3",
        "[service]: key 'stop_grace': '2h' is out of range (0s to 3600s)",
        "[service]: key 'threads': unknown key (allowed: recycle_above_mb, recycle_after_runs, requests_per_worker, "
        "restart_delay, run_timeout, runs_per_worker, stop_grace, workers)",
    ]


def test_every_number_and_duration_is_range_checked_before_anything_runs(tmp_path: Path) -> None:
    bad = """
[crawl]
concurrent_per_domain = 0
max_page_bytes = 0
max_crawl_delay = 7200
revisit_within = "999999d"
user_agent = " "

[[sources]]
name = "wire"
start_urls = ["https://wire.example/"]
interval = "99999999999999d"
"""
    assert problems_of(tmp_path, bad) == [
        "[crawl]: key 'concurrent_per_domain': 0 is out of range (from 1 to 256)",
        "[crawl]: key 'user_agent': must not be empty (sites use it to tell who crawls them)",
        "[crawl]: key 'max_page_bytes': 0 is out of range (from 1024 to 1073741824)",
        "[crawl]: key 'revisit_within': '999999d' is longer than ten years (3650d): give a shorter duration",
        "[crawl]: key 'max_crawl_delay': 7200.0 is out of range (from 0 to 3600)",
        "source 'wire': key 'interval': '99999999999999d' is longer than ten years (3650d): give a shorter duration",
    ]


def test_the_removed_shared_crawl_keys_are_an_error_that_says_what_to_do_instead(tmp_path: Path) -> None:
    bad = """
[crawl]
redis_url = "redis://127.0.0.1:6379/0"
claim_ttl = 900

[[sources]]
name = "wire"
start_urls = ["https://wire.example/"]
redis_url = ""

[[sources]]
name = "agency"
start_urls = ["https://agency.example/"]
claim_ttl = 60
"""
    instead = ("several hosts now share the work through `presswatch serve --broker` and `presswatch worker` "
               "(README: Running on several machines); remove the key")
    assert problems_of(tmp_path, bad) == [
        f"[crawl]: key 'redis_url' was removed: {instead}",
        f"[crawl]: key 'claim_ttl' was removed: {instead}",
        f"source 'wire': key 'redis_url' was removed: {instead}",
        f"source 'agency': key 'claim_ttl' was removed: {instead}",
    ]
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, '[crawl]\nredis_url = "redis://127.0.0.1:6379/0"\n\n'
                                    '[[sources]]\nname = "wire"\nstart_urls = ["https://wire.example/"]\n'))
    assert str(caught.value).endswith(
        "invalid sources config:\n  - [crawl]: key 'redis_url' was removed: several hosts now share the work "
        "through `presswatch serve --broker` and `presswatch worker` (README: Running on several machines); "
        "remove the key"
    )


def test_allowed_domains_are_hosts_with_optional_ports_and_must_allow_the_sources_own_urls(tmp_path: Path) -> None:
    base = '[[sources]]\nname = "wire"\nstart_urls = ["http://127.0.0.1:8000/news", "https://wire.example/"]\n'
    assert load_config(write(tmp_path, base)).sources[0].allowed_domains == ("127.0.0.1:8000", "wire.example")
    assert problems_of(tmp_path, base + 'allowed_domains = ["wire.example", "127.0.0.1"]\n') == [
        "source 'wire': key 'allowed_domains': does not allow the source's own URL 'http://127.0.0.1:8000/news'"
    ]
    assert problems_of(tmp_path, base + 'allowed_domains = ["wire.example:http"]\n') == [
        "source 'wire': key 'allowed_domains': must be a list of host names, each with an optional port "
        '(e.g. "example.az", "127.0.0.1:8080")'
    ]
