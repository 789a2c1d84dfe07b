"""A process's share of the cores: the one place that sizes every thread pool we use.

A process that renders alone uses all the cores it can (the libraries' defaults). Several worker
processes side by side (a batch's local pool, Ray actors, the service's workers) each get a share
instead; otherwise each one's pools (BLAS, OpenCV, onnxruntime, the H.264 encoder and decoder)
spread over every core, and the workers spend their time taking the cores from each other
(onnxruntime's pool also spins while it waits). :func:`set_budget` is called once, first thing
in such a worker; the stages ask :func:`onnx_session_options` and :func:`codec_threads`.

Threads also decide where freed memory goes: :func:`share_heaps` (the CLI and every worker call
it) keeps them to a few malloc heaps.
"""

from __future__ import annotations

import ctypes
import os
import sys

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_budget: int | None = None  # threads this process may use; None: every library's own default
MALLOC_HEAPS = 2  # glibc malloc heaps (arenas) this process's threads share; glibc's own cap: 8 per core
_M_ARENA_MAX = -8  # glibc's mallopt parameter number for that cap


def share(workers: int) -> int:
    """Threads for each of ``workers`` processes sharing this machine's cores (at least 1)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def set_budget(threads: int) -> None:
    """Limit this process to ``threads`` threads per pool (call before the heavy work starts:
    the BLAS variables only count before numpy's first use, and a voice already loaded keeps
    its pool)."""
    global _budget
    if threads < 1:
        raise ValueError(f"a thread budget must be at least 1, got {threads}")
    _budget = threads
    for name in THREAD_VARIABLES:  # for libraries loaded from now on…
        os.environ[name] = str(threads)
    import cv2
    from threadpoolctl import threadpool_limits

    # …and numpy's BLAS, already loaded in any process that imported talkinghead: the variables
    # come too late for it. Two workers' BLAS pools busy-waiting on two cores made one SVD 30 ×
    # slower.
    threadpool_limits(threads)
    cv2.setNumThreads(threads)
    share_heaps()


def share_heaps(heaps: int = MALLOC_HEAPS) -> None:
    """Let this process's threads allocate from at most ``heaps`` glibc malloc heaps.

    Why: glibc gives busy threads heaps of their own. The decoder's, the encoder's, the face
    tracker's and our own threads each allocate and free frame-sized blocks, and a block freed
    into one thread's heap is not reused by another thread, so a long dub's resident memory grew
    with the video's length (RESULTS.md, "HD footage"). With a few shared heaps it is reused.
    Nothing happens off glibc, or when the user set ``MALLOC_ARENA_MAX`` (theirs is kept).
    """
    if not sys.platform.startswith("linux") or "MALLOC_ARENA_MAX" in os.environ:
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, int(heaps))
    except (OSError, AttributeError):  # musl and other C libraries: no such knob
        return


def onnx_session_options():  # noqa: ANN202 - onnxruntime.SessionOptions, imported lazily
    """Session options for onnxruntime: within the budget and not spinning while idle, when one
    is set; the defaults otherwise."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if _budget is not None:
        options.intra_op_num_threads = _budget
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def codec_threads() -> int:
    """Threads for an FFmpeg encoder or decoder: the budget, or 0 (FFmpeg chooses)."""
    return _budget or 0
