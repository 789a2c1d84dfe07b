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
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS avatars (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
    job_id TEXT, info TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
    id TEXT PRIMARY KEY, job_id TEXT NOT NULL, duration REAL NOT NULL, created REAL NOT NULL);
"""
RESTART_REASON = "the server stopped while this job was running; submit it again"


def new_id() -> str:
    """A fresh opaque id (32 hex digits): every stored name derives from one."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Job:
    """A unit of work and where it stands (progress 0–1, stage name, error message)."""

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

    def to_json(self) -> dict:
        out = {k: getattr(self, k) for k in ("id", "kind", "state", "progress", "stage", "error",
                                             "result_id", "created", "updated")}
        out["kind"] = str(self.kind)
        if self.state == "done" and self.kind == JobKind.VIDEO:
            out["video_url"] = f"/videos/{self.result_id}.mp4"
        if self.kind == JobKind.AVATAR:
            out["avatar_id"] = self.result_id
        return out


class Store:
    """The SQLite file behind the service."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

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
        self._run("INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?)",
                  (job_id, str(kind), "queued", 0.0, "queued", None, result_id,
                   json.dumps(params_to_json(params)), now, now))
        return self.job(job_id)

    def job(self, job_id: str) -> Job | None:
        rows = self._run("SELECT * FROM jobs WHERE id=?", (job_id,))
        return _job(rows[0]) if rows else None

    def jobs(self, limit: int = 100) -> list[Job]:
        return [_job(r) for r in self._run("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,))]

    def update_job(self, job_id: str, **fields: object) -> None:
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        self._run(f"UPDATE jobs SET {cols} WHERE id=?", (*fields.values(), job_id))

    def fail_interrupted(self) -> int:
        """At start-up: jobs a previous server left queued or running can never finish."""
        rows = self._run("SELECT id, kind, result_id FROM jobs WHERE state IN ('queued', 'running')")
        for r in rows:
            self.update_job(r["id"], state="failed", error=RESTART_REASON, stage="failed")
            if r["kind"] == JobKind.AVATAR and r["result_id"]:
                self._run("UPDATE avatars SET state='failed' WHERE id=?", (r["result_id"],))
        return len(rows)

    # --- avatars ----------------------------------------------------------------------------
    def add_avatar(self, avatar_id: str, name: str, kind: AvatarKind, job_id: str | None,
                   state: str = "enrolling") -> None:
        self._run("INSERT INTO avatars VALUES (?,?,?,?,?,?,?)",
                  (avatar_id, name, str(kind), state, job_id, "{}", time.time()))

    def set_avatar(self, avatar_id: str, state: str, info: dict | None = None) -> None:
        if info is None:
            self._run("UPDATE avatars SET state=? WHERE id=?", (state, avatar_id))
        else:
            self._run("UPDATE avatars SET state=?, info=? WHERE id=?", (state, json.dumps(info), avatar_id))

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


def _job(r: sqlite3.Row) -> Job:
    kind = JobKind(r["kind"])
    return Job(r["id"], kind, r["state"], r["progress"], r["stage"], r["error"], r["result_id"],
               params_from_json(kind, json.loads(r["params"])), r["created"], r["updated"])


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
