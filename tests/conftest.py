"""Shared fixtures: real GRID data when ../shared is beside the checkout, else skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from talkinghead.speech.corpus import read_grid_align

GRID = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "grid_s1"


def grid_words(clip: str) -> list[tuple[str, float, float]]:
    """(word, start s, end s) of a GRID clip's spoken words, from the corpus's own alignment."""
    return [(w.text, w.start, w.end) for w in read_grid_align(GRID / "align" / f"{clip}.align")]


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


@pytest.fixture
def server(tmp_path):
    """A `talkinghead serve` process on a free port (start it with ``server.start()``); killed
    with its process group at the end."""
    from .serving import Server

    s = Server(tmp_path / "data")
    yield s
    s.kill()
