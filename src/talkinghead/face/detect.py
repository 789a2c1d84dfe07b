"""Faces in a still image (a portrait): every face found, including small ones in a large photo."""

from __future__ import annotations

import os

import cv2
import numpy as np

from .landmarks import FACE_OVAL
from .tracker import FaceTracker, TrackOptions, rank_faces

DETECT_SIDE_PX = 512  # images (or zoomed windows of them) are searched for faces at this size


def detect_largest_face(image: np.ndarray) -> tuple[np.ndarray | None, int]:
    """Landmarks (478, 2) float32 px of the largest face in an (H, W, 3) uint8 RGB still, and
    how many distinct faces were seen ((None, 0) when none)."""
    with FaceTracker(TrackOptions(max_faces=5), static=True) as tracker:
        faces = find_faces(image, tracker)
    return (faces[0].astype(np.float32), len(faces)) if faces else (None, 0)


def find_faces(image: np.ndarray, tracker: FaceTracker, every_scale: bool = False) -> list[np.ndarray]:
    """Every distinct face (478, 2) float32 px in an (H, W, 3) uint8 RGB image, largest first,
    with a static ``tracker``.

    FaceMesh's detector looks for faces that fill a good part of its input; a face that is
    small in a large frame is found by also looking at overlapping zoomed windows: down to the
    first window size that finds any face, or (``every_scale``) through all of them, so a small
    face beside a large one is found too."""
    h, w = image.shape[:2]
    faces: list[np.ndarray] = []
    for k in (1, 2, 3, 4):  # the whole image, then ever smaller overlapping windows
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
        if faces and not every_scale:
            break
    if every_scale:  # zoomed-in windows also see faces in collars and shadows: keep those seen again
        faces = [f for f in faces if _seen_again(image, f, tracker)]
    distinct: list[np.ndarray] = []
    for f in sorted(faces, key=lambda f: -float(np.ptp(f[FACE_OVAL, 0]))):
        # The same face seen in several windows, or a spurious small one on a larger face (its
        # box grown by a third: hair and chin count).
        centre = f.mean(0)
        if not any(np.all(np.abs(centre - d[FACE_OVAL].mean(0)) <= 0.67 * np.ptp(d[FACE_OVAL], axis=0))
                   for d in distinct):
            distinct.append(f.astype(np.float32))
    return distinct


def _seen_again(image: np.ndarray, face: np.ndarray, tracker: FaceTracker) -> bool:
    """Whether a face found in a zoomed window is found again, at the same place, in a window
    framed on it (twice its width, at the detector's size): a true face is, a pattern that
    looked like one at one zoom mostly is not."""
    h, w = image.shape[:2]
    width = float(np.ptp(face[FACE_OVAL, 0]))
    cx, cy = face[FACE_OVAL].mean(0)
    side = max(2.0 * width, 32.0)
    x0, y0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    crop = image[y0:int(min(h, cy + side / 2)), x0:int(min(w, cx + side / 2))]
    if crop.size == 0:
        return False
    scale = 256 / max(crop.shape[:2])
    view = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    again = [g / scale + (x0, y0) for g in tracker.detect_all(view)]
    return any(np.linalg.norm(g[FACE_OVAL].mean(0) - (cx, cy)) < 0.25 * width
               and 0.7 < np.ptp(g[FACE_OVAL, 0]) / width < 1.4 for g in again)


FACES_SCAN_S = 10.0  # how far into a video `faces` looks for the frame showing the most faces
FACES_STEP_S = 0.5  # …one frame every this often
FACES_SUFFIXES = (".png", ".jpg", ".jpeg")  # formats the numbered picture may be written in


def number_faces(video: str | os.PathLike, output: str | os.PathLike) -> int:
    """Write a PNG or JPEG (by ``output``'s suffix) of the frame (within the first FACES_SCAN_S s)
    that shows the most faces, each boxed and numbered as ``TrackOptions.face`` / ``--face``
    counts them; returns how many."""
    from .._io import atomic_output, check_output
    from ..video import probe, read_frames

    check_output(output, FACES_SUFFIXES, "picture")

    fps = probe(video).fps
    step = max(1, round(FACES_STEP_S * fps))
    best: tuple[int, np.ndarray | None, list[np.ndarray]] = (-1, None, [])
    with FaceTracker(TrackOptions(max_faces=10), static=True) as tracker:
        for frame in read_frames(video):
            if frame.time > FACES_SCAN_S:
                break
            if frame.index % step:
                continue
            faces = find_faces(frame.image, tracker, every_scale=True)
            if len(faces) > best[0]:
                best = (len(faces), frame.image, faces)
    count, image, faces = best
    if image is None:
        return 0
    h, w = image.shape[:2]
    sheet = np.ascontiguousarray(image[..., ::-1])
    thick = max(2, round(min(h, w) / 300))
    for k, face in enumerate(rank_faces(faces, w, h), 1):
        x0, y0 = face[FACE_OVAL].min(0).astype(int)
        x1, y1 = face[FACE_OVAL].max(0).astype(int)
        cv2.rectangle(sheet, (int(x0), int(y0)), (int(x1), int(y1)), (0, 220, 255), thick)
        label = f"--face {k}"
        scale = max(0.6, (x1 - x0) / 220)
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        y = max(int(y0) - 8, th + 4)
        cv2.rectangle(sheet, (int(x0), y - th - 6), (int(x0) + tw + 8, y + 4), (0, 0, 0), -1)
        cv2.putText(sheet, label, (int(x0) + 4, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 220, 255), thick, cv2.LINE_AA)
    with atomic_output(output) as tmp:
        cv2.imwrite(str(tmp), sheet)
    return count
