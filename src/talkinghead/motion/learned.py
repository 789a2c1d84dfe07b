"""A per-person mouth model learnt at enrollment: phoneme context (and sound) → mouth shape.

Text2Video's key poses fix one shape per phoneme and interpolate linearly between centres; real
mouths anticipate and carry over sounds several frames away (coarticulation) and open wider on
stressed, louder syllables. Both are visible in the enrollment footage, so we fit them there: a
ridge regression from

* the viseme class of the frame and of each frame up to ``CONTEXT_FRAMES`` before and after it
  (one-hot; 360 ms each way at 25 fps covers anticipatory rounding and opening), and optionally
* the recording's per-frame log mel energies, ``AUDIO_CONTEXT_FRAMES`` each way (loudness and
  vowel quality that labels alone do not carry), both as they are and through random Fourier
  features of a Gaussian kernel on them (``SOUND_KERNEL_*``: how wide a mouth opens is not a
  linear function of the spectrum), and
* how the background's head is turned and tipped (:func:`~talkinghead.face.head_shape`,
  smoothed over ``HEAD_SMOOTH_S``): a similarity pose removes roll and size, not yaw and pitch,
  and a head tipped back shows a shorter, flatter mouth below its eyes. Smoothing keeps head
  turns and drops anything as fast as speech, so the target video's own (old) speech cannot
  leak into the new mouth,

to the canonical mouth/jaw landmarks. Fitting takes about a second on a CPU. Each group of
features, and the alternatives that did not help (a small network, longer context), was
measured on the GRID dub benchmark: benchmarks/RESULTS.md, "Design decisions".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..face.landmarks import HEAD_SHAPE, N_MOUTH
from ..phonemes import SILENCE, Viseme, viseme_of
from ..speech.features import N_MELS

CONTEXT_FRAMES = 9  # phoneme context each side of a frame, frames at the model's fps
AUDIO_CONTEXT_FRAMES = 2  # log-mel context each side, frames
RIDGE = 10.0  # L2 penalty of the regression (features are one-hot / unit variance)
CLASSES = (SILENCE,) + tuple(v.value for v in Viseme)  # one-hot alphabet of the phoneme context
SOUND_KERNEL_FEATURES = 1000  # random Fourier features of the sound context
SOUND_KERNEL_GAMMA = 0.012  # the kernel exp(-γ/2·|x − y|²) on the unit-variance sound context
SOUND_KERNEL_SCALE = 5.0  # their size against the ridge penalty
HEAD_SMOOTH_S = 0.5  # s, Gaussian sigma over the head-shape track (head turns, not speech)
HEAD_SCALE = 10.0  # head-shape features in 0.1 IOD, the order of the one-hot and unit-variance ones
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


def head_features(head: np.ndarray | None, centre: np.ndarray, n: int, fps: float) -> np.ndarray:
    """Per-frame head shapes → (n, 2·len(HEAD_SHAPE)) float32 smoothed offsets from ``centre``.

    Args:
        head: (n, len(HEAD_SHAPE), 2) :func:`~talkinghead.face.head_shape` of the frames the mouth
            will be drawn on, IOD units (NaN rows: no face, filled with the mean of the others);
            None when unknown (the person's typical pose: all zeros).
        centre: (len(HEAD_SHAPE), 2) the person's typical head shape.
        fps: frames/s of the rows.
    """
    if head is None:
        return np.zeros((n, 2 * len(HEAD_SHAPE)), np.float32)
    x = (np.asarray(head, np.float64) - centre).reshape(n, -1)
    found = ~np.isnan(x).any(axis=1)
    if not found.any():
        return np.zeros_like(x, np.float32)
    x[~found] = x[found].mean(axis=0)
    x = gaussian_filter1d(x, HEAD_SMOOTH_S * fps, axis=0, mode="reflect")
    return (HEAD_SCALE * x).astype(np.float32)


def sound_kernel_basis(dims: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random frequencies (dims, SOUND_KERNEL_FEATURES) and phases (SOUND_KERNEL_FEATURES,), rad,
    for :func:`sound_features` (Rahimi & Recht's random Fourier features)."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((dims, SOUND_KERNEL_FEATURES)) * np.sqrt(SOUND_KERNEL_GAMMA)
    return basis.astype(np.float32), rng.uniform(0, 2 * np.pi, SOUND_KERNEL_FEATURES).astype(np.float32)


def sound_features(log_mel: np.ndarray, basis: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """(n, 26) per-frame log mel → (n, F_a + SOUND_KERNEL_FEATURES) float32: the stacked context
    and its random Fourier features."""
    context = audio_context(log_mel)
    kernel = SOUND_KERNEL_SCALE * np.sqrt(2.0 / basis.shape[1]) * np.cos(context @ basis + phase)
    return np.concatenate([context, kernel.astype(np.float32)], axis=1)


@dataclass(frozen=True)
class TrainingClip:
    """One enrolled clip as training data for :func:`fit_mouth_model`.

    Attributes:
        labels: (n,) phoneme key at each frame's centre ('sil' in pauses), from forced alignment.
        mouths: (n, N_MOUTH, 2) canonical mouth/jaw landmarks, IOD units (NaN: no face).
        usable: (n,) bool, the frame's face fit is trustworthy.
        log_mel: (n, 26) the clip's per-frame log mel energies (see
            :func:`talkinghead.speech.features.frame_log_mel`).
        head: (n, len(HEAD_SHAPE), 2) :func:`~talkinghead.face.head_shape` per frame, IOD units.
    """

    labels: tuple[str, ...]
    mouths: np.ndarray
    usable: np.ndarray
    log_mel: np.ndarray
    head: np.ndarray


@dataclass(frozen=True, eq=False)
class MouthModel:
    """Linear maps from context features to a flattened canonical mouth (N_MOUTH·2, IOD units).

    Attributes:
        fps: frame rate the model was fitted at, frames/s (its context is counted in frames).
        mean: (N_MOUTH·2,) mean training mouth.
        phonetic: (F_p + F_h + 1, N_MOUTH·2) weights from phoneme context and head shape (+ bias).
        acoustic: (F_p + F_s + F_h + 1, N_MOUTH·2) the same with sound features.
        head_centre: (len(HEAD_SHAPE), 2) the person's typical head shape, IOD units.
        sound_basis, sound_phase: the random Fourier features' frequencies (F_a, D) and phases (D,).
        frames: training frames used.
    """

    fps: float
    mean: np.ndarray
    phonetic: np.ndarray
    acoustic: np.ndarray
    head_centre: np.ndarray
    sound_basis: np.ndarray
    sound_phase: np.ndarray
    frames: int

    def predict(self, labels: Sequence[str], log_mel: np.ndarray | None = None,
                head: np.ndarray | None = None) -> np.ndarray:
        """Mouth shape per frame at ``self.fps``.

        Args:
            labels: (n,) phoneme key at each frame's centre.
            log_mel: (n, 26) the recording's per-frame log mel energies, or None to predict
                from the phonemes alone (e.g. synthetic speech, whose voice is not the person's).
            head: (n, len(HEAD_SHAPE), 2) head shape of the frames the mouth goes on (see
                :func:`head_features`), or None for the person's typical pose.

        Returns:
            (n, N_MOUTH, 2) float32 canonical mouth/jaw, IOD units.
        """
        n = len(labels)
        parts = [phoneme_features(labels)]
        weights = self.phonetic
        if log_mel is not None:
            parts.append(sound_features(log_mel, self.sound_basis, self.sound_phase))
            weights = self.acoustic
        parts += [head_features(head, self.head_centre, n, self.fps), np.ones((n, 1), np.float32)]
        x = np.concatenate(parts, axis=1)
        return (x @ weights + self.mean).reshape(n, N_MOUTH, 2).astype(np.float32)

    def save(self, path: Path) -> None:
        np.savez_compressed(path, fps=self.fps, mean=self.mean, phonetic=self.phonetic,
                            acoustic=self.acoustic, head_centre=self.head_centre,
                            sound_basis=self.sound_basis, sound_phase=self.sound_phase,
                            frames=self.frames, context=np.array(_LAYOUT))

    @classmethod
    def load(cls, path: Path) -> MouthModel:
        """Raises ValueError when the file was made with another feature layout."""
        with np.load(path, allow_pickle=False) as z:
            layout = tuple(int(v) for v in z["context"])
            if layout != _LAYOUT:
                raise ValueError(f"mouth model feature layout {layout} is not this version's")
            return cls(float(z["fps"]), z["mean"], z["phonetic"], z["acoustic"], z["head_centre"],
                       z["sound_basis"], z["sound_phase"], int(z["frames"]))


_LAYOUT = (CONTEXT_FRAMES, AUDIO_CONTEXT_FRAMES, len(CLASSES), N_MELS, len(HEAD_SHAPE), SOUND_KERNEL_FEATURES)


def fit_mouth_model(clips: Sequence[TrainingClip], fps: float, ridge: float = RIDGE) -> MouthModel | None:
    """Fit both maps on the usable frames of ``clips``; None when there are fewer than
    ``MIN_TRAINING_FRAMES`` of them (too little footage to learn from)."""
    usable = [c for c in clips if c.usable.any()]
    heads = [c.head[c.usable] for c in usable]
    centre = np.nanmedian(np.concatenate(heads), axis=0) if heads else np.zeros((len(HEAD_SHAPE), 2))
    if np.isnan(centre).any():
        return None
    basis, phase = sound_kernel_basis((2 * AUDIO_CONTEXT_FRAMES + 1) * N_MELS)
    xp, xa, xh, ys = [], [], [], []
    for clip in usable:
        y = clip.mouths.reshape(len(clip.mouths), -1)
        ok = clip.usable & ~np.isnan(y).any(axis=1)
        if not ok.any():
            continue
        xp.append(phoneme_features(clip.labels)[ok])
        xa.append(sound_features(clip.log_mel, basis, phase)[ok])
        # Smoothed over the whole clip, then cut: the unusable frames' neighbours keep their pose.
        xh.append(head_features(np.where(clip.usable[:, None, None], clip.head, np.nan), centre,
                                len(y), fps)[ok])
        ys.append(y[ok])
    if not ys or sum(len(y) for y in ys) < MIN_TRAINING_FRAMES:
        return None
    y = np.concatenate(ys).astype(np.float64)
    mean = y.mean(axis=0)
    p, a, h = np.concatenate(xp), np.concatenate(xa), np.concatenate(xh)
    ones = np.ones((len(p), 1), np.float32)
    return MouthModel(fps, mean.astype(np.float32),
                      ridge_fit(np.concatenate([p, h, ones], axis=1), y - mean, ridge).astype(np.float32),
                      ridge_fit(np.concatenate([p, a, h, ones], axis=1), y - mean, ridge).astype(np.float32),
                      centre.astype(np.float32), basis, phase, len(y))


def ridge_fit(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    """Ridge regression weights (F, T) float32 from inputs (n, F) to targets (n, T), the L2
    ``penalty`` on every weight."""
    x = x.astype(np.float64)
    gram = x.T @ x
    gram[np.diag_indices_from(gram)] += penalty
    return np.linalg.solve(gram, x.T @ y).astype(np.float32)
