"""What a render made, handed back to the caller (and printed by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..captions import Captions


@dataclass(frozen=True)
class RenderReport:
    """What was made: path, frames, seconds of output, wall seconds per stage, and the captions
    of its words where they were asked for (:attr:`RenderOptions.captions`; caption files are
    written from them)."""

    path: Path
    frames: int
    duration: float
    seconds: dict[str, float]
    captions: Captions | None = None
