"""Alert delivery through Apprise: match the archive's pending events, send what is due, record answers.

`presswatch crawl` calls `deliver` at its end (retrying for a short while), `serve` after each
run and every few seconds (`AlertSender`). The archive's outbox (`storage.alerts`) makes it
durable: what was saved but not yet sent is sent by the next deliverer, and a delivery whose
channel answered is recorded `sent` and never sent again.
"""
from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from presswatch.crawler.config import Config
from presswatch.crawler.watches import Watch, channel_key, expand_secrets, watch_matches
from presswatch.storage import Archive, ArchiveError
from presswatch.storage.alerts import AlertStory, Delivery, WatchRule

logger = logging.getLogger(__name__)
#: Attempts before a delivery is `failed` (then `presswatch alerts retry`), and the backoff between them.
MAX_ATTEMPTS = 12
MAX_BACKOFF_SECONDS = 3600
#: How long a claimed delivery stays with its sender before another may take it (a sender that
#: died on this host is noticed at once).
LEASE_SECONDS = 300
BODY_CHARS = 400
WEBHOOK_SCHEMES = ("json", "form", "xml")  # and their TLS forms (jsons, ...)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failure: 2 s, 4 s, 8 s, … at most an hour."""
    return timedelta(seconds=min(2 ** attempts, MAX_BACKOFF_SECONDS))


def rules(watches: Sequence[Watch]) -> list[WatchRule]:
    return [WatchRule(w.name, w.channel_keys(), partial(watch_matches, w), w.updates, w.digest_seconds)
            for w in watches]


@dataclass
class DeliveryReport:
    alerts: int = 0
    sent: int = 0
    failed: int = 0  # attempts that failed
    errors: list[str] = field(default_factory=list)


class Outcome:
    """What one channel answered."""

    def __init__(self, ok: bool, message: str) -> None:
        self.ok = ok
        self.message = message


def deliver(archive: Archive, config: Config, environ: Mapping[str, str] | None = None) -> DeliveryReport:
    """Match pending events, then send every delivery that is due now, once each."""
    # Without watches, events stay for the configuration that has them (`serve`'s, say).
    report = DeliveryReport(alerts=archive.match_alerts(rules(config.watches)) if config.watches else 0)
    env = os.environ if environ is None else environ
    while claimed := archive.claim_deliveries(LEASE_SECONDS):
        for batch in _batches(archive, config, claimed):
            _deliver_batch(archive, config, batch, env, report)
    return report


Batch = list[tuple[Delivery, AlertStory]]


def _batches(archive: Archive, config: Config, claimed: list[Delivery]) -> list[Batch]:
    """One batch per delivery; a digest watch's deliveries to one channel together."""
    digests = {w.name for w in config.watches if w.digest_seconds}
    batches: dict[object, Batch] = {}
    for delivery in claimed:
        story = archive.alert_story(delivery.alert_id)
        key = (story.watch, delivery.channel) if story.watch in digests else delivery.id
        batches.setdefault(key, []).append((delivery, story))
    return list(batches.values())


def deliver_for_a_while(archive: Archive, config: Config, patience: float = 30.0) -> DeliveryReport:
    """`deliver`, then again as failed deliveries come due, for up to `patience` seconds
    (what is still failing then waits for the next crawl, `serve` or `alerts retry`)."""
    report = deliver(archive, config)
    deadline = time.monotonic() + patience
    while report.failed and time.monotonic() < deadline:
        due = _next_due(archive)
        if due is None or due - archive.now() > timedelta(seconds=deadline - time.monotonic()):
            break
        time.sleep(max(0.0, (due - archive.now()).total_seconds()) + 0.05)
        more = deliver(archive, config)
        report.sent += more.sent
        report.errors = more.errors
        report.failed = more.failed
    return report


def _next_due(archive: Archive) -> datetime | None:
    _, rows, _ = archive.alert_overview()
    times = [row.next_attempt_at for row in rows if row.status == "pending"]
    return min(times) if times else None


def _deliver_batch(
    archive: Archive, config: Config, batch: Batch, env: Mapping[str, str], report: DeliveryReport
) -> None:
    first, story = batch[0]
    url = _channel_url(config, story.watch, first.channel)
    if url is None:
        for delivery, _ in batch:
            archive.delivery_failed(delivery.id, f"watch {story.watch!r} no longer has this channel in the config",
                                    None)
        return
    title, body = digest_message([s for _, s in batch], config) if len(batch) > 1 else message(story, config)
    outcome = send(with_idempotency_key(url, first.idempotency_key), title, body, env)
    if outcome.ok:
        for delivery, _ in batch:
            archive.delivery_sent(delivery.id)
        report.sent += len(batch)
        return
    report.failed += 1
    report.errors.append(f"watch {story.watch!r}: {outcome.message}")
    attempts = max(delivery.attempts for delivery, _ in batch)
    retry_at = None if attempts >= MAX_ATTEMPTS else archive.now() + backoff(attempts)
    logger.warning("alert for watch %r not delivered (attempt %d): %s%s", story.watch, attempts,
                   outcome.message, "" if retry_at else "; giving up: `presswatch alerts retry` tries again")
    for delivery, _ in batch:
        archive.delivery_failed(delivery.id, outcome.message, retry_at)


