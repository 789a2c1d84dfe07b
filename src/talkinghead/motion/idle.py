"""Life in a still portrait: eye blinks and a small idle head sway, as per-frame schedules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..timeline import frame_centres


@dataclass(frozen=True)
class IdleOptions:
    """Blinks and head sway.

    Attributes:
        blink_interval_s: (min, max) seconds between blinks, drawn uniformly.
        blink_s: duration of one blink (closing and opening), s.
        sway_deg: largest head rotation, degrees.
        sway_iod: largest head shift, IOD units.
        sway_period_s: typical period of the sway, s.
        seed: random seed (the same input gives the same video).
    """

    blink_interval_s: tuple[float, float] = (2.0, 6.0)
    blink_s: float = 0.15
    sway_deg: float = 1.5
    sway_iod: float = 0.04
    sway_period_s: float = 4.0
    seed: int = 0


def blinks(n: int, fps: float, options: IdleOptions = IdleOptions()) -> np.ndarray:
    """(n,) float32 eyelid closure per frame, 0 open … 1 shut (a smooth bump per blink)."""
    rng = np.random.default_rng(options.seed)
    closure = np.zeros(n, np.float32)
    t = rng.uniform(0.6, 1.0) * options.blink_interval_s[0]  # the first blink comes early
    duration = n / fps
    times = frame_centres(n, fps)
    half = options.blink_s / 2
    while t < duration:
        centre = t + half
        lo, hi = max(0, int((centre - half) * fps) - 1), min(n, int((centre + half) * fps) + 2)  # its frames
        bump = np.clip(1 - np.abs(times[lo:hi] - centre) / half, 0, 1)
        closure[lo:hi] = np.maximum(closure[lo:hi], (np.sin(bump * np.pi / 2) ** 2).astype(np.float32))
        # A frame-rate-independent guarantee: the frame nearest the middle is fully shut.
        f = int(centre * fps)
        if 0 <= f < n:
            closure[f] = 1.0
        t += rng.uniform(*options.blink_interval_s)
    return closure


def head_sway(n: int, fps: float, options: IdleOptions = IdleOptions()) -> np.ndarray:
    """(n, 3) float32 [rotation deg, shift x IOD, shift y IOD]: smooth, bounded idle motion."""
    rng = np.random.default_rng(options.seed + 1)
    sigma = options.sway_period_s * fps / 4
    pad = int(3 * sigma) + 1
    noise = rng.standard_normal((n + 2 * pad, 3))
    smooth = gaussian_filter1d(noise, sigma, axis=0, mode="wrap")[pad:pad + n]
    peak = np.abs(smooth).max(axis=0)
    smooth = smooth / np.where(peak > 0, peak, 1)  # each channel spans [-1, 1]
    return (smooth * [options.sway_deg, options.sway_iod, options.sway_iod * 0.6]).astype(np.float32)
