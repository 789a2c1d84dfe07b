"""Head pose as a 2-D similarity to a canonical face, and the tracker-jitter filter.

Canonical frame: origin midway between the outer eye corners, x along the eye line, y down, and
one unit = the inter-ocular distance (IOD). A pose (s, θ, tx, ty) maps canonical → image pixels:
``p_img = s · R(θ) · p_can + t``.
"""

from __future__ import annotations

import numpy as np

from .landmarks import HEAD_SHAPE, LEFT_EYE_OUTER, RIGHT_EYE_OUTER, RIGID


def eye_frame(landmarks: np.ndarray) -> np.ndarray:
    """(..., 478, 2) pixels → same points in the canonical frame from the eye corners alone."""
    return _in_eye_frame(landmarks, landmarks[..., RIGHT_EYE_OUTER, :], landmarks[..., LEFT_EYE_OUTER, :])


def _in_eye_frame(points: np.ndarray, right: np.ndarray, left: np.ndarray) -> np.ndarray:
    """(..., k, 2) points → the frame with origin midway between eye corners ``right`` and
    ``left`` (..., 2), x towards left, one unit = their distance."""
    mid = (right + left) / 2
    axis = left - right
    iod = np.linalg.norm(axis, axis=-1, keepdims=True)
    c, s = axis[..., :1] / iod, axis[..., 1:] / iod
    d = points - mid[..., None, :]
    x = (d[..., 0:1] * c[..., None, :] + d[..., 1:2] * s[..., None, :])[..., 0]
    y = (-d[..., 0:1] * s[..., None, :] + d[..., 1:2] * c[..., None, :])[..., 0]
    return np.stack([x, y], axis=-1) / iod[..., None, :]


def head_shape(landmarks: np.ndarray) -> np.ndarray:
    """The head's turn and tip as seen in 2-D: ``HEAD_SHAPE`` points in the eye-corner frame.

    Args:
        landmarks: (..., 478, 2) in any similarity frame (pixels or canonical; NaN: no face).

    Returns:
        (..., len(HEAD_SHAPE), 2) float64, IOD units. The same for a frame, its canonical shape
        and any video of the same face in the same pose: no template is involved.
    """
    lm = np.asarray(landmarks)
    right, left = (lm[..., i, :].astype(np.float64) for i in (RIGHT_EYE_OUTER, LEFT_EYE_OUTER))
    return _in_eye_frame(lm[..., HEAD_SHAPE, :].astype(np.float64), right, left)


def build_template(landmarks: np.ndarray) -> np.ndarray:
    """The person's canonical face: (478, 2) median of eye-normalised found frames.

    Args:
        landmarks: (n, 478, 2) pixels; rows with NaN (no face) are ignored.
    """
    ok = ~np.isnan(landmarks).any(axis=(1, 2))
    if not ok.any():
        raise ValueError("no frame with a face to build a template from")
    template = np.median(eye_frame(landmarks[ok]), axis=0)
    # Re-centre exactly on the eye corners so the frame's definition holds for the template too.
    return eye_frame(template[None])[0].astype(np.float32)


def fit_similarity(landmarks: np.ndarray, template: np.ndarray, points: np.ndarray = RIGID
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares similarity (Umeyama) from template to image on the rigid points.

    Args:
        landmarks: (n, 478, 2) pixels (NaN rows allowed: pose NaN there).
        template: (478, 2) canonical.
        points: the landmark indices to fit on (default: RIGID).

    Returns:
        poses (n, 4) float64 [scale px/IOD, angle rad, tx px, ty px] and the rigid residual (n,)
        RMS distance of rigid points after the fit, in IOD units.
    """
    src = template[points].astype(np.float64)  # (r, 2)
    dst = landmarks[:, points].astype(np.float64)  # (n, r, 2)
    mu_s, mu_d = src.mean(0), dst.mean(1)
    a, b = src - mu_s, dst - mu_d[:, None]
    var_s = (a**2).sum()
    # 2-D Umeyama via complex numbers: b ≈ z · a with z = s·e^{iθ}.
    za = a[:, 0] + 1j * a[:, 1]
    zb = b[..., 0] + 1j * b[..., 1]
    z = (np.conj(za)[None] * zb).sum(1) / var_s
    scale, angle = np.abs(z), np.angle(z)
    t = mu_d - np.stack([(z * (mu_s[0] + 1j * mu_s[1])).real, (z * (mu_s[0] + 1j * mu_s[1])).imag], 1)
    poses = np.stack([scale, angle, t[:, 0], t[:, 1]], axis=1)
    pred = apply_pose(poses, src)
    residual = np.sqrt(((pred - dst) ** 2).sum(-1).mean(-1)) / scale
    return poses, residual


def pose_matrix(pose: np.ndarray) -> np.ndarray:
    """(..., 4) poses → (..., 2, 3) affine matrices canonical → image."""
    s, th, tx, ty = (pose[..., i] for i in range(4))
    c, sn = s * np.cos(th), s * np.sin(th)
    return np.stack([np.stack([c, -sn, tx], -1), np.stack([sn, c, ty], -1)], -2)


def apply_pose(pose: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Canonical points (..., k, 2) (broadcast against poses (..., 4)) → image pixels."""
    m = pose_matrix(pose)
    return points @ np.swapaxes(m[..., :2], -1, -2) + m[..., None, :, 2]


def to_canonical(pose: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Image pixels (n, k, 2) → canonical, undoing poses (n, 4)."""
    s, th = pose[:, 0, None, None], pose[:, 1]
    d = points - pose[:, None, 2:4]
    c, sn = np.cos(th)[:, None], np.sin(th)[:, None]
    x = (c * d[..., 0] + sn * d[..., 1])
    y = (-sn * d[..., 0] + c * d[..., 1])
    return np.stack([x, y], -1) / s


class OneEuro:
    """One-Euro filter (Casiez et al. 2012) over (n, d) signals sampled at ``fps``.

    Steady parts get a low cutoff (jitter removed); fast motion raises the cutoff (no lag).
    ``min_cutoff`` in Hz, ``beta`` in Hz per unit/s of speed.
    """

    def __init__(self, fps: float, min_cutoff: float, beta: float, d_cutoff: float = 1.0) -> None:
        self.fps, self.min_cutoff, self.beta, self.d_cutoff = fps, min_cutoff, beta, d_cutoff

    def _alpha(self, cutoff: np.ndarray | float) -> np.ndarray | float:
        tau = 1.0 / (2 * np.pi * cutoff)
        return 1.0 / (1.0 + tau * self.fps)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Filter (n, d) along axis 0; NaN rows restart the filter and stay NaN."""
        out = np.full_like(x, np.nan, dtype=np.float64)
        prev = dprev = None
        for i, row in enumerate(x.astype(np.float64)):
            if np.isnan(row).any():
                prev = dprev = None
                continue
            if prev is None:
                prev, dprev = row, np.zeros_like(row)
                out[i] = row
                continue
            dx = (row - prev) * self.fps
            dprev = dprev + self._alpha(self.d_cutoff) * (dx - dprev)
            cutoff = self.min_cutoff + self.beta * np.abs(dprev)
            prev = prev + self._alpha(cutoff) * (row - prev)
            out[i] = prev
        return out
