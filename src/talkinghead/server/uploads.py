"""Uploads: size limits, content sniffing, generated names. No user-given name reaches the disk."""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException, UploadFile

from .store import new_id

CHUNK = 1 << 20  # bytes copied at a time

# (magic test, kind, extension). The extension we store is the one the content proves.
_RIFF = {b"WAVE": ("audio", ".wav"), b"AVI ": ("video", ".avi"), b"WEBP": ("image", ".webp")}


def sniff(head: bytes) -> tuple[str, str] | None:
    """(kind, extension) of a file from its first bytes: 'video', 'audio' or 'image'; None if
    it is none of the formats we read."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        brand = head[8:12]
        return ("audio", ".m4a") if brand in (b"M4A ", b"M4B ") else ("video", ".mp4")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", ".mkv"  # Matroska / WebM
    if head.startswith(b"RIFF") and len(head) >= 12 and head[8:12] in _RIFF:
        return _RIFF[head[8:12]]
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio", ".mp3"
    if head.startswith(b"OggS"):
        return "audio", ".ogg"
    if head.startswith(b"fLaC"):
        return "audio", ".flac"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", ".png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image", ".gif"
    return None


def error(status: int, problem: str, fix: str) -> HTTPException:
    """An HTTP error whose body says what is wrong and what to do."""
    return HTTPException(status_code=status, detail={"error": problem, "fix": fix})


async def save_upload(upload: UploadFile, folder: Path, want: tuple[str, ...], max_bytes: int,
                      stem: str | None = None) -> tuple[Path, str]:
    """Copy an upload into ``folder`` under a generated name, checking size and content.

    Returns the path and the sniffed kind. Raises 413 (too large) or 422 (empty, not a kind in
    ``want``); nothing is left behind on failure.
    """
    head = await upload.read(16)
    if not head:
        raise error(422, f"the uploaded file '{_shown(upload)}' is empty", "upload the actual file")
    found = sniff(head)
    if found is None or found[0] not in want:
        what = " or ".join(want)
        raise error(422, f"'{_shown(upload)}' is not a {what} file this service reads",
                    f"upload a {what} (checked by its content, not its name)")
    kind, ext = found
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem or new_id()}{ext}"
    size = len(head)
    try:
        with open(path, "wb") as f:
            f.write(head)
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise error(413, f"'{_shown(upload)}' is larger than {max_bytes // (1 << 20)} MB",
                                "upload a shorter or smaller file")
                f.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, kind


def _shown(upload: UploadFile) -> str:
    """The client's file name, only for messages (never for paths), made harmless."""
    name = Path(upload.filename or "upload").name
    return "".join(c for c in name if c.isprintable())[:80] or "upload"
