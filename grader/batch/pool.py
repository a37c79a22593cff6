"""The local executor: N worker processes on this machine, each holding one Grader (one sandbox zygote) for
its whole life, fed chunks through a queue; rows come back as they are graded."""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._process import die_with_parent
from ..errors import GraderError
from ..grading import Grader
from ..results import SummaryRow
from .executor import Chunk, grade_chunk


@dataclass(frozen=True)
class _WorkerOptions:
    out_dir: Path
    require_full_isolation: bool
    parent_pid: int
    pytest_reports: bool = False
def _worker_main(tasks: Any, results: Any, options: _WorkerOptions) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    grader = Grader(require_full_isolation=options.require_full_isolation)

    def stop(*_: object) -> None:
        grader.abort()  # not close(): this handler may interrupt close() itself, inside Popen.wait's lock
        os._exit(143)

    signal.signal(signal.SIGTERM, stop)
    die_with_parent(signal.SIGTERM, options.parent_pid)  # the batch killed, even by kill -9
    try:
        while (item := tasks.get()) is not None:
            chunk_id, chunk = item
            results.put(("start", chunk_id, os.getpid()))

            def emit(row: SummaryRow, chunk_id: int = chunk_id) -> None:
                results.put(("row", chunk_id, row.to_dict()))

            try:
                rows = grade_chunk(grader, chunk, options.out_dir, emit=emit, pytest_reports=options.pytest_reports)
            except GraderError as exc:
                results.put(("error", chunk_id, (exc.message, exc.tip)))
                continue
            results.put(("rows", chunk_id, [row.to_dict() for row in rows]))
    finally:
        grader.close()


class LocalPool:
    """N worker processes, each with its own Grader (one zygote), fed chunks through a queue."""

    def __init__(self, workers: int, out_dir: Path, *, require_full_isolation: bool = False,
                 pytest_reports: bool = False) -> None:
        self.workers = max(1, workers)
        self.options = _WorkerOptions(out_dir, require_full_isolation, os.getpid(), pytest_reports)
        # spawn, not fork: the parent may run a progress thread, and workers need none of its state.
        self.ctx = mp.get_context("spawn")
        self.exitcodes: list[int | None] = []  # how the last run's workers ended (0: they finished and left)

    def _start(self, tasks: Any, results: Any) -> Any:
        proc = self.ctx.Process(target=_worker_main, args=(tasks, results, self.options), daemon=True)
        proc.start()
        return proc

    def run(self, chunks: list[Chunk]) -> Iterator[SummaryRow]:
        if not chunks:
            return
        tasks, results = self.ctx.Queue(), self.ctx.Queue()
        for item in enumerate(chunks):
            tasks.put(item)
        procs = [self._start(tasks, results) for _ in range(min(self.workers, len(chunks)))]
        for _ in procs:
            tasks.put(None)
        running: dict[int, int] = {}  # worker pid -> chunk id
        pending = set(range(len(chunks)))
        streamed: dict[int, set[str]] = {}  # chunk id -> students whose rows already arrived
        try:
            while pending:
                try:
                    kind, chunk_id, payload = results.get(timeout=0.5)
                except queue.Empty:
                    yield from self._reap(procs, running, pending, chunks, tasks, results, streamed)
                    continue
                if kind == "start":
                    running[payload] = chunk_id
                elif kind == "row":
                    streamed.setdefault(chunk_id, set()).add(payload["student"])
                    yield SummaryRow.from_dict(payload)
                elif kind == "error":
                    message, tip = payload
                    raise GraderError(message, tip=tip)
                else:
                    pending.discard(chunk_id)
                    running = {pid: c for pid, c in running.items() if c != chunk_id}
                    yield from (SummaryRow.from_dict(row) for row in payload)
        finally:
            # Finished workers exit by themselves (each got a None): wait for them, so that SIGTERM never lands
            # in a worker that is already closing its zygote. Interrupted, stop them at once.
            for p in procs:
                if pending:
                    p.terminate()
                p.join(timeout=10)
                if p.is_alive():
                    p.kill()
                    p.join()
            self.exitcodes = [p.exitcode for p in procs]

    def _reap(self, procs: list[Any], running: dict[int, int], pending: set[int], chunks: list[Chunk],
              tasks: Any, results: Any, streamed: dict[int, set[str]]) -> Iterator[SummaryRow]:
        """A worker that died (a grader crash) costs only its chunk, as not-graded rows (which the batch retries);
        a new worker replaces it."""
        for i, p in enumerate(procs):
            if p.is_alive() or p.exitcode == 0:
                continue
            chunk_id = running.pop(p.pid, None)
            if chunk_id is not None and chunk_id in pending:
                pending.discard(chunk_id)
                ex = chunks[chunk_id].exercise
                why = f"a grading worker crashed (exit code {p.exitcode})"
                done = streamed.get(chunk_id, set())
                yield from (SummaryRow.not_graded(job.student, job.slug, job.sha256, ex.version, why)
                            for job in chunks[chunk_id].jobs if job.student not in done)
            if pending:
                procs[i] = self._start(tasks, results)
                tasks.put(None)

