"""Captions of a speech, and their files: SubRip (.srt) and WebVTT (.vtt)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .._io import atomic_output, check_output
from ..errors import InputError
from ..speech.types import Speech, TimedWord
from .burn import CaptionBurner
from .cues import CaptionOptions, Captions, language_of, make_captions

CAPTION_SUFFIXES = (".srt", ".vtt")
RECOGNISED_NOTE = "Recognised automatically from the speech (English): some words may be wrong."


def captions_for(speech: Speech, fps: float, options: CaptionOptions = CaptionOptions(),
                 duration: float | None = None) -> Captions:
    """The captions of ``speech`` on a video at ``fps`` frames/s.

    Raises:
        InputError: the speech has no words to caption (a recording given without its transcript,
            and recognition not asked for or hearing nothing).
    """
    if not speech.words:
        if speech.source == "silence":
            return Captions((), language_of(speech.words, speech.source))
        raise InputError("this speech has no words to caption (a recording without its transcript)",
                         "give the transcript (--text / --text-file), or ask for recognised captions "
                         "(--recognise: English, marked as recognised)")
    return make_captions(speech.words, fps, options, language_of(speech.words, speech.source),
                         bool(speech.metadata.get("recognised")), duration if duration is not None
                         else speech.duration)


def captions_in_video(speech: Speech, fps: float, n_frames: int, options: CaptionOptions | None
                      ) -> tuple[Captions | None, CaptionBurner | None, Captions | None]:
    """What a render of ``speech`` into ``n_frames`` frames at ``fps`` does with captions:
    (the captions, for the report and caption files; the burner that draws them into the frames,
    where ``options.show`` is "burn"; the captions its subtitle track carries, where it is
    "soft"). All None without ``options``.

    Raises:
        InputError: as :func:`captions_for`, before any frame is made.
    """
    if options is None:
        return None, None, None
    captions = captions_for(speech, fps, options, n_frames / fps)
    return (captions, CaptionBurner(captions, fps) if options.show == "burn" else None,
            captions if options.show == "soft" else None)


def recognised_words(samples: np.ndarray, rate: int, name: str) -> tuple[TimedWord, ...]:
    """The English words speech recognition hears in a recording (``samples`` (n,) float32 at
    ``rate`` Hz, called ``name`` in messages), aligned back onto it: what a recording without its
    transcript is captioned with.

    Raises:
        InputError: nothing was recognised.
    """
    from ..speech import recognise_and_align

    heard = recognise_and_align((samples, rate))
    if heard is None or not heard.words:
        raise InputError(f"no English words were recognised in '{name}' to caption",
                         "give the words said (the transcript), or leave the captions out")
    return heard.words


def _stamp(t: float, sep: str) -> str:
    ms = int(round(t * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def caption_text(captions: Captions, kind: str) -> str:
    """The captions as a file's text: ``kind`` "srt" (SubRip) or "vtt" (WebVTT; recognised
    captions carry a NOTE saying so)."""
    if kind == "srt":
        blocks = [f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n"
                  for i, c in enumerate(captions.cues, 1)]
        return "\n".join(blocks)
    if kind == "vtt":
        head = "WEBVTT\n\n"
        if captions.recognised:
            head += f"NOTE {RECOGNISED_NOTE}\n\n"
        return head + "\n".join(f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n"
                                for c in captions.cues)
    raise ValueError(f"unknown caption format {kind!r}: use 'srt' or 'vtt'")


def check_caption_path(path: str | os.PathLike, kind: str) -> Path:
    """Fail now (before a render) on a caption path that cannot be written or has the wrong suffix."""
    return check_output(path, (f".{kind}",), "captions")


def write_captions(path: str | os.PathLike, captions: Captions) -> Path:
    """Write ``captions`` to ``path`` (.srt or .vtt, by its suffix), atomically. UTF-8."""
    kind = Path(path).suffix.lower().lstrip(".")
    if f".{kind}" not in CAPTION_SUFFIXES:
        raise InputError(f"'{path}' is not a caption file name", "name it .srt or .vtt")
    with atomic_output(path) as tmp:
        tmp.write_text(caption_text(captions, kind), encoding="utf-8")
    return Path(path)
