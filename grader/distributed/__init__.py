"""Grading across machines: Celery workers on a Redis (or RabbitMQ) broker, behind the batch's Executor seam.

``grader batch --broker URL`` queues chunks with :class:`CeleryExecutor`; ``grader worker --broker URL`` grades
them (:func:`run_worker`); ``grader queue --broker URL`` shows what waits (:func:`queue_stats`). Importing this
package imports Celery, so the local batch never does.
"""

from __future__ import annotations

from .app import DEFAULT_MAX_TASK_S, DEFAULT_QUEUE, make_app
from .executor import BrokerLost, CeleryExecutor
from .jobs import Bundle, Task, bundle_exercise, task_time_limit_s, visibility_timeout_s
from .queue import QueueStats, queue_stats
from .worker import WorkerContext, grade_task, run_worker

__all__ = [
    "DEFAULT_MAX_TASK_S", "DEFAULT_QUEUE", "BrokerLost", "Bundle", "CeleryExecutor", "QueueStats", "Task",
    "WorkerContext", "bundle_exercise", "grade_task", "make_app", "queue_stats", "run_worker",
    "task_time_limit_s", "visibility_timeout_s",
]
