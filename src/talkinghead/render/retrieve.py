"""Texture retrieval: for each target mouth shape, a real bank frame, chosen with coherence."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from ..face.landmarks import LIPS_INNER, LIPS_OUTER, lip_gap
from ..timeline import CLOSED_LIPS_IOD

N_LIP_POINTS = len(LIPS_OUTER) + len(LIPS_INNER)  # MOUTH starts with the 40 lip points
PCA_DIMS = 12  # lip shapes live in few dimensions; a small space keeps the k-d tree fast
K_CANDIDATES = 8
SWITCH_COST = 0.6  # in units of the median candidate distance: jumping to another bank frame
STILL_COST = 0.15  # holding the same bank frame (fine for a moment, not for long)
GAP_WEIGHT = 6.0  # the inner-lip gap, up to CLOSED_LIPS_IOD, counts as this many lip coordinates:
# whether the lips are shut or not, not how far open


@dataclass(frozen=True, eq=False)
class TextureIndex:
    """Searchable lip shapes of the usable bank frames.

    Attributes:
        frames: (m,) int bank indices of usable frames.
        clip: (m,) int source clip of each (a jump between clips always counts as a switch).
        mean, basis: PCA of the (m, 80) lip shapes (centred on each shape's mean).
        tree: k-d tree over the projected shapes.
    """

    frames: np.ndarray
    clip: np.ndarray
    mean: np.ndarray
    basis: np.ndarray
    tree: cKDTree

    @classmethod
    def build(cls, mouths: np.ndarray, usable: np.ndarray, clip: np.ndarray) -> TextureIndex:
        """From (N, N_MOUTH, 2) canonical mouths of all bank frames and their usable flags."""
        frames = np.flatnonzero(usable & ~np.isnan(mouths).any(axis=(1, 2)))
        if frames.size == 0:
            raise ValueError("the avatar has no usable bank frame")
        x = _features(mouths[frames])
        mean = x.mean(0)
        _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
        basis = vt[: min(PCA_DIMS, vt.shape[0])]
        return cls(frames, clip[frames], mean, basis, cKDTree((x - mean) @ basis.T))

    def project(self, mouths: np.ndarray) -> np.ndarray:
        return (_features(mouths) - self.mean) @ self.basis.T


def _features(mouths: np.ndarray) -> np.ndarray:
    """Lip points centred on their own mean (position in the crop does not matter), flattened,
    and whether the lips are shut, weighted up: a texture of parted lips (teeth, a dark mouth)
    warped shut does not look shut, however close its outline. Among open mouths the gap adds
    nothing (the outline already tells them apart; weighting it there made textures switch
    more often)."""
    lips = mouths[:, :N_LIP_POINTS].astype(np.float64)
    centred = (lips - lips.mean(1, keepdims=True)).reshape(len(lips), -1)
    shut = np.minimum(lip_gap(mouths.astype(np.float64)), CLOSED_LIPS_IOD)
    return np.concatenate([centred, GAP_WEIGHT * shut[:, None]], axis=1)


def choose_textures(index: TextureIndex, targets: np.ndarray, k: int = K_CANDIDATES) -> np.ndarray:
    """Bank frame per output frame: (n,) int, by Viterbi over the k nearest shapes, where
    continuing a real sequence (bank frame j → j+1 of the same clip) costs nothing extra,
    holding a frame costs a little and jumping costs more.

    Args:
        targets: (n, N_MOUTH, 2) canonical target mouths.
    """
    n = len(targets)
    k = min(k, len(index.frames))
    dist, idx = index.tree.query(index.project(targets), k=k)
    dist, idx = dist.reshape(n, k), idx.reshape(n, k)
    scale = float(np.median(dist)) or 1.0
    cost = dist / scale
    cand = index.frames[idx]  # bank frame numbers, (n, k)
    clip = index.clip[idx]
    total = cost[0].copy()
    back = np.zeros((n, k), np.int32)
    for t in range(1, n):
        step = cand[t][None, :] - cand[t - 1][:, None]  # (k_prev, k_now)
        same_clip = clip[t][None, :] == clip[t - 1][:, None]
        trans = np.where(same_clip & (step == 1), 0.0,
                         np.where(same_clip & (step == 0), STILL_COST, SWITCH_COST))
        scores = total[:, None] + trans
        back[t] = np.argmin(scores, axis=0)
        total = scores[back[t], np.arange(k)] + cost[t]
    path = np.empty(n, np.int32)
    path[-1] = int(np.argmin(total))
    for t in range(n - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return cand[np.arange(n), path]


class TextureChooser:
    """:func:`choose_textures` for a stream: each frame's bank frame is chosen as its target
    arrives, by the same costs (distance, holding, jumping) against the previous choice only (no
    look-back: a live frame cannot wait for the ones after it)."""

    def __init__(self, index: TextureIndex, k: int = K_CANDIDATES) -> None:
        self.index = index
        self.k = min(k, len(index.frames))
        # The distance scale: median distance from bank shapes to their nearest other bank shapes
        # (the offline chooser uses the median over the output's candidates).
        sample = index.tree.data[:: max(1, len(index.frames) // 500)]
        dist, _ = index.tree.query(sample, k=min(self.k + 1, len(index.frames)))
        self.scale = float(np.median(dist[:, 1:])) if dist.ndim == 2 and dist.shape[1] > 1 else 1.0
        self.scale = self.scale or 1.0
        self.previous: int | None = None  # position in index.frames of the last choice

    def choose(self, target: np.ndarray) -> int:
        """Bank frame for one (N_MOUTH, 2) canonical target mouth."""
        dist, idx = self.index.tree.query(self.index.project(target[None])[0], k=self.k)
        dist, idx = np.atleast_1d(dist), np.atleast_1d(idx)
        cost = dist / self.scale
        if self.previous is not None:
            p = self.previous
            same_clip = self.index.clip[idx] == self.index.clip[p]
            step = self.index.frames[idx] - self.index.frames[p]
            cost = cost + np.where(same_clip & (step == 1), 0.0,
                                   np.where(same_clip & (step == 0), STILL_COST, SWITCH_COST))
        self.previous = int(idx[int(np.argmin(cost))])
        return int(self.index.frames[self.previous])

    def reset(self) -> None:
        """Forget the last choice (after an interruption: nothing to continue)."""
        self.previous = None
