"""A batch manifest: one row per video to make, read from CSV or JSON Lines.

Columns (JSONL: keys): ``output`` (a name under the output folder, ``.mp4``), ``speaker`` (an
avatar folder, a photo, or empty for the built-in portrait), ``text`` and/or ``audio`` (a
recording; with it, ``text`` is its transcript), and optionally ``lang``, ``voice``, ``rate``,
``fps`` and ``captions`` (any of ``srt``, ``vtt``: caption files beside the video, same name;
``soft`` or ``burn``: captions in the video; ``recognise``: a recording without its transcript
is captioned with the English words recognised). Relative paths are read from the manifest's folder; the manifest, speakers and
recordings may also be URLs (:mod:`.storage`). A row that is wrong is reported with its reason
and never stops the others.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..errors import InputError
from . import storage

COLUMNS = ("output", "speaker", "text", "audio", "lang", "voice", "rate", "fps", "captions")
CAPTION_WORDS = ("srt", "vtt", "soft", "burn", "recognise")
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif")


@dataclass(frozen=True)
class BatchRow:
    """One video to make.

    Attributes:
        index: the row's number in the manifest, from 1 (the CSV header is not counted).
        output: where it goes, relative to the output folder (POSIX form, ends in .mp4).
        speaker: an avatar folder or a photo file (an absolute path or a URL), or None for the
            built-in portrait.
        text: what to say; with ``audio``, that recording's transcript (may be None).
        audio: a recording to speak (an absolute path or a URL), or None to synthesise ``text``.
        lang, voice, rate: the synthetic voice's language ('auto', 'en', 'zh'), espeak-ng voice
            (None: the default) and speed (1 = normal).
        fps: output frame rate, frames/s (None: the speaker's own).
        captions: what captions to make: words of :data:`CAPTION_WORDS` (none: no captions).
    """

    index: int
    output: str
    speaker: str | None
    text: str | None
    audio: str | None
    lang: str = "auto"
    voice: str | None = None
    rate: float = 1.0
    fps: float | None = None
    captions: tuple[str, ...] = ()

    def targets(self, out_dir: str) -> tuple[str, dict[str, str]]:
        """Where the row's video goes under ``out_dir`` (a path or URL), and its caption files
        by kind ("srt", "vtt"): beside it, the same name."""
        target = storage.join(out_dir, self.output)
        return target, {k: target[:-len(".mp4")] + f".{k}" for k in ("srt", "vtt") if k in self.captions}

    def made(self, out_dir: str) -> bool:
        """Whether the row's outputs are all there (each appears only when whole), so a rerun
        skips it."""
        target, files = self.targets(out_dir)
        return storage.exists(target) and all(storage.exists(f) for f in files.values())

    @property
    def speaker_key(self) -> str:
        """Rows with the same key are spoken by the same opened speaker."""
        return self.speaker or ""


@dataclass(frozen=True)
class BadRow:
    """A manifest row that cannot be made, and why."""

    index: int
    output: str
    error: str


def read_manifest(path: str | os.PathLike) -> tuple[list[BatchRow], list[BadRow]]:
    """The rows of a ``.csv`` or ``.jsonl`` manifest: those that can be made and those that cannot.

    Raises:
        InputError: the file is missing, of another kind, or has no ``output`` column.
    """
    if storage.is_url(path):
        url = str(path)
        if not storage.exists(url):
            raise InputError(f"manifest '{url}' does not exist", "check the URL")
        with tempfile.TemporaryDirectory() as tmp:
            local = Path(tmp) / f"manifest{Path(url).suffix}"
            local.write_bytes(storage.read_bytes(url))
            records = read_records(local)
        base: str | Path = url.rsplit("/", 1)[0]
    else:
        p = Path(path)
        if not p.is_file():
            raise InputError(f"manifest '{p}' does not exist", "check the path")
        records = read_records(p)
        base = p.parent
    rows: list[BatchRow] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    for index, record in records:
        output = str(record.get("output") or "").strip() if isinstance(record, dict) else ""
        try:
            if not isinstance(record, dict):
                raise InputError("the line is not a JSON object", 'write {"output": "…", "text": "…"}')
            row = _row(index, record, base)
            if row.output in seen:
                raise InputError(f"output '{row.output}' is also row {seen[row.output]}'s", "give each row its own output")
            seen[row.output] = index
            rows.append(row)
        except InputError as exc:
            bad.append(BadRow(index, output, exc.message))
    if not rows and not bad:
        raise InputError(f"manifest '{path}' has no rows", "add one row per video")
    return rows, bad


def read_records(path: str | os.PathLike) -> list[tuple[int, object]]:
    """The raw rows of a ``.csv`` or ``.jsonl`` manifest: (row number from 1, the row as read:
    a dict of column → value, or for a JSONL line that is not an object, whatever it is).

    Raises:
        InputError: a file of another kind, not UTF-8, or a CSV with no ``output`` column.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise InputError(f"manifest '{p.name}' is neither .csv nor .jsonl", "give a CSV file or a JSON Lines file")
    try:
        return _csv(p) if suffix == ".csv" else _jsonl(p)
    except UnicodeDecodeError:
        raise InputError(f"manifest '{p.name}' is not UTF-8 text", "save it as UTF-8") from None


def _csv(p: Path) -> list[tuple[int, object]]:
    with open(p, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "output" not in [c.strip() for c in reader.fieldnames]:
            raise InputError(f"manifest '{p}' has no 'output' column",
                             f"start it with a header line naming its columns: {','.join(COLUMNS)}")
        return [(k, {(c or "").strip(): v for c, v in r.items()}) for k, r in enumerate(reader, 1)
                if any((v or "").strip() for v in r.values() if isinstance(v, str))]


def _jsonl(p: Path) -> list[tuple[int, object]]:
    out: list[tuple[int, object]] = []
    for k, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            out.append((k, json.loads(line)))
        except ValueError:
            out.append((k, None))
    return out


def _row(index: int, r: dict, base: Path) -> BatchRow:
    unknown = sorted(set(r) - set(COLUMNS) - {""})
    if unknown:
        raise InputError(f"unknown column(s) {', '.join(unknown)}", f"use {', '.join(COLUMNS)}")
    output = _text(r, "output")
    if not output:
        raise InputError("no output name", "name the video in the 'output' column (e.g. lesson1.mp4)")
    out = PurePosixPath(output.replace("\\", "/"))
    if out.is_absolute() or ".." in out.parts or out.suffix.lower() != ".mp4":
        raise InputError(f"output '{output}' must be a relative .mp4 name inside the output folder",
                         "write e.g. 'fr/lesson1.mp4'")
    text, audio = _text(r, "text"), _text(r, "audio")
    if not text and not audio:
        raise InputError("nothing to say: no text and no audio", "fill the 'text' or the 'audio' column")
    speaker = _text(r, "speaker")
    speaker_ref = _existing(base, speaker, "speaker") if speaker else None
    if speaker_ref is not None and not _is_photo(speaker_ref) and not _is_avatar(speaker_ref):
        raise InputError(f"speaker '{speaker}' is neither an avatar folder nor a photo",
                         f"give an avatar folder, a photo ({', '.join(PHOTO_SUFFIXES)}), or leave it empty")
    audio_ref = _existing(base, audio, "audio") if audio else None
    lang = _text(r, "lang") or "auto"
    if lang not in ("auto", "en", "zh"):
        raise InputError(f"unknown language '{lang}'", "use auto, en or zh")
    rate = _number(r, "rate", 1.0, 0.5, 2.0)
    fps = _number(r, "fps", None, 1.0, 60.0)
    captions = tuple(w.lower() for w in _text(r, "captions").replace(",", " ").split())
    wrong = [w for w in captions if w not in CAPTION_WORDS]
    if wrong:
        raise InputError(f"unknown captions '{' '.join(wrong)}'", f"use any of {', '.join(CAPTION_WORDS)}")
    if "soft" in captions and "burn" in captions:
        raise InputError("captions both soft and burned in", "choose soft or burn")
    if captions and not set(captions) - {"recognise"}:
        raise InputError("'recognise' alone makes no captions", "add srt, vtt, soft or burn")
    if audio and not text and captions and "recognise" not in captions:
        raise InputError("captions of a recording need its transcript",
                         "give it in the 'text' column, or add 'recognise' to the captions")
    return BatchRow(index, str(out), speaker_ref, text or None, audio_ref, lang, _text(r, "voice") or None, rate, fps,
                    captions)


def _text(r: dict, key: str) -> str:
    v = r.get(key)
    if v is None:
        return ""
    if not isinstance(v, (str, int, float)):
        raise InputError(f"'{key}' must be text", f"write '{key}' as a string")
    return str(v).strip()


def _number(r: dict, key: str, default: float | None, lo: float, hi: float) -> float | None:
    v = _text(r, key)
    if not v:
        return default
    try:
        x = float(v)
    except ValueError:
        raise InputError(f"'{key}' is '{v}', not a number", f"use a number from {lo:g} to {hi:g}") from None
    if not lo <= x <= hi:
        raise InputError(f"'{key}' {x:g} is out of range", f"use a number from {lo:g} to {hi:g}")
    return x


def _existing(base: str | Path, name: str, what: str) -> str:
    """``name`` (a path or URL; relative ones start at ``base``) as an absolute path or a URL,
    checked to exist."""
    if storage.is_url(name) or storage.is_url(base):
        ref = name if storage.is_url(name) else storage.join(str(base), name)
    else:
        p = Path(name).expanduser()
        ref = str((p if p.is_absolute() else Path(base) / p).resolve())
    if not storage.exists(ref):
        raise InputError(f"{what} '{name}' does not exist", f"check the path (relative paths start at {base})")
    return ref


def _is_photo(ref: str) -> bool:
    return Path(ref.rstrip("/")).suffix.lower() in PHOTO_SUFFIXES


def _is_avatar(ref: str) -> bool:
    return storage.is_url(ref) or Path(ref).is_dir()
