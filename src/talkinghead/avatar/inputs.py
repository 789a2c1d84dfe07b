"""Pair enrollment videos with their transcripts, from the ways a user can give them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError
from ..speech.corpus import read_grid_align
from .enroll import ClipInput


def clips_from(videos: Sequence[str | os.PathLike], *, text: str | None = None,
               transcripts: str | os.PathLike | None = None, align_dir: str | os.PathLike | None = None,
               no_audio: bool = False) -> list[ClipInput]:
    """Build the enrollment inputs.

    Args:
        videos: the video files.
        text: one transcript (only with a single video, e.g. one long recording).
        transcripts: a UTF-8 TSV file, one line per video: ``file name<TAB>transcript``
            (the name may be given with or without its folder and extension).
        align_dir: a folder of GRID-style ``<video stem>.align`` files; their words are the
            transcript.
        no_audio: pose-only enrollment: the sound is not used at all.

    With no transcript source, every clip comes without one (enrollment then recognises what is
    said, or learns from the pictures and sound alone).

    Raises:
        InputError: several transcript sources, a video missing from the TSV or the align folder,
            --text with several videos, an unreadable TSV.
    """
    paths = [Path(v) for v in videos]
    given = [x is not None for x in (text, transcripts, align_dir)]
    if sum(given) > 1:
        raise InputError("several transcript sources given",
                         "use one of --text, --text-file, --transcripts, --align-dir")
    if no_audio:
        if any(given):
            raise InputError("--no-audio makes a pose-only avatar and takes no transcript",
                             "drop --no-audio, or the transcript option")
        return [ClipInput(p, None) for p in paths]
    if text is not None:
        if len(paths) != 1:
            raise InputError(f"--text gives one transcript but there are {len(paths)} videos",
                             "use --transcripts TSV or --align-dir for several videos")
        return [ClipInput(paths[0], text)]
    if transcripts is not None:
        table = _read_tsv(Path(transcripts))
        out = []
        for p in paths:
            found = next((table[k] for k in (str(p), p.name, p.stem) if k in table), None)
            if found is None:
                raise InputError(f"'{transcripts}' has no line for '{p.name}'",
                                 "add a line 'file name<TAB>transcript' for every video")
            out.append(ClipInput(p, found))
        return out
    if align_dir is not None:
        folder = Path(align_dir)
        if not folder.is_dir():
            raise InputError(f"alignment folder '{folder}' does not exist", "check the path")
        out = []
        for p in paths:
            align_file = folder / f"{p.stem}.align"
            if not align_file.is_file():
                raise InputError(f"no alignment file '{align_file}' for '{p.name}'",
                                 "give a <video name>.align for every video")
            out.append(ClipInput(p, " ".join(w.text for w in read_grid_align(align_file))))
        return out
    return [ClipInput(p, None) for p in paths]  # no transcript: enrollment recognises the speech


def _read_tsv(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(f"transcripts file '{path}' does not exist", "check the path")
    table: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        name, sep, transcript = line.partition("\t")
        if not sep or not transcript.strip():
            raise InputError(f"'{path}' line {number} is not 'file name<TAB>transcript'",
                             "separate the name and the transcript with a tab")
        key = name.strip()
        table[key] = transcript.strip()
        table.setdefault(Path(key).name, transcript.strip())
        table.setdefault(Path(key).stem, transcript.strip())
    return table
