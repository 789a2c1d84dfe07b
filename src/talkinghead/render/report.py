"""What a render made, handed back to the caller (and printed by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RenderReport:
    """What was made: path, frames, seconds of output, wall seconds per stage."""

    path: Path
    frames: int
    duration: float
    seconds: dict[str, float]
