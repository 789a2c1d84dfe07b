"""The batch on Ray: actors that each keep an LRU of opened speakers; an actor that is free takes
the next chunk of a speaker it already holds, else the next chunk in line (work goes where the
avatar is loaded, and no actor idles while work waits). Ray is an optional extra
(``talkinghead[ray]``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from ..errors import InputError
from .manifest import BatchRow
from .run import BatchOptions
from .work import RowMaker, RowResult

log = logging.getLogger(__name__)

ACTOR_RESTARTS = 2  # an actor whose process dies is started again this often


def run_on_ray(chunks: list[list[BatchRow]], out: str, options: BatchOptions,
               finished: Callable[[RowResult], None]) -> None:
    """Make the chunks on Ray actors (connecting, or starting a local instance, as
    ``options.ray`` says, unless Ray is already initialised in this process)."""
    try:
        import ray
    except ImportError:
        raise InputError("--ray needs Ray, which is not installed", "pip install 'talkinghead[ray]'") from None
    if not ray.is_initialized():
        address = None if options.ray == "local" else options.ray
        try:
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise InputError(f"cannot reach the Ray cluster at '{options.ray}' ({exc})",
                             "start one with `ray start --head`, give its address, or use --ray local") from None
    n = min(options.n_workers if options.workers else int(ray.cluster_resources().get("CPU", 1)), len(chunks))
    actor_class = ray.remote(num_cpus=1, max_restarts=ACTOR_RESTARTS,
                             max_task_retries=options.retries)(_Actor)
    actors = [actor_class.remote(out, options.keep) for _ in range(max(1, n))]
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

    def __init__(self, out: str, keep: int) -> None:
        self.maker = RowMaker(out, keep)

    def make(self, rows: list[BatchRow]) -> list[RowResult]:
        return self.maker.make(rows)
