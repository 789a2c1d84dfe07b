"""Move the head in a frame of real footage: a small rotation and shift about the face,
faded out away from the head, so the shoulders and the room stay where they are.

Used to give an avatar's background the head motion planned for the speech
(:func:`~talkinghead.motion.head.plan_head`); the motions involved are a few hundredths of an IOD
and a degree or two, where a smooth displacement field shows no distortion.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..face import apply_pose
from ..motion.head import fill_gaps

# The head's region in the canonical frame (IOD units, origin between the eyes, y down): an
# ellipse from the crown to below the chin, and how far outside it the motion fades to nothing.
HEAD_CENTRE = (0.0, 0.15)
HEAD_AXES = (1.05, 1.5)
FADE_IOD = 0.45
STEP_IOD = 0.05  # the displacement field is computed on a grid of this step, then upsampled


def move_head(image: np.ndarray, pose: np.ndarray, offset: np.ndarray, brow: float = 0.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """``image`` (H, W, 3) uint8 RGB whose head has ``pose`` (4,) [scale px/IOD, angle rad,
    tx px, ty px], with the head turned by ``offset[0]`` degrees and shifted by
    ``offset[1:3]`` IOD about the face's centre, and the brows raised by ``brow`` IOD (the
    eyes and the forehead's top stay). Returns (the new image, the head's new pose). A frame
    without a face (NaN pose), or nothing to do, comes back as it is."""
    offset = np.asarray(offset, np.float64)
    if not np.isfinite(pose).all() or not (np.any(np.abs(offset) > 1e-6) or brow > 1e-4):
        return image, pose
    s, theta = float(pose[0]), float(pose[1])
    angle = np.deg2rad(offset[0])
    rot = rot_img(angle)
    centre = apply_pose(pose, np.array([HEAD_CENTRE]))[0]
    shift = rot_img(theta) @ offset[1:3] * s  # IOD along the face's axes → image pixels
    # The region: the ellipse plus its fade, as an image box.
    reach = np.array(HEAD_AXES) + FADE_IOD * 2.5
    corners = apply_pose(pose, np.array([[HEAD_CENTRE[0] + dx * reach[0], HEAD_CENTRE[1] + dy * reach[1]]
                                         for dx in (-1, 1) for dy in (-1, 1)]))
    h, w = image.shape[:2]
    x0, y0 = np.floor(corners.min(0)).astype(int)
    x1, y1 = np.ceil(corners.max(0)).astype(int)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return image, pose
    step = max(2.0, STEP_IOD * s)
    gx = np.arange(x0, x1 + step, step)
    gy = np.arange(y0, y1 + step, step)
    qx, qy = np.meshgrid(gx, gy)
    q = np.stack([qx, qy], -1)  # (gh, gw, 2) image px
    # Weight: 1 inside the head's ellipse, easing to 0 over FADE_IOD outside it.
    d = q - centre
    local = d @ rot_img(theta) / s  # into the face's axes, IOD
    r = np.sqrt((local[..., 0] / HEAD_AXES[0]) ** 2 + (local[..., 1] / HEAD_AXES[1]) ** 2)
    u = np.clip((r - 1.0) * min(HEAD_AXES) / FADE_IOD, 0.0, 1.0)
    weight = 1.0 - _smooth(u)
    # Backward map: where each output pixel comes from under the inverse motion.
    back = (d - shift) @ rot + centre  # R⁻¹ (q − c − shift) + c  (row vectors: x @ R = R^T x)
    # The displacement (zero at the region's edge, smooth) is upsampled, then added to the
    # exact pixel grid: no seam where the region meets the untouched frame.
    disp = weight[..., None] * (back - q)
    if brow > 1e-4:  # brows up: each pixel of the brow band takes what lay below it
        down = rot_img(theta) @ np.array([0.0, 1.0])  # the face's "down", in the image
        disp += (_brow_weight(local + np.array(HEAD_CENTRE)) * brow * s)[..., None] * down
    disp = disp.astype(np.float32)
    disp = cv2.resize(disp, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR)
    px, py = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    out = image.copy()
    out[y0:y1, x0:x1] = cv2.remap(image, px + disp[..., 0], py + disp[..., 1], cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REFLECT)
    moved = rot @ (pose[2:4] - centre) + centre + shift
    return out, np.array([s, theta + angle, moved[0], moved[1]])


def rot_img(theta: float) -> np.ndarray:
    """(2, 2) rotation by ``theta`` rad in image coordinates (y down), as the pose uses it."""
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s], [s, c]])


# The band that rises with the brows, in the canonical frame (IOD, y up is negative): from just
# above the upper eyelids (-0.025) through the brows (about -0.21) to the forehead, fading out.
BROW_BAND_Y = (-0.12, -0.22, -0.35, -0.75)  # rise starts (clear of the lids, a grid step away), full from, full to, gone at
BROW_BAND_X = (0.7, 1.0)  # full within, gone beyond (|x|)


def _brow_weight(local: np.ndarray) -> np.ndarray:
    """(…,) 0–1: how much of a brow raise each point (…, 2) of the face's frame (IOD) takes."""
    x, y = np.abs(local[..., 0]), local[..., 1]
    a, b, c, d = BROW_BAND_Y
    rise = np.clip((a - y) / (a - b), 0, 1)
    fall = np.clip((y - d) / (c - d), 0, 1)
    side = np.clip((BROW_BAND_X[1] - x) / (BROW_BAND_X[1] - BROW_BAND_X[0]), 0, 1)
    return _smooth(rise) * _smooth(fall) * _smooth(side)


def _smooth(u: np.ndarray) -> np.ndarray:
    return u * u * (3 - 2 * u)


STEADY_S = 0.5  # footage's own head motion faster than this (σ, s) is taken out before new motion goes in


def steadied(pose: np.ndarray, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """The quick part of footage's own head motion, and what is left without it.

    Args:
        pose: (n, 4) head poses of the frames shown [scale px/IOD, angle rad, tx px, ty px]
            (NaN: no face).
        fps: their rate.

    Returns:
        (offsets (n, 3) [deg, x IOD, y IOD] in each face's own axes that cancel the quick motion
        when given to :func:`move_head`; the poses (n, 4) left after it: the slow drift).
    """
    pose = np.asarray(pose, np.float64)
    ok = np.isfinite(pose).all(1)
    cancel = np.zeros((len(pose), 3))
    if ok.sum() < 2:
        return cancel, pose
    filled = fill_gaps(pose, ok)
    slow = gaussian_filter1d(filled, STEADY_S * fps, axis=0, mode="nearest")
    slow[:, 0] = filled[:, 0]
    slow[~ok] = np.nan
    # Back from each frame's pose to the slow one: a turn, and a shift of the eye midpoint
    # (the turn about the face's centre moves it too), expressed in the face's axes, IOD.
    d_angle = slow[:, 1] - filled[:, 1]
    for f in np.flatnonzero(ok):
        s, theta = filled[f, 0], filled[f, 1]
        centre = apply_pose(filled[f], np.array([HEAD_CENTRE]))[0]
        a = d_angle[f]
        turned = rot_img(a) @ (filled[f, 2:4] - centre) + centre
        shift_px = slow[f, 2:4] - turned
        cancel[f] = (np.degrees(a), *(rot_img(theta).T @ shift_px / s))
    return cancel, slow
