"""Lip sync against the phoneme timeline, for videos with no real reference (talking photo).

The video is re-tracked; its mouth opening is compared with the openness each frame's phoneme
asks for (the generic viseme table), closure is checked in pauses and at bilabial centres, and
the face's still parts (brows, nose bridge, eye corners) must not move except with the head.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..face.landmarks import BROWS, EYE_CORNERS
from ..face.pose import apply_pose, fit_similarity, to_canonical
from ..motion.visemes import expected_opening
from ..phonemes import SILENCE, Viseme, viseme_of
from ..speech.types import TimedPhoneme
from ..timeline import CLOSED_LIPS_IOD, centre_frame, frame_labels
from . import metrics as M

# Points a talking photo never moves except with the head: brows, the nose bridge and tip, eye
# corners. The face outline and forehead are left out on purpose: mediapipe places them from the
# whole mesh, and on frames whose pixels there are identical (only the mouth moved) they still
# move 3-5.5 px with the jaw (measured on the built-in portrait), which would be the tracker's
# drift, not the video's.
NOSE_BRIDGE = np.array([168, 6, 197, 195, 5, 4, 1])
STILL_POINTS = np.concatenate([BROWS, NOSE_BRIDGE, EYE_CORNERS])


def timeline_sync(landmarks: np.ndarray, phonemes: Sequence[TimedPhoneme], fps: float,
                  still: np.ndarray) -> dict[str, float]:
    """Sync and stillness of a tracked video against its phoneme timeline.

    Args:
        landmarks: (n, 478, 2) px of the re-tracked video (NaN rows: no face).
        phonemes: the speech's timed phonemes, s.
        fps: frames/s.
        still: (478, 2) px landmarks of the undriven face (the portrait).

    Returns:
        ``opening_vs_expected`` (Pearson r of the inner-lip gap with the phonemes' expected
        openness), ``pause_closure`` (share of pause frames with closed lips),
        ``bilabial_closure`` (share of p/b/m centres with closed lips), ``still_drift_px_p99``
        and ``still_drift_px_max`` (how far brows, nose and eye corners move once the head's
        similarity motion is removed), ``face_found``.
    """
    n = len(landmarks)
    labels = frame_labels(phonemes, n, fps)
    found = ~np.isnan(landmarks[:, 0, 0])
    gap = M.opening(landmarks)
    expected = np.array([expected_opening(p) for p in labels])
    ok = found & np.isfinite(gap)
    r = float(np.corrcoef(gap[ok], expected[ok])[0, 1]) if ok.sum() > 2 and expected[ok].std() > 0 \
        else float("nan")
    pause = np.array([p == SILENCE for p in labels]) & ok
    centres = [centre_frame(p, fps, n) for p in phonemes if p.phoneme != SILENCE and viseme_of(p.phoneme) == Viseme.BILABIAL]
    centres = [c for c in centres if ok[c]]
    drift = np.full(n, np.nan)
    if found.any():
        # Reference: the still points' median position in this very video (the tracker reads a
        # static photo and a video frame of it up to 2 px apart), then each frame against it.
        pose, _ = fit_similarity(landmarks[found], still, STILL_POINTS)
        aligned = to_canonical(pose, landmarks[found][:, STILL_POINTS])  # back in `still`'s pixels
        ref = still.astype(np.float64).copy()
        ref[STILL_POINTS] = np.median(aligned, axis=0)
        pose, _ = fit_similarity(landmarks[found], ref, STILL_POINTS)
        fitted = apply_pose(pose, ref[STILL_POINTS])
        drift[found] = np.linalg.norm(landmarks[found][:, STILL_POINTS] - fitted, axis=-1).max(axis=1)
    return {
        "opening_vs_expected": r,
        "pause_closure": float(np.mean(gap[pause] < CLOSED_LIPS_IOD)) if pause.any() else float("nan"),
        "bilabial_closure": float(np.mean([gap[c] < CLOSED_LIPS_IOD for c in centres])) if centres
        else float("nan"),
        "still_drift_px_p99": float(np.nanpercentile(drift, 99)) if found.any() else float("nan"),
        "still_drift_px_max": float(np.nanmax(drift)) if found.any() else float("nan"),
        "face_found": float(found.mean()),
    }


def track_video(path: str | os.PathLike) -> tuple[np.ndarray, float]:
    """(n, 478, 2) px landmarks of every frame of ``path`` and its frame rate."""
    from ..face import track_frames
    from ..video import probe, read_frames

    info = probe(Path(path))
    raw = track_frames((f.image for f in read_frames(path)), info.n_frames)
    return raw.landmarks, info.fps
