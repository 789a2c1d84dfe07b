"""What a worker process does: enroll an avatar or make a video, one job at a time.

Runs in a separate process (CPU-bound work never touches the server's event loop) that belongs
to the server (:mod:`.jobs` starts and stops it; it ends when the server dies); it reports
progress by writing to the job's row in the SQLite store, which the server reads.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
from multiprocessing.connection import Connection
from pathlib import Path

from .._threads import set_budget
from ..errors import InputError
from .params import AvatarKind, BatchRequest, PhotoEnrollment, VideoEnrollment, VideoRequest
from .store import Job, Store

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.2  # at most this often a job's progress is written
# Where each reported task sits in a job's overall progress (start, end), 0–1.
BANDS = {
    "avatar": {"align": (0.0, 0.15), "track": (0.15, 0.95)},
    "video": {"speech": (0.02, 0.15), "align": (0.05, 0.15), "render": (0.15, 1.0)},
    "batch": {"batch": (0.0, 1.0)},
}


class _Progress:
    """Progress hook → the job's row (throttled), written as the job's owner."""

    def __init__(self, store: Store, job: Job, owner: str) -> None:
        self.store, self.job_id, self.owner, self.bands = store, job.id, owner, BANDS[job.kind]
        self.last = 0.0

    def __call__(self, task: str, done: float, total: float | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self.last < PROGRESS_EVERY_S and not finished:
            return
        self.last = now
        lo, hi = self.bands.get(task, (0.0, 0.05))
        frac = min(1.0, done / total) if total else 0.0
        self.store.update_job(self.job_id, self.owner, progress=round(lo + (hi - lo) * frac, 4), stage=task)

    def stage(self, name: str, progress: float) -> None:
        self.store.update_job(self.job_id, self.owner, progress=progress, stage=name)


class _Warnings(logging.Handler):
    """Warnings the library logs while a job runs → the job's row (shown on the page)."""

    def __init__(self, store: Store, job: Job, owner: str) -> None:
        super().__init__(logging.WARNING)
        self.store, self.job_id, self.owner = store, job.id, owner

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.store.add_warning(self.job_id, self.owner, public_message(record.getMessage()))
        except Exception:  # noqa: BLE001 - a warning that cannot be stored must not fail the job
            self.handleError(record)


WORKER_NICENESS = 5  # workers yield the CPU to the server process, so the API stays responsive
WATCH_PARENT_S = 0.5  # how often a worker checks that its server still lives
TERM_GRACE_S = 5.0  # after SIGTERM, how long a worker may clean up before it is killed


def serve_jobs(conn: Connection, db_path: str, data_dir: str, server_pid: int, ray: str | None = None,
               threads: int | None = None) -> None:
    """Main of a worker process: run the jobs the server sends — (job id, owner token) each —
    one at a time, answering each with its id, until the pipe closes or the server is gone.
    ``threads``: this worker's share of the cores (None: all of them, when it works alone)."""
    _belong_to(server_pid)
    if threads is not None:
        set_budget(threads)
    from .. import render, speech  # noqa: F401 - imported while idle, not during the first job

    store = Store(Path(db_path))
    while True:
        try:
            job_id, owner = conn.recv()
        except (EOFError, OSError):
            return
        run_job(store, Path(data_dir), job_id, owner, ray)
        try:
            conn.send(job_id)
        except (BrokenPipeError, OSError):
            return


def _belong_to(server_pid: int) -> None:
    """Make this process end with its server: SIGTERM becomes SystemExit (so temporary files
    are removed on the way out), Linux sends SIGTERM when the server dies (even by kill -9),
    and a watchdog thread does the same anywhere when the parent pid changes."""
    import os
    import signal
    import threading

    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # not on this platform / not permitted: run as is
        pass
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == server_pid:
            time.sleep(WATCH_PARENT_S)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(TERM_GRACE_S)
        os._exit(1)

    threading.Thread(target=watch, name="watch-server", daemon=True).start()
    if os.getppid() != server_pid:  # the server died before the watch began
        os.kill(os.getpid(), signal.SIGTERM)


def run_job(store: Store, data: Path, job_id: str, owner: str, ray: str | None = None) -> None:
    """Run a job that ``owner`` has claimed and leave it done or failed (every write is the
    owner's: once the job is cancelled or failed by a restarted server, nothing more is written).
    ``ray``: the Ray cluster that makes the videos (a Ray address, as ``serve --ray`` says; batch
    jobs fan out over it), or None: here."""
    job = store.job(job_id)
    if job is None or job.owner != owner:
        return
    hook = _Progress(store, job, owner)
    warnings = _Warnings(store, job, owner)
    root = logging.getLogger("talkinghead")
    root.addHandler(warnings)
    try:
        avatar = None
        if isinstance(job.params, VideoRequest):
            _video(store, data, job.id, job.result_id, job.params, hook, ray)
        elif isinstance(job.params, BatchRequest):
            _batch(data, job.result_id, job.params, hook, ray)
        else:
            avatar = _enroll(data, job.result_id, job.params, hook)
    except InputError as exc:
        store.finish(job_id, owner, "failed", public_message(exc.message))
    except Exception as exc:  # noqa: BLE001 - the job records why; the worker lives on
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        store.finish(job_id, owner, "failed", public_message(f"internal error ({exc.__class__.__name__}: {exc})"))
    else:
        store.finish(job_id, owner, "done", avatar=avatar)
    finally:
        root.removeHandler(warnings)


