"""The texture bank: one canonical-aligned lower-face crop per tracked frame.

Crops are square, cut in the canonical frame (so head pose is already removed), centred below
the nose on the mouth, and stored in ``bank.mp4`` at the tracks' frame index.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..face import JAW, LIPS_OUTER, pose_matrix

BANK_SIZE_PX = 160  # side of a crop, pixels: the least (a small face's crop is upscaled to it)
MAX_BANK_PX = 640  # the most: a face wider than this keeps 640 px of mouth crop (cost grows with its area)
CROP_SIDE_IOD = 1.5  # side of the crop in canonical units: cheek to cheek, nose to below the chin
# How mouth pixels are resampled on their way to an output frame: cut here, then warped and
# pasted back (render). Three bilinear steps blur the lip edges, and the tracker reads blurred
# lips as a smaller mouth (a 0.8 px blur: 1.4 % smaller); bicubic keeps them sharp.
RESAMPLING = cv2.INTER_CUBIC
# Mouth pixels are resampled twice on their way to the output: cut into the bank (cubic, then a
# light unsharp mask, CUT_SHARPEN), and drawn into the frame (Lanczos: a round trip with it keeps
# 80 % of the Laplacian variance against cubic's 70 %, and one remap per frame can afford it).
TEXTURE_RESAMPLING = cv2.INTER_LANCZOS4
CUT_SHARPEN = (1.0, 0.3)  # (σ px, amount) of the unsharp mask on each cut


def bank_size_for(poses: np.ndarray) -> int:
    """Bank crop side, pixels, for footage whose (usable) head poses are ``poses`` (n, 4): the
    crop's CROP_SIDE_IOD at the face's own median scale (pixels per IOD), so crops are cut at the
    source's resolution; within [BANK_SIZE_PX, MAX_BANK_PX], even (for the video encoder)."""
    scale = float(np.nanmedian(poses[:, 0])) if len(poses) else 0.0
    side = CROP_SIDE_IOD * scale if np.isfinite(scale) else 0.0
    return int(np.clip(2 * round(side / 2), BANK_SIZE_PX, MAX_BANK_PX))


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
        crop = cv2.warpAffine(image, self.image_to_crop(pose), (self.size, self.size),
                              flags=RESAMPLING, borderMode=cv2.BORDER_REPLICATE)
        # Cubic interpolation at about 1:1 softens a little (Lanczos keeps more, at four times
        # the cost, which dominated re-voicing a 720p video): give back that much with a light
        # unsharp mask.
        blurred = cv2.GaussianBlur(crop, (0, 0), CUT_SHARPEN[0])
        return cv2.addWeighted(crop, 1 + CUT_SHARPEN[1], blurred, -CUT_SHARPEN[1], 0)

    def to_json(self) -> dict:
        return {"centre": list(self.centre), "side": self.side, "size": self.size}

    @classmethod
    def from_json(cls, d: dict) -> CropGeometry:
        return cls(tuple(d["centre"]), float(d["side"]), int(d["size"]))


JPEG_QUALITY = 95  # bank crops as the renderer holds them (visually lossless at this size)
STORE_DATA, STORE_INDEX = "bank.jpg.bin", "bank.jpg.idx.npy"  # random-access copy of bank.mp4


def encode_crop(image: np.ndarray) -> np.ndarray:
    """(S, S, 3) uint8 RGB crop → (k,) uint8 JPEG bytes, as bank crops are held."""
    return cv2.imencode(".jpg", image[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])[1]


class BankWriter:
    """Writes an avatar's bank as enrollment cuts it, crop by crop: ``bank.mp4`` (compact, portable)
    and the random-access store rendering reads (:class:`BankStore`), each crop JPEG-encoded from
    the cut itself, so the video codec's loss never reaches an output."""

    def __init__(self, bank: Path, fps: float, size: int, crf: int, video: bool = True) -> None:
        """``video``: also write ``bank`` (an avatar that is kept; a temporary one needs only the
        store)."""
        from ..video import VideoWriter

        self.folder = bank.parent
        self.video = VideoWriter(bank, fps, (size, size), crf=crf) if video else None
        self.data = open(self.folder / STORE_DATA, "wb")  # closed by close() or abort()
        self.offsets = [0]

    @property
    def frames_written(self) -> int:
        return len(self.offsets) - 1

    def write(self, crop: np.ndarray) -> None:
        """Append one (S, S, 3) uint8 RGB crop."""
        if self.video is not None:
            self.video.write(crop)
        data = encode_crop(crop)
        self.data.write(data.tobytes())
        self.offsets.append(self.offsets[-1] + len(data))

    def close(self) -> None:
        if self.video is not None:
            self.video.close()
        self.data.close()
        np.save(self.folder / STORE_INDEX, np.array(self.offsets, np.int64))

    def abort(self) -> None:
        if self.video is not None:
            self.video.abort()
        self.data.close()


class BankStore:
    """Random access to the bank: every crop as JPEG bytes in one file, with their offsets.

    ``bank.mp4`` can only be read in order (a crop near its end means decoding all before it); the
    store is read through a memory map, so opening it costs nothing and memory grows only with the
    crops used. Written at enrollment (:class:`BankWriter`), or built from ``bank.mp4``
    (:meth:`build`) on first use for an avatar enrolled before the store existed.
    """

    def __init__(self, folder: Path) -> None:
        self.offsets = np.load(folder / STORE_INDEX)
        self.data = np.memmap(folder / STORE_DATA, dtype=np.uint8, mode="r") if self.offsets[-1] else \
            np.zeros(0, np.uint8)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def jpeg(self, j: int) -> np.ndarray:
        """Crop ``j`` as (k,) uint8 JPEG bytes."""
        return np.asarray(self.data[self.offsets[j]:self.offsets[j + 1]])

    @staticmethod
    def build(bank: Path, folder: Path) -> None:
        """Write the store for ``bank`` (an mp4 of crops) into ``folder``, atomically."""
        from .._io import atomic_output
        from ..video import read_frames

        offsets = [0]
        with atomic_output(folder / STORE_DATA) as tmp, open(tmp, "wb") as out:
            for frame in read_frames(bank):
                data = encode_crop(frame.image)
                out.write(data.tobytes())
                offsets.append(offsets[-1] + len(data))
        with atomic_output(folder / STORE_INDEX) as tmp:
            np.save(tmp, np.array(offsets, np.int64))

    @classmethod
    def open(cls, folder: Path, bank: Path) -> BankStore | None:
        """The store in ``folder``, built first if missing; None if it cannot be written there
        (a read-only avatar: the caller decodes ``bank`` instead)."""
        if not (folder / STORE_INDEX).is_file() or not (folder / STORE_DATA).is_file():
            try:
                cls.build(bank, folder)
            except OSError:
                return None
        return cls(folder)
