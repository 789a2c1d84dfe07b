"""Jobs, avatars and videos in SQLite, so that they survive a restart.

One database file in the data directory; every call opens its own short connection (worker
processes write progress into the same file), WAL mode so readers never wait for a writer.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .params import AvatarKind, JobKind, JobParams, params_from_json, params_to_json

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL,
    stage TEXT NOT NULL, error TEXT, result_id TEXT, params TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, owner TEXT, started REAL, warnings TEXT);
CREATE TABLE IF NOT EXISTS avatars (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
    job_id TEXT, info TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, duration REAL NOT NULL, created REAL NOT NULL);
"""
RESTART_REASON = "the server stopped while this job was running; submit it again"
FINAL = ("done", "failed", "cancelled")  # a job in one of these states never changes again
ETA_MIN_PROGRESS = 0.05  # below this much progress a time-left estimate is noise
# Columns added after the first release: an older database gains them at start-up.
_ADDED_COLUMNS = {"owner": "TEXT", "started": "REAL", "warnings": "TEXT"}


def new_id() -> str:
    """A fresh opaque id (32 hex digits): every stored name derives from one."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Job:
    """A unit of work and where it stands.

    Attributes:
        state: 'queued', 'running', or final: 'done', 'failed', 'cancelled'.
        progress: 0–1. stage: what it is doing now. error: why it failed (None otherwise).
        created, updated, started: Unix times, s (started: None until a worker takes it).
        warnings: what the work reported that the user should know (e.g. several faces seen).
        owner: the token of the one writer allowed to change the job while it runs (the worker
            run that holds it); None when queued or final. Not shown to clients.
    """

    id: str
    kind: JobKind
    state: str
    progress: float
    stage: str
    error: str | None
    result_id: str | None
    params: JobParams
    created: float
    updated: float
    started: float | None = None
    warnings: tuple[str, ...] = ()
    owner: str | None = None

    @property
    def final(self) -> bool:
        return self.state in FINAL

    def eta_s(self, now: float | None = None) -> float | None:
        """Seconds left, extrapolated from the progress so far (None until it means something)."""
        if self.state != "running" or self.started is None or self.progress < ETA_MIN_PROGRESS:
            return None
        elapsed = (time.time() if now is None else now) - self.started
        return round(max(0.0, elapsed * (1.0 - self.progress) / self.progress), 1)

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in ("id", "kind", "state", "progress", "stage", "error",
                                             "result_id", "created", "updated", "started")}
        out["kind"] = str(self.kind)
        out["warnings"] = list(self.warnings)
        out["eta_s"] = self.eta_s()
        if self.state == "done" and self.kind == JobKind.VIDEO:
            out["video_url"] = f"/videos/{self.result_id}.mp4"
            captions_url = self.params.captions_url(self.result_id)
            if captions_url:
                out["captions_url"] = captions_url
                out["captions"] = self.params.captions
        if self.kind == JobKind.AVATAR:
            out["avatar_id"] = self.result_id
        if self.kind == JobKind.BATCH:
            out["batch_url"] = f"/batches/{self.result_id}"
        return out


class Store:
    """The SQLite file behind the service."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(jobs)")}
            for name, kind in _ADDED_COLUMNS.items():
                if name not in have:
                    db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {kind}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        return db

    def _run(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        with closing(self._connect()) as db:
            return db.execute(sql, args).fetchall()

    # --- jobs -------------------------------------------------------------------------------
    def add_job(self, kind: JobKind, params: JobParams, result_id: str | None = None) -> Job:
        now = time.time()
        job_id = new_id()
        self._run("INSERT INTO jobs (id, kind, state, progress, stage, error, result_id, params, created, updated)"
                  " VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (job_id, str(kind), "queued", 0.0, "queued", None, result_id,
                   json.dumps(params_to_json(params)), now, now))
        return self.job(job_id)

    def job(self, job_id: str) -> Job | None:
        rows = self._run("SELECT * FROM jobs WHERE id=?", (job_id,))
        return _job(rows[0]) if rows else None

    def job_for(self, result_id: str) -> Job | None:
        """The job that makes ``result_id`` (an avatar, a video or a batch)."""
        rows = self._run("SELECT * FROM jobs WHERE result_id=?", (result_id,))
        return _job(rows[0]) if rows else None

    def jobs(self, limit: int = 100) -> list[Job]:
        return [_job(r) for r in self._run("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,))]

    def queued(self) -> list[Job]:
        """Jobs waiting for a worker, oldest first."""
        return [_job(r) for r in self._run("SELECT * FROM jobs WHERE state='queued' ORDER BY created")]

    def claim(self, job_id: str, owner: str) -> bool:
        """Queued → running under ``owner``; False if the job is no longer queued."""
        now = time.time()
        with closing(self._connect()) as db:
            cur = db.execute("UPDATE jobs SET state='running', stage='starting', progress=0, owner=?, started=?,"
                             " updated=? WHERE id=? AND state='queued'", (owner, now, now, job_id))
            return cur.rowcount == 1

    def update_job(self, job_id: str, owner: str, **fields: object) -> bool:
        """Change a running job's fields as its owner; False (nothing written) when ``owner`` no
        longer holds it (it was cancelled, or a restarted server failed it)."""
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        with closing(self._connect()) as db:
            cur = db.execute(f"UPDATE jobs SET {cols} WHERE id=? AND owner=?", (*fields.values(), job_id, owner))
            return cur.rowcount == 1

    def add_warning(self, job_id: str, owner: str, text: str) -> None:
        job = self.job(job_id)
        if job is not None and text not in job.warnings:
            self.update_job(job_id, owner, warnings=json.dumps([*job.warnings, text]))

    def finish(self, job_id: str, owner: str | None, state: str, error: str | None = None,
               avatar: dict | None = None) -> bool:
        """Put a job in a final state, once: as its owner (``owner`` None: a job not running).
        An enrollment job's avatar changes with it, in the same transaction: ready with
        ``avatar`` (what its row shows) when done, otherwise failed with the reason. False when
        someone else holds the job or it has already ended."""
        if state not in FINAL:
            raise ValueError(f"{state!r} is not a final state")
        fields = {"state": state, "stage": state, "error": error, "owner": None, "updated": time.time()}
        if state == "done":
            fields["progress"] = 1.0
        cols = ", ".join(f"{k}=?" for k in fields)
        with closing(self._connect()) as db, db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(f"UPDATE jobs SET {cols} WHERE id=? AND owner IS ? AND state IN ('queued', 'running')",
                             (*fields.values(), job_id, owner))
            if cur.rowcount != 1:
                return False
            (kind, result_id), = db.execute("SELECT kind, result_id FROM jobs WHERE id=?", (job_id,)).fetchall()
            if kind == JobKind.AVATAR and result_id:
                ready = state == "done"
                db.execute("UPDATE avatars SET state=?, info=? WHERE id=?",
                           ("ready" if ready else "failed",
                            json.dumps((avatar or {}) if ready else {"error": error or state}), result_id))
        return True

    def fail_interrupted(self) -> list[str]:
        """At start-up: jobs a previous server left running can never finish (their worker is
        gone with it); queued ones stay queued and run again. Returns the ids of those failed."""
        rows = self._run("SELECT id, owner FROM jobs WHERE state='running'")
        return [r["id"] for r in rows if self.finish(r["id"], r["owner"], "failed", RESTART_REASON)]

    # --- avatars ----------------------------------------------------------------------------
    def add_avatar(self, avatar_id: str, name: str, kind: AvatarKind, job_id: str | None,
                   state: str = "enrolling") -> None:
        self._run("INSERT INTO avatars VALUES (?,?,?,?,?,?,?)",
                  (avatar_id, name, str(kind), state, job_id, "{}", time.time()))

    def avatar(self, avatar_id: str) -> AvatarRow | None:
        rows = self._run("SELECT * FROM avatars WHERE id=?", (avatar_id,))
        return _avatar(rows[0]) if rows else None

    def avatars(self) -> list[AvatarRow]:
        return [_avatar(r) for r in self._run("SELECT * FROM avatars ORDER BY created DESC")]

    def delete_avatar(self, avatar_id: str) -> None:
        self._run("DELETE FROM avatars WHERE id=?", (avatar_id,))

    # --- videos -----------------------------------------------------------------------------
    def add_video(self, video_id: str, job_id: str, duration: float) -> None:
        self._run("INSERT INTO videos VALUES (?,?,?,?)", (video_id, job_id, duration, time.time()))

    def video(self, video_id: str) -> dict | None:
        rows = self._run("SELECT * FROM videos WHERE id=?", (video_id,))
        return dict(rows[0]) if rows else None

    def videos(self, limit: int = 200) -> list[dict]:
        """Finished videos, newest first, with what was asked for (the job's request)."""
        rows = self._run("SELECT v.id, v.job_id, v.duration, v.created, j.params, j.warnings FROM videos v"
                         " JOIN jobs j ON j.id = v.job_id ORDER BY v.created DESC LIMIT ?", (limit,))
        out = []
        for r in rows:
            request = json.loads(r["params"])
            v = {"id": r["id"], "job_id": r["job_id"], "duration": r["duration"], "created": r["created"],
                 "request": request, "warnings": json.loads(r["warnings"] or "[]")}
            captions_url = params_from_json(JobKind.VIDEO, request).captions_url(r["id"])
            if captions_url:
                v["captions_url"] = captions_url
            out.append(v)
        return out

    def delete_video(self, video_id: str) -> None:
        self._run("DELETE FROM videos WHERE id=?", (video_id,))


def _job(r: sqlite3.Row) -> Job:
    kind = JobKind(r["kind"])
    return Job(r["id"], kind, r["state"], r["progress"], r["stage"], r["error"], r["result_id"],
               params_from_json(kind, json.loads(r["params"])), r["created"], r["updated"], r["started"],
               tuple(json.loads(r["warnings"] or "[]")), r["owner"])


@dataclass(frozen=True)
class AvatarRow:
    """An avatar as the service knows it.

    Attributes:
        id, name: its id and the name the user gave.
        kind: photo or video.
        state: 'enrolling', 'ready' or 'failed'.
        job_id: the enrollment job.
        created: Unix time, s.
        info: what enrollment reported (frames, coverage, … or an error), shown to clients as is.
    """

    id: str
    name: str
    kind: AvatarKind
    state: str
    job_id: str | None
    created: float
    info: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "kind": str(self.kind), "state": self.state,
               "job_id": self.job_id, "created": self.created, **self.info}
        if self.state == "ready":
            out["image_url"] = f"/avatars/{self.id}/" + ("preview.png" if self.kind == AvatarKind.PHOTO
                                                         else "keyposes.png")
        return out


def _avatar(r: sqlite3.Row) -> AvatarRow:
    return AvatarRow(r["id"], r["name"], AvatarKind(r["kind"]), r["state"], r["job_id"], r["created"],
                     json.loads(r["info"]))
