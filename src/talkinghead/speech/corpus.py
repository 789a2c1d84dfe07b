"""Word timings that come with a recording (corpus alignment files), read into TimedWord."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError
from .types import TimedWord

GRID_UNITS_PER_S = 25000  # GRID .align time unit: 1/25000 s (1000 units = one 25 fps frame)
GRID_SILENCES = ("sil", "sp")  # GRID's labels for silence and short pause


def read_grid_align(path: str | os.PathLike) -> tuple[TimedWord, ...]:
    """The spoken words of a GRID ``.align`` file (lines ``start end word``), silences left out.

    Raises:
        InputError: missing file or a line that is not ``start end word``.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"alignment file '{p}' does not exist", "check the path")
    words = []
    for number, line in enumerate(p.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not (parts[0].isdigit() and parts[1].isdigit()):
            raise InputError(f"'{p}' line {number} is not 'start end word': {line.strip()!r}",
                             "give GRID-style .align files")
        if parts[2] not in GRID_SILENCES:
            words.append(TimedWord(parts[2], int(parts[0]) / GRID_UNITS_PER_S,
                                   int(parts[1]) / GRID_UNITS_PER_S))
    return tuple(words)
