"""Frames between frames: motion-compensated interpolation by optical flow (OpenCV's DIS).

Footage at 25 frames/s shown at 50 or 60 needs frames at instants the camera never recorded.
Repeating frames judders; blending two frames ghosts anything that moves (a head that turns
shows twice). Here both frames are warped along the motion between them to the instant wanted
and then mixed: the flow is estimated both ways (a → b and b → a) and the flow from the
in-between instant to each frame is approximated from the two (the linear-motion approximation of
Jiang et al., "Super SloMo", CVPR 2018), so a moving edge lands where it was at that instant.

Flow is estimated on a copy at most ``FLOW_MAX_PX`` on its long side (a head's motion is smooth;
the flow is upsampled and scaled back), so the cost stays small at HD.
"""

from __future__ import annotations

import cv2
import numpy as np

FLOW_MAX_PX = 512  # flow is estimated at most this many pixels on the long side
STILL_PX = 0.25  # where both flows move less than this (px), the two frames are simply mixed


class FlowInterpolator:
    """Interpolates frames of one video (one size): ``between(a, b, t)``; the flows of the last
    pair are kept, so several instants between the same two frames cost one flow estimate."""

    def __init__(self) -> None:
        self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
        self._pair: tuple[int, int] | None = None
        self._flows: tuple[np.ndarray, np.ndarray] | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None

    def between(self, a: np.ndarray, b: np.ndarray, t: float, key: tuple[int, int] | None = None) -> np.ndarray:
        """The frame at fraction ``t`` (0–1) of the way from ``a`` to ``b`` ((H, W, 3) uint8 RGB
        each, the same size). ``key`` names the pair (e.g. its frame numbers) so a pair seen
        last time reuses its flows."""
        if t <= 0.0:
            return a
        if t >= 1.0:
            return b
        if key is None or key != self._pair or self._flows is None:
            self._flows = self._estimate(a, b)
            self._pair = key
        f_ab, f_ba = self._flows
        # Flow from the in-between instant back to a and on to b (linear motion).
        f_ta = -(1 - t) * t * f_ab + t * t * f_ba
        f_tb = (1 - t) ** 2 * f_ab - t * (1 - t) * f_ba
        wa = self._warp(a, f_ta).astype(np.float32)
        wb = self._warp(b, f_tb).astype(np.float32)
        out = (1 - t) * wa + t * wb
        # Where nothing moves, the flow is only noise: a plain mix of the two frames is exact.
        still = (np.abs(f_ab).max(-1) < STILL_PX) & (np.abs(f_ba).max(-1) < STILL_PX)
        if still.any():
            mix = (1 - t) * a.astype(np.float32) + t * b.astype(np.float32)
            out[still] = mix[still]
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def _estimate(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flows a → b and b → a, (H, W, 2) float32 pixels at full size."""
        h, w = a.shape[:2]
        scale = min(1.0, FLOW_MAX_PX / max(h, w))
        ga = cv2.cvtColor(a, cv2.COLOR_RGB2GRAY)
        gb = cv2.cvtColor(b, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            size = (max(8, round(w * scale)), max(8, round(h * scale)))
            ga = cv2.resize(ga, size, interpolation=cv2.INTER_AREA)
            gb = cv2.resize(gb, size, interpolation=cv2.INTER_AREA)
        flows = []
        for x, y in ((ga, gb), (gb, ga)):
            f = self._dis.calc(x, y, None)
            if scale < 1.0:
                f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR) / scale
            flows.append(f)
        return flows[0], flows[1]

    def _warp(self, image: np.ndarray, flow: np.ndarray) -> np.ndarray:
        """``image`` sampled at each pixel + ``flow`` (backward warp)."""
        h, w = image.shape[:2]
        if self._grid is None or self._grid[0].shape != (h, w):
            self._grid = tuple(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
        gx, gy = self._grid
        return cv2.remap(image, gx + flow[..., 0], gy + flow[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def source_positions(n: int, out_fps: float, source_fps: float) -> np.ndarray:
    """(n,) float64: where each of ``n`` output frames at ``out_fps`` lies on a timeline counted
    in source frames at ``source_fps`` (frame f shows source position f · source_fps / out_fps)."""
    return np.arange(n, dtype=np.float64) * (source_fps / out_fps)
