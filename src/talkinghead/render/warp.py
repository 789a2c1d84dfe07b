"""Warp a bank crop so its lips and jaw take the target shape.

The field is deliberately smooth rather than exact at every landmark: tracked landmarks carry a
few tenths of a pixel of noise and nearby lip points often disagree, and a field forced through
all of them bends the lips locally into shapes no mouth makes. Measured by re-tracking warped
GRID mouths (a texture from 3-8 frames away warped onto a frame's shape), the smooth field lands
closer to the target: mouth LMD 0.56-0.64 % IOD against 0.86-0.94 for the exact one (σ 0.12 IOD,
ridge 1e-3) and 1.34-1.54 for an exact thin-plate spline.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..avatar.bank import RESAMPLING

GRID_STEP_PX = 4  # the displacement field is solved on a coarse grid, then upsampled…
GRID_POINTS = 40  # …of at most this many points a side (a larger crop gets a coarser step: the
# field's reach, RBF_SIGMA_IOD, grows with the crop, so it stays as smooth per grid step)
RBF_SIGMA_IOD = 0.2  # reach of one landmark's pull, IOD units
RBF_REG = 1e-2  # ridge term: lets the field miss noisy, nearly coinciding landmarks a little


def rbf_field(ctrl: np.ndarray, disp: np.ndarray, sigma: float, xs: np.ndarray, ys: np.ndarray
              ) -> np.ndarray:
    """Smooth displacement field through given control displacements (Gaussian RBF).

    Args:
        ctrl: (k, 2) control points, pixels.
        disp: (k, 2) displacement wanted at each control point, pixels.
        sigma: reach of one control point, pixels.
        xs, ys: 1-D pixel coordinates of the grid columns and rows to evaluate on.

    Returns:
        (len(ys), len(xs), 2) float32 displacements.
    """
    ctrl = np.asarray(ctrl, np.float64)
    d2 = ((ctrl[:, None] - ctrl[None]) ** 2).sum(-1)
    kmat = np.exp(-d2 / (2 * sigma**2)) + RBF_REG * np.eye(len(ctrl))
    weights = np.linalg.solve(kmat, disp)
    # The Gaussian kernel is separable, exp(-(dx² + dy²)/2σ²) = exp(-dx²/2σ²)·exp(-dy²/2σ²), so
    # the field on the grid is two small matrix products per component, not a kernel over every
    # (grid point, control) pair.
    kx = np.exp(-((np.asarray(xs, np.float64)[:, None] - ctrl[None, :, 0]) ** 2) / (2 * sigma**2))  # (nx, k)
    ky = np.exp(-((np.asarray(ys, np.float64)[:, None] - ctrl[None, :, 1]) ** 2) / (2 * sigma**2))  # (ny, k)
    field = np.stack([(ky * weights[:, d]) @ kx.T for d in range(2)], -1)
    return field.astype(np.float32)


def warp_map(src_pts: np.ndarray, dst_pts: np.ndarray, size: int, px_per_iod: float) -> np.ndarray:
    """The backward map that moves crop pixels so ``src_pts`` go to ``dst_pts`` (the border stays
    put): (S, S, 2) float32, for each pixel of the warped crop, where in the source crop it comes
    from (x, y), for ``cv2.remap``.

    A smooth Gaussian-RBF displacement field instead of a piecewise-affine triangulation: no
    triangle seams, and a fold-free result for the small lip motions involved.

    Args:
        src_pts, dst_pts: (k, 2) crop pixels of the landmarks in the crop and in the target.
        size: the crop's side S, pixels.
        px_per_iod: crop scale, pixels per IOD.
    """
    border = np.linspace(0, size - 1, 9)
    edge = np.array([(x, y) for x in border for y in (0, size - 1)] +
                    [(x, y) for y in border[1:-1] for x in (0, size - 1)], np.float64)
    ctrl = np.vstack([dst_pts, edge])
    disp = np.vstack([src_pts - dst_pts, np.zeros_like(edge)])  # backward: target → source
    g = np.linspace(0, size - 1, min(size // GRID_STEP_PX, GRID_POINTS) + 1)
    field = rbf_field(ctrl, disp, RBF_SIGMA_IOD * px_per_iod, g, g)
    # A smooth field: upsampling the coarse grid is within a fraction of a pixel of exact.
    field = cv2.resize(field, (size, size), interpolation=cv2.INTER_LINEAR)
    xs, ys = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    return np.dstack([xs + field[..., 0], ys + field[..., 1]])


def warp_crop(crop: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, px_per_iod: float
              ) -> np.ndarray:
    """``crop`` (S, S, C) uint8 (C ≤ 4) warped so ``src_pts`` go to ``dst_pts`` (see
    :func:`warp_map`). Rendering does not call this: it resamples a texture once, straight into
    the frame (:meth:`~talkinghead.render.composite.Compositor.render`)."""
    m = warp_map(src_pts, dst_pts, crop.shape[0], px_per_iod)
    return cv2.remap(crop, m[..., 0], m[..., 1], RESAMPLING, borderMode=cv2.BORDER_REPLICATE)


class ThinPlate:
    """Thin-plate-spline displacement through control points, evaluated on one fixed set of
    points: the least-bending smooth field that moves each control exactly (up to
    ``smoothing``). Unlike a Gaussian RBF it does not sag between distant controls that move
    together (a lower lip and a chin dropping as one).

    Controls are split into fixed ones (zero displacement, given once) and moving ones (given
    per call); the kernel between the evaluation points and the fixed controls is computed once.
    """

    def __init__(self, fixed: np.ndarray, points: np.ndarray, smoothing: float = 1e-7) -> None:
        """fixed: (k0, 2) px controls that never move; points: (m, 2) px where fields are wanted."""
        fixed = np.asarray(fixed, np.float64)
        self.scale = max(float(np.ptp(fixed[:, 0])), float(np.ptp(fixed[:, 1])), 1.0)
        self.fixed = fixed / self.scale  # unit-free: keeps the system well conditioned
        self.points = np.asarray(points, np.float64) / self.scale
        self.smoothing = smoothing
        self._k_points_fixed = self._kernel(self.points, self.fixed)
        self._k_fixed = self._kernel(self.fixed, self.fixed)

    @staticmethod
    def _kernel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
        d2 = np.maximum(d2, 1e-20)
        return 0.5 * d2 * np.log(d2)  # r² log r

    def field(self, moving: np.ndarray, disp: np.ndarray) -> np.ndarray:
        """(m, 2) float32 px displacement at the points, for ``moving`` (k1, 2) px controls
        displaced by ``disp`` (k1, 2) px."""
        mv = np.asarray(moving, np.float64) / self.scale
        k0, k1 = len(self.fixed), len(mv)
        k = k0 + k1
        ctrl = np.vstack([self.fixed, mv])
        a = np.zeros((k + 3, k + 3))
        a[:k0, :k0] = self._k_fixed
        a[:k0, k0:k] = self._kernel(self.fixed, mv)
        a[k0:k, :k0] = a[:k0, k0:k].T
        a[k0:k, k0:k] = self._kernel(mv, mv)
        a[:k, :k] += self.smoothing * np.eye(k)
        a[:k, k] = 1
        a[:k, k + 1:] = ctrl
        a[k, :k] = 1
        a[k + 1:, :k] = ctrl.T
        rhs = np.zeros((k + 3, 2))
        rhs[k0:k] = np.asarray(disp, np.float64) / self.scale
        w = np.linalg.solve(a, rhs)
        out = self._k_points_fixed @ w[:k0] + self._kernel(self.points, mv) @ w[k0:k]
        out += w[k] + self.points @ w[k + 1:]
        return (out * self.scale).astype(np.float32)
