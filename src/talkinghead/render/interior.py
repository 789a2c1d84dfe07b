"""A procedural mouth interior for a portrait: cavity, teeth and a hint of tongue.

Drawn only inside the target inner-lip contour (an anti-aliased polygon mask), so nothing of it
can show outside the lips. Sizes are in inter-ocular distances (IOD), so the teeth fit the face;
colours come from the portrait (its own teeth when they show, its skin's lighting otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face.landmarks import LIPS_INNER

DEFAULT_TEETH_RGB = (232.0, 226.0, 212.0)
CAVITY_RGB = (58.0, 20.0, 24.0)
TONGUE_RGB = (168.0, 72.0, 78.0)
UPPER_TEETH_IOD = 0.11  # visible height of the upper incisors, IOD
LOWER_TEETH_IOD = 0.06
LOWER_TEETH_FROM_GAP_IOD = 0.11  # lower teeth show once the lips are this far apart
INCISOR_IOD = 0.085  # width of a central incisor
TEETH_SPAN = 0.95  # teeth fill this share of the mouth's half-width; the corners stay dark
SEAM_DARKEN = 0.3  # closed lips: the line between them is this much darker than the lips
REFERENCE_SKIN_LUMA = 165.0  # skin brightness the default colours are tuned for


@dataclass(frozen=True)
class MouthLook:
    """Colours (RGB, 0–255) of the interior, taken from a portrait by :func:`mouth_look`."""

    teeth: tuple[float, float, float]
    cavity: tuple[float, float, float]
    tongue: tuple[float, float, float]


def mouth_look(image: np.ndarray, landmarks: np.ndarray, iod_px: float) -> MouthLook:
    """Colours for a portrait's mouth interior.

    Args:
        image: (H, W, 3) uint8 RGB portrait.
        landmarks: (478, 2) float px of its face.
        iod_px: inter-ocular distance, px.
    """
    inner = landmarks[LIPS_INNER]
    gap = float(np.linalg.norm(landmarks[14] - landmarks[13]))
    cheeks = landmarks[[50, 280, 205, 425]]  # cheek skin below the eyes
    r = max(2, int(0.06 * iod_px))
    patches = [image[max(0, int(y) - r):int(y) + r, max(0, int(x) - r):int(x) + r].reshape(-1, 3)
               for x, y in cheeks]
    skin = np.concatenate([p for p in patches if len(p)] or [np.full((1, 3), REFERENCE_SKIN_LUMA)])
    light = float(np.clip(np.median(skin.mean(1)) / REFERENCE_SKIN_LUMA, 0.55, 1.25))
    teeth = np.array(DEFAULT_TEETH_RGB) * min(light, 1.05)
    if gap > 0.05 * iod_px:  # the portrait shows its own teeth: take their colour
        mask = np.zeros(image.shape[:2], np.uint8)
        cv2.fillPoly(mask, [np.round(inner).astype(np.int32)], 1)
        inside = image[mask.astype(bool)].astype(np.float64)
        if len(inside) >= 20:
            luma = inside.mean(1)
            bright = inside[luma >= np.percentile(luma, 70)]
            if bright.mean() > 110:
                teeth = 0.5 * teeth + 0.5 * np.clip(bright.mean(0) * 1.05, 0, 245)
    cavity = np.array(CAVITY_RGB) * light
    tongue = np.array(TONGUE_RGB) * light
    return MouthLook(tuple(teeth), tuple(cavity), tuple(tongue))


def draw_interior(image: np.ndarray, inner: np.ndarray, look: MouthLook, iod_px: float) -> None:
    """Paint the mouth interior into ``image`` in place, strictly inside ``inner``.

    Args:
        image: (H, W, 3) uint8 RGB frame.
        inner: (20, 2) px inner-lip contour (LIPS_INNER order: right corner, upper lip, left
            corner, lower lip).
        look: colours.
        iod_px: inter-ocular distance in this frame, px.
    """
    h, w = image.shape[:2]
    x0, y0 = np.floor(inner.min(0)).astype(int) - 1
    x1, y1 = np.ceil(inner.max(0)).astype(int) + 2
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
    if x1 - x0 < 2 or y1 - y0 < 1:
        return
    alpha = np.zeros((y1 - y0, x1 - x0), np.uint8)
    cv2.fillPoly(alpha, [np.round((inner - (x0, y0)) * 16).astype(np.int32)], 255,
                 lineType=cv2.LINE_AA, shift=4)
    if not alpha.any():
        return
    a = alpha.astype(np.float32)[..., None] / 255.0

    upper = inner[0:11]  # right corner → upper lip → left corner
    lower = np.vstack([inner[10:], inner[:1]])  # left corner → lower lip → right corner
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    xs += 0.5
    ys += 0.5
    yu = _curve(upper, xs[0])[None, :]  # (1, W) upper inner-lip edge per column
    yl = _curve(lower, xs[0])[None, :]
    cx = float((inner[0, 0] + inner[10, 0]) / 2)
    half = max(abs(float(inner[10, 0] - inner[0, 0])) / 2, 1.0)
    u = np.clip((xs - cx) / half, -1, 1)
    arch = np.sqrt(np.clip(1 - (u / TEETH_SPAN) ** 2, 0, 1))  # teeth follow the dental arch
    gap = float(np.max(yl - yu)) if yl.size else 0.0

    # Cavity: darkest at the back (middle), a little lighter toward the lips.
    depth = np.clip(np.minimum(ys - yu, yl - ys) / max(gap / 2, 1.0), 0, 1)
    out = np.array(look.cavity, np.float32) * (1.0 - 0.45 * depth[..., None]) * (1.0 - 0.15 * np.abs(u)[..., None])

    # Tongue: a soft mound on the floor of the mouth.
    if gap > 0.05 * iod_px:
        ty = yl - 0.12 * gap
        tongue = np.clip(1 - ((xs - cx) / (0.55 * half)) ** 2 - ((ys - ty) / (0.35 * gap)) ** 2, 0, 1)
        tongue = np.sqrt(tongue)[..., None]
        shade = (0.75 + 0.25 * np.clip((ys - (yl - 0.45 * gap)) / max(0.3 * gap, 1), 0, 1))[..., None]
        out = out * (1 - tongue) + np.array(look.tongue, np.float32) * shade * tongue

    teeth_rgb = np.array(look.teeth, np.float32)
    side_light = (0.55 + 0.45 * arch)[..., None]  # teeth further round the arch get less light
    # Upper teeth hang from the upper lip.
    top = UPPER_TEETH_IOD * iod_px * arch
    in_upper = (ys - yu >= -1.5) & (ys - yu < top) & (arch > 0)  # reach under the lip's soft edge
    edge = np.clip((top - (ys - yu)) / max(0.25 * top.max(), 1.0), 0, 1)  # soften the biting edge
    gaps = _tooth_gaps(xs, cx, iod_px)
    shadow = np.clip((ys - yu) / max(0.025 * iod_px, 1.0), 0.75, 1.0)  # the lip shades the top
    upper_col = teeth_rgb * side_light * gaps[..., None] * shadow[..., None]
    wu = (in_upper * edge)[..., None]
    out = out * (1 - wu) + upper_col * wu
    # Lower teeth only when the mouth is wide open.
    if gap > LOWER_TEETH_FROM_GAP_IOD * iod_px:
        bottom = LOWER_TEETH_IOD * iod_px * arch * min(1.0, (gap / iod_px - LOWER_TEETH_FROM_GAP_IOD) / 0.05)
        in_lower = (yl - ys >= -1.5) & (yl - ys < bottom) & (arch > 0)
        wl = (in_lower * np.clip((bottom - (yl - ys)) / max(0.3 * bottom.max(), 1.0), 0, 1))[..., None]
        out = out * (1 - wl) + teeth_rgb * 0.8 * side_light * wl

    # Where the lips (nearly) touch, the anti-aliased outline alone would draw a hard dark
    # line: fade the interior out there and draw a soft seam between the lips instead.
    open_ = np.clip((yl - yu) / 1.5, 0, 1)[..., None]
    a = a * open_
    seam = np.zeros(alpha.shape, np.uint8)
    mid = (upper + lower[::-1]) / 2 - (x0, y0)
    cv2.polylines(seam, [np.round(mid * 16).astype(np.int32)], False, 255, 1, cv2.LINE_AA, shift=4)
    seam_dark = SEAM_DARKEN * (seam.astype(np.float32) / 255.0)[..., None] * (1 - open_)
    region = image[y0:y1, x0:x1].astype(np.float32) * (1 - seam_dark)
    image[y0:y1, x0:x1] = np.clip(region * (1 - a) + out * a + 0.5, 0, 255).astype(np.uint8)


def _curve(points: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """y of the polyline through ``points`` (ordered along x either way) at columns ``xs``."""
    order = np.argsort(points[:, 0])
    return np.interp(xs, points[order, 0], points[order, 1]).astype(np.float32)


def _tooth_gaps(xs: np.ndarray, cx: float, iod_px: float) -> np.ndarray:
    """Faint darker lines between the front teeth: central incisors and laterals."""
    widths = np.array([1.0, 0.78]) * INCISOR_IOD * iod_px
    bounds = np.concatenate([[0.0], np.cumsum(widths)])
    d = np.abs(xs - cx)
    nearest = np.min(np.abs(d[..., None] - bounds), axis=-1)
    line = max(0.6, 0.012 * iod_px)
    return (1.0 - 0.12 * np.clip(1 - nearest / line, 0, 1)).astype(np.float32)
