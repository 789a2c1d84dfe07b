"""The HTTP API and the web page: a thin layer over enroll / say / dub, with jobs.

CPU-bound work runs in a bounded pool of worker processes; jobs, avatars and videos live in
SQLite under the data directory, so they survive a restart (a job that was running when the
server stopped is marked failed, with the reason).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import re
import shutil
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile, WebSocket
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import InputError
from ..speech import TTSOptions
from .live import LiveSessions, serve_live
from .params import JobKind, PhotoEnrollment, VideoEnrollment, VideoRequest
from .store import AvatarRow, Job, Store, new_id
from .uploads import error, save_upload
from .worker import lower_priority, run_job

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
ID = re.compile(r"^[0-9a-f]{32}$")
EVENT_POLL_S = 0.25  # how often the event stream looks at a job


@dataclass(frozen=True)
class ServerConfig:
    """Service settings.

    Attributes:
        data: directory for the database, uploads, avatars and videos (created if missing).
        workers: processes doing enrollment and rendering at once.
        max_upload_mb: largest accepted request body, MB.
        max_media_s: longest accepted uploaded video or audio, s.
        max_text_chars: longest accepted text to speak.
        cors_origins: origins allowed to call the API from a browser (none by default).
        max_live: live sessions (``/live`` WebSockets) open at once; each takes most of a core.
    """

    data: Path = Path("talkinghead-data")
    workers: int = 1
    max_upload_mb: float = 200.0
    max_media_s: float = 600.0
    max_text_chars: int = 5000
    cors_origins: tuple[str, ...] = ()
    max_live: int = 2

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 32:
            raise InputError(f"{self.workers} workers is out of range", "use --workers between 1 and 32")
        if self.max_upload_mb <= 0 or self.max_media_s <= 0 or self.max_text_chars <= 0:
            raise InputError("upload, duration and text limits must be positive", "check the limits")
        if not 0 <= self.max_live <= 64:
            raise InputError(f"{self.max_live} live sessions is out of range", "use --max-live between 0 and 64")

    @property
    def max_bytes(self) -> int:
        return int(self.max_upload_mb * (1 << 20))


def create_app(config: ServerConfig = ServerConfig()) -> FastAPI:
    """The FastAPI application for ``config`` (its data directory is created if missing)."""
    data = Path(config.data).resolve()
    for sub in ("avatars", "videos", "uploads"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    store = Store(data / "talkinghead.db")
    state: dict = {}
    live = LiveSessions(config.max_live)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        n = store.fail_interrupted()
        if n:
            log.warning("%d job(s) were interrupted by the last shutdown and are marked failed", n)
        _remove_partials(data)
        # spawn: a fresh interpreter per worker, no copy of the server's threads or sockets.
        state["pool"] = ProcessPoolExecutor(config.workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=lower_priority)
        yield
        state["pool"].shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="talkinghead", version="0.1.0", lifespan=lifespan,
                  description="Enroll a person (or a photo), then make videos of them saying any text "
                              "or recording. Long work runs as jobs: poll /jobs/{id} or follow "
                              "/jobs/{id}/events.")
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["*"],
                           allow_headers=["*"])
    app.add_middleware(_BodyLimit, max_bytes=config.max_bytes)

    def submit(job_id: str) -> None:
        future = state["pool"].submit(run_job, str(store.path), str(data), job_id)

        def done(f) -> None:  # noqa: ANN001 - a crashed worker process must not leave "running"
            if f.cancelled() or f.exception() is not None:
                job = store.job(job_id)
                if job is not None and job.state in ("queued", "running"):
                    store.update_job(job_id, state="failed", stage="failed",
                                     error=f"the worker stopped ({f.exception() if not f.cancelled() else 'cancelled'})")

        future.add_done_callback(done)

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": {"error": exc.problem, "fix": exc.fix}}, status_code=422)

    # --- avatars ----------------------------------------------------------------------------
    @app.post("/avatars", status_code=202, summary="Enroll a person from video(s) (+ transcripts), or one photo")
    async def post_avatar(videos: list[UploadFile] | None = File(None), photo: UploadFile | None = File(None),
                          transcript: list[str] | None = Form(None), name: str = Form("")) -> dict:
        """``videos`` with one ``transcript`` field per video (in the same order; optional: without
        one the English words heard are recognised), or ``photo``."""
        if bool(videos) == bool(photo):
            raise error(422, "give either video files (with their transcript) or one photo",
                        "send multipart fields 'videos' + 'transcript', or 'photo'")
        avatar_id = new_id()
        folder = data / "avatars" / avatar_id
        try:
            if photo is not None:
                path, _ = await save_upload(photo, folder, ("image",), config.max_bytes, "photo")
                params: PhotoEnrollment | VideoEnrollment = PhotoEnrollment(path.name)
            else:
                # Transcripts are optional: none at all, or one per video (an empty one: recognise it).
                transcripts = [t.strip() for t in transcript or []] or [""] * len(videos)
                if len(transcripts) != len(videos):
                    raise error(422, f"{len(videos)} video(s) but {len(transcripts)} transcript(s)",
                                "send one 'transcript' field per video, in the same order, or none")
                if max(map(len, transcripts)) > config.max_text_chars:
                    raise error(422, "a transcript is too long", f"keep each under {config.max_text_chars} characters")
                names = []
                for k, v in enumerate(videos):
                    path, _ = await save_upload(v, folder / "sources", ("video",), config.max_bytes, f"clip{k:03d}")
                    _check_duration(path, config.max_media_s)
                    names.append(path.name)
                params = VideoEnrollment(tuple(names), tuple(transcripts))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job = store.add_job(JobKind.AVATAR, params, result_id=avatar_id)
        store.add_avatar(avatar_id, _clean_name(name) or ("photo" if photo else "person"), params.kind, job.id)
        submit(job.id)
        return {"avatar_id": avatar_id, "job": job.to_json()}

    @app.get("/avatars", summary="Enrolled avatars, newest first")
    async def list_avatars() -> list[dict]:
        return [a.to_json() for a in store.avatars()]

    @app.get("/avatars/{avatar_id}", summary="One avatar: state, coverage, contact sheet")
    async def get_avatar(avatar_id: str) -> dict:
        return _avatar_or_404(store, avatar_id).to_json()

    @app.get("/avatars/{avatar_id}/keyposes.png", summary="Key-pose contact sheet of a video avatar")
    async def keyposes(avatar_id: str) -> FileResponse:
        return _image(data, _avatar_or_404(store, avatar_id), "keyposes.png")

    @app.get("/avatars/{avatar_id}/preview.png", summary="The framed portrait of a photo avatar")
    async def preview(avatar_id: str) -> FileResponse:
        return _image(data, _avatar_or_404(store, avatar_id), "preview.png")

    @app.delete("/avatars/{avatar_id}", status_code=204, summary="Delete an avatar and its footage")
    async def delete_avatar(avatar_id: str) -> None:
        a = _avatar_or_404(store, avatar_id)
        if a.state == "enrolling":
            raise error(409, "the avatar is still being enrolled", "wait for its job to finish")
        store.delete_avatar(avatar_id)
        shutil.rmtree(data / "avatars" / avatar_id, ignore_errors=True)

    # --- videos -----------------------------------------------------------------------------
    @app.post("/videos", status_code=202, summary="Make a video: text or uploaded audio, an avatar or the default photo")
    async def post_video(request: Request) -> dict:
        kind = request.headers.get("content-type", "")
        audio_name = None
        if kind.startswith("application/json"):
            try:
                body = json.loads(await request.body())
            except (ValueError, UnicodeDecodeError):
                raise error(422, "the request body is not valid JSON", "send a JSON object") from None
            if not isinstance(body, dict):
                raise error(422, "the request body must be a JSON object", 'send {"text": "…"}')
        elif kind.startswith("multipart/form-data"):
            form = await request.form()
            body = {k: v for k, v in form.items() if isinstance(v, str)}
            audio = form.get("audio")
            if audio is not None and not isinstance(audio, str):
                path, _ = await save_upload(audio, data / "uploads", ("audio", "video"), config.max_bytes)
                try:
                    _check_duration(path, config.max_media_s)
                except HTTPException:
                    path.unlink(missing_ok=True)
                    raise
                audio_name = path.name
        else:
            raise error(415, "send JSON or multipart/form-data", "set the Content-Type header")
        params = _video_params(body, audio_name, config, store)
        video_id = new_id()
        job = store.add_job(JobKind.VIDEO, params, result_id=video_id)
        submit(job.id)
        return {"video_id": video_id, "job": job.to_json()}

    @app.get("/videos/{name}", summary="A finished video (supports Range requests, so players can seek)")
    async def get_video(name: str) -> FileResponse:
        video_id = name.removesuffix(".mp4")
        if not name.endswith(".mp4") or not ID.match(video_id):
            raise error(404, "no such video", "use the video_url a finished job gives")
        path = data / "videos" / f"{video_id}.mp4"
        if store.video(video_id) is None or not path.is_file():
            raise error(404, "no such video (yet)", "wait until its job is done")
        return FileResponse(path, media_type="video/mp4", filename=f"talkinghead-{video_id[:8]}.mp4",
                            content_disposition_type="inline")

    # --- jobs -------------------------------------------------------------------------------
    @app.get("/jobs", summary="Recent jobs, newest first")
    async def list_jobs() -> list[dict]:
        return [j.to_json() for j in store.jobs()]

    @app.get("/jobs/{job_id}", summary="State, progress 0–1, stage and error of a job")
    async def get_job(job_id: str) -> dict:
        return _job_or_404(store, job_id).to_json()

    @app.get("/jobs/{job_id}/events", summary="Server-sent progress events until the job ends")
    async def job_events(job_id: str, request: Request) -> StreamingResponse:
        _job_or_404(store, job_id)

        async def stream() -> AsyncIterator[str]:
            last = None
            while not await request.is_disconnected():
                job = await asyncio.to_thread(store.job, job_id)
                if job is None:
                    return
                msg = json.dumps(job.to_json())
                if msg != last:
                    yield f"event: progress\ndata: {msg}\n\n"
                    last = msg
                if job.state in ("done", "failed"):
                    yield f"event: end\ndata: {msg}\n\n"
                    return
                await asyncio.sleep(EVENT_POLL_S)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    # --- live ---------------------------------------------------------------------------------
    @app.websocket("/live")
    async def live_session(ws: WebSocket) -> None:
        """A live session (protocol: :mod:`talkinghead.server.live`)."""
        try:
            rate, lang, voice = _speech_fields(dict(ws.query_params))
            tts = TTSOptions(voice=voice, rate=rate, lang=lang)
        except InputError as exc:
            await ws.accept()
            await ws.send_json({"type": "error", "error": exc.problem, "fix": exc.fix})
            await ws.close(1008)
            return
        await serve_live(ws, store, data, live, config.max_text_chars, config.max_media_s, tts)

    @app.get("/live/sessions", summary="Live sessions open now, and the most the server runs")
    async def live_sessions() -> dict:
        return {"open": live.open, "limit": live.limit}

    # --- the page ---------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.store = store
    app.state.config = config
    return app


class _BodyLimit:
    """Refuses request bodies over the limit (by Content-Length, or counted as they stream)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope.get("headers") or []).get(b"content-length")
        too_big = JSONResponse({"detail": {"error": f"the upload is larger than {self.max_bytes >> 20} MB",
                                           "fix": "upload a shorter or smaller file"}}, status_code=413)
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await too_big(scope, receive, send)
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise error(413, f"the upload is larger than {self.max_bytes >> 20} MB",
                                "upload a shorter or smaller file")
            return message

        return await self.app(scope, counted, send)


