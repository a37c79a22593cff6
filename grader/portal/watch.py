"""Long polls of a submission's status: a web thread waits for the job to change instead of the browser asking
every second.

While a student's submission is queued or graded, their status page used to ask the server once a second; under
load those requests took the web process a whole core, which the graders on the same machine needed (see
benchmarks/README.md). Now ``status.json?wait=S`` answers as soon as the job's state or phase changes, or after
``S`` seconds (a job that starts is given half a second more, so that a quick grading is answered once, not once
per phase). One thread reads the state of every job someone waits on, in one query every ``interval_s``, and
wakes the threads whose job changed, so the database sees one small query per interval however many wait.
Workers need not tell the web process anything, so it works the same with the local pool, with Celery workers and
with several web processes.

A long poll holds one of the web server's threads. At most ``slots`` wait at once; a request beyond them is
answered at once, with a hint of when to ask again, so pages never queue behind waiting status requests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from sqlalchemy import select

from .db import Database
from .models import Submission

Seen = tuple[str, str]  # (state, phase): what a waiter waits to see change


class StatusWatch:
    def __init__(self, db: Database, *, slots: int, interval_s: float = 0.1, settle_s: float = 0.5) -> None:
        self.db, self.interval_s, self.settle_s = db, interval_s, settle_s
        self._slots = threading.BoundedSemaphore(max(1, slots))
        self._cond = threading.Condition()
        self._waiting: Counter[int] = Counter()
        self._seen: dict[int, Seen] = {}
        self._thread: threading.Thread | None = None
        self._stopped = False

    def wait(self, submission_id: int, known: Seen, timeout_s: float) -> bool:
        """Block until the job's (state, phase) is no longer ``known``, or ``timeout_s`` passed; False at once
        when every slot is taken (the caller answers without waiting)."""
        if not self._slots.acquire(blocking=False):
            return False
        try:
            deadline = time.monotonic() + timeout_s
            with self._cond:
                self._waiting[submission_id] += 1
                self._start()
                self._cond.notify_all()  # the watching thread may be asleep, waiting for a waiter
                try:
                    self._wait_locked(submission_id, known, deadline)
                finally:
                    self._waiting[submission_id] -= 1
                    if self._waiting[submission_id] <= 0:
                        del self._waiting[submission_id]
                        self._seen.pop(submission_id, None)
            return True
        finally:
            self._slots.release()

    def _wait_locked(self, submission_id: int, known: Seen, deadline: float) -> None:
        """Wait (holding the condition) for a change; a job that starts running is given ``settle_s`` more to
        finish or move on, so a quick grading answers once ("done") rather than once per phase it passes."""
        moved_at: float | None = None
        while not self._stopped:
            now = time.monotonic()
            seen = self._seen.get(submission_id, known)
            until = deadline
            if seen != known:
                if seen[0] != "running":  # done, parked, or queued again: say so at once
                    return
                moved_at = now if moved_at is None else moved_at
                until = min(deadline, moved_at + self.settle_s)
            if until <= now:
                return
            self._cond.wait(until - now)

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="frg-status-watch", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                ids = list(self._waiting)
            try:
                # Core, not an ORM session: this runs ten times a second while anyone waits.
                with self.db.engine.connect() as conn:
                    rows = conn.execute(select(Submission.id, Submission.state, Submission.phase)
                                        .where(Submission.id.in_(ids))).all()
            except Exception:  # a busy or lost database this round: the waiters time out as they would anyway
                rows = []
            with self._cond:
                changed = False
                for sid, st, phase in rows:
                    if sid in self._waiting and self._seen.get(sid) != (st, phase):
                        self._seen[sid] = (st, phase)
                        changed = True
                if changed:
                    self._cond.notify_all()
            time.sleep(self.interval_s)

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
