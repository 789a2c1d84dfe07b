"""Warp a bank crop so its lips and jaw land exactly on the target shape."""

from __future__ import annotations

import cv2
import numpy as np

GRID_STEP_PX = 4  # the displacement field is solved on a coarse grid, then upsampled
RBF_SIGMA_IOD = 0.12  # reach of one landmark's pull, IOD units
RBF_REG = 1e-3  # ridge term: keeps the solve stable when landmarks nearly coincide


def warp_crop(crop: np.ndarray, src_pts: np.ndarray, dst_pts: np.ndarray, px_per_iod: float
              ) -> np.ndarray:
    """Move crop pixels so ``src_pts`` go to ``dst_pts``; the border stays put.

    A smooth Gaussian-RBF displacement field (backward map) instead of a piecewise-affine
    triangulation: no triangle seams, and a fold-free result for the small lip motions involved.

    Args:
        crop: (S, S, 3) uint8 bank crop.
        src_pts, dst_pts: (k, 2) crop pixels of the landmarks in the crop and in the target.
        px_per_iod: crop scale, pixels per IOD.
    """
    size = crop.shape[0]
    border = np.linspace(0, size - 1, 9)
    edge = np.array([(x, y) for x in border for y in (0, size - 1)] +
                    [(x, y) for y in border[1:-1] for x in (0, size - 1)], np.float64)
    ctrl = np.vstack([dst_pts, edge])
    disp = np.vstack([src_pts - dst_pts, np.zeros_like(edge)])  # backward: target → source
    sigma = RBF_SIGMA_IOD * px_per_iod
    d2 = ((ctrl[:, None] - ctrl[None]) ** 2).sum(-1)
    kmat = np.exp(-d2 / (2 * sigma**2)) + RBF_REG * np.eye(len(ctrl))
    weights = np.linalg.solve(kmat, disp)
    g = np.linspace(0, size - 1, size // GRID_STEP_PX + 1)
    gx, gy = np.meshgrid(g, g)
    grid = np.stack([gx.ravel(), gy.ravel()], 1)
    kg = np.exp(-((grid[:, None] - ctrl[None]) ** 2).sum(-1) / (2 * sigma**2))
    field = (kg @ weights).reshape(len(g), len(g), 2).astype(np.float32)
    # A smooth field: upsampling the coarse grid is within a fraction of a pixel of exact.
    field = cv2.resize(field, (size, size), interpolation=cv2.INTER_LINEAR)
    xs, ys = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32))
    return cv2.remap(crop, xs + field[..., 0], ys + field[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)
