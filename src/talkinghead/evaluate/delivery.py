"""Delivery: how a video's speaker moves — mouth-opening range and head motion against the
speech — measured the same way for real footage, our outputs and a style reference
(``--style-from``).

Landmarks are tracked afresh (mediapipe FaceMesh); head poses are fitted to a template built from
the video's own landmarks (no filtering: what a viewer sees); the mouth is measured in the
eye-corner frame (IOD units), so size and position in the frame do not matter.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..face import MOUTH, TrackOptions, build_template, fit_similarity, track_frames
from ..face.pose import eye_frame
from ..motion.head import HeadStats, head_stats, loudness
from ..motion.style import opening_range
from ..progress import ProgressHook, no_progress
from ..video import load_audio, probe, read_frames

MAX_SIDE_PX = 720  # frames are tracked at most this size (landmarks are as good, tracking faster)


@dataclass(frozen=True)
class Delivery:
    """One video's delivery.

    Attributes:
        opening_iod: mouth-opening range, IOD (95th − 5th percentile of the inner-lip gap).
        head: head motion against the speech (:class:`~talkinghead.motion.head.HeadStats`).
        pose: (n, 4) fitted head poses [scale px/IOD, angle rad, tx px, ty px] (NaN: no face).
        loudness: (n,) loudness 0–1 per frame (zeros: no sound).
        fps: frames/s of both.
    """

    opening_iod: float
    head: HeadStats
    pose: np.ndarray
    loudness: np.ndarray
    fps: float

    def to_json(self) -> dict:
        return {"opening_iod": round(self.opening_iod, 4),
                "head": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in vars(self.head).items()}}


def measure_delivery(video: str | os.PathLike, max_seconds: float | None = None,
                     progress: ProgressHook = no_progress) -> Delivery:
    """Track ``video`` (its first ``max_seconds``, or all of it) and measure its delivery.

    Raises:
        InputError: unreadable video, or no face in it.
    """
    path = Path(video)
    info = probe(path)
    fps = info.fps
    n_max = int(max_seconds * fps) if max_seconds else None
    images = (f.image for f in itertools.islice(read_frames(path, fps, max_size=MAX_SIDE_PX), n_max))
    lm = track_frames(images, n_max or info.n_frames, TrackOptions(), progress, "measure").landmarks
    ok = np.isfinite(lm).all((1, 2))
    if ok.sum() < 2:
        raise InputError(f"no face could be followed in '{path}'", "give a video where one face is clearly visible")
    pose = np.full((len(lm), 4), np.nan)
    pose[ok] = fit_similarity(lm[ok], build_template(lm[ok]))[0]
    if info.has_audio:
        audio, sr = load_audio(path)
        loud = loudness(audio, sr, fps, len(lm))
    else:
        loud = np.zeros(len(lm), np.float32)
    opening = opening_range(eye_frame(lm[ok])[:, MOUTH])
    return Delivery(opening, head_stats(pose, loud, fps), pose, loud, fps)
