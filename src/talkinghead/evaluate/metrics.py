"""Metric arithmetic on landmark and pixel arrays (definitions: docs/architecture.md, "Metrics").

Everything here is pure numpy/OpenCV on arrays already decoded and tracked; see
:mod:`talkinghead.evaluate.compare` for the video-level driver.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face.landmarks import LEFT_EYE_OUTER, LIPS_INNER, LIPS_OUTER, RIGHT_EYE_OUTER
from ..timeline import CLOSED_LIPS_IOD

MOUTH_POINTS = np.concatenate([LIPS_OUTER, LIPS_INNER])  # the 40 lip points the metrics compare
UPPER_INNER, LOWER_INNER = 13, 14  # mediapipe indices of the inner-lip midpoints
MAX_LAG_FRAMES = 10


def iod(landmarks: np.ndarray) -> np.ndarray:
    """Inter-ocular distance (outer eye corners) of (n, 478, 2) landmarks → (n,), pixels."""
    return np.linalg.norm(landmarks[:, LEFT_EYE_OUTER] - landmarks[:, RIGHT_EYE_OUTER], axis=-1)


def normalised_mouth(landmarks: np.ndarray) -> np.ndarray:
    """(n, 478, 2) px → (n, 40, 2) lip points centred on their mean, divided by the IOD."""
    m = landmarks[:, MOUTH_POINTS]
    return (m - m.mean(1, keepdims=True)) / iod(landmarks)[:, None, None]


def opening(landmarks: np.ndarray) -> np.ndarray:
    """Inner-lip gap / IOD per frame, (n,) (NaN where no face)."""
    gap = np.linalg.norm(landmarks[:, LOWER_INNER] - landmarks[:, UPPER_INNER], axis=-1)
    return gap / iod(landmarks)


def mouth_lmd(gen: np.ndarray, ref: np.ndarray) -> float:
    """Mouth landmark distance, % of IOD: mean over frames (with a face in both) of the mean
    distance between corresponding normalised lip points. gen, ref: (n, 478, 2) px."""
    d = np.linalg.norm(normalised_mouth(gen) - normalised_mouth(ref), axis=-1).mean(1)
    return float(np.nanmean(d) * 100)


@dataclass(frozen=True)
class LagCorrelation:
    """Pearson correlation of two curves at lag 0, and the lag (frames) that maximises it.

    ``lag > 0`` means the first curve is late: ``a[t] ≈ b[t - lag]``.
    """

    at_zero: float
    best: float
    lag: int


def lag_correlation(a: np.ndarray, b: np.ndarray, max_lag: int = MAX_LAG_FRAMES) -> LagCorrelation:
    """Correlate (n,) curves over lags −max_lag…max_lag (NaN frames ignored)."""
    values = {}
    for lag in range(-max_lag, max_lag + 1):
        x, y = (a[lag:], b[: len(b) - lag]) if lag >= 0 else (a[:lag], b[-lag:])
        ok = ~(np.isnan(x) | np.isnan(y))
        if ok.sum() < 3 or np.std(x[ok]) == 0 or np.std(y[ok]) == 0:
            values[lag] = np.nan
            continue
        values[lag] = float(np.corrcoef(x[ok], y[ok])[0, 1])
    finite = {k: v for k, v in values.items() if np.isfinite(v)}
    if not finite:
        return LagCorrelation(float("nan"), float("nan"), 0)
    # Ties (e.g. identical curves) go to the smallest |lag|.
    lag = max(finite, key=lambda k: (round(finite[k], 9), -abs(k)))
    return LagCorrelation(values[0], finite[lag], lag)


def jitter(landmarks: np.ndarray) -> float:
    """Mean |second difference| over time of normalised lip points, IOD units per frame²."""
    m = normalised_mouth(landmarks)
    return float(np.nanmean(np.linalg.norm(np.diff(m, 2, axis=0), axis=-1)))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of uint8 images, dB (inf for identical)."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Structural similarity (Wang et al. 2004; Gaussian σ=1.5, on luma) of uint8 RGB images."""
    x = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY).astype(np.float64)
    y = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY).astype(np.float64)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def mouth_box(landmarks: np.ndarray, shape: tuple[int, int], margin: float = 0.3
              ) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) px around one frame's lips (478, 2), widened by ``margin``; None if no face."""
    pts = landmarks[MOUTH_POINTS]
    if np.isnan(pts).any():
        return None
    (x0, y0), (x1, y1) = pts.min(0), pts.max(0)
    w, h = x1 - x0, y1 - y0
    side = max(w, h) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    H, W = shape
    box = (int(max(0, cx - side / 2)), int(max(0, cy - side / 2)),
           int(min(W, cx + side / 2)), int(min(H, cy + side / 2)))
    return box if box[2] - box[0] >= 8 and box[3] - box[1] >= 8 else None


def silence_closure(opening_iod: np.ndarray, silent: np.ndarray) -> float:
    """Share of silent frames (with a face) whose lips are closed (gap < CLOSED_LIPS_IOD)."""
    pick = silent & ~np.isnan(opening_iod)
    return float(np.mean(opening_iod[pick] < CLOSED_LIPS_IOD)) if pick.any() else float("nan")
