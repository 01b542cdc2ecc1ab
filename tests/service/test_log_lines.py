"""Log lines as the commands write them: ISO 8601 times with their offset (UTC unless --local),
as text or as one JSON object per line, the same in `crawl`, `serve` and its crawl workers.

The pages come from a port nothing listens on, so every command logs a refused connection
(Scrapy's lines, one with a traceback) besides its own lines.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from tests.e2e.helpers import free_port, run_presswatch
from tests.service.running_service import RunningService

UTC_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00"
BAKU_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+04:00"  # Asia/Baku: +04:00 all year
REFUSED = "Connection was refused by other side: 111: Connection refused."


def dead_source(tmp_path: Path, interval: str = "10m") -> tuple[Path, str]:
    """A config of one source on a port nothing listens on, and its start URL."""
    url = f"http://127.0.0.1:{free_port()}/news"
    config = tmp_path / "sources.toml"
    config.write_text(f'[crawl]\nretry_times = 0\n\n[[sources]]\nname = "dead"\nstart_urls = ["{url}"]\n'
                      f'interval = "{interval}"\n', encoding="utf-8")
    return config, url


def test_crawl_logs_text_lines_with_local_iso_times(tmp_path: Path) -> None:
    config, url = dead_source(tmp_path)
    robots = url.replace("/news", "/robots.txt")
    done = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'a.db'}", "--local",
                          env={"TZ": "Asia/Baku"})
    assert done.returncode == 5, done.stderr
    log, error = done.stderr.rsplit("\n", 2)[0], done.stderr.rsplit("\n", 2)[1]
    assert error == "presswatch: every source's run failed (dead): see crawl_errors or run with -v"
    lines = log.split("\n")
    assert re.fullmatch(rf"{BAKU_TIME} ERROR Gave up retrying <GET {re.escape(robots)}> \(failed 1 times\): "
                        + re.escape(REFUSED), lines[0]), lines[0]
    assert re.fullmatch(rf"{BAKU_TIME} ERROR Error downloading <GET {re.escape(url)}>: " + re.escape(REFUSED),
                        lines[1]), lines[1]
    assert lines[2] == "Traceback (most recent call last):"  # the traceback follows its line
    assert re.fullmatch(rf"{BAKU_TIME} WARNING dead: connection_refused {re.escape(url)} \(-\): "
                        "DownloadConnectionRefusedError: " + re.escape(REFUSED), lines[-1]), lines[-1]
    stamped = [line for line in lines if re.match(r"\d{4}-", line)]
    assert len(stamped) == 4 and all(re.match(BAKU_TIME + " ", line) for line in stamped)


def test_crawl_logs_one_json_object_per_line_from_the_environment(tmp_path: Path) -> None:
    config, url = dead_source(tmp_path)
    robots = url.replace("/news", "/robots.txt")
    done = run_presswatch("crawl", "--config", str(config), "--db", f"sqlite:///{tmp_path / 'a.db'}",
                          env={"PRESSWATCH_LOG_FORMAT": "json"})
    assert done.returncode == 5, done.stderr
    *log, error, end = done.stderr.split("\n")
    assert (error, end) == ("presswatch: every source's run failed (dead): see crawl_errors or run with -v", "")
    records = [json.loads(line) for line in log]
    for record in records:
        assert re.fullmatch(UTC_TIME, record.pop("time"))
    exception = records[1].pop("exception")
    assert exception.startswith("Traceback (most recent call last):\n")
    assert exception.endswith(f"scrapy.exceptions.DownloadConnectionRefusedError: {REFUSED}")
    assert records == [
        {"level": "ERROR", "logger": "scrapy.downloadermiddlewares.retry",
         "message": f"Gave up retrying <GET {robots}> (failed 1 times): {REFUSED}"},
        {"level": "ERROR", "logger": "scrapy.downloadermiddlewares.robotstxt",
         "message": f"Error downloading <GET {url}>: {REFUSED}"},
        {"level": "ERROR", "logger": "scrapy.downloadermiddlewares.retry",
         "message": f"Gave up retrying <GET {url}> (failed 1 times): {REFUSED}"},
        {"level": "WARNING", "logger": "presswatch.crawler.spiders.press",
         "message": f"dead: connection_refused {url} (-): DownloadConnectionRefusedError: {REFUSED}"},
    ]


def test_serve_and_its_crawl_workers_log_json_lines(tmp_path: Path) -> None:
    config, url = dead_source(tmp_path, interval="3s")
    service = RunningService(config, f"sqlite:///{tmp_path / 'a.db'}", "--log-format", "json")
    try:
        service.wait_for(lambda: "source=dead status=failed" in service.log, 120, "a failed run of dead")
    finally:
        assert service.stop() == 0, service.log
    records = [json.loads(line) for line in service.lines]  # every line, the workers' too, is one object
    for record in records:
        assert re.fullmatch(UTC_TIME, record["time"]), record
        assert set(record) <= {"time", "level", "logger", "message", "exception"}, record
    assert {"time", "level", "logger", "message"} <= set(records[0])
    by_logger = {(r["logger"], r["level"]) for r in records}
    assert ("presswatch.service", "INFO") in by_logger
    assert ("scrapy.downloadermiddlewares.retry", "ERROR") in by_logger  # from a crawl worker, a process of its own
    assert [r["message"] for r in records if r["logger"] == "presswatch.crawler.spiders.press"][0] == (
        f"dead: connection_refused {url} (-): DownloadConnectionRefusedError: {REFUSED}"
    )
    assert (records[-1]["level"], records[-1]["logger"], records[-1]["message"]) == (
        "INFO", "presswatch.service", "stopped",
    )


def test_serve_logs_text_lines_with_utc_iso_times(tmp_path: Path) -> None:
    config, _ = dead_source(tmp_path, interval="3s")
    service = RunningService(config, f"sqlite:///{tmp_path / 'a.db'}")
    try:
        service.wait_for(lambda: "source=dead status=failed" in service.log, 120, "a failed run of dead")
    finally:
        assert service.stop() == 0, service.log
    records: list[list[str]] = []  # a record's first line, then its traceback's lines
    for line in service.lines:
        if re.match(r"\d{4}-\d\d-\d\dT", line) or not records:
            records.append([line])
        else:
            records[-1].append(line)
    for first, *rest in records:
        assert re.match(rf"{UTC_TIME} (INFO|WARNING|ERROR) \S", first), first
        assert not rest or rest[0] == "Traceback (most recent call last):", rest
    assert re.fullmatch(rf"{UTC_TIME} INFO serving 1 source\(s\): dead \(every 3s\); \d+ crawl worker\(s\)",
                        records[0][0])
    assert re.fullmatch(rf"{UTC_TIME} INFO stopped", service.lines[-1])
    [run] = [line for line in service.lines if "source=dead status=failed" in line][:1]
    assert re.match(rf"{UTC_TIME} (INFO|WARNING) source=dead status=failed ", run), run
