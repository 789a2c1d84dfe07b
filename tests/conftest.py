"""Shared fixtures: real GRID data when ../shared is beside the checkout, else skip."""

from __future__ import annotations

from pathlib import Path

import pytest

GRID = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"
ALIGN_UNITS_PER_S = 25000  # GRID .align time unit: 1/25000 s


def grid_words(clip: str) -> list[tuple[str, float, float]]:
    """(word, start s, end s) of a GRID clip's spoken words, from the corpus's own alignment."""
    out = []
    for line in (GRID / "align" / f"{clip}.align").read_text().split("\n"):
        parts = line.split()
        if len(parts) == 3 and parts[2] not in ("sil", "sp"):
            out.append((parts[2], int(parts[0]) / ALIGN_UNITS_PER_S, int(parts[1]) / ALIGN_UNITS_PER_S))
    return out


@pytest.fixture(scope="session")
def grid() -> Path:
    """The GRID s1 folder; skips the test where ../shared/data is absent (a user's clone)."""
    if not (GRID / "align").is_dir():
        pytest.skip(f"real data not found at {GRID} (it sits beside the repo in CI only)")
    return GRID


@pytest.fixture(scope="session")
def grid_clips(grid: Path) -> list[str]:
    """Clip ids, sorted."""
    return sorted(p.stem for p in (grid / "align").glob("*.align"))
