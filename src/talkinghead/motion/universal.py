"""The universal audio→mouth model: any voice, any language → this person's mouth.

Two halves:

* :class:`UniversalModel` (ships with the package, ``universal.npz``, trained by
  ``training/universal_mouth.py`` on real speech with the speakers' real mouths) reads a
  recording's log-mel spectrum around each video frame, ``LOOK_BEHIND_S`` back and
  ``LOOK_AHEAD_S`` ahead, smooths over ±1 frame (so a live stream can use it with
  ``LOOK_AHEAD_S`` + one frame of delay: 120 ms at 25 fps), and predicts a
  speaker-free mouth description per frame: each of :data:`DESCRIPTORS` in the speaker's own
  range (0 = as small as they usually make it, 1 = as large; see :class:`MouthSpace`).
* :class:`MouthSpace` is one person's: fitted on their tracked mouths (an avatar's bank, or the
  video being re-voiced), it knows their range of each descriptor and maps a description back to
  their own mouth/jaw shape (a quadratic ridge map fitted on their real shapes), so every person's
  mouth moves in their own way.

No transcript, no recogniser and no language model are involved: the sound alone drives it.
The spectrum is normalised over the whole recording (:func:`log_mel_100hz`). A live stream can only
normalise by what it has heard so far (:class:`~talkinghead.motion.stream.MouthStream`'s running
statistics), which at a stream's start are far from the whole recording's; so a second set of
weights, ``universal_live.npz`` (``universal_model(live=True)``), is trained on the spectrum both
ways, as a file reads it and as a stream starting cold or mid-session reads it; a stream reads
with the average of both (:func:`stream_model`: the live weights alone read GRID's fresh streams
better and the wild clips' worse, benchmarks/RESULTS.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..face.landmarks import MOUTH, N_MOUTH, lip_gap, mouth_width
from ..speech.features import FEATURE_RATE, FRAME_SAMPLES, HOP_SAMPLES, N_MELS, mel_filterbank, power_frames
from ..timeline import frame_centres
from .learned import ridge_fit

LOOK_BEHIND_S = 0.28  # s of sound before a frame's centre the model reads
LOOK_AHEAD_S = 0.08  # s after it; with the one-frame smoothing (SMOOTHING) the whole look-ahead
# is this + 1/fps: 120 ms at 25 fps, the delay a live session needs
TAP_S = 0.02  # s between the context's taps
FLOOR_DB = 60.0  # dB under the recording's loud frames: the quietest the spectrum reads
DESCRIPTORS = ("opening", "width", "lip_height", "jaw")
LOW_PCT, HIGH_PCT = 5.0, 95.0  # a person's range of a descriptor: these percentiles of their frames
MIN_RANGE = np.array([0.06, 0.04, 0.06, 0.03])  # IOD: a range is never narrower (footage that barely speaks)
SPACE_RIDGE = 1e-3  # penalty of the description → shape map (descriptions are O(1))
_OUTER_TOP, _OUTER_BOTTOM = int(np.where(MOUTH == 0)[0][0]), int(np.where(MOUTH == 17)[0][0])
_CHIN = int(np.where(MOUTH == 152)[0][0])
WEIGHTS_FILE = "universal.npz"
LIVE_WEIGHTS_FILE = "universal_live.npz"  # the same layout, trained for streams as well (see above)
SMOOTHING = (0.25, 0.5, 0.25)  # weights of frames t-1, t, t+1: the model's frame-to-frame noise


def describe(mouths: np.ndarray) -> np.ndarray:
    """Canonical mouths (..., N_MOUTH, 2), IOD units → (..., len(DESCRIPTORS)) raw descriptors,
    IOD units: inner-lip gap, corner-to-corner width, outer-lip height, chin height below the
    eyes."""
    return np.stack([lip_gap(mouths), mouth_width(mouths),
                     np.linalg.norm(mouths[..., _OUTER_BOTTOM, :] - mouths[..., _OUTER_TOP, :], axis=-1),
                     mouths[..., _CHIN, 1]], axis=-1)


def person_range(descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, D) raw descriptors of one person's frames → (low, span), each (D,): their usual
    minimum and range (``span`` at least :data:`MIN_RANGE`)."""
    ok = ~np.isnan(descriptors).any(axis=1)
    if not ok.any():
        raise ValueError("no usable mouth to measure")
    low = np.percentile(descriptors[ok], LOW_PCT, axis=0)
    high = np.percentile(descriptors[ok], HIGH_PCT, axis=0)
    return low, np.maximum(high - low, MIN_RANGE)


