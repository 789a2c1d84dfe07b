"""A per-person mouth model learnt at enrollment: phoneme context (and sound) → mouth shape.

Text2Video's key poses fix one shape per phoneme and interpolate linearly between centres; real
mouths anticipate and carry over sounds several frames away (coarticulation) and open wider on
stressed, louder syllables. Both are visible in the enrollment footage, so we fit them there: a
ridge regression from

* the viseme class of the frame and of each frame up to ``CONTEXT_FRAMES`` before and after it
  (one-hot; 360 ms each way at 25 fps covers anticipatory rounding and opening), and optionally
* the recording's per-frame log mel energies, ``AUDIO_CONTEXT_FRAMES`` each way (loudness and
  vowel quality that labels alone do not carry),

to the canonical mouth/jaw landmarks. Fitting takes well under a second on a CPU. On GRID (60
clips spread over the corpus enrolled, 40 others held out, silent frames closed) the predicted
opening correlates with the real clip's at 0.81 from phonemes alone and 0.85 with sound. A
two-layer network on the same features, longer sound context (±3–6 frames), sound deltas and
per-phoneme identity all scored within ±0.005 of the linear map (on an earlier, less varied split).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..face.landmarks import N_MOUTH
from ..phonemes import SILENCE, Viseme, viseme_of
from ..speech.features import N_MELS

CONTEXT_FRAMES = 9  # phoneme context each side of a frame, frames at the model's fps
AUDIO_CONTEXT_FRAMES = 2  # log-mel context each side, frames
RIDGE = 10.0  # L2 penalty of the regression (features are one-hot / unit variance)
CLASSES = (SILENCE,) + tuple(v.value for v in Viseme)  # one-hot alphabet of the phoneme context
MIN_TRAINING_FRAMES = 250  # below this (10 s at 25 fps) the key-pose planner is used instead


def _class_index(phoneme: str) -> int:
    return 0 if phoneme == SILENCE else CLASSES.index(viseme_of(phoneme).value)


def phoneme_features(labels: Sequence[str]) -> np.ndarray:
    """(n,) per-frame phoneme labels → (n, (2K+1)·len(CLASSES)) float32 one-hot context."""
    n = len(labels)
    cls = np.array([_class_index(p) for p in labels], np.int64)
    x = np.zeros((n, (2 * CONTEXT_FRAMES + 1) * len(CLASSES)), np.float32)
    rows = np.arange(n)
    for j, d in enumerate(range(-CONTEXT_FRAMES, CONTEXT_FRAMES + 1)):
        x[rows, j * len(CLASSES) + cls[np.clip(rows + d, 0, n - 1)]] = 1.0
    return x


def audio_context(log_mel: np.ndarray) -> np.ndarray:
    """(n, 26) per-frame log-mel → (n, (2A+1)·26) float32 stacked neighbours."""
    n = len(log_mel)
    rows = np.arange(n)
    return np.concatenate([log_mel[np.clip(rows + d, 0, n - 1)]
                           for d in range(-AUDIO_CONTEXT_FRAMES, AUDIO_CONTEXT_FRAMES + 1)],
                          axis=1).astype(np.float32)


@dataclass(frozen=True)
class TrainingClip:
    """One enrolled clip as training data for :func:`fit_mouth_model`.

    Attributes:
        labels: (n,) phoneme key at each frame's centre ('sil' in pauses), from forced alignment.
        mouths: (n, N_MOUTH, 2) canonical mouth/jaw landmarks, IOD units (NaN: no face).
        usable: (n,) bool, the frame's face fit is trustworthy.
        log_mel: (n, 26) the clip's per-frame log mel energies (see
            :func:`talkinghead.speech.features.frame_log_mel`).
    """

    labels: tuple[str, ...]
    mouths: np.ndarray
    usable: np.ndarray
    log_mel: np.ndarray


@dataclass(frozen=True, eq=False)
class MouthModel:
    """Linear maps from context features to a flattened canonical mouth (N_MOUTH·2, IOD units).

    Attributes:
        fps: frame rate the model was fitted at, frames/s (its context is counted in frames).
        mean: (N_MOUTH·2,) mean training mouth.
        phonetic: (F_p + 1, N_MOUTH·2) weights from phoneme context (+ bias row).
        acoustic: (F_p + F_a + 1, N_MOUTH·2) weights from phoneme and sound context (+ bias).
        frames: training frames used.
    """

    fps: float
    mean: np.ndarray
    phonetic: np.ndarray
    acoustic: np.ndarray
    frames: int

    def predict(self, labels: Sequence[str], log_mel: np.ndarray | None = None) -> np.ndarray:
        """Mouth shape per frame at ``self.fps``.

        Args:
            labels: (n,) phoneme key at each frame's centre.
            log_mel: (n, 26) the recording's per-frame log mel energies, or None to predict
                from the phonemes alone (e.g. synthetic speech, whose voice is not the person's).

        Returns:
            (n, N_MOUTH, 2) float32 canonical mouth/jaw, IOD units.
        """
        x = phoneme_features(labels)
        weights = self.phonetic
        if log_mel is not None:
            x = np.concatenate([x, audio_context(log_mel)], axis=1)
            weights = self.acoustic
        x = np.concatenate([x, np.ones((len(x), 1), np.float32)], axis=1)
        return (x @ weights + self.mean).reshape(len(labels), N_MOUTH, 2).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, fps=self.fps, mean=self.mean, phonetic=self.phonetic,
                            acoustic=self.acoustic, frames=self.frames,
                            context=np.array([CONTEXT_FRAMES, AUDIO_CONTEXT_FRAMES, len(CLASSES), N_MELS]))

    @classmethod
    def load(cls, path: Path) -> MouthModel:
        """Raises ValueError when the file was made with another feature layout."""
        with np.load(path, allow_pickle=False) as z:
            layout = tuple(int(v) for v in z["context"])
            if layout != (CONTEXT_FRAMES, AUDIO_CONTEXT_FRAMES, len(CLASSES), N_MELS):
                raise ValueError(f"mouth model feature layout {layout} is not this version's")
            return cls(float(z["fps"]), z["mean"], z["phonetic"], z["acoustic"], int(z["frames"]))


def fit_mouth_model(clips: Sequence[TrainingClip], fps: float, ridge: float = RIDGE) -> MouthModel | None:
    """Fit both maps on the usable frames of ``clips``; None when there are fewer than
    ``MIN_TRAINING_FRAMES`` of them (too little footage to learn from)."""
    xp, xa, ys = [], [], []
    for clip in clips:
        y = clip.mouths.reshape(len(clip.mouths), -1)
        ok = clip.usable & ~np.isnan(y).any(axis=1)
        if not ok.any():
            continue
        xp.append(phoneme_features(clip.labels)[ok])
        xa.append(audio_context(clip.log_mel)[ok])
        ys.append(y[ok])
    if not ys or sum(len(y) for y in ys) < MIN_TRAINING_FRAMES:
        return None
    y = np.concatenate(ys).astype(np.float64)
    mean = y.mean(axis=0)
    p = np.concatenate(xp)
    a = np.concatenate(xa)
    ones = np.ones((len(p), 1), np.float32)
    return MouthModel(fps, mean.astype(np.float32),
                      _ridge(np.concatenate([p, ones], axis=1), y - mean, ridge),
                      _ridge(np.concatenate([p, a, ones], axis=1), y - mean, ridge), len(y))


def _ridge(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    x = x.astype(np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += penalty
    return np.linalg.solve(gram, x.T @ y).astype(np.float32)
