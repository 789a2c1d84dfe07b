"""What a worker process does with one job: enroll an avatar or make a video.

Runs in a separate process (CPU-bound work never touches the server's event loop); it reports
progress by writing to the job's row in the SQLite store, which the server reads.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

from ..errors import InputError
from .params import AvatarKind, JobKind, PhotoEnrollment, VideoEnrollment, VideoRequest
from .store import Job, Store

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.2  # at most this often a job's progress is written
# Where each reported task sits in a job's overall progress (start, end), 0–1.
BANDS = {
    "avatar": {"align": (0.0, 0.15), "track": (0.15, 0.95)},
    "video": {"align": (0.05, 0.15), "render": (0.15, 1.0)},
}


class _Progress:
    """Progress hook → the job's row (throttled)."""

    def __init__(self, store: Store, job_id: str, kind: str) -> None:
        self.store, self.job_id, self.bands = store, job_id, BANDS[kind]
        self.last = 0.0

    def __call__(self, task: str, done: float, total: float | None) -> None:
        now = time.monotonic()
        finished = total is not None and done >= total
        if now - self.last < PROGRESS_EVERY_S and not finished:
            return
        self.last = now
        lo, hi = self.bands.get(task, (0.0, 0.05))
        frac = min(1.0, done / total) if total else 0.0
        self.store.update_job(self.job_id, progress=round(lo + (hi - lo) * frac, 4), stage=task)

    def stage(self, name: str, progress: float) -> None:
        self.store.update_job(self.job_id, progress=progress, stage=name)


WORKER_NICENESS = 5  # workers yield the CPU to the server process, so the API stays responsive


def lower_priority() -> None:
    """Worker-process initialiser."""
    import os

    try:
        os.nice(WORKER_NICENESS)
    except (AttributeError, OSError):  # not on this platform / not permitted: run as is
        pass


def run_job(db_path: str, data_dir: str, job_id: str) -> None:
    """Entry point in the worker process: run the job and leave it done or failed."""
    store = Store(Path(db_path))
    job = store.job(job_id)
    if job is None:
        return
    store.update_job(job_id, state="running", stage="starting", progress=0.0)
    hook = _Progress(store, job_id, job.kind)
    try:
        if isinstance(job.params, VideoRequest):
            _video(store, Path(data_dir), job.id, job.result_id, job.params, hook)
        else:
            _enroll(store, Path(data_dir), job.result_id, job.params, hook)
    except InputError as exc:
        _fail(store, job, exc.message)
    except Exception as exc:  # noqa: BLE001 - the job records why; the worker lives on
        log.error("job %s failed:\n%s", job_id, traceback.format_exc())
        _fail(store, job, f"internal error ({exc.__class__.__name__}: {exc})")
    else:
        store.update_job(job_id, state="done", progress=1.0, stage="done")


def _fail(store: Store, job: Job, message: str) -> None:
    store.update_job(job.id, state="failed", stage="failed", error=message)
    if job.kind == JobKind.AVATAR and job.result_id:
        store.set_avatar(job.result_id, "failed", {"error": message})


def _enroll(store: Store, data: Path, avatar_id: str, params: PhotoEnrollment | VideoEnrollment,
            hook: _Progress) -> None:
    folder = data / "avatars" / avatar_id
    if isinstance(params, PhotoEnrollment):
        from PIL import Image

        from ..render import load_portrait

        hook.stage("face", 0.3)
        portrait = load_portrait(folder / params.photo)
        Image.fromarray(portrait.image).save(folder / "preview.png")
        store.set_avatar(avatar_id, "ready", {"faces": portrait.faces,
                                              "frame_size": list(portrait.image.shape[1::-1])})
        return
    from ..avatar import ClipInput, coverage_table, enroll
    from ..avatar.inspect import contact_sheet

    clips = [ClipInput(folder / "sources" / name, text) for name, text in zip(params.videos, params.transcripts)]
    report = enroll(clips, folder / "person.avatar", progress=hook)
    hook.stage("contact sheet", 0.97)
    contact_sheet(report.avatar, folder / "keyposes.png")
    meta = report.avatar.meta
    store.set_avatar(avatar_id, "ready", {
        "frames": meta.counts.frames, "clips": meta.counts.clips,
        "coverage": meta.to_json()["coverage"], "skipped": [{"file": Path(p).name, "reason": r} for p, r in report.skipped],
        "coverage_table": coverage_table(report.avatar)})


def _video(store: Store, data: Path, job_id: str, video_id: str, params: VideoRequest, hook: _Progress) -> None:
    from ..render import RenderOptions, dub, say
    from ..speech import TTSOptions

    avatar, photo = speaker_files(store, data, params.avatar_id)
    out_dir = data / "videos"
    out_dir.mkdir(exist_ok=True)
    output = out_dir / f"{video_id}.mp4"
    hook.stage("speech", 0.02)
    if params.audio:
        report = dub(avatar, data / "uploads" / params.audio, output, params.text or None,
                     RenderOptions(), hook, photo=photo)
    else:
        tts = TTSOptions(voice=params.voice, rate=params.rate, lang=params.lang)
        report = say(avatar, params.text, output, tts, RenderOptions(), hook, photo=photo)
    store.add_video(video_id, job_id, report.duration)


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