def log_mel_100hz(audio: np.ndarray, sample_rate: int, warp: float = 1.0) -> np.ndarray:
    """(n,) mono audio in [-1, 1] → (m, 26) log mel energies every 10 ms, normalised per
    recording (zero mean, unit variance per band: the microphone, level and voice matter less).

    ``warp`` scales the spectrum's frequencies (energy at f moves to warp·f): vocal-tract length
    perturbation, which training uses to hear one speaker as many.
    """
    from ..video.audio import resample

    x = resample(np.asarray(audio, np.float32), sample_rate, FEATURE_RATE)
    if x.size == 0:
        x = np.zeros(1, np.float32)
    power = power_frames(x * 32768.0)
    if warp != 1.0:
        src = np.minimum(np.arange(power.shape[1]) / warp, power.shape[1] - 1)
        i0 = np.floor(src).astype(np.int64)
        i1 = np.minimum(i0 + 1, power.shape[1] - 1)
        power = power[:, i0] * (1 - (src - i0)) + power[:, i1] * (src - i0)
    mel_power = power @ mel_filterbank().T
    # A floor FLOOR_DB under the recording's loud frames: digital silence and a quiet room then
    # read alike (as the noisy training audio does), whatever the recording's level.
    floor = np.percentile(mel_power.mean(axis=1), 99) * 10 ** (-FLOOR_DB / 10) + 1e-6
    mel = np.log(mel_power + floor)
    return ((mel - mel.mean(0)) / (mel.std(0) + 1e-3)).astype(np.float32)


def taps() -> np.ndarray:
    """Offsets (s) from a frame's centre at which the context is read, oldest first."""
    k_back, k_ahead = round(LOOK_BEHIND_S / TAP_S), round(LOOK_AHEAD_S / TAP_S)
    return np.arange(-k_back, k_ahead + 1) * TAP_S


def context_features(mel: np.ndarray, fps: float, n_frames: int) -> np.ndarray:
    """(m, 26) 100 Hz log mel (:func:`log_mel_100hz`) → (n_frames, len(taps)·26) float32: the
    spectrum read at each tap around each video frame's centre (linear interpolation between
    10 ms frames; silence outside the recording)."""
    # Before and after the recording: its quietest value in each band (silence, not the first
    # or last sound held on).
    pad = len(taps())
    mel = np.concatenate([np.repeat(mel.min(axis=0, keepdims=True), pad, axis=0), mel,
                          np.repeat(mel.min(axis=0, keepdims=True), pad, axis=0)])
    centres = ((np.arange(len(mel)) - pad) * HOP_SAMPLES + FRAME_SAMPLES / 2) / FEATURE_RATE
    t = frame_centres(n_frames, fps)[:, None] + taps()[None, :]  # (n, T) s
    pos = np.clip((t - centres[0]) / (HOP_SAMPLES / FEATURE_RATE), 0, len(mel) - 1)
    i0 = np.floor(pos).astype(np.int64)
    i1 = np.minimum(i0 + 1, len(mel) - 1)
    w = (pos - i0)[..., None].astype(np.float32)
    return (mel[i0] * (1 - w) + mel[i1] * w).reshape(n_frames, -1).astype(np.float32)


@dataclass(frozen=True, eq=False)
class UniversalModel:
    """Sound context → speaker-free mouth description: a small multilayer perceptron (GELU
    hidden layers, linear output), run in numpy.

    Attributes:
        mean, std: (F,) standardisation of the context features.
        layers: ((W (in, out), b (out,)), …) float32, applied in order.
    """

    mean: np.ndarray
    std: np.ndarray
    layers: tuple[tuple[np.ndarray, np.ndarray], ...]

    def apply(self, context: np.ndarray) -> np.ndarray:
        """(n, F) context features (:func:`context_features`) → (n, D) float32 description."""
        h = ((context - self.mean) / self.std).astype(np.float32)
        for i, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if i < len(self.layers) - 1:
                h = _gelu(h)
        return h.astype(np.float32)

    def predict(self, audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
        """Recording → (n_frames, len(DESCRIPTORS)) float32 description per video frame, in the
        speaker's own range (0 = their usual minimum, 1 = their usual maximum)."""
        return smooth(self.apply(context_features(log_mel_100hz(audio, sample_rate), fps, n_frames)))

    def save(self, path: Path) -> None:
        arrays = {f"w{i}": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"b{i}": b for i, (_, b) in enumerate(self.layers)})
        np.savez_compressed(path, mean=self.mean, std=self.std, layout=np.array(_layout()), **arrays)

    @classmethod
    def load(cls, path: Path) -> UniversalModel:
        """Raises ValueError when the file was trained for another feature layout."""
        with np.load(path, allow_pickle=False) as z:
            if tuple(np.round(z["layout"], 6)) != tuple(np.round(_layout(), 6)):
                raise ValueError(f"{path} was trained for another feature layout")
            n = sum(1 for k in z.files if k.startswith("w"))
            layers = tuple((z[f"w{i}"].astype(np.float32), z[f"b{i}"].astype(np.float32)) for i in range(n))
            return cls(z["mean"].astype(np.float32), z["std"].astype(np.float32), layers)