def with_idempotency_key(url: str, key: str) -> str:
    """Webhook URLs (json, form, xml) send the delivery's key as an `Idempotency-Key` header, so a
    receiver can drop the repeat that a crash between its answer and our record would cause."""
    if url.split("://", 1)[0].rstrip("s") not in WEBHOOK_SCHEMES:
        return url
    return f"{url}{'&' if '?' in url else '?'}+Idempotency-Key={quote(key, safe='')}"


def _channel_url(config: Config, watch_name: str, channel: str) -> str | None:
    for watch in config.watches:
        if watch.name == watch_name:
            return next((url for url in watch.notify if channel_key(url) == channel), None)
    return None


def send(template: str, title: str, body: str, env: Mapping[str, str]) -> Outcome:
    """Send one notification through Apprise; the answer with every secret blanked out."""
    import apprise

    try:
        url = expand_secrets(template, env)
    except KeyError as exc:
        return Outcome(False, str(exc.args[0]))
    secrets = [env[name] for name in _secret_names(template) if env.get(name)]
    logging.getLogger("apprise").propagate = False  # its messages may hold the expanded URL: we log them scrubbed
    notifier = apprise.Apprise()
    with apprise.LogCapture(level=logging.INFO) as captured:
        if not notifier.add(url):
            return Outcome(False, _scrub(f"not a notification URL Apprise knows: {template}", secrets))
        ok = bool(notifier.notify(body=body, title=title))
        answer = captured.getvalue().strip().splitlines()
    text = answer[-1].split(" - ", 2)[-1] if answer else ("sent" if ok else "failed")
    return Outcome(ok, _scrub(text, secrets))


def _secret_names(template: str) -> list[str]:
    return re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template)


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def message(story: AlertStory, config: Config) -> tuple[str, str]:
    """(title, body) of one alert: headline, credited source, publisher, time, URLs, first lines."""
    headline = story.headline or "(no headline)"
    title = f"[{story.watch}] " + (f"Updated: {headline}" if story.kind == "revision" else headline)
    lines = [
        f"Source: {story.source or '-'}",
        f"Publisher: {story.publisher or '-'}",
        f"Published: {_local_time(story, config)}",
        "",
        *(f"{copy.url} ({copy.publisher or copy.source_name})" for copy in story.copies),
        "",
        first_lines(story.body or ""),
    ]
    return title, "\n".join(lines).rstrip() + "\n"


def digest_message(stories: Sequence[AlertStory], config: Config) -> tuple[str, str]:
    """(title, body) of a digest: each story's alert in turn, oldest first."""
    parts = [f"{title}\n{body}" for title, body in (message(story, config) for story in stories)]
    return f"[{stories[0].watch}] {len(stories)} new stories", "\n---\n\n".join(parts)


def _local_time(story: AlertStory, config: Config) -> str:
    if story.published_at is None:
        return "unknown"
    zone = next((s.timezone for s in config.sources if s.name == story.source_name and s.timezone), None)
    return story.published_at.astimezone(ZoneInfo(zone) if zone else story.published_at.tzinfo).isoformat()


def first_lines(body: str, limit: int = BODY_CHARS) -> str:
    """The body's start, at most `limit` characters, cut at a word."""
    text = body.strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,.;:")
    return cut + " …"


class AlertSender:
    """`serve`'s sender thread: delivers after each run (`wake`) and every `poll` seconds (retries)."""

    def __init__(self, archive: Archive, config: Config, poll: float = 2.0) -> None:
        self.archive = archive
        self.config = config
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="presswatch-alerts", daemon=True)
        self._feeds_written = False  # feeds are written once at the start, then after new alerts

    def start(self) -> None:
        self.archive.register_watches([w.name for w in self.config.watches])
        self._thread.start()

    def follow(self, config: Config) -> None:
        """A reloaded config: its watches (and their feeds) from now on."""
        self.archive.register_watches([w.name for w in config.watches])
        self.config = config
        self._feeds_written = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                report = deliver(self.archive, self.config)
            except (ArchiveError, SQLAlchemyError) as exc:
                logger.warning("alerts: the archive failed (%s); trying again shortly", exc)
                continue
            except Exception:  # a bug must not end alerting for the life of the service
                logger.exception("alerts: delivery failed; trying again shortly")
                continue
            if report.alerts or report.sent:
                logger.info("alerts: %d new, %d sent, %d failed attempt(s)", report.alerts, report.sent, report.failed)
            if report.alerts or not self._feeds_written:
                self._write_feeds()

    def _write_feeds(self) -> None:
        """`[alerts] feeds_dir`: every watch's feed, at the start and after new alerts."""
        from presswatch.scheduler.feeds import write_feeds

        try:
            write_feeds(self.archive, self.config)
        except (OSError, ArchiveError, SQLAlchemyError) as exc:
            logger.warning("alerts: cannot write the watches' feeds (%s); trying again after the next alerts", exc)
            return
        self._feeds_written = True
