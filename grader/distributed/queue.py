"""`grader queue`: how many grading tasks wait on the broker, and since when.

On Redis, kombu keeps a queue as a list (pushed on the left, popped on the right, so the oldest message is the
last element) and the delivered-but-unacknowledged messages in the ``unacked`` hash. Each task's message carries
the time it was queued in its ``frg_queued_at`` header. Other brokers report the queue's length only.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from ..errors import GraderError
from .app import DEFAULT_QUEUE, safe_url

UNACKED_KEY = "unacked"  # kombu's Redis transport default (unacked_key)


@dataclass(frozen=True)
class QueueStats:
    queue: str
    waiting: int
    oldest_age_s: float | None  # None: the queue is empty, or the broker cannot tell
    being_graded: int | None  # delivered to a worker, not yet acknowledged (Redis only)


def _queued_at(raw: bytes | None) -> float | None:
    if raw is None:
        return None
    try:
        message: Any = json.loads(raw)
        value = message["headers"].get("frg_queued_at")
        return float(value) if value is not None else None
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def queue_stats(broker_url: str, queue: str = DEFAULT_QUEUE) -> QueueStats:
    scheme = broker_url.split("://", 1)[0]
    try:
        if scheme in ("redis", "rediss", "redis+socket"):
            import redis

            client = redis.Redis.from_url(broker_url, socket_connect_timeout=3, socket_timeout=5)
            try:
                pipe: Any = client.pipeline()
                pipe.llen(queue)
                pipe.lindex(queue, -1)
                pipe.hlen(UNACKED_KEY)
                waiting, oldest, unacked = pipe.execute()
            finally:
                client.close()
            at = _queued_at(oldest)
            return QueueStats(queue, int(waiting), None if at is None else max(0.0, time.time() - at), int(unacked))
        from kombu import Connection

        with Connection(broker_url, connect_timeout=3) as conn:
            declared = conn.default_channel.queue_declare(queue, passive=True)
            return QueueStats(queue, int(declared.message_count), None, None)
    except GraderError:
        raise
    except Exception as exc:
        raise GraderError(f"cannot read queue {queue} on the broker at {safe_url(broker_url)} "
                          f"({type(exc).__name__}: {exc})", tip="check the --broker URL and that the broker runs") \
            from None