def smooth(description: np.ndarray) -> np.ndarray:
    """(n, D) per-frame description → the same, each frame averaged with its neighbours by
    :data:`SMOOTHING` (the ends repeat): the model reads each frame on its own, and its
    frame-to-frame noise would show as jitter (README, "Measured")."""
    padded = np.concatenate([description[:1], description, description[-1:]])
    a, b, c = SMOOTHING
    return (a * padded[:-2] + b * padded[1:-1] + c * padded[2:]).astype(np.float32)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, tanh form (as torch's approximate='tanh')."""
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


def _layout() -> tuple[float, ...]:
    return (LOOK_BEHIND_S, LOOK_AHEAD_S, TAP_S, N_MELS, len(DESCRIPTORS), FLOOR_DB, *SMOOTHING)


@functools.lru_cache(maxsize=2)
def universal_model(live: bool = False) -> UniversalModel:
    """The shipped model (loaded once per process); ``live``: the weights for a stream's running
    statistics (:data:`LIVE_WEIGHTS_FILE`)."""
    with resources.as_file(resources.files(__package__) / (LIVE_WEIGHTS_FILE if live else WEIGHTS_FILE)) as path:
        return UniversalModel.load(path)


@dataclass(frozen=True)
class AveragedModel:
    """Several universal models read as one: their descriptions averaged (same input, same output
    as :meth:`UniversalModel.apply`)."""

    members: tuple[UniversalModel, ...]

    def apply(self, context: np.ndarray) -> np.ndarray:
        """(n, F) context features → (n, len(DESCRIPTORS)) float32, the members' mean."""
        return (sum(m.apply(context) for m in self.members) / len(self.members)).astype(np.float32)


def stream_model() -> AveragedModel:
    """What a live stream reads with (:class:`~talkinghead.motion.stream.MouthStream`): the file
    weights and the live weights, averaged."""
    return AveragedModel((universal_model(), universal_model(live=True)))


def _quadratic(z: np.ndarray) -> np.ndarray:
    """(n, D) → (n, 1 + D + D(D+1)/2): bias, linear and second-order terms."""
    iu = np.triu_indices(z.shape[1])
    return np.concatenate([np.ones((len(z), 1)), z, (z[:, :, None] * z[:, None, :])[:, iu[0], iu[1]]], axis=1)


@dataclass(frozen=True, eq=False)
class MouthSpace:
    """One person's mouths: their range of each descriptor and the map back to their shapes.

    Attributes:
        low, span: (D,) IOD units, the person's usual minimum and range of each descriptor.
        weights: (1 + D + D(D+1)/2, N_MOUTH·2) quadratic map from a description to a canonical
            mouth/jaw shape, IOD units.
    """

    low: np.ndarray
    span: np.ndarray
    weights: np.ndarray

    @classmethod
    def fit(cls, mouths: np.ndarray, usable: np.ndarray | None = None) -> MouthSpace:
        """From (n, N_MOUTH, 2) canonical mouths (NaN or ``usable`` False: skipped).

        Raises:
            ValueError: no usable mouth.
        """
        m = np.asarray(mouths, np.float64)
        ok = ~np.isnan(m.reshape(len(m), -1)).any(axis=1)
        if usable is not None:
            ok &= np.asarray(usable, bool)
        if not ok.any():
            raise ValueError("no usable mouth to learn a mouth space from")
        m = m[ok]
        d = describe(m)
        low, span = person_range(d)
        x = _quadratic((d - low) / span)
        y = m.reshape(len(m), -1)
        return cls(low, span, ridge_fit(x, y, SPACE_RIDGE * len(x)))

    def normalise(self, descriptors: np.ndarray) -> np.ndarray:
        """(n, D) raw descriptors (IOD) → the person's own range (0 … 1 usually)."""
        return (descriptors - self.low) / self.span

    def shapes(self, description: np.ndarray) -> np.ndarray:
        """(n, D) description in the person's range → (n, N_MOUTH, 2) float32 canonical mouths."""
        z = np.clip(np.asarray(description, np.float64), -0.3, 1.5)  # stay near shapes they make
        return (_quadratic(z) @ self.weights).reshape(len(z), N_MOUTH, 2).astype(np.float32)
