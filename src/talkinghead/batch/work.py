"""What a batch worker does: make rows, keeping the speakers it opened (an LRU), so one avatar is
loaded once per worker and renders many rows. The same code runs in a local worker process and
in a Ray actor."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from .._threads import set_budget
from ..errors import InputError
from . import storage
from .manifest import BatchRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowResult:
    """How one row went.

    Attributes:
        index, output: the row (its number in the manifest, its output name).
        status: 'done', 'skipped' (its output was already complete) or 'failed'.
        error: why it failed (one line), else None.
        wall_s: time spent on it, s. duration_s: the video's length, s (0 if none was made).
        worker: which worker made it (host:pid), '' if none did.
    """

    index: int
    output: str
    status: str
    error: str | None = None
    wall_s: float = 0.0
    duration_s: float = 0.0
    worker: str = ""


class RowMaker:
    """Makes rows into ``out_dir``, keeping up to ``keep`` speakers open between rows."""

    def __init__(self, out_dir: str, keep: int = 4) -> None:
        self.out_dir, self.keep = str(out_dir), keep
        self.speakers: OrderedDict[str, tuple[contextlib.ExitStack, object]] = OrderedDict()
        self.worker = f"{socket.gethostname()}:{os.getpid()}"
        self._cache: tempfile.TemporaryDirectory | None = None  # what URLs fetched, and renders to upload

    @property
    def cache(self) -> Path:
        if self._cache is None:
            self._cache = tempfile.TemporaryDirectory(prefix="talkinghead-batch-")
        return Path(self._cache.name)

    def _local(self, ref: str | None) -> str | None:
        """A local path for a row's speaker or recording (a URL is fetched once)."""
        return str(storage.fetch(ref, self.cache)) if ref and storage.is_url(ref) else ref

    def make(self, rows: list[BatchRow]) -> list[RowResult]:
        return [self.make_one(row) for row in rows]

    def make_one(self, row: BatchRow) -> RowResult:
        from ..captions import CaptionOptions
        from ..render import RenderOptions, dub, say
        from ..speech import TTSOptions

        t0 = time.perf_counter()
        target, files = row.targets(self.out_dir)
        if row.made(self.out_dir):  # by an earlier try of this chunk
            return RowResult(row.index, row.output, "skipped", worker=self.worker)
        remote = storage.is_url(target)
        output = self.cache / f"row{row.index}.mp4" if remote else Path(target)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            speaker = self._speaker(self._local(row.speaker))
            shown = next((c for c in row.captions if c in ("soft", "burn")), "none")
            captions = CaptionOptions(show=shown, recognise="recognise" in row.captions) if row.captions else None
            options = RenderOptions(fps=row.fps, captions=captions)
            if row.audio:
                report = dub(speaker, self._local(row.audio), output, row.text, options)
            else:
                report = say(speaker, row.text or "", output, TTSOptions(voice=row.voice, rate=row.rate, lang=row.lang),
                             options)
            if remote:
                storage.put(output, target)
                output.unlink()
            for kind, ref in files.items():
                self._write_captions(report.captions, ref, kind)
        except InputError as exc:
            return RowResult(row.index, row.output, "failed", exc.message, time.perf_counter() - t0, worker=self.worker)
        except Exception as exc:
            log.exception("row %d (%s)", row.index, row.output)
            return RowResult(row.index, row.output, "failed", f"internal error ({exc.__class__.__name__}: {exc})",
                             time.perf_counter() - t0, worker=self.worker)
        return RowResult(row.index, row.output, "done", None, time.perf_counter() - t0, report.duration, self.worker)

    def _write_captions(self, captions: object, ref: str, kind: str) -> None:
        """A caption file of the row at ``ref`` (a path or URL), written whole."""
        from ..captions import write_captions

        if not storage.is_url(ref):
            write_captions(ref, captions)
            return
        local = write_captions(self.cache / f"captions.{kind}", captions)
        storage.put(local, ref)
        local.unlink()

    def _speaker(self, key: str | None) -> object:
        from ..render import open_speaker

        k = key or ""
        if k in self.speakers:
            self.speakers.move_to_end(k)
            return self.speakers[k][1]
        stack = contextlib.ExitStack()
        p = Path(k) if k else None
        if p is not None and p.is_dir():
            speaker = stack.enter_context(open_speaker(p))
        else:
            speaker = stack.enter_context(open_speaker(None, photo=p))
        self.speakers[k] = (stack, speaker)
        while len(self.speakers) > self.keep:
            _, (old, _) = self.speakers.popitem(last=False)
            old.close()
        return speaker

    def close(self) -> None:
        while self.speakers:
            _, (stack, _) = self.speakers.popitem()
            stack.close()
        if self._cache is not None:
            self._cache.cleanup()
            self._cache = None


_MAKER: RowMaker | None = None  # one per local worker process


def init_worker(threads: int) -> None:
    """Initialiser of a local worker process: its share of the cores (workers that each spread
    over every core only get in each other's way)."""
    set_budget(threads)


def make_rows(out_dir: str, rows: list[BatchRow], keep: int) -> list[RowResult]:
    """Entry point in a local worker process: make ``rows`` with this process's RowMaker."""
    global _MAKER
    if _MAKER is None or _MAKER.out_dir != str(out_dir):
        _MAKER = RowMaker(out_dir, keep)
    return _MAKER.make(rows)
