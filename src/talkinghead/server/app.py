"""The HTTP API and the web page: a thin layer over enroll / say / dub, with jobs.

CPU-bound work runs in worker processes that belong to the server (:mod:`.jobs`); jobs, avatars
and videos live in SQLite under the data directory, so they survive a restart (a job that was
running when the server stopped is marked failed, with the reason; queued ones run again).

Browsers may call the API only from the page it serves (or an origin given with ``--cors``):
any other site's request that would change something is refused, so a page the user happens
to visit cannot start jobs on their machine. Every error, whatever raised it, is JSON of the
form ``{"detail": {"error": …, "fix": …}}`` and names no server path.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import InputError
from ..render.photo import check_photo
from ..speech import TTSOptions
from .jobs import JobRunner
from .live import LiveSessions, serve_live
from .params import BatchRequest, JobKind, PhotoEnrollment, VideoEnrollment, VideoRequest
from .store import AvatarRow, Job, Store, new_id
from .uploads import error, save_upload
from .worker import public_message

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
ID = re.compile(r"^[0-9a-f]{32}$")
EVENT_POLL_S = 0.25  # how often the event stream looks at a job
DISK_CHECK_S = 5.0  # the data directory's size is measured at most this often


@dataclass(frozen=True)
class ServerConfig:
    """Service settings.

    Attributes:
        data: directory for the database, uploads, avatars and videos (created if missing).
        workers: processes doing enrollment and rendering at once.
        max_upload_mb: largest accepted request body, MB.
        max_media_s: longest accepted uploaded video or audio, s.
        max_text_chars: longest accepted text to speak.
        cors_origins: origins allowed to call the API from a browser (none by default: only the
            page the server itself serves).
        max_live: live sessions (``/live`` WebSockets) open at once; each takes most of a core.
        max_disk_gb: most the data directory may hold, GB; while it holds more, new uploads and
            jobs are refused (507) until videos or avatars are deleted.
        ray: a Ray cluster ('auto': the running one, 'local': one this server starts, or
            host:port) that makes the videos (``serve --ray``): each worker's video jobs go to its
            own actor there, batch jobs fan out over all of its CPUs; None: the workers make them.
        max_batch_rows: most rows one ``POST /batches`` manifest may have.
        hosts: the host names requests may address (the ``Host`` header, without the port); empty:
            any. `serve` on a loopback address allows only loopback names, so a web page whose
            name is re-pointed at 127.0.0.1 (DNS rebinding) is not served as if it were ours.
    """

    data: Path = Path("talkinghead-data")
    workers: int = 1
    max_upload_mb: float = 200.0
    max_media_s: float = 600.0
    max_text_chars: int = 5000
    cors_origins: tuple[str, ...] = ()
    max_live: int = 2
    max_disk_gb: float = 20.0
    hosts: tuple[str, ...] = ()
    ray: str | None = None
    max_batch_rows: int = 1000

    def __post_init__(self) -> None:
        if not 1 <= self.workers <= 32:
            raise InputError(f"{self.workers} workers is out of range", "use --workers between 1 and 32")
        if self.max_upload_mb <= 0 or self.max_media_s <= 0 or self.max_text_chars <= 0:
            raise InputError("upload, duration and text limits must be positive", "check the limits")
        if self.max_disk_gb <= 0:
            raise InputError(f"a disk limit of {self.max_disk_gb:g} GB is not positive", "use --max-disk-gb above 0")
        if not 0 <= self.max_live <= 64:
            raise InputError(f"{self.max_live} live sessions is out of range", "use --max-live between 0 and 64")

    @property
    def max_bytes(self) -> int:
        return int(self.max_upload_mb * (1 << 20))


def create_app(config: ServerConfig = ServerConfig()) -> FastAPI:
    """The FastAPI application for ``config`` (its data directory is created if missing)."""
    data = Path(config.data).resolve()
    for sub in ("avatars", "videos", "uploads", "batches"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    store = Store(data / "talkinghead.db")
    live = LiveSessions(config.max_live)
    runner = JobRunner(store, data, config.workers, config.ray)
    disk = _DiskUse(data, config.max_disk_gb)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        _remove_strays(store, data)
        runner.start()
        yield
        await asyncio.to_thread(runner.stop)

    app = FastAPI(title="talkinghead", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Enroll a person (or a photo), then make videos of them saying any text "
                              "or recording. Long work runs as jobs: poll /jobs/{id} or follow "
                              "/jobs/{id}/events.")
    if config.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["*"],
                           allow_headers=["*"])
    app.add_middleware(_BodyLimit, max_bytes=config.max_bytes)
    app.add_middleware(_SameOrigin, allowed=frozenset(config.cors_origins), hosts=frozenset(config.hosts))

    def job_json(job: Job) -> dict:
        out = job.to_json()
        out["queue_position"] = runner.position(job.id) if job.state == "queued" else None
        return out

    @app.exception_handler(InputError)
    async def input_error(request: Request, exc: InputError) -> JSONResponse:
        return JSONResponse({"detail": {"error": public_message(exc.problem), "fix": exc.fix}}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if isinstance(exc.detail, dict):
            body = exc.detail
        else:  # Starlette's own (unknown route, wrong method): the same shape as ours
            body = {"error": str(exc.detail).rstrip(".").lower(), "fix": "see /docs for the API"}
        return JSONResponse({"detail": body}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
                             for e in exc.errors()[:5])
        return JSONResponse({"detail": {"error": problems or "invalid request", "fix": "see /docs for the API"}},
                            status_code=422)

    @app.exception_handler(ClientDisconnect)
    async def client_gone(request: Request, exc: ClientDisconnect) -> JSONResponse:
        # The client went away mid-upload: nobody reads this answer, and nothing was stored.
        log.info("%s %s: the client disconnected before sending the whole request", request.method, request.url.path)
        return JSONResponse({"detail": {"error": "the request was cut off", "fix": "send it again"}}, status_code=400)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s", request.method, request.url.path)
        return JSONResponse({"detail": {"error": f"internal error ({exc.__class__.__name__})",
                                        "fix": "try again; if it persists, report it with the server's log"}},
                            status_code=500)

    # --- avatars ----------------------------------------------------------------------------
    @app.post("/avatars", status_code=202, summary="Enroll a person from video(s) (+ transcripts), or one photo")
    async def post_avatar(videos: list[UploadFile] | None = File(None), photo: UploadFile | None = File(None),
                          transcript: list[str] | None = Form(None), name: str = Form("")) -> dict:
        """``videos`` with one ``transcript`` field per video (in the same order; optional: without
        one the English words heard are recognised), or ``photo``."""
        if bool(videos) == bool(photo):
            raise error(422, "give either video files (with their transcript) or one photo",
                        "send multipart fields 'videos' + 'transcript', or 'photo'")
        await asyncio.to_thread(disk.check)
        avatar_id = new_id()
        folder = data / "avatars" / avatar_id
        try:
            if photo is not None:
                path, _ = await save_upload(photo, folder, ("image",), config.max_bytes, "photo")
                check_photo(path)  # from its header: a decompression bomb is bad input, refused now
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
        runner.submit(job.id)
        return {"avatar_id": avatar_id, "job": job_json(job)}

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

    @app.delete("/avatars/{avatar_id}", status_code=204,
                summary="Delete an avatar and its footage (an enrollment still running is cancelled)")
    async def delete_avatar(avatar_id: str) -> None:
        a = _avatar_or_404(store, avatar_id)
        if a.state == "enrolling" and a.job_id:
            await asyncio.to_thread(runner.cancel, a.job_id)
        store.delete_avatar(avatar_id)
        shutil.rmtree(data / "avatars" / avatar_id, ignore_errors=True)

    # --- videos -----------------------------------------------------------------------------
    @app.post("/videos", status_code=202, summary="Make a video: text or uploaded audio, an avatar or the default photo")
    async def post_video(request: Request) -> dict:
        kind = request.headers.get("content-type", "")
        if kind.startswith("application/json"):
            body = _json_object(await request.body())
            params = _video_params(body, None, config, store)
        elif kind.startswith("multipart/form-data"):
            form = await request.form()
            body = {k: v for k, v in form.items() if isinstance(v, str)}
            audio = form.get("audio")
            if audio is None or isinstance(audio, str):
                params = _video_params(body, None, config, store)
            else:
                _video_params(body, "(checked)", config, store)  # refuse a bad field before storing anything
                await asyncio.to_thread(disk.check)
                path, _ = await save_upload(audio, data / "uploads", ("audio", "video"), config.max_bytes)
                try:
                    _check_duration(path, config.max_media_s)
                    params = _video_params(body, path.name, config, store)
                except BaseException:
                    path.unlink(missing_ok=True)
                    raise
        else:
            raise error(415, "send JSON or multipart/form-data", "set the Content-Type header")
        await asyncio.to_thread(disk.check)
        video_id = new_id()
        job = store.add_job(JobKind.VIDEO, params, result_id=video_id)
        runner.submit(job.id)
        return {"video_id": video_id, "job": job_json(job)}

    @app.get("/videos", summary="Finished videos, newest first, with what each says")
    async def list_videos() -> list[dict]:
        return [{**v, "video_url": f"/videos/{v['id']}.mp4"} for v in store.videos()]

    @app.get("/videos/{name}", summary="A finished video (supports Range requests, so players can seek, and HEAD), "
             "or its WebVTT captions ({id}.vtt, where it was made with captions)")
    @app.head("/videos/{name}", include_in_schema=False)  # players and download managers ask for the size first
    async def get_video(name: str, request: Request) -> FileResponse:
        if name.endswith(".vtt"):
            captions = _video_path(name.removesuffix(".vtt")).with_suffix(".vtt")
            if not captions.is_file():
                raise error(404, "this video has no captions", "make it with captions (soft or burn)")
            return FileResponse(captions, media_type="text/vtt; charset=utf-8")
        path = _video_path(name)
        size = path.stat().st_size
        wanted = request.headers.get("range")
        if wanted is not None and not _satisfiable(wanted, size):
            raise HTTPException(416, {"error": f"the range '{_clean_name(wanted)[:60]}' is not one this "
                                               f"{size}-byte file can serve",
                                      "fix": "ask for bytes=START-END within the file, or leave Range out"},
                                headers={"Content-Range": f"bytes */{size}"})
        return FileResponse(path, media_type="video/mp4", filename=f"talkinghead-{path.stem[:8]}.mp4",
                            content_disposition_type="inline")

    @app.delete("/videos/{name}", status_code=204, summary="Delete a finished video")
    async def delete_video(name: str) -> None:
        path = _video_path(name)
        store.delete_video(path.stem)
        path.unlink(missing_ok=True)
        path.with_suffix(".vtt").unlink(missing_ok=True)

    def _video_path(name: str) -> Path:
        video_id = name.removesuffix(".mp4")
        if not ID.match(video_id):
            raise error(404, "no such video", "use the video_url a finished job gives")
        path = data / "videos" / f"{video_id}.mp4"
        if store.video(video_id) is None or not path.is_file():
            raise error(404, "no such video (yet)", "wait until its job is done")
        return path

    # --- batches ------------------------------------------------------------------------------
    @app.post("/batches", status_code=202,
              summary="Make many videos from a manifest (CSV or JSON Lines: output, speaker = an avatar id or "
                      "empty, text, lang?, voice?, rate?, fps?)")
    async def post_batch(manifest: UploadFile = File(...)) -> dict:
        """Each row is made or reported with its reason; follow it like any job, read each row's
        result at ``GET /batches/{id}``."""
        suffix = Path(manifest.filename or "").suffix.lower()
        if suffix not in (".csv", ".jsonl"):
            raise error(422, "the manifest must be a .csv or .jsonl file", "name the uploaded file .csv or .jsonl")
        await asyncio.to_thread(disk.check)
        batch_id = new_id()
        folder = data / "batches" / batch_id
        try:
            folder.mkdir(parents=True)
            raw = await manifest.read(config.max_bytes + 1)
            if len(raw) > config.max_bytes:
                raise error(413, f"the manifest is larger than {config.max_bytes >> 20} MB", "split it")
            (folder / f"upload{suffix}").write_bytes(raw)
            rows = await asyncio.to_thread(_service_manifest, folder / f"upload{suffix}", folder / "manifest.jsonl",
                                           store, data, config)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        job = store.add_job(JobKind.BATCH, BatchRequest("manifest.jsonl", rows), result_id=batch_id)
        runner.submit(job.id)
        return {"batch_id": batch_id, "job": job_json(job)}

    @app.get("/batches/{batch_id}", summary="A batch: its job, and each row's result with its video's URL")
    async def get_batch(batch_id: str) -> dict:
        if not ID.match(batch_id):
            raise error(422, "malformed batch id", "use the batch_id POST /batches gave")
        job = store.job_for(batch_id)
        if job is None or job.kind != JobKind.BATCH:
            raise error(404, f"no batch {batch_id}", "POST /batches starts one")
        results = data / "batches" / batch_id / "results.jsonl"
        rows = [json.loads(line) for line in results.read_text().splitlines()] if results.is_file() else []
        for r in rows:
            r["error"] = public_message(r["error"]) if r["error"] else None
            if r["status"] in ("done", "skipped"):
                r["video_url"] = f"/batches/{batch_id}/files/{r['output']}"
        return {"job": job_json(job), "rows": rows}

    @app.get("/batches/{batch_id}/files/{output:path}", summary="A video a batch made")
    async def batch_file(batch_id: str, output: str) -> FileResponse:
        out = (data / "batches" / batch_id / "out").resolve()
        path = (out / output).resolve()
        if not ID.match(batch_id) or out not in path.parents or path.suffix != ".mp4" or not path.is_file():
            raise error(404, "no such video in this batch", "use a video_url from GET /batches/{id}")
        return FileResponse(path, media_type="video/mp4", filename=path.name, content_disposition_type="inline")

    # --- jobs -------------------------------------------------------------------------------
    @app.get("/jobs", summary="Recent jobs, newest first")
    async def list_jobs() -> list[dict]:
        return [job_json(j) for j in store.jobs()]

    @app.get("/jobs/{job_id}", summary="State, progress 0–1, stage, time left, queue position, warnings and "
                                        "error of a job")
    async def get_job(job_id: str) -> dict:
        return job_json(_job_or_404(store, job_id))

    @app.post("/jobs/{job_id}/cancel", summary="Cancel a queued or running job")
    async def cancel_job(job_id: str) -> dict:
        job = _job_or_404(store, job_id)
        if not await asyncio.to_thread(runner.cancel, job.id):
            raise error(409, f"the job has already ended ({store.job(job.id).state})", "nothing to cancel")
        return job_json(store.job(job.id))

    @app.get("/jobs/{job_id}/events", summary="Server-sent progress events until the job ends")
    async def job_events(job_id: str, request: Request) -> StreamingResponse:
        _job_or_404(store, job_id)

        async def stream() -> AsyncIterator[str]:
            last = None
            while not await request.is_disconnected():
                job = await asyncio.to_thread(store.job, job_id)
                if job is None:
                    return
                msg = json.dumps(job_json(job))
                if msg != last:
                    yield f"event: progress\ndata: {msg}\n\n"
                    last = msg
                if job.final:
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

    # --- the pages --------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        """The API reference, drawn from /openapi.json by the page itself (nothing from a CDN)."""
        return FileResponse(STATIC / "docs.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.store = store
    app.state.config = config
    app.state.runner = runner
    return app


class _SameOrigin:
    """Refuses a browser's cross-site request that could change something (any method but
    GET/HEAD/OPTIONS, and WebSockets): a "simple" cross-origin POST needs no CORS preflight, so
    CORS alone does not stop another site from starting jobs here. A request is foreign when its
    ``Origin`` is not this server's own (nor one allowed with ``--cors``), or, without an
    ``Origin``, when the browser says ``Sec-Fetch-Site: cross-site``. Scripts and tools send
    neither header and pass."""

    def __init__(self, app: ASGIApp, allowed: frozenset[str], hosts: frozenset[str]) -> None:
        self.app, self.allowed, self.hosts = app, allowed, hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        refusal = None
        if self.hosts and _host_name(headers.get("host", "")) not in self.hosts:
            refusal = ("requests addressed to another host name are refused",
                       f"address this server as {' or '.join(sorted(self.hosts))}, or start serve with --host")
        elif (scope["type"] == "websocket" or scope["method"] not in ("GET", "HEAD", "OPTIONS")) \
                and self._foreign(headers):
            refusal = ("requests from other web sites are refused",
                       "use the page this server serves, call the API from a script, or start serve with "
                       "--cors ORIGIN to allow that site")
        if refusal is None:
            return await self.app(scope, receive, send)
        log.warning("refused %s %s (host %s, origin %s)", scope.get("method", "WebSocket"), scope["path"],
                    headers.get("host"), headers.get("origin") or headers.get("sec-fetch-site"))
        if scope["type"] == "websocket":
            return await send({"type": "websocket.close", "code": 1008})  # refuses the handshake (403)
        return await JSONResponse({"detail": {"error": refusal[0], "fix": refusal[1]}},
                                  status_code=403)(scope, receive, send)

    def _foreign(self, headers: dict[str, str]) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            if origin in self.allowed:
                return False
            own = headers.get("host", "")
            return origin == "null" or origin.split("://", 1)[-1].rstrip("/") != own
        return headers.get("sec-fetch-site") == "cross-site"


def _host_name(host: str) -> str:
    """The name in a Host header, without the port ('[::1]:8000' → '::1')."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class _DiskUse:
    """The data directory's size against ``--max-disk-gb`` (measured at most every
    DISK_CHECK_S seconds: a walk of a big directory is not free, so endpoints call it in a thread,
    off the event loop)."""

    def __init__(self, data: Path, max_gb: float) -> None:
        self.data, self.max_bytes = data, int(max_gb * (1 << 30))
        self.used, self.when = 0, -DISK_CHECK_S

    def check(self) -> None:
        """507 while the data directory holds more than the limit."""
        now = time.monotonic()
        if now - self.when >= DISK_CHECK_S:
            self.used = sum(p.stat().st_size for p in self.data.rglob("*") if p.is_file())
            self.when = now
        if self.used > self.max_bytes:
            raise error(507, f"the server's storage is full ({self.used / (1 << 30):.1f} GB of "
                             f"{self.max_bytes / (1 << 30):.1f} GB used)",
                        "delete old videos or avatars, or start serve with a larger --max-disk-gb")


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