# An absolute path: a slash-led run of path components (quoted or not).
_PATH = re.compile(r"(?<![\w.:/])/(?:[^\s'\"/]+/)+([^\s'\"/]+)")


def public_message(text: str) -> str:
    """``text`` with every absolute path cut to its file name: messages go to clients, and the
    server's directory layout is none of their business."""
    return _PATH.sub(r"\1", text)


def _enroll(data: Path, avatar_id: str, params: PhotoEnrollment | VideoEnrollment, hook: _Progress) -> dict:
    """Enroll into the avatar's folder; returns what the avatar's row shows once it is ready."""
    folder = data / "avatars" / avatar_id
    if isinstance(params, PhotoEnrollment):
        from PIL import Image

        from ..render import load_portrait

        hook.stage("face", 0.3)
        portrait = load_portrait(folder / params.photo)
        Image.fromarray(portrait.image).save(folder / "preview.png")
        return {"faces": portrait.faces, "frame_size": list(portrait.image.shape[1::-1])}
    from ..avatar import ClipInput, coverage_table, enroll
    from ..avatar.inspect import contact_sheet

    clips = [ClipInput(folder / "sources" / name, text) for name, text in zip(params.videos, params.transcripts)]
    report = enroll(clips, folder / "person.avatar", progress=hook)
    hook.stage("contact sheet", 0.97)
    contact_sheet(report.avatar, folder / "keyposes.png")
    meta = report.avatar.meta
    return {
        "frames": meta.counts.frames, "clips": meta.counts.clips,
        "coverage": meta.to_json()["coverage"], "skipped": [{"file": Path(p).name, "reason": r} for p, r in report.skipped],
        "coverage_table": coverage_table(report.avatar)}


def _video(store: Store, data: Path, job_id: str, video_id: str, params: VideoRequest, hook: _Progress,
           ray: str | None = None) -> None:
    from ..captions import CaptionOptions, write_captions
    from ..captions.files import RECOGNISED_NOTE
    from ..render import RenderOptions, dub, say
    from ..speech import TTSOptions

    avatar, photo = speaker_files(store, data, params.avatar_id)
    out_dir = data / "videos"
    out_dir.mkdir(exist_ok=True)
    output = out_dir / f"{video_id}.mp4"
    if ray is not None:  # serve --ray: the video is made by this worker's actor on the cluster
        from ..batch import BatchRow
        from ..batch.ray_run import make_row_on_ray

        hook.stage("rendering on Ray", 0.05)
        speaker = avatar or photo
        row = BatchRow(1, output.name, str(speaker) if speaker else None, params.text or None,
                       str(data / "uploads" / params.audio) if params.audio else None, params.lang, params.voice,
                       params.rate, captions=() if params.captions == "none" else ("vtt", params.captions, "recognise"))
        result = make_row_on_ray(row, str(out_dir), ray)
        if result.status == "failed":
            raise InputError(result.error or "the video could not be made")
        log.info("job %s: video made on Ray by %s", job_id, result.worker)
        store.add_video(video_id, job_id, result.duration_s)
        return
    hook.stage("speech", 0.02)
    # Captions asked for on a recording without its transcript: the words recognised (the page says so).
    options = RenderOptions(captions=None if params.captions == "none" else
                            CaptionOptions(show=params.captions, recognise=True))
    if params.audio:
        report = dub(avatar, data / "uploads" / params.audio, output, params.text or None,
                     options, hook, photo=photo)
    else:
        tts = TTSOptions(voice=params.voice, rate=params.rate, lang=params.lang)
        report = say(avatar, params.text, output, tts, options, hook, photo=photo)
    if report.captions is not None:
        write_captions(output.with_suffix(".vtt"), report.captions)
        if report.captions.recognised:
            log.warning("captions: %s", RECOGNISED_NOTE)
    store.add_video(video_id, job_id, report.duration)


def _batch(data: Path, batch_id: str, params: BatchRequest, hook: _Progress, ray: str | None) -> None:
    """A manifest's rows, one after another in this worker (or fanned out to Ray), into the
    batch's folder; the rows' results go to its results file whatever happens to each."""
    from ..batch import BatchOptions, run_batch

    folder = data / "batches" / batch_id
    report = run_batch(folder / params.manifest, folder / "out", BatchOptions(workers=0 if ray else 1, ray=ray,
                                                                              results=str(folder / "results.jsonl")),
                       hook)
    if report.count("failed") == len(report.results):
        raise InputError(f"none of the batch's {len(report.results)} row(s) could be made",
                         f"see GET /batches/{batch_id} for each row's reason")


def speaker_files(store: Store, data: Path, avatar_id: str | None) -> tuple[Path | None, Path | None]:
    """(avatar folder, photo file) of a stored avatar (one of them None), or (None, None) for the
    built-in portrait (``avatar_id`` None)."""
    if avatar_id is None:
        return None, None
    a = store.avatar(avatar_id)
    if a is None or a.state != "ready":
        raise InputError("the avatar is gone or not ready", "pick another avatar")
    folder = data / "avatars" / a.id
    if a.kind == AvatarKind.PHOTO:
        return None, _photo_file(folder)
    return folder / "person.avatar", None


def _photo_file(folder: Path) -> Path:
    for p in folder.iterdir():
        if p.name.startswith("photo."):
            return p
    raise InputError("the avatar's photo is missing", "enroll the photo again")

