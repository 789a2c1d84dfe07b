"""From raw landmarks to a FaceTrack: head pose, its jitter filter, canonical (pose-free) shapes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .pose import OneEuro, fit_similarity, to_canonical
from .tracker import RawTrack


@dataclass(frozen=True)
class FilterOptions:
    """Head-pose jitter filter (One-Euro; cutoff in Hz, beta in Hz per IOD/s of motion).

    The pose filter is strong: a head does not shake at 10 Hz, a tracker does. Mouth shapes are
    not filtered: every bank frame's landmarks must describe that frame's own pixels, and a
    causal filter's lag made rendered mouths miss their targets (benchmarks/RESULTS.md, "Design
    decisions"); the motion models smooth their targets anyway.
    """

    pose_min_cutoff: float = 1.0
    pose_beta: float = 1.0


@dataclass(frozen=True, eq=False)
class FaceTrack:
    """A tracked shot.

    Attributes:
        landmarks: (n, 478, 2) float32, pixels; NaN where no face.
        found: (n,) bool, a face was found in the frame.
        pose: (n, 4) float64 filtered head pose [scale px/IOD, angle rad, tx px, ty px],
            canonical → image; NaN where no face. For placing things in the frame.
        raw_pose: (n, 4) float64 the per-frame fit before filtering; ``canonical`` is defined
            by it, so crops cut with it line up with the canonical landmarks exactly.
        canonical: (n, 478, 2) float32, landmarks with the (unfiltered) pose removed, IOD units.
        residual: (n,) float32, RMS of the rigid points after the similarity fit, IOD units.
        fps: frames/s.
    """

    landmarks: np.ndarray
    found: np.ndarray
    pose: np.ndarray
    raw_pose: np.ndarray
    canonical: np.ndarray
    residual: np.ndarray
    fps: float

    def __len__(self) -> int:
        return len(self.found)


def build_track(raw: RawTrack, template: np.ndarray, fps: float,
                options: FilterOptions = FilterOptions()) -> FaceTrack:
    """Fit poses to ``template`` (478, 2), filter jitter, and compute canonical shapes."""
    n = len(raw.found)
    pose = np.full((n, 4), np.nan)
    residual = np.full(n, np.nan, np.float32)
    canonical = np.full(raw.landmarks.shape, np.nan, np.float32)
    if raw.found.any():
        ok = raw.found
        fitted, res = fit_similarity(raw.landmarks[ok], template)
        residual[ok] = res
        # Canonical shapes use the per-frame fit: pose jitter then cancels out of the mouth shape.
        canonical[ok] = to_canonical(fitted, raw.landmarks[ok])
        pose[ok] = fitted
    filtered = _filter_pose(pose, fps, options) if raw.found.any() else pose
    return FaceTrack(raw.landmarks, raw.found, filtered, pose, canonical, residual, fps)


def _filter_pose(pose: np.ndarray, fps: float, options: FilterOptions) -> np.ndarray:
    """One-Euro on (log scale, angle, tx, ty) measured in IOD units so one beta fits all four."""
    ref = np.nanmedian(pose[:, 0])
    z = np.stack([np.log(pose[:, 0]), pose[:, 1], pose[:, 2] / ref, pose[:, 3] / ref], 1)
    z = OneEuro(fps, options.pose_min_cutoff, options.pose_beta)(z)
    return np.stack([np.exp(z[:, 0]), z[:, 1], z[:, 2] * ref, z[:, 3] * ref], 1)