def _remove_partials(data: Path) -> None:
    """Half-written outputs of jobs a stopped server left behind (never under a real name)."""
    for p in (data / "videos").glob(".*.partial.*"):
        p.unlink(missing_ok=True)
    for p in (data / "avatars").glob("*/.*.partial-*"):
        shutil.rmtree(p, ignore_errors=True)


def _check_duration(path: Path, max_s: float) -> None:
    """422 unless the file decodes (container and first packet) and lasts at most ``max_s``."""
    import av

    try:
        with av.open(str(path)) as container:
            streams = [s for s in container.streams if s.type in ("audio", "video")]
            if not streams:
                raise ValueError("no audio or video stream")
            next(container.decode(streams[0]))
            seconds = container.duration / 1e6 if container.duration else max(
                float(s.duration * s.time_base) if s.duration else 0.0 for s in streams)
    except (av.error.FFmpegError, ValueError, StopIteration, OSError):
        raise error(422, "the uploaded file cannot be decoded", "upload a playable video or audio file") from None
    if seconds > max_s:
        raise error(422, f"the upload lasts {seconds:.0f} s, more than {max_s:.0f} s",
                    f"upload at most {max_s:.0f} s")


def _video_params(body: dict, audio_name: str | None, config: ServerConfig, store: Store) -> VideoRequest:
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise error(422, "'text' must be a string", 'send {"text": "…"}')
    text = (text or "").strip()
    if not text and audio_name is None:
        raise error(422, "nothing to say: no text and no audio", "send 'text', or upload 'audio'")
    if len(text) > config.max_text_chars:
        raise error(422, f"the text has {len(text)} characters, more than {config.max_text_chars}",
                    "split it into several videos")
    avatar_id = body.get("avatar_id") or None
    if avatar_id is not None:
        a = _avatar_or_404(store, str(avatar_id))
        if a.state != "ready":
            raise error(409, f"avatar {avatar_id} is {a.state}", "wait for its enrollment, or pick another")
    rate, lang, voice = _speech_fields(body)
    return VideoRequest(str(avatar_id) if avatar_id is not None else None, text, audio_name, rate, lang, voice)


