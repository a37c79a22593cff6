"""The Celery application both sides build from a broker URL: JSON only, at-least-once delivery.

Delivery follows the job lifecycle in DESIGN.md: a message is acknowledged only once its chunk is graded
(``acks_late``), a worker process that dies mid-task gives its message back (``reject_on_worker_lost``), each
process reserves one task at a time (prefetch 1), and a message unacknowledged for longer than the longest task
a worker accepts (the visibility timeout, just above it) is handed to another worker. Recording stays exactly
once because the batch keys results by (student, submission hash, exercise version) and ignores duplicates.
"""

from __future__ import annotations

from celery import Celery
from kombu.utils.url import maybe_sanitize_url

TASK_NAME = "grader.grade_chunk"
DEFAULT_QUEUE = "grader"
DEFAULT_MAX_TASK_S = 600.0  # the longest task a worker accepts, unless told otherwise (--max-task-seconds)
RESULT_EXPIRES_S = 24 * 3600
RESTORE_EVERY_S = 5  # how often a worker looks for the unacknowledged messages of a dead one (Redis)
BROKER_KEY_PREFIX = "frg:"  # our own keys on the broker's Redis (exercise bundles)
# A task's state in the result backend once a submission's app has loaded (after Celery's own STARTED, which
# ``task_track_started`` writes): its meta is bounded JSON, ``{"started_at": t, "loaded": {key: t}}``, times on
# the worker's clock. The portal shows it as the "checking" phase.
LOADED_STATE = "FRG_LOADED"


def check_broker(url: str, tip: str) -> None:
    """The broker reachable within a few seconds, or one GraderError naming it (password masked)."""
    from kombu import Connection

    from ..errors import GraderError

    try:
        with Connection(url, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
    except Exception as exc:
        raise GraderError(f"cannot reach the broker at {safe_url(url)} ({type(exc).__name__}: {exc})",
                          tip=tip) from None


def safe_url(url: str) -> str:
    """The broker URL with any password masked, for messages."""
    return str(maybe_sanitize_url(url))


def make_app(broker_url: str, *, visibility_timeout_s: float, queue: str = DEFAULT_QUEUE,
             fail_fast: bool = True) -> Celery:
    """A Celery app on ``broker_url`` (results on the same Redis), configured for grading jobs.

    ``fail_fast`` (the batch) gives up on an unreachable broker within seconds, so the batch can stop and say how
    to resume; a worker (``fail_fast=False``) keeps reconnecting, as a service should.
    """
    app = Celery("flask-route-grader", broker=broker_url, backend=broker_url, set_as_current=False)
    # Redis: a live worker gives back the messages of a dead one once they are older than the visibility timeout,
    # but kombu looks for them only on every 10th sweep of 10 s by default (up to 100 s late); here every 5 s.
    transport = {"visibility_timeout": int(visibility_timeout_s), "socket_connect_timeout": 3,
                 "unacked_restore_interval": RESTORE_EVERY_S, "unacked_restore_throttle": 1}
    app.conf.update(
        task_serializer="json", result_serializer="json", accept_content=["json"], result_accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        task_default_queue=queue, task_track_started=True, result_expires=RESULT_EXPIRES_S,
        result_extended=False, task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1},
        broker_transport_options=transport,
        # Fail fast when the broker is gone instead of retrying for minutes: the batch says how to resume.
        result_backend_transport_options={"retry_policy": {"max_retries": 2, "interval_start": 0,
                                                           "interval_step": 0.5, "interval_max": 1}},
        redis_socket_connect_timeout=3, redis_retry_on_timeout=False,
        broker_connection_retry_on_startup=not fail_fast, broker_connection_max_retries=2 if fail_fast else None,
        broker_connection_timeout=3,
        worker_hijack_root_logger=False, worker_send_task_events=True, task_send_sent_event=True,
        worker_cancel_long_running_tasks_on_connection_loss=True,
    )
    return app
