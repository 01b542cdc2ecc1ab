"""The job engine that carries due runs from `serve --broker` to `presswatch worker` hosts.

Dramatiq over RabbitMQ. A due run is one message on the durable queue `QUEUE` for the
actor `ACTOR`, args `(source, due_at, timeout)`: the source's whole definition as JSON
(`crawler.source_wire`), the due time it serves (ISO 8601, UTC) and the run's timeout in
seconds. RabbitMQ keeps it until a worker acknowledges it, and a worker acknowledges a run
only once it is over (Dramatiq's late acknowledgement): a worker host that dies, or loses
its connection, gives its runs back to the queue, and another host runs them.

Only this module and `scheduler.cluster_worker` import Dramatiq; it is an optional extra
(`pip install 'presswatch[cluster]'`).
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from presswatch.crawler.config import Source
from presswatch.crawler.source_wire import source_to_wire

QUEUE = "presswatch-runs"
ACTOR = "presswatch.run"
SCHEMES = ("amqp", "amqps")
#: A message that waited longer than this many of its source's intervals is dropped unrun
#: (a newer due run of the source is queued or about to be): the engine's `coalesce`.
STALE_AFTER_INTERVALS = 2
MIN_MAX_AGE_SECONDS = 300


class EngineUnavailable(Exception):
    """The broker cannot be used: bad URL, Dramatiq missing, or not reachable (message says which)."""


def masked(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def check_broker_url(url: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise EngineUnavailable(
            f"--broker {masked(url)}: expected a RabbitMQ URL such as amqp://guest:guest@127.0.0.1:5672/ "
            f"(scheme {' or '.join(SCHEMES)}, not {scheme or 'none'!r})"
        )
    return url


def connect(url: str, middleware: list[Any] | None = None) -> Any:
    """A Dramatiq RabbitMQ broker for `url`, its connection checked and `QUEUE` declared.

    `middleware`: Dramatiq middleware for a worker; the scheduler needs none. Enqueues
    wait for RabbitMQ's confirmation, so a due run counts as sent only once the broker
    holds it.
    """
    check_broker_url(url)
    try:
        import pika.exceptions
        from dramatiq.brokers.rabbitmq import RabbitmqBroker
        from dramatiq.errors import BrokerConnectionError
    except ImportError:
        raise EngineUnavailable(
            "--broker needs Dramatiq with RabbitMQ support: pip install 'presswatch[cluster]'"
        ) from None
    broker = RabbitmqBroker(url=url, confirm_delivery=True, middleware=middleware or [])
    try:
        broker.declare_queue(QUEUE, ensure=True)
    except (pika.exceptions.AMQPError, BrokerConnectionError, OSError) as exc:
        broker.close()
        raise EngineUnavailable(
            f"cannot reach the broker at {masked(url)}: {reason(exc)}; start RabbitMQ or fix --broker"
        ) from None
    return broker


def run_message(source: Source, due_at: datetime, timeout: float) -> Any:
    """The message of one due run (see the module docstring)."""
    from dramatiq import Message

    max_age = max(STALE_AFTER_INTERVALS * source.interval_seconds, MIN_MAX_AGE_SECONDS, timeout)
    return Message(
        queue_name=QUEUE, actor_name=ACTOR,
        args=(source_to_wire(source), due_at.astimezone(UTC).isoformat(), float(timeout)),
        kwargs={}, options={"max_age": int(max_age * 1000)},
    )


def send_due_run(broker: Any, source: Source, due_at: datetime, timeout: float) -> None:
    """Enqueue one due run; returns once RabbitMQ has confirmed it (raises if it cannot)."""
    broker.enqueue(run_message(source, due_at, timeout))


def _enqueue_errors() -> tuple[type[BaseException], ...]:
    try:
        from dramatiq.errors import BrokerConnectionError
    except ImportError:
        return (OSError,)
    return (BrokerConnectionError, OSError)


#: What `send_due_run` raises while the broker cannot take a run (down, restarting, unreachable).
ENQUEUE_ERRORS = _enqueue_errors()


def reason(exc: BaseException) -> str:
    """One line for a broker error (pika's own texts nest several exceptions)."""
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


def queue_depth(broker: Any) -> tuple[int, int]:
    """(runs waiting, runs waiting to be re-delivered after a delay) on the broker now."""
    ready, delayed, _dead = broker.get_queue_message_counts(QUEUE)
    return int(ready), int(delayed)
