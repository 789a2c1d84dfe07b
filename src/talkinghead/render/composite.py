"""Put a warped mouth texture into a background frame: head pose, colour match, feathered blend."""

from __future__ import annotations

import cv2
import numpy as np

from ..avatar.bank import TEXTURE_RESAMPLING, CropGeometry
from ..face.landmarks import JAW, LIPS_OUTER, MOUTH

_JAW_IN_MOUTH = np.array([int(np.flatnonzero(MOUTH == j)[0]) for j in JAW])  # jaw points in MOUTH
_LIPS_IN_MOUTH = np.arange(len(LIPS_OUTER))  # outer lip points come first in MOUTH
FEATHER_IOD = 0.07  # σ of the mask's soft edge, IOD units
TOP_ABOVE_LIPS_IOD = 0.22  # the mask's upper edge: this far above the top of the lips (below the nose)
RING = (0.08, 0.6)  # mask values treated as the boundary ring for colour matching


def _blur(mask: np.ndarray, sigma: float) -> np.ndarray:
    """A wide Gaussian blur of an (S, S) mask, done at half resolution when σ is large (the
    result is smooth: upsampling it loses nothing visible, and it costs an eighth)."""
    if sigma < 4:
        return cv2.GaussianBlur(mask, (0, 0), sigma)
    size = mask.shape[::-1]
    half = cv2.resize(mask, (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)
    return cv2.resize(cv2.GaussianBlur(half, (0, 0), sigma / 2), size, interpolation=cv2.INTER_LINEAR)


class Compositor:
    """Blends textures into frames for one crop geometry (the avatar's)."""

    def __init__(self, crop: CropGeometry) -> None:
        self.crop = crop
        size = crop.size
        # Nothing may reach the crop's own border: fade the mask out over its outer 8 %.
        ramp = np.clip(np.minimum(np.arange(size), np.arange(size)[::-1]) / (0.08 * size), 0, 1)
        self.border = np.minimum.outer(ramp, ramp).astype(np.float32)

    def region(self, shape: np.ndarray, out: np.ndarray | None = None, value: float = 1.0) -> np.ndarray:
        """(S, S) float32 (or ``out``, drawn into) with ``value`` over the lower face of a
        canonical mouth/jaw ``shape``: under the line TOP_ABOVE_LIPS_IOD above the lips, inside
        the jaw contour."""
        size = self.crop.size
        m = np.zeros((size, size), np.float32) if out is None else out
        pts = self.crop.to_crop(shape)
        jaw = pts[_JAW_IN_MOUTH]
        top = pts[_LIPS_IN_MOUTH][:, 1].min() - TOP_ABOVE_LIPS_IOD * self.crop.px_per_iod
        poly = np.vstack([jaw, [[jaw[-1, 0], top], [jaw[0, 0], top]]])
        cv2.fillPoly(m, [np.round(poly * 4).astype(np.int32)], value, lineType=cv2.LINE_AA, shift=2)
        return m

    def mask(self, target: np.ndarray, background: np.ndarray | None,
             texture_face: np.ndarray | None = None) -> np.ndarray:
        """(S, S) float32 alpha in crop space covering lips, jaw and chin of the target and of the
        background face (so the background's own chin cannot show as a second contour), and
        only where the texture shows face: ``texture_face`` (S, S) in [0, 1], the texture's own
        :meth:`region` warped with it. A bank frame of a turned head has background beyond its
        jaw line, which must not land on a cheek."""
        size = self.crop.size
        m = np.zeros((size, size), np.float32)
        for shape in (target, background):
            if shape is not None and not np.isnan(shape).any():
                self.region(shape, m)
        sigma = FEATHER_IOD * self.crop.px_per_iod
        m = _blur(m, sigma)
        if texture_face is not None:
            # Feathered inward: pixels within about σ of the texture's face edge fade out.
            m *= np.clip(2 * _blur(texture_face.astype(np.float32), sigma) - 1, 0, 1)
        return m * self.border

    def render(self, frame: np.ndarray, pose: np.ndarray, texture: np.ndarray, target: np.ndarray,
               background_mouth: np.ndarray | None, texture_face: np.ndarray | None = None,
               opacity: float = 1.0, texture_map: np.ndarray | None = None) -> np.ndarray:
        """The frame with the texture blended in.

        The texture is resampled once, straight from its own crop into the frame (the warp and
        the head pose composed into one map), and blended over the frame's own pixels: each
        resampling softens a little (an image → crop → image round trip keeps 70 % of the
        Laplacian variance with cubic interpolation), which shows at HD.

        Args:
            frame: (H, W, 3) uint8 background frame (returned unchanged if ``pose`` is NaN).
            pose: (4,) background head pose (canonical → image).
            texture: (S, S, 3) uint8 crop: already warped to ``target``, or the bank crop itself
                with ``texture_map``.
            target: (N_MOUTH, 2) canonical target mouth.
            background_mouth: (N_MOUTH, 2) canonical mouth of the background frame, or None.
            texture_face: (S, S) in [0, 1] in target crop space, where the warped texture shows
                the lower face (see :meth:`mask`), or None to trust all of it.
            opacity: scales the blend (< 1: the frame's own mouth shows through, a fade).
            texture_map: (S, S, 2) float32 backward map, target crop pixel → texture pixel
                (:func:`~talkinghead.render.warp.warp_map`); None: the identity.
        """
        if np.isnan(pose).any():
            return frame
        to_crop = self.crop.image_to_crop(pose)
        alpha = self.mask(target, background_mouth, texture_face) * np.float32(opacity)
        to_image = cv2.invertAffineTransform(to_crop)
        # Only where the mask reaches: its bounding box in the crop (the top of the crop, above
        # the lips, is never drawn).
        rows, cols = np.flatnonzero((alpha > 1 / 255).any(1)), np.flatnonzero((alpha > 1 / 255).any(0))
        if not len(rows):
            return frame
        cx0, cx1, cy0, cy1 = cols[0], cols[-1] + 1, rows[0], rows[-1] + 1
        corners = np.array([[cx0, cy0], [cx1, cy0], [cx0, cy1], [cx1, cy1]], np.float64)
        img_pts = corners @ to_image[:, :2].T + to_image[:, 2]
        h, w = frame.shape[:2]
        x0, y0 = np.floor(img_pts.min(0)).astype(int)
        x1, y1 = np.ceil(img_pts.max(0)).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        if x1 <= x0 or y1 <= y0:
            return frame
        # Where each frame pixel of the region falls in the target crop, then in the texture.
        xs, ys = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
        qx = (to_crop[0, 0] * xs + to_crop[0, 1] * ys + to_crop[0, 2]).astype(np.float32)
        qy = (to_crop[1, 0] * xs + to_crop[1, 1] * ys + to_crop[1, 2]).astype(np.float32)
        if texture_map is not None:
            src = cv2.remap(texture_map, qx, qy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            qx, qy = src[..., 0], src[..., 1]
        patch = cv2.remap(texture, qx, qy, TEXTURE_RESAMPLING, borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        a = cv2.warpAffine(alpha, to_image - [[0, 0, x0], [0, 0, y0]], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                           borderValue=0)[..., None]
        region = frame[y0:y1, x0:x1].astype(np.float32)
        ring = ((a > RING[0]) & (a < RING[1]))[..., 0]
        if ring.sum() > 20:
            # Lighting differs between the texture's frame and the background's: shift colours
            # so they agree where the two meet.
            patch += region[ring].mean(0) - patch[ring].mean(0)
        out = frame.copy()
        out[y0:y1, x0:x1] = np.clip(patch * a + region * (1 - a), 0, 255).astype(np.uint8)
        return out
