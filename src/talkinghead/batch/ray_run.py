"""The batch on Ray: actors that each keep an LRU of opened speakers; an actor that is free takes
the next chunk of a speaker it already holds, else the next chunk in line (work goes where the
avatar is loaded, and no actor idles while work waits). Ray is an optional extra
(``talkinghead[ray]``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from .._threads import set_budget
from ..errors import InputError
from .manifest import BatchRow
from .run import BatchOptions
from .work import RowMaker, RowResult

log = logging.getLogger(__name__)

ACTOR_RESTARTS = 2  # an actor whose process dies is started again this often
ACTOR_CPUS = 1  # the CPUs an actor reserves (its thread budget is its share of the cluster's)
RAY_NAMESPACE = "talkinghead"  # where the service's named actors live


def connect(address: str):  # noqa: ANN201 - the ray module, imported lazily (optional extra)
    """Ray, connected to ``address`` ('auto': the running cluster, 'local': a new instance here,
    or host:port) unless this process is connected already."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray, which is not installed", "pip install 'talkinghead[ray]'") from None
    if not ray.is_initialized():
        try:
            if address == "local":
                ray.init(ignore_reinit_error=True, log_to_driver=False, include_dashboard=False)
            else:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"cannot reach the Ray cluster at '{address}' ({exc})",
                             "start one with `ray start --head`, give its address, or use --ray local") from None
    return ray


def run_on_ray(chunks: list[list[BatchRow]], out: str, options: BatchOptions,
               finished: Callable[[RowResult], None]) -> None:
    """Make the chunks on Ray actors (connecting, or starting a local instance, as
    ``options.ray`` says, unless Ray is already initialised in this process)."""
    ray = connect(options.ray)
    cpus = int(ray.cluster_resources().get("CPU", 1))
    n = min(options.n_workers if options.workers else cpus, len(chunks))
    actor_class = ray.remote(num_cpus=ACTOR_CPUS, max_restarts=ACTOR_RESTARTS,
                             max_task_retries=options.retries)(_Actor)
    # Each actor reserves one CPU, and its thread pools get its share of the cluster's CPUs (a
    # lone actor on a 2-core node uses both, as a lone local worker does).
    threads = max(ACTOR_CPUS, cpus // max(1, n))
    actors = [actor_class.remote(out, options.keep, threads) for _ in range(max(1, n))]
    queue = list(chunks)  # grouped by speaker
    held: list[list[str]] = [[] for _ in actors]  # the speakers each actor has open, oldest first
    running = {}

    def give(a: int) -> None:
        """The idle actor ``a`` takes a chunk of a speaker it holds, else the next one."""
        if not queue:
            return
        k = next((i for i, c in enumerate(queue) if c[0].speaker_key in held[a]), 0)
        chunk = queue.pop(k)
        key = chunk[0].speaker_key
        if key in held[a]:
            held[a].remove(key)
        held[a] = (held[a] + [key])[-options.keep:]
        running[actors[a].make.remote(chunk)] = (a, chunk)

    for a in range(len(actors)):
        give(a)
    while running:
        done, _ = ray.wait(list(running), num_returns=1)
        for ref in done:
            a, chunk = running.pop(ref)
            try:
                for r in ray.get(ref):
                    finished(r)
            except ray.exceptions.RayError as exc:
                for row in chunk:
                    finished(RowResult(row.index, row.output, "failed",
                                       f"its Ray worker was lost ({exc.__class__.__name__})"))
            give(a)
    for a in actors:
        ray.kill(a)


class _Actor:
    """A Ray actor around a :class:`RowMaker`."""

    def __init__(self, out: str, keep: int, threads: int = ACTOR_CPUS) -> None:
        set_budget(threads)
        self.maker = RowMaker(out, keep)

    def make(self, rows: list[BatchRow]) -> list[RowResult]:
        return self.maker.make(rows)

    def make_one(self, row: BatchRow, out: str) -> RowResult:
        """One row into ``out`` (a single row's folder may differ from the batch's)."""
        self.maker.out_dir = str(out)
        return self.maker.make_one(row)


_row_actor = None  # this process's actor for single rows (a service worker's video jobs)


def make_row_on_ray(row: BatchRow, out: str, address: str, retries: int = 2) -> RowResult:
    """Make one row on this process's own Ray actor (started on first use and kept, so the
    avatars it opened stay open between rows); a lost actor is replaced and the row tried again."""
    global _row_actor
    ray = connect(address)
    for _ in range(retries + 1):
        if _row_actor is None:
            actor_class = ray.remote(num_cpus=ACTOR_CPUS, max_restarts=ACTOR_RESTARTS)(_Actor)
            _row_actor = actor_class.options(name=f"talkinghead-rows-{os.getpid()}",
                                             namespace=RAY_NAMESPACE).remote(out, 4)
        try:
            return ray.get(_row_actor.make_one.remote(row, out))
        except ray.exceptions.RayActorError as exc:
            log.warning("the Ray actor making row %s was lost (%s)", row.output, exc.__class__.__name__)
            _row_actor = None
    return RowResult(row.index, row.output, "failed", f"its Ray worker was lost (tried {retries + 1} times)")
