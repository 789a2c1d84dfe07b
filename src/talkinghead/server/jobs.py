"""The job runner: the one owner of the server's worker processes and of the jobs they run.

Jobs wait in a queue (in submission order; queued jobs of a stopped server run again when it
starts). A fixed number of worker processes (:func:`.worker.serve_jobs`, spawned: fresh
interpreters that keep their loaded models between jobs) take one job at a time. Each dispatch
gets an owner token: only its holder may write the job while it runs, so a job cancelled here,
or failed by a restarted server, can never be overwritten by a worker that is still winding down.

Workers belong to the server: :meth:`JobRunner.stop` terminates them (a running job is failed
with the reason), a cancelled job's worker is terminated and replaced, and a worker ends by
itself when the server process dies, even by ``kill -9`` (see :func:`.worker._belong_to`).
When a job ends, however it ends, the runner removes what it no longer needs: the uploaded
recording, half-written outputs, and the footage of an enrollment that did not succeed.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .._threads import share
from .params import BatchRequest, VideoRequest
from .store import RESTART_REASON, Job, Store, new_id
from .worker import TERM_GRACE_S, serve_jobs

log = logging.getLogger(__name__)

POLL_S = 0.1  # how often the runner looks at its queue and workers
CANCELLED = "cancelled by the user"


@dataclass
class _Worker:
    proc: multiprocessing.process.BaseProcess
    conn: Connection
    job: str | None = None
    owner: str | None = None


class JobRunner:
    """Runs queued jobs on ``workers`` processes (start with :meth:`start`, end with :meth:`stop`)."""

    def __init__(self, store: Store, data: Path, workers: int, ray: str | None = None) -> None:
        self.store, self.data, self.n, self.ray = store, data, workers, ray
        self._own_ray = False  # a local Ray instance this runner started (and stops)
        self._queue: deque[str] = deque()
        self._workers: list[_Worker] = []
        self._retired: list[_Worker] = []  # terminated for a cancel, not yet reaped
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._ctx = multiprocessing.get_context("spawn")

    # --- the server's side ------------------------------------------------------------------
    def start(self) -> None:
        """Fail the jobs a stopped server left running, queue the ones it left queued, start the
        workers and the dispatching thread."""
        if self.ray == "local":  # one instance for the whole server, its workers connect to it
            from ..batch.ray_run import connect

            self.ray = connect("local").get_runtime_context().gcs_address
            self._own_ray = True
        interrupted = self.store.fail_interrupted()
        if interrupted:
            log.warning("%d job(s) were interrupted by the last shutdown and are marked failed", len(interrupted))
        for job_id in interrupted:  # what they left behind goes, as for any job that ends
            self._ended(job_id)
        with self._lock:
            self._queue.extend(j.id for j in self.store.queued())
        self._thread = threading.Thread(target=self._loop, name="job-runner", daemon=True)
        self._thread.start()

    def submit(self, job_id: str) -> None:
        with self._lock:
            self._queue.append(job_id)

    def position(self, job_id: str) -> int | None:
        """1 for the next job to start, 2 for the one after, …; None when not waiting."""
        with self._lock:
            try:
                return self._queue.index(job_id) + 1
            except ValueError:
                return None

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job (a running one's worker is terminated and replaced);
        False when the job had already ended."""
        with self._lock:
            if job_id in self._queue:
                self._queue.remove(job_id)
                ended = self.store.finish(job_id, None, "cancelled", CANCELLED)
                victim = None
            else:
                victim = next((w for w in self._workers if w.job == job_id), None)
                ended = victim is not None and self.store.finish(job_id, victim.owner, "cancelled", CANCELLED)
                if ended:  # out of the pool at once (a replacement starts); reaped once it has ended
                    self._workers.remove(victim)
                    self._retired.append(victim)
                    victim.proc.terminate()
        if ended and victim is None:
            self._ended(job_id)
        return ended

    def stop(self) -> None:
        """Stop the workers (running jobs fail: the server stopped); queued jobs stay queued."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(5)
        with self._lock:
            workers, self._workers = self._workers + self._retired, []
            self._retired = []
        for w in workers:
            if w.job is not None:
                self.store.finish(w.job, w.owner, "failed", RESTART_REASON)
            w.proc.terminate()
        deadline = time.monotonic() + TERM_GRACE_S
        for w in workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
            if w.proc.is_alive():
                w.proc.kill()
                w.proc.join(1)
            w.conn.close()
        for w in workers:
            if w.job is not None:
                self._ended(w.job)
        if self._own_ray:
            import ray

            ray.shutdown()

    def pids(self) -> list[int]:
        """Process ids of the workers (for tests and monitoring)."""
        with self._lock:
            return [w.proc.pid for w in self._workers if w.proc.pid is not None]

    # --- the dispatching thread ---------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:
                log.exception("job runner")
            with self._lock:
                conns = [w.conn for w in self._workers if w.job is not None]
                sentinels = [w.proc.sentinel for w in self._workers + self._retired]
            wait(conns + sentinels, timeout=POLL_S)

    def _step(self) -> None:
        with self._lock:
            while len(self._workers) < self.n and not self._stopping.is_set():
                self._workers.append(self._spawn())
            workers = list(self._workers)
            retired = [w for w in self._retired if not w.proc.is_alive()]
            self._retired = [w for w in self._retired if w not in retired]
        for w in retired:  # a cancelled job's worker has ended: now its files can go
            w.proc.join(0)
            w.conn.close()
            self._ended(w.job)
        for w in workers:
            if w.job is not None and w.proc.is_alive() and w.conn.poll():
                try:
                    w.conn.recv()
                except (EOFError, OSError):  # the pipe closed: the worker is ending without an answer
                    w.proc.join(TERM_GRACE_S)
                else:
                    job_id, w.job, w.owner = w.job, None, None
                    self._ended(job_id)
            if not w.proc.is_alive():
                self._replace(w)
        with self._lock:
            idle = [w for w in self._workers if w.job is None and w.proc.is_alive()]
            while idle and self._queue:
                job_id = self._queue.popleft()
                owner = new_id()
                if not self.store.claim(job_id, owner):
                    continue  # cancelled or deleted meanwhile
                w = idle.pop()
                w.job, w.owner = job_id, owner
                try:
                    w.conn.send((job_id, owner))
                except (BrokenPipeError, OSError):
                    pass  # the worker died: _replace fails the job on the next step

    def _spawn(self) -> _Worker:
        ours, theirs = self._ctx.Pipe()
        proc = self._ctx.Process(target=serve_jobs, name="talkinghead-worker", daemon=True,
                                 args=(theirs, str(self.store.path), str(self.data), os.getpid(), self.ray,
                                       share(self.n) if self.n > 1 else None))
        proc.start()
        theirs.close()
        return _Worker(proc, ours)

    def _replace(self, w: _Worker) -> None:
        """A worker ended (cancelled, crashed, killed): fail its job if it still held one."""
        w.proc.join(0)
        if w.job is not None:
            log.warning("worker %s stopped (exit code %s) while running job %s", w.proc.pid, w.proc.exitcode, w.job)
            self.store.finish(w.job, w.owner, "failed",
                              f"the worker process stopped (exit code {w.proc.exitcode}); submit the job again")
            self._ended(w.job)
        w.conn.close()
        with self._lock:
            if w in self._workers:
                self._workers.remove(w)

    def _ended(self, job_id: str) -> None:
        """After a job ended: remove what it no longer needs."""
        job = self.store.job(job_id)
        if job is None:
            return
        if not job.final:  # its worker was lost between claiming and finishing it
            self.store.finish(job.id, job.owner, "failed", RESTART_REASON)
            job = self.store.job(job_id)
        remove_leftovers(self.store, self.data, job)


def remove_leftovers(store: Store, data: Path, job: Job) -> None:
    """Delete what an ended job leaves behind: its uploaded recording, half-written outputs, the
    output of a video job that did not end done, and, for an enrollment that did not succeed,
    the avatar's folder (its row keeps the reason)."""
    if isinstance(job.params, VideoRequest):
        if job.params.audio:
            (data / "uploads" / job.params.audio).unlink(missing_ok=True)
        if job.result_id:
            for p in (data / "videos").glob(f".{job.result_id}.partial.*"):
                p.unlink(missing_ok=True)
            if job.state != "done":
                store.delete_video(job.result_id)
                (data / "videos" / f"{job.result_id}.mp4").unlink(missing_ok=True)
    elif isinstance(job.params, BatchRequest):
        for p in (data / "batches" / (job.result_id or "-")).rglob(".*.partial.*"):
            p.unlink(missing_ok=True)
    elif job.state != "done" and job.result_id:
        shutil.rmtree(data / "avatars" / job.result_id, ignore_errors=True)
