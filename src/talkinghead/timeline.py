"""The frame timeline: seconds ↔ video frames, phonemes on frames, and when lips count as closed.

Every stage that puts timed speech onto video frames asks this module, so a phoneme lands on the
same frames in enrollment, motion planning, rendering and evaluation.

Conventions (``fps`` frames/s, ``n`` frames):

* frame ``k`` shows the instant ``k / fps`` s and stands for the interval
  ``[k / fps, (k + 1) / fps)``; its *centre* is ``(k + 0.5) / fps`` s;
* a video ``duration`` s long has ``round(duration · fps)`` frames, at least one;
* the frame *holding* an instant ``t`` is ``floor(t · fps)`` (clamped into the video);
* a phoneme's *centre frame* holds the middle of its span; the frames it *covers* are those whose
  interval overlaps the span; the frames *inside* it are those whose centre lies in the span.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError
from .phonemes import SILENCE

if TYPE_CHECKING:  # a leaf module: the speech stage imports its recognisers
    from .speech.types import TimedPhoneme

CLOSED_LIPS_IOD = 0.03
"""An inner-lip gap below this (IOD units) counts as closed lips: in the metrics (pause and
bilabial closure, LipLeak), when choosing closed-jaw background footage, and when retrieving a
shut texture. About 2 px at GRID size (IOD ≈ 65 px), below what a viewer reads as parted."""


MIN_FPS, MAX_FPS = 1.0, 120.0  # frame rates a video may be made or enrolled at, frames/s


def check_fps(fps: float) -> None:
    """Raise InputError unless ``fps`` is a frame rate we make videos at."""
    if not MIN_FPS <= fps <= MAX_FPS:
        raise InputError(f"frame rate {fps:g} is out of range", f"use --fps between {MIN_FPS:g} and {MAX_FPS:g}")


def frame_count(duration: float, fps: float) -> int:
    """Frames of a video ``duration`` s long at ``fps`` frames/s: round(duration · fps), ≥ 1."""
    return max(1, int(round(duration * fps)))


def frame_centres(n: int, fps: float) -> np.ndarray:
    """(n,) float64: each frame's centre, s."""
    return (np.arange(n) + 0.5) / fps


def frame_at(t: float, fps: float, n: int) -> int:
    """The frame holding instant ``t`` s, clamped into ``[0, n - 1]``."""
    return min(n - 1, max(0, int(t * fps)))


def centre_frame(phoneme: TimedPhoneme, fps: float, n: int) -> int:
    """The frame holding the middle of ``phoneme``'s span."""
    return frame_at((phoneme.start + phoneme.end) / 2, fps, n)


def covered_frames(phoneme: TimedPhoneme, fps: float, n: int) -> tuple[int, int]:
    """(first, last) frames whose interval overlaps ``phoneme``'s span (at least one frame): where
    the phoneme is heard at all, e.g. the footage an occurrence of it may be taken from."""
    first = frame_at(phoneme.start, fps, n)
    return first, min(max(first, math.ceil(phoneme.end * fps) - 1), n - 1)


def inner_frames(phoneme: TimedPhoneme, fps: float, n: int) -> tuple[int, int]:
    """(first, last) frames whose centre lies inside ``phoneme``'s span; a phoneme shorter than a
    frame gets the frame after its start (``last`` is never before ``first``). Where a key pose may
    be held."""
    first = min(n - 1, math.ceil(phoneme.start * fps - 0.5))
    return first, max(first, min(n - 1, math.ceil(phoneme.end * fps - 0.5) - 1))


def frame_labels(phonemes: Sequence[TimedPhoneme], n: int, fps: float) -> list[str]:
    """The phoneme under each of ``n`` frames' centres ('sil' where no phoneme is)."""
    labels = [SILENCE] * n
    if not phonemes:
        return labels
    starts = np.array([p.start for p in phonemes])
    centres = frame_centres(n, fps)
    idx = np.searchsorted(starts, centres, side="right") - 1
    for f, i in enumerate(idx):
        if 0 <= i < len(phonemes) and centres[f] < phonemes[i].end:
            labels[f] = phonemes[i].phoneme
    return labels
