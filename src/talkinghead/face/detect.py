"""Faces in a still image (a portrait): every face found, including small ones in a large photo."""

from __future__ import annotations

import cv2
import numpy as np

from .landmarks import FACE_OVAL
from .tracker import FaceTracker, TrackOptions

DETECT_SIDE_PX = 512  # images (or zoomed windows of them) are searched for faces at this size


def detect_largest_face(image: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Landmarks (478, 2) float32 px of the largest face in an (H, W, 3) uint8 RGB still, and
    how many distinct faces were seen ((None, 0) when none).

    FaceMesh's detector looks for faces that fill a good part of its input; a face that is
    small in a large photo is found by also looking at overlapping zoomed windows."""
    h, w = image.shape[:2]
    faces: list[np.ndarray] = []
    with FaceTracker(TrackOptions(max_faces=5), static=True) as tracker:
        for k in (1, 2, 3, 4):  # the whole photo, then ever smaller overlapping windows
            side = min(h, w) / k
            if k > 1 and side < 48:
                break
            windows = [(0.0, 0.0, image)] if k == 1 else [
                (x, y, image[int(y):int(y + side), int(x):int(x + side)])
                for y in np.arange(0, max(h - side, 0) + 1, side / 2)
                for x in np.arange(0, max(w - side, 0) + 1, side / 2)]
            for x, y, crop in windows:
                scale = DETECT_SIDE_PX / max(crop.shape[:2])
                view = cv2.resize(crop, None, fx=scale, fy=scale,
                                  interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
                faces += [f / scale + (x, y) for f in tracker.detect_all(view)]
            if faces:
                break
    if not faces:
        return None, 0
    distinct: list[np.ndarray] = []
    for f in sorted(faces, key=lambda f: -float(np.ptp(f[FACE_OVAL, 0]))):
        size = float(np.ptp(f[FACE_OVAL, 0]))
        if all(np.linalg.norm(f.mean(0) - d.mean(0)) > 0.5 * size for d in distinct):
            distinct.append(f)
    return distinct[0].astype(np.float32), len(distinct)
