"""The texture bank: one canonical-aligned lower-face crop per tracked frame.

Crops are square, cut in the canonical frame (so head pose is already removed), centred below
the nose on the mouth, and stored in ``bank.mp4`` at the tracks' frame index.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..face import JAW, LIPS_OUTER, pose_matrix

BANK_SIZE_PX = 160  # side of a crop, pixels
CROP_SIDE_IOD = 1.5  # side of the crop in canonical units: cheek to cheek, nose to below the chin
# How mouth pixels are resampled on their way to an output frame: cut here, then warped and
# pasted back (render). Three bilinear steps blur the lip edges, and the tracker reads blurred
# lips as a smaller mouth (a 0.8 px blur: 1.4 % smaller); bicubic keeps them sharp.
RESAMPLING = cv2.INTER_CUBIC


@dataclass(frozen=True)
class CropGeometry:
    """Where the crop sits in the canonical frame, and its pixel size.

    ``centre`` (x, y) and ``side`` in IOD units; ``size`` in pixels.
    """

    centre: tuple[float, float]
    side: float
    size: int

    @classmethod
    def from_template(cls, template: np.ndarray, size: int = BANK_SIZE_PX,
                      side: float = CROP_SIDE_IOD) -> CropGeometry:
        """Centre the crop between the mouth and the chin of the person's template (478, 2)."""
        lips = template[LIPS_OUTER].mean(0)
        chin = template[JAW].max(0)[1]
        # Slightly below the lips: the jaw drops when the mouth opens, the nose does not move.
        cy = float((lips[1] * 2 + chin) / 3)
        return cls((float(lips[0]), cy), float(side), int(size))

    @property
    def px_per_iod(self) -> float:
        return self.size / self.side

    def canonical_to_crop(self) -> np.ndarray:
        """(2, 3) affine: canonical IOD units → crop pixels."""
        k = self.px_per_iod
        x0, y0 = self.centre[0] - self.side / 2, self.centre[1] - self.side / 2
        return np.array([[k, 0, -x0 * k], [0, k, -y0 * k]], np.float64)

    def to_crop(self, canonical: np.ndarray) -> np.ndarray:
        """Canonical points (..., 2) → crop pixels."""
        m = self.canonical_to_crop()
        return canonical @ m[:, :2].T + m[:, 2]

    def image_to_crop(self, pose: np.ndarray) -> np.ndarray:
        """(2, 3) affine image pixels → crop pixels for a head pose (4,)."""
        c2i = np.vstack([pose_matrix(pose), [0, 0, 1]])
        c2k = np.vstack([self.canonical_to_crop(), [0, 0, 1]])
        return (c2k @ np.linalg.inv(c2i))[:2]

    def cut(self, image: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """The (size, size, 3) crop of an (H, W, 3) frame whose head pose is ``pose`` (4,)."""
        return cv2.warpAffine(image, self.image_to_crop(pose), (self.size, self.size),
                              flags=RESAMPLING, borderMode=cv2.BORDER_REPLICATE)

    def to_json(self) -> dict:
        return {"centre": list(self.centre), "side": self.side, "size": self.size}

    @classmethod
    def from_json(cls, d: dict) -> CropGeometry:
        return cls(tuple(d["centre"]), float(d["side"]), int(d["size"]))