def _remove_strays(store: Store, data: Path) -> None:
    """At start-up: half-written outputs of jobs a stopped server left behind (never under a real
    name), and uploads no queued job will read."""
    for p in (data / "videos").glob(".*.partial.*"):
        p.unlink(missing_ok=True)
    for p in (data / "avatars").glob("*/.*.partial-*"):
        shutil.rmtree(p, ignore_errors=True)
    wanted = {j.params.audio for j in store.queued() if isinstance(j.params, VideoRequest) and j.params.audio}
    for p in (data / "uploads").iterdir():
        if p.name not in wanted:
            p.unlink(missing_ok=True)


_RANGE_PART = re.compile(r"^(\d*)-(\d*)$")


def _satisfiable(header: str, size: int) -> bool:
    """Whether a Range header is well formed (``bytes=A-B[, …]``) and every part lies within a
    ``size``-byte file."""
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or not spec:
        return False
    for part in spec.split(","):
        m = _RANGE_PART.match(part.strip())
        if m is None or not (m[1] or m[2]):
            return False
        if m[1]:
            if int(m[1]) >= size or (m[2] and int(m[2]) < int(m[1])):
                return False
        elif int(m[2]) == 0:
            return False
    return True


def _json_object(raw: bytes) -> dict:
    """A request body that must be a JSON object (422 otherwise, however it is malformed)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise error(422, "the request body is not valid JSON", "send a JSON object") from None
    except RecursionError:  # [[[[…]]]]: the parser's recursion limit
        raise error(422, "the request body is nested too deeply", 'send a flat JSON object: {"text": "…"}') from None
    if not isinstance(body, dict):
        raise error(422, "the request body must be a JSON object", 'send {"text": "…"}')
    return body


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
    captions = body.get("captions") or "none"
    if captions not in ("none", "soft", "burn"):
        raise error(422, f"unknown captions {str(captions)[:20]!r}", "use none, soft (a track the player shows) or burn "
                    "(drawn into the picture)")
    return VideoRequest(str(avatar_id) if avatar_id is not None else None, text, audio_name, rate, lang, voice,
                        captions)


def _service_manifest(upload: Path, resolved: Path, store: Store, data: Path, config: ServerConfig) -> int:
    """The uploaded manifest with each row's speaker (an avatar id of this server, or empty)
    turned into its files, written as JSON Lines; returns its row count. 422 for what no row can
    do here (a recording column, too many rows, over-long text); an unknown avatar is the row's
    own failure, reported when the batch runs."""
    from ..batch import read_records

    records = read_records(upload)
    if not records:
        raise error(422, "the manifest has no rows", "one row per video")
    if len(records) > config.max_batch_rows:
        raise error(422, f"the manifest has {len(records)} rows, more than {config.max_batch_rows}", "split it")
    lines = []
    for _, r in records:
        if isinstance(r, dict):
            if str(r.get("audio") or "").strip():
                raise error(422, "the service's batches speak text; a row gives 'audio'",
                            "send recordings one by one with POST /videos, or run `talkinghead batch` locally")
            if len(str(r.get("text") or "")) > config.max_text_chars:
                raise error(422, "a row's text is too long", f"keep each under {config.max_text_chars} characters")
            r = {k: v for k, v in r.items() if k != "audio"}
            speaker = str(r.get("speaker") or "").strip()
            if speaker:
                a = store.avatar(speaker) if ID.match(speaker) else None
                if a is not None and a.state == "ready":
                    from .worker import speaker_files

                    avatar, photo = speaker_files(store, data, a.id)
                    r["speaker"] = str(avatar or photo)
                else:
                    r["speaker"] = f"no avatar {speaker[:40]} here"
        lines.append(json.dumps(r, ensure_ascii=False))
    resolved.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(records)


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
