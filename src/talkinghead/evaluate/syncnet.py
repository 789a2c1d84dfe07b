"""SyncNet lip-sync scores (LSE-D / LSE-C), the protocol Wav2Lip reports, on the CPU.

The network is SyncNet v2 of Chung & Zisserman ("Out of time", ACCV 2016 workshops), written here
from its layer table so that the public ``syncnet_v2.model`` state dict (syncnet_python project)
loads into it unchanged. The weights are not shipped: the user downloads them and gives the path.

Protocol, as in syncnet_python's ``SyncNetInstance.evaluate`` (which Wav2Lip's LSE scripts call):

* video at 25 fps, face crops 224×224; the lip branch sees 5 consecutive frames, **BGR** channel
  order (the original read its frames with ``cv2.imread``) and **raw 0-255 pixel values** as
  float (no normalisation; the weights were trained that way).
* audio 16 kHz mono as **int16-scale** samples (the original read a ``pcm_s16le`` wav with
  ``scipy.io.wavfile``), 13 MFCCs at 100 Hz with ``python_speech_features.mfcc`` defaults
  (re-implemented in :func:`mfcc_16k`).
* window for video frame ``f``: frames ``[f, f+5)`` and MFCC columns ``[4f, 4f+20)``.
* for every offset ``o`` in ``-15..15`` the mean over frames of the L2 distance between the video
  embedding of window ``f`` and the audio embedding of window ``f+o``; LSE-D is the minimum of
  that curve, LSE-C its median minus its minimum, the AV offset the ``o`` at the minimum.

Differences from the original, all deliberate:

* Offset sign: here ``av_offset > 0`` means the audio lags the video (video window ``f`` matches
  audio window ``f + av_offset``). syncnet_python prints the opposite sign (``vshift - argmin``).
* Averaging range: by default every offset averages over the same frames, those ``f`` for which
  ``f + o`` is a real audio window for every ``o`` (the common valid range). The original instead
  zero-pads the audio embeddings by 15 on both sides and averages over all video windows, so the
  edge frames of the larger offsets are compared with a zero vector. ``zero_pad=True``
  reproduces that exactly, for comparison with published tables.
* Windows: every ``f`` where both the 5 frames and the 20 MFCC columns fit. With audio exactly
  as long as the video that is ``n - 5`` windows, as the original's ``range(min_length - 5)``;
  audio longer than the video can give one more.
* The original's ``pairwise_distance`` adds ``eps=1e-6`` to the difference vector; omitted
  (changes distances by ~1e-5).
* Face crops come from mediapipe landmarks (:func:`face_crops`), not from the S3FD detector and
  its ffmpeg re-encode; the crop is a square 1.25× the landmark extent, median-smoothed over
  time as the original smooths its detector track.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

from talkinghead.errors import InputError
from talkinghead.speech.features import N_MELS, mel_filterbank, power_frames

if TYPE_CHECKING:  # torch is optional: imported lazily where needed
    import torch

log = logging.getLogger(__name__)

FPS = 25  # video frames/s the weights expect
SAMPLE_RATE = 16000  # audio Hz the weights expect
CROP_SIZE = 224  # face crop side, pixels
WINDOW_FRAMES = 5  # video frames per window (0.2 s)
MFCC_PER_FRAME = 4  # 100 Hz MFCC / 25 fps
MFCC_WINDOW = 20  # MFCC columns per window (0.2 s)
N_MFCC = 13
EMBED_DIM = 1024
GREY = 110  # fill value outside the frame / for faceless frames (the original pads with 110)

_TORCH_FIX = "pip install torch==2.13.0 (CPU wheel)"
_WEIGHTS_FIX = ("give the path of syncnet_v2.model from the syncnet_python project "
                "(https://github.com/joonson/syncnet_python, download_model.sh)")

# ---------------------------------------------------------------------------------------------
# Architecture table. One source for both the torch modules and EXPECTED_SHAPES, so the shape
# table exists without torch. Entries: (kind, *args); index in the tuple = index in nn.Sequential.
# conv: (in, out, kernel, stride, padding); pool: (kernel, stride, padding); bn/linear as named.
# ---------------------------------------------------------------------------------------------
_Layer = tuple[Any, ...]

_AUDIO_CNN: tuple[_Layer, ...] = (
    ("conv2d", 1, 64, (3, 3), (1, 1), (1, 1)),          # 0
    ("bn2d", 64),                                         # 1
    ("relu",),                                            # 2
    ("maxpool2d", (1, 1), (1, 1), (0, 0)),                # 3
    ("conv2d", 64, 192, (3, 3), (1, 1), (1, 1)),         # 4
    ("bn2d", 192),                                        # 5
    ("relu",),                                            # 6
    ("maxpool2d", (3, 3), (1, 2), (0, 0)),                # 7
    ("conv2d", 192, 384, (3, 3), (1, 1), (1, 1)),        # 8
    ("bn2d", 384),                                        # 9
    ("relu",),                                            # 10
    ("conv2d", 384, 256, (3, 3), (1, 1), (1, 1)),        # 11
    ("bn2d", 256),                                        # 12
    ("relu",),                                            # 13
    ("conv2d", 256, 256, (3, 3), (1, 1), (1, 1)),        # 14
    ("bn2d", 256),                                        # 15
    ("relu",),                                            # 16
    ("maxpool2d", (3, 3), (2, 2), (0, 0)),                # 17
    ("conv2d", 256, 512, (5, 4), (1, 1), (0, 0)),        # 18
    ("bn2d", 512),                                        # 19
    ("relu",),                                            # 20
)

_LIP_CNN: tuple[_Layer, ...] = (
    ("conv3d", 3, 96, (5, 7, 7), (1, 2, 2), (0, 0, 0)),      # 0
    ("bn3d", 96),                                            # 1
    ("relu",),                                               # 2
    ("maxpool3d", (1, 3, 3), (1, 2, 2), (0, 0, 0)),          # 3
    ("conv3d", 96, 256, (1, 5, 5), (1, 2, 2), (0, 1, 1)),    # 4
    ("bn3d", 256),                                           # 5
    ("relu",),                                               # 6
    ("maxpool3d", (1, 3, 3), (1, 2, 2), (0, 1, 1)),          # 7
    ("conv3d", 256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),   # 8
    ("bn3d", 256),                                           # 9
    ("relu",),                                               # 10
    ("conv3d", 256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),   # 11
    ("bn3d", 256),                                           # 12
    ("relu",),                                               # 13
    ("conv3d", 256, 256, (1, 3, 3), (1, 1, 1), (0, 1, 1)),   # 14
    ("bn3d", 256),                                           # 15
    ("relu",),                                               # 16
    ("maxpool3d", (1, 3, 3), (1, 2, 2), (0, 0, 0)),          # 17
    ("conv3d", 256, 512, (1, 6, 6), (1, 1, 1), (0, 0, 0)),   # 18
    ("bn3d", 512),                                           # 19
    ("relu",),                                               # 20
)

_FC: tuple[_Layer, ...] = (
    ("linear", 512, 512),       # 0
    ("bn1d", 512),              # 1
    ("relu",),                  # 2
    ("linear", 512, EMBED_DIM),  # 3
)

_BRANCHES: dict[str, tuple[_Layer, ...]] = {
    "netcnnaud": _AUDIO_CNN, "netfcaud": _FC, "netcnnlip": _LIP_CNN, "netfclip": _FC,
}


def _expected_shapes() -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for name, layers in _BRANCHES.items():
        for i, (kind, *args) in enumerate(layers):
            key = f"{name}.{i}"
            if kind.startswith("conv"):
                cin, cout, kernel = args[0], args[1], args[2]
                shapes[f"{key}.weight"] = (cout, cin, *kernel)
                shapes[f"{key}.bias"] = (cout,)
            elif kind == "linear":
                cin, cout = args
                shapes[f"{key}.weight"] = (cout, cin)
                shapes[f"{key}.bias"] = (cout,)
            elif kind.startswith("bn"):
                (c,) = args
                for p in ("weight", "bias", "running_mean", "running_var"):
                    shapes[f"{key}.{p}"] = (c,)
                shapes[f"{key}.num_batches_tracked"] = ()
    return shapes


#: Every key of the SyncNet v2 state dict -> its shape (``num_batches_tracked`` is a scalar).
EXPECTED_SHAPES: dict[str, tuple[int, ...]] = _expected_shapes()


def _torch() -> ModuleType:
    """Import torch or say how to install it."""
    try:
        import torch
    except ImportError:
        raise InputError("the SyncNet metric (LSE-D/LSE-C) needs PyTorch, which is not installed",
                         _TORCH_FIX) from None
    return torch


def _make_layer(nn: ModuleType, kind: str, args: list) -> torch.nn.Module:
    if kind == "conv2d":
        return nn.Conv2d(args[0], args[1], kernel_size=args[2], stride=args[3], padding=args[4])
    if kind == "conv3d":
        return nn.Conv3d(args[0], args[1], kernel_size=args[2], stride=args[3], padding=args[4])
    if kind == "maxpool2d":
        return nn.MaxPool2d(kernel_size=args[0], stride=args[1], padding=args[2])
    if kind == "maxpool3d":
        return nn.MaxPool3d(kernel_size=args[0], stride=args[1], padding=args[2])
    if kind == "bn1d":
        return nn.BatchNorm1d(args[0])
    if kind == "bn2d":
        return nn.BatchNorm2d(args[0])
    if kind == "bn3d":
        return nn.BatchNorm3d(args[0])
    if kind == "linear":
        return nn.Linear(args[0], args[1])
    if kind == "relu":
        return nn.ReLU(inplace=True)
    raise ValueError(f"unknown layer kind {kind!r}")


@functools.lru_cache(maxsize=1)
def _syncnet_class() -> type[torch.nn.Module]:
    """The nn.Module class, defined once torch is importable."""
    torch = _torch()
    nn = torch.nn

    class SyncNet(nn.Module):
        """SyncNet v2: an audio and a lip branch, each ending in a 1024-d embedding."""

        def __init__(self) -> None:
            super().__init__()
            for name, layers in _BRANCHES.items():
                setattr(self, name, nn.Sequential(*(_make_layer(nn, k, a) for k, *a in layers)))

        def forward_aud(self, x: torch.Tensor) -> torch.Tensor:
            """(N, 1, 13, 20) MFCC windows -> (N, 1024) audio embeddings."""
            mid = self.netcnnaud(x)  # (N, 512, 1, 1)
            return self.netfcaud(mid.reshape(mid.shape[0], -1))

        def forward_lip(self, x: torch.Tensor) -> torch.Tensor:
            """(N, 3, T, 224, 224) BGR 0-255 clips, T >= 5 -> (N * (T-4), 1024) embeddings.

            T = 5 is the original's one window per clip. A longer clip yields every 5-frame
            window in order: only the first conv spans time (no temporal padding or stride), so
            this equals stacking the windows while computing the costly first conv once per frame
            instead of five times.
            """
            mid = self.netcnnlip(x)  # (N, 512, T-4, 1, 1)
            mid = mid.permute(0, 2, 1, 3, 4).reshape(-1, mid.shape[1])
            return self.netfclip(mid)

        def forward(self, audio: torch.Tensor, lips: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            """Both embeddings: ``(forward_aud(audio), forward_lip(lips))``."""
            return self.forward_aud(audio), self.forward_lip(lips)

    return SyncNet


def build_syncnet() -> torch.nn.Module:
    """A randomly initialised SyncNet v2 in eval mode (load weights with :func:`load_syncnet`).

    Modules ``netcnnaud``, ``netfcaud``, ``netcnnlip``, ``netfclip`` (``nn.Sequential``), with the
    state-dict keys and shapes of :data:`EXPECTED_SHAPES`. Methods ``forward_aud`` ((N,1,13,20)
    MFCC -> (N,1024)) and ``forward_lip`` ((N,3,5,224,224) -> (N,1024)).

    Raises:
        InputError: torch is not installed.
    """
    return _syncnet_class()().eval()


def _strip_prefix(state: dict) -> dict:
    # Checkpoints saved from a wrapper (DataParallel, syncnet_python's SyncNetInstance) carry a
    # prefix on every key; it names no layer, so dropping it is safe.
    for prefix in ("module.", "__S__."):
        if state and all(isinstance(k, str) and k.startswith(prefix) for k in state):
            state = {k[len(prefix):]: v for k, v in state.items()}
    return state


def load_syncnet(path: str | os.PathLike) -> torch.nn.Module:
    """Load the original ``syncnet_v2.model`` (a plain state dict) into :func:`build_syncnet`.

    Keys and shapes are checked strictly against :data:`EXPECTED_SHAPES`; only BatchNorm
    ``num_batches_tracked`` counters may be absent (files saved by torch < 0.4.1 lack them and
    they play no part in eval mode). The file is read with ``weights_only=True``: no code in it
    runs.

    Returns:
        the model on the CPU, in eval mode.

    Raises:
        InputError: torch is missing; the file is missing or unreadable; or a key is missing,
            unexpected or of the wrong shape (the first one is named).
    """
    torch = _torch()
    p = Path(path)
    if not p.is_file():
        raise InputError(f"SyncNet weights '{p}' do not exist", _WEIGHTS_FIX)
    not_it = f"'{p}' is not syncnet_v2.model"
    try:
        state = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a bad file; all mean "not the weights"
        raise InputError(f"cannot read SyncNet weights from '{p}' ({exc.__class__.__name__}); "
                         f"{not_it}", _WEIGHTS_FIX) from None
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise InputError(f"{not_it}: it holds no state dict of tensors", _WEIGHTS_FIX)
    state = _strip_prefix(dict(state))

    model = build_syncnet()
    own = model.state_dict()
    for key in EXPECTED_SHAPES:
        if key not in state:
            if key.endswith(".num_batches_tracked"):
                state[key] = own[key]
                continue
            raise InputError(f"{not_it}: key '{key}' is missing", _WEIGHTS_FIX)
    for key, value in state.items():
        if key not in EXPECTED_SHAPES:
            raise InputError(f"{not_it}: unexpected key '{key}'", _WEIGHTS_FIX)
        if tuple(value.shape) != EXPECTED_SHAPES[key]:
            raise InputError(f"{not_it}: key '{key}' has shape {tuple(value.shape)}, expected "
                             f"{EXPECTED_SHAPES[key]}", _WEIGHTS_FIX)
    model.load_state_dict(state, strict=True)
    return model.eval()


# ---------------------------------------------------------------------------------------------
# MFCC: python_speech_features.mfcc(signal, 16000) with its defaults, in numpy.
# ---------------------------------------------------------------------------------------------
_LIFTER = 22


@functools.lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """(13, 26) rows of the orthonormal DCT-II (scipy ``dct(type=2, norm='ortho')``)."""
    n = np.arange(N_MELS)
    k = np.arange(N_MFCC)[:, None]
    m = np.cos(np.pi * k * (2 * n + 1) / (2 * N_MELS)) * np.sqrt(2.0 / N_MELS)
    m[0] /= np.sqrt(2.0)
    return m


def mfcc_16k(audio: np.ndarray) -> np.ndarray:
    """13 MFCCs at 100 Hz of 16 kHz mono audio, as ``python_speech_features.mfcc(audio, 16000)``.

    Defaults reproduced: 25 ms frames every 10 ms, **no window** (rectangular; the library's
    default ``winfunc``), last frame zero-padded, pre-emphasis 0.97, 512-point power spectrum
    ``|FFT|²/512``, 26 mel filters 0-8000 Hz, natural log, orthonormal DCT-II, coefficients
    0..12, sinusoidal lifter 22, and c0 replaced by the log of the frame's total power.
    Zero power is floored at the float64 epsilon as the library does.

    The scale of ``audio`` only moves c0 (and the log-energy row) by a constant; SyncNet was
    trained on int16-scale samples, so :func:`lse` passes ``audio * 32768``.

    Args:
        audio: (n,) samples at 16 kHz (any float/int dtype).

    Returns:
        (13, n_frames) float32, ``n_frames = 1 + ceil((n - 400) / 160)`` (1 when n <= 400).
    """
    if np.asarray(audio).size == 0:
        raise ValueError("mfcc_16k needs at least one sample")
    power = power_frames(audio)  # (n_frames, 257)
    eps = np.finfo(float).eps
    energy = power.sum(axis=1)
    energy = np.where(energy == 0, eps, energy)
    feat = power @ mel_filterbank().T
    feat = np.where(feat == 0, eps, feat)
    cep = np.log(feat) @ _dct_matrix().T  # (n_frames, 13)
    n = np.arange(N_MFCC)
    cep *= 1.0 + (_LIFTER / 2.0) * np.sin(np.pi * n / _LIFTER)
    cep[:, 0] = np.log(energy)
    return cep.T.astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Offsets and scores (numpy only).
# ---------------------------------------------------------------------------------------------
def offset_scores(video_emb: np.ndarray, audio_emb: np.ndarray, max_offset: int = 15, *,
                  zero_pad: bool = False) -> tuple[np.ndarray, int, float, float]:
    """Mean embedding distance per AV offset, and the SyncNet scores from it.

    ``dists[o + max_offset]`` is the mean over video windows ``f`` of
    ``||video_emb[f] - audio_emb[f + o]||``. By default ``f`` runs over the common valid range
    (``f + o`` is a real audio window for every ``|o| <= max_offset``), so every offset averages
    the same frames and none is compared with padding. ``zero_pad=True`` reproduces syncnet_python:
    all video windows, audio embeddings zero-padded by ``max_offset`` on both sides.

    Args:
        video_emb: (n_v, D) lip embeddings, window ``f`` = video frames ``[f, f+5)``.
        audio_emb: (n_a, D) audio embeddings, window ``f`` = MFCC columns ``[4f, 4f+20)``.
        max_offset: offsets ``-max_offset..max_offset``, video frames (15 = ±0.6 s).
        zero_pad: average like the original (see above).

    Returns:
        (dists (2*max_offset+1,) float64, av_offset in frames, lse_d, lse_c) where
        ``av_offset`` is the argmin offset (> 0: the audio lags the video), ``lse_d`` the minimum
        of ``dists`` and ``lse_c = median(dists) - min(dists)``.

    Raises:
        ValueError: the embeddings are not 2-D with equal width, or no frame lies in the
            common valid range (fewer than ``2*max_offset + 1`` windows; use ``zero_pad``).
    """
    v = np.asarray(video_emb, dtype=np.float64)
    a = np.asarray(audio_emb, dtype=np.float64)
    if v.ndim != 2 or a.ndim != 2 or v.shape[1] != a.shape[1]:
        raise ValueError(f"embeddings must be (n, D) with equal D, got {v.shape} and {a.shape}")
    if max_offset < 0:
        raise ValueError(f"max_offset must be >= 0, got {max_offset}")
    offsets = np.arange(-max_offset, max_offset + 1)
    if zero_pad:
        if len(v) == 0:
            raise ValueError("no video windows")
        a = np.concatenate([np.zeros((max_offset, a.shape[1])), a,
                            np.zeros((max_offset + max(0, len(v) - len(a)), a.shape[1]))])
        f = np.arange(len(v))
        idx = f[:, None] + offsets[None, :] + max_offset  # into the padded audio
    else:
        f = np.arange(max_offset, min(len(v), len(a) - max_offset))
        if f.size == 0:
            raise ValueError(f"too few windows for offsets ±{max_offset}: {len(v)} video, "
                             f"{len(a)} audio; need at least {2 * max_offset + 1}")
        idx = f[:, None] + offsets[None, :]
    # (n_f, n_offsets) distances; loop over offsets to keep memory at n_f × D.
    per_frame = np.stack([np.linalg.norm(v[f] - a[idx[:, k]], axis=1)
                          for k in range(len(offsets))], axis=1)
    dists = per_frame.mean(axis=0)
    best = int(np.argmin(dists))
    lse_d = float(dists[best])
    lse_c = float(np.median(dists) - lse_d)
    return dists, int(offsets[best]), lse_d, lse_c


@dataclass(frozen=True)
class SyncScore:
    """SyncNet scores of one clip.

    Attributes:
        lse_d: LSE-D, the minimum over offsets of the mean embedding distance (lower = better).
        lse_c: LSE-C, median minus minimum of that curve (higher = more confident sync).
        av_offset: the offset at the minimum, video frames at 25 fps; > 0: audio lags video.
        dists: the mean distance per offset, from ``-max_offset`` to ``+max_offset``.
    """

    lse_d: float
    lse_c: float
    av_offset: int
    dists: tuple[float, ...]


# ---------------------------------------------------------------------------------------------
# Face crops from talkinghead's mediapipe landmarks.
# ---------------------------------------------------------------------------------------------
def _crop(image: np.ndarray, cx: float, cy: float, side: float) -> np.ndarray:
    """Square crop centred on (cx, cy), ``side`` px, outside filled grey, resized to 224."""
    import cv2

    s = max(int(round(side)), 2)
    x0 = int(round(cx - s / 2))
    y0 = int(round(cy - s / 2))
    h, w = image.shape[:2]
    out = np.full((s, s, 3), GREY, np.uint8)
    sx0, sy0 = max(x0, 0), max(y0, 0)
    sx1, sy1 = min(x0 + s, w), min(y0 + s, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = image[sy0:sy1, sx0:sx1]
    return cv2.resize(out, (CROP_SIZE, CROP_SIZE), interpolation=cv2.INTER_LINEAR)


def face_crops(frames_rgb_iter: Iterable[np.ndarray], landmarks: np.ndarray,
               margin: float = 0.25, smooth: int = 13) -> np.ndarray:
    """224×224 face crops for SyncNet from frames and their mediapipe landmarks.

    The box is a square of side ``(1 + margin) × max(width, height)`` of the landmarks' extent,
    centred on it (roughly the original's 1.4× S3FD box, since the landmarks reach higher up the
    forehead than that detector's box). Centre and side are median-filtered over ``smooth``
    frames with a face, as syncnet_python smooths its detector track, so tracker jitter does not
    shake the crop. Parts outside the frame are grey (110, the original's pad value).

    Args:
        frames_rgb_iter: (H, W, 3) uint8 RGB frames (or objects with an ``.image`` such as
            :class:`talkinghead.video.Frame`), one per landmark row, streamed.
        landmarks: (n, 478, 2) pixel coordinates; a row with NaN = no face in that frame.
        margin: added fraction of the landmark extent (0.25 = 25 %).
        smooth: median-filter length in frames (1 = none).

    Returns:
        (n, 224, 224, 3) uint8 RGB. A faceless frame repeats the previous crop, or is grey when
        no face has been seen yet.

    Raises:
        InputError: the number of frames differs from the number of landmark rows.
    """
    from scipy.ndimage import median_filter

    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 3 or lm.shape[2] != 2:
        raise ValueError(f"landmarks must be (n, points, 2), got {lm.shape}")
    n = len(lm)
    valid = ~np.isnan(lm).any(axis=(1, 2))
    boxes = np.full((n, 3), np.nan)  # cx, cy, side
    if valid.any():
        pts = lm[valid]
        lo, hi = pts.min(axis=1), pts.max(axis=1)
        centre = (lo + hi) / 2
        side = (hi - lo).max(axis=1) * (1.0 + margin)
        box = np.column_stack([centre, side])
        if smooth > 1 and len(box) > 1:
            box = median_filter(box, size=(min(smooth, len(box)), 1), mode="nearest")
        boxes[valid] = box
    crops = np.empty((n, CROP_SIZE, CROP_SIZE, 3), np.uint8)
    previous = np.full((CROP_SIZE, CROP_SIZE, 3), GREY, np.uint8)
    count = 0
    for i, frame in enumerate(frames_rgb_iter):
        if i >= n:
            raise InputError(f"more frames than landmark rows ({n})",
                             "give the landmarks tracked on these same frames")
        image = getattr(frame, "image", frame)
        if valid[i]:
            previous = _crop(np.asarray(image), *boxes[i])
        crops[i] = previous
        count = i + 1
    if count != n:
        raise InputError(f"{count} frames for {n} landmark rows",
                         "give the landmarks tracked on these same frames")
    return crops


# ---------------------------------------------------------------------------------------------
# The whole protocol.
# ---------------------------------------------------------------------------------------------
def lse(model: torch.nn.Module, crops: np.ndarray, audio16k: np.ndarray, batch: int = 20, *,
        max_offset: int = 15, zero_pad: bool = False) -> SyncScore:
    """LSE-D / LSE-C / AV offset of a clip, SyncNet protocol, on the CPU.

    Args:
        model: from :func:`load_syncnet` (or :func:`build_syncnet`).
        crops: (n, 224, 224, 3) uint8 RGB face crops at 25 fps (see :func:`face_crops`).
        audio16k: (m,) float audio in [-1, 1] at 16 kHz, starting with frame 0.
        batch: windows per forward pass (memory: ~25 MB of input per window).
        max_offset: offsets searched, ± video frames.
        zero_pad: average over offsets as syncnet_python does (see :func:`offset_scores`).

    Returns:
        :class:`SyncScore`.

    Raises:
        InputError: torch is missing, or the clip is too short for one window (5 frames /
            0.2 s) or for the offset range.
    """
    torch = _torch()
    crops = np.asarray(crops)
    if crops.ndim != 4 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE, 3):
        raise ValueError(f"crops must be (n, 224, 224, 3), got {crops.shape}")
    if batch < 1:
        raise ValueError(f"batch must be >= 1, got {batch}")
    audio = np.asarray(audio16k, dtype=np.float64).reshape(-1)
    # The weights saw int16 samples (wavfile.read of pcm_s16le): same scale and quantisation.
    audio = np.clip(np.round(audio * 32768.0), -32768, 32767)
    mfcc = mfcc_16k(audio) if audio.size else np.zeros((N_MFCC, 0), np.float32)
    n_video = len(crops) - WINDOW_FRAMES + 1
    n_audio = (mfcc.shape[1] - MFCC_WINDOW) // MFCC_PER_FRAME + 1
    n_win = min(n_video, n_audio)
    if n_win < 1:
        raise InputError(f"the clip is too short for SyncNet ({len(crops)} frames, "
                         f"{audio.size / SAMPLE_RATE:.2f} s of audio)",
                         "give at least 5 frames (0.2 s) of video with its audio")
    if not zero_pad and n_win < 2 * max_offset + 1:
        raise InputError(f"the clip is too short for SyncNet offsets ±{max_offset} "
                         f"({n_win} windows, {2 * max_offset + 1} needed)",
                         f"give at least {(2 * max_offset + 5) / FPS:.2f} s of video, or "
                         "pass zero_pad=True")

    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        model.eval()
        video_emb, audio_emb = [], []
        with torch.no_grad():
            for start in range(0, n_win, batch):
                stop = min(n_win, start + batch)
                # One clip of stop-start+4 frames gives all its 5-frame windows (forward_lip).
                clip = crops[start:stop + WINDOW_FRAMES - 1, :, :, ::-1]  # RGB -> BGR
                lips = torch.from_numpy(np.ascontiguousarray(
                    clip.transpose(3, 0, 1, 2), dtype=np.float32))[None]  # (1,3,T,224,224) 0-255
                video_emb.append(model.forward_lip(lips).numpy())
                cols = [mfcc[:, MFCC_PER_FRAME * f:MFCC_PER_FRAME * f + MFCC_WINDOW]
                        for f in range(start, stop)]
                aud = torch.from_numpy(np.stack(cols)[:, None].astype(np.float32))  # (B,1,13,20)
                audio_emb.append(model.forward_aud(aud).numpy())
    finally:
        torch.set_num_threads(threads)
    dists, offset, lse_d, lse_c = offset_scores(np.concatenate(video_emb),
                                                np.concatenate(audio_emb), max_offset,
                                                zero_pad=zero_pad)
    log.info("SyncNet: %d windows, LSE-D %.3f, LSE-C %.3f, AV offset %+d", n_win, lse_d, lse_c,
             offset)
    return SyncScore(lse_d, lse_c, offset, tuple(float(d) for d in dists))
