"""What a job asks for, typed: made by the web app from a request, stored with the job (JSON),
read back by the worker process that runs it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class JobKind(StrEnum):
    AVATAR = "avatar"  # enroll a person (videos + transcripts) or a photo
    VIDEO = "video"  # make a video (text or audio, an avatar or a photo)
    BATCH = "batch"  # make the videos of a manifest


class AvatarKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True)
class PhotoEnrollment:
    """Enroll one portrait: ``photo`` is its file name in the avatar's folder."""

    photo: str
    kind: AvatarKind = AvatarKind.PHOTO


@dataclass(frozen=True)
class VideoEnrollment:
    """Enroll a person from videos (file names under the avatar's ``sources/``), each with its
    transcript, in the same order."""

    videos: tuple[str, ...]
    transcripts: tuple[str, ...]
    kind: AvatarKind = AvatarKind.VIDEO


@dataclass(frozen=True)
class VideoRequest:
    """Make a video.

    Attributes:
        avatar_id: the avatar that speaks; None = the built-in portrait.
        text: what to say (with ``audio``: its transcript, may be empty).
        audio: file name of the uploaded recording under ``uploads/``; None = synthesise ``text``.
        rate: speaking rate of the synthetic voice (1 = normal).
        lang: 'auto', 'en' or 'zh'.
        voice: an espeak-ng voice name, or None for the default.
        captions: "none"; "soft" (a WebVTT file beside the mp4, shown by the page's player, and a
            subtitle track in it) or "burn" (drawn into the frames, and the WebVTT file). A
            recording without its transcript is captioned with the words recognised (English).
    """

    avatar_id: str | None
    text: str
    audio: str | None
    rate: float = 1.0
    lang: str = "auto"
    voice: str | None = None
    captions: str = "none"

    def captions_url(self, video_id: str) -> str | None:
        """Where the WebVTT captions of the video ``video_id`` are served (None: no captions)."""
        return None if self.captions == "none" else f"/videos/{video_id}.vtt"


@dataclass(frozen=True)
class BatchRequest:
    """Make the videos of a manifest: ``rows`` rows of ``manifest`` (a file name under the
    batch's folder, its speakers resolved to this server's avatars)."""

    manifest: str
    rows: int


JobParams = PhotoEnrollment | VideoEnrollment | VideoRequest | BatchRequest


def params_to_json(params: JobParams) -> dict[str, Any]:
    out = asdict(params)
    if "kind" in out:
        out["kind"] = str(out["kind"])
    return out


def params_from_json(kind: str, d: dict[str, Any]) -> JobParams:
    """The params a job of ``kind`` stored as JSON."""
    if kind == JobKind.VIDEO:
        return VideoRequest(**d)
    if kind == JobKind.BATCH:
        return BatchRequest(**d)
    if d.get("kind") == AvatarKind.PHOTO:
        return PhotoEnrollment(d["photo"])
    return VideoEnrollment(tuple(d["videos"]), tuple(d["transcripts"]))
