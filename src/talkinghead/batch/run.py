"""Run a manifest: skip what is done, make the rest on a local process pool or on Ray, report
every row.

Scheduling: rows are grouped by speaker and cut into small chunks; a chunk goes to one worker,
which keeps the speakers it opened (:class:`.work.RowMaker`), so an avatar is loaded once per
worker, not once per row. On Ray, a free actor takes a chunk of a speaker it already holds
before any other (:mod:`.ray_run`).

Resumable: an output is written to a temporary name and renamed when whole, so a row whose
output exists is done and is skipped on a rerun (a half-written file left by a killed run is
removed first). Failures are per row; a worker that dies has its chunk retried
(``BatchOptions.retries`` times) on a new worker.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from .._io import atomic_output
from .._threads import share
from ..errors import InputError
from ..progress import ProgressHook, no_progress
from . import storage
from .manifest import BadRow, BatchRow, read_manifest
from .work import RowMaker, RowResult, init_worker, make_rows

log = logging.getLogger(__name__)

RESULT_FIELDS = [f.name for f in fields(RowResult)]


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs.

    Attributes:
        workers: worker processes (local pool; 1: this process) or Ray actors; default: this
            machine's cores.
        ray: None for the local pool; 'auto' (the running cluster, or a local one), 'local' (a new
            Ray instance on this machine) or a cluster address ('ray://host:10001', 'host:6379').
            Needs ``pip install talkinghead[ray]``.
        chunk: rows a worker makes per task (small: progress stays fine-grained and the load even).
        keep: speakers a worker keeps open (an LRU).
        retries: how often a chunk whose worker died is tried again.
        results: the results file (.csv or .jsonl); default ``results.jsonl`` in the output folder.
    """

    workers: int = 0
    ray: str | None = None
    chunk: int = 2
    keep: int = 4
    retries: int = 2
    results: str | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.workers <= 256:
            raise InputError(f"{self.workers} workers is out of range", "use --workers between 1 and 256")
        if self.chunk < 1 or self.keep < 1 or self.retries < 0:
            raise InputError("chunk and keep must be at least 1, retries at least 0", "check the batch options")
        if self.results is not None and Path(self.results).suffix.lower() not in (".csv", ".jsonl"):
            raise InputError(f"results file '{self.results}' is neither .csv nor .jsonl", "name it .csv or .jsonl")

    @property
    def n_workers(self) -> int:
        return self.workers or max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class BatchReport:
    """What a batch did: every row's result (manifest order), where they are written, the wall time."""

    results: tuple[RowResult, ...]
    results_path: str
    wall_s: float

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def video_s(self) -> float:
        return sum(r.duration_s for r in self.results if r.status == "done")


def run_batch(manifest: str | os.PathLike, out_dir: str | os.PathLike, options: BatchOptions = BatchOptions(),
              progress: ProgressHook = no_progress,
              on_result: Callable[[RowResult], None] | None = None) -> BatchReport:
    """Make every row of ``manifest`` into ``out_dir`` (each a local path or a URL); returns the
    report (also written to the results file). ``progress`` gets ("batch", rows finished, rows in all); ``on_result`` each
    row's result as it comes.

    Raises:
        InputError: the manifest cannot be read, or the output folder cannot be made.
    """
    t0 = time.perf_counter()
    rows, bad = read_manifest(manifest)
    out = str(out_dir)
    if not storage.is_url(out):
        try:
            Path(out).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot make the output folder '{out}' ({exc.strerror})", "choose another --out") from None
        for stale in Path(out).rglob(".*.partial.*"):  # a killed run's half-written outputs
            stale.unlink(missing_ok=True)
    results_path = options.results or storage.join(out, "results.jsonl")
    results: dict[int, RowResult] = {b.index: RowResult(b.index, b.output, "failed", b.error) for b in bad}
    todo = []
    for row in rows:
        if row.made(out):
            results[row.index] = RowResult(row.index, row.output, "skipped")
        else:
            todo.append(row)
    total = len(rows) + len(bad)
    progress("batch", len(results), total)
    for r in results.values():
        if on_result is not None:
            on_result(r)

    def finished(r: RowResult) -> None:
        results[r.index] = r
        progress("batch", len(results), total)
        if on_result is not None:
            on_result(r)

    if todo:
        chunks = _chunks(todo, options.chunk)
        log.info("%d row(s) to make in %d chunk(s), %d skipped, %d bad", len(todo), len(chunks),
                 len(rows) - len(todo), len(bad))
        if options.ray is None:
            _run_local(chunks, out, options, finished)
        else:
            from .ray_run import run_on_ray

            run_on_ray(chunks, out, options, finished)
    ordered = tuple(results[k] for k in sorted(results))
    _write_results(results_path, ordered)
    return BatchReport(ordered, results_path, time.perf_counter() - t0)


def _chunks(rows: list[BatchRow], size: int) -> list[list[BatchRow]]:
    """Rows grouped by speaker (first appearance order), each group cut into chunks of ``size``."""
    groups: dict[str, list[BatchRow]] = {}
    for r in rows:
        groups.setdefault(r.speaker_key, []).append(r)
    return [g[k:k + size] for g in groups.values() for k in range(0, len(g), size)]


def _run_local(chunks: list[list[BatchRow]], out: str, options: BatchOptions,
               finished: Callable[[RowResult], None]) -> None:
    """The chunks on a pool of spawned worker processes; a pool broken by a dying worker is
    replaced and the chunks it lost are tried again. One worker: in this process, no pool (a
    service's worker process makes its batch so)."""
    if options.n_workers == 1:
        maker = RowMaker(out, options.keep)
        try:
            for chunk in chunks:
                for r in maker.make(chunk):
                    finished(r)
        finally:
            maker.close()
        return
    attempts = {id(c): 0 for c in chunks}
    pending = list(chunks)
    ctx = multiprocessing.get_context("spawn")
    while pending:
        n = min(options.n_workers, len(pending))
        threads = share(options.n_workers)
        with ProcessPoolExecutor(n, mp_context=ctx, initializer=init_worker, initargs=(threads,)) as pool:
            futures: dict[Future, list[BatchRow]] = {pool.submit(make_rows, out, c, options.keep): c for c in pending}
            pending = []
            while futures:
                done, _ = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    chunk = futures.pop(f)
                    try:
                        for r in f.result():
                            finished(r)
                    except BrokenProcessPool:
                        attempts[id(chunk)] += 1
                        if attempts[id(chunk)] > options.retries:
                            for row in chunk:
                                finished(RowResult(row.index, row.output, "failed",
                                                   "its worker process died (tried "
                                                   f"{options.retries + 1} times)"))
                        else:
                            pending.append(chunk)
        if pending:
            log.warning("a worker process died: %d chunk(s) go to a new pool", len(pending))


def _write_results(path: str, results: Iterable[RowResult]) -> None:
    """The results as CSV or JSON Lines (by the suffix), written whole (a local file or a URL)."""
    if path.lower().endswith(".csv"):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=RESULT_FIELDS)
        w.writeheader()
        for r in results:
            w.writerow(asdict(r))
        text = buf.getvalue()
    else:
        text = "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in results)
    if storage.is_url(path):
        storage.write_bytes(path, text.encode())
        return
    with atomic_output(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


__all__ = ["BadRow", "BatchOptions", "BatchReport", "BatchRow", "RowResult", "run_batch"]