def _speech_fields(body: dict) -> tuple[float, str, str | None]:
    """(rate, lang, voice) of a request's synthetic speech, checked (InputError: 422)."""
    try:
        rate = float(body.get("rate", 1.0))
    except (TypeError, ValueError):
        raise InputError("'rate' must be a number", "use 0.5-2") from None
    if not 0.5 <= rate <= 2.0:
        raise InputError(f"rate {rate:g} is out of range", "use 0.5-2")
    lang = body.get("lang", "auto")
    if lang not in ("auto", "en", "zh"):
        raise InputError(f"unknown language '{lang}'", "use auto, en or zh")
    voice = body.get("voice") or None
    if voice is not None and (not isinstance(voice, str) or not re.fullmatch(r"[A-Za-z0-9_+-]{1,40}", voice)):
        raise InputError("'voice' must be an espeak-ng voice name", "see `talkinghead voices`")
    return rate, lang, voice


def _avatar_or_404(store: Store, avatar_id: str) -> AvatarRow:
    return _row_or_404("avatar", avatar_id, store.avatar)


Row = TypeVar("Row")


def _job_or_404(store: Store, job_id: str) -> Job:
    return _row_or_404("job", job_id, store.job)


def _row_or_404(kind: str, row_id: str, find: Callable[[str], Row | None]) -> Row:
    """``find(row_id)`` for a well-formed id; 422 for a malformed one, 404 for an unknown one."""
    if not ID.match(row_id):
        raise error(422, f"malformed {kind} id", f"use an id from GET /{kind}s")
    row = find(row_id)
    if row is None:
        raise error(404, f"no {kind} {row_id}", f"GET /{kind}s lists them")
    return row


def _image(data: Path, a: AvatarRow, name: str) -> FileResponse:
    path = data / "avatars" / a.id / name
    if not path.is_file():
        raise error(404, f"avatar {a.id} has no {name}", "it appears once enrollment is done")
    return FileResponse(path, media_type="image/png")


def _clean_name(name: str) -> str:
    return "".join(c for c in name if c.isprintable()).strip()[:60]
