"""Landmark tracking with mediapipe FaceMesh (478 points, bundled in the wheel)."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..progress import ProgressHook, no_progress
from .landmarks import N_LANDMARKS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrackOptions:
    """Face-tracking settings.

    Attributes:
        max_faces: faces mediapipe looks for; with several, the largest and most central one is
            followed from frame to frame.
        min_detection_confidence: mediapipe's face-detector threshold, 0-1.
        min_tracking_confidence: below this mediapipe re-detects instead of tracking, 0-1.
    """

    max_faces: int = 2
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5


@dataclass(frozen=True, eq=False)
class RawTrack:
    """Per-frame landmarks of the followed face.

    Attributes:
        landmarks: (n, 478, 2) float32, pixels in the frame; NaN where no face was found.
        found: (n,) bool.
        max_faces_seen: the most faces seen in any one frame.
    """

    landmarks: np.ndarray
    found: np.ndarray
    max_faces_seen: int


def _quiet_mediapipe() -> None:
    # mediapipe's C++ logging (glog/absl) prints to stderr at import; users see it as noise.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hide what native code prints on file descriptor 2 (TFLite's 'Created XNNPACK delegate')."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class FaceTracker:
    """mediapipe FaceMesh in tracking mode; one instance per continuous shot."""

    def __init__(self, options: TrackOptions = TrackOptions(), static: bool = False) -> None:
        """static: every image is detected afresh (unrelated photos), no tracking."""
        _quiet_mediapipe()
        import mediapipe as mp

        self.options = options
        with _quiet_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=static, max_num_faces=options.max_faces, refine_landmarks=True,
                min_detection_confidence=options.min_detection_confidence,
                min_tracking_confidence=options.min_tracking_confidence)
            # Build the TFLite interpreters now, while stderr is hidden: they announce themselves.
            self._mesh.process(np.zeros((64, 64, 3), np.uint8))
        self._previous: np.ndarray | None = None  # centre of the followed face, px

    def close(self) -> None:
        self._mesh.close()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, image: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Landmarks (478, 2) float32 px of the followed face in an (H, W, 3) uint8 RGB image
        (None if no face), and how many faces were seen."""
        h, w = image.shape[:2]
        candidates = self.detect_all(image)
        if not candidates:
            return None, 0
        chosen = candidates[0] if len(candidates) == 1 else self._choose(candidates, w, h)
        self._previous = chosen.mean(0)
        return chosen, len(candidates)

    def detect_all(self, image: np.ndarray) -> list[np.ndarray]:
        """Every face's landmarks (478, 2) float32 px in one (H, W, 3) uint8 RGB image."""
        h, w = image.shape[:2]
        return [(lm * (w, h)).astype(np.float32) for lm in self._faces(image)]

    def _faces(self, image: np.ndarray) -> list[np.ndarray]:
        """(478, 2) normalised landmarks of each face. mediapipe's own ``process`` parses its
        output with the pure-Python protobuf that mediapipe 0.10.9 requires (half the time of a
        frame); its serialized landmark lists are read here directly, falling back to the
        library's parser for any layout other than the one mediapipe 0.10.9 writes."""
        mesh = self._mesh
        try:
            from mediapipe.python import packet_getter

            mesh._graph_outputs.clear()
            mesh._simulated_timestamp += 33333  # as FaceMesh.process: a 30 fps clock
            (stream, kind), = mesh._input_stream_type_info.items()
            mesh._graph.add_packet_to_input_stream(
                stream=stream, packet=mesh._make_packet(kind, image).at(mesh._simulated_timestamp))
            mesh._graph.wait_until_idle()
            packet = mesh._graph_outputs.get("multi_face_landmarks")
            if packet is None or packet.is_empty():
                return []
            blobs = packet_getter._packet_getter._get_serialized_proto_list(packet)
        except (AttributeError, ImportError, ValueError):  # another mediapipe: its own way
            faces = mesh.process(image).multi_face_landmarks or []
            return [np.array([(p.x, p.y) for p in f.landmark[:N_LANDMARKS]], np.float32) for f in faces]
        out = []
        for blob in blobs:
            lm = _parse_landmark_list(blob)
            if lm is None:
                from mediapipe.framework.formats import landmark_pb2

                msg = landmark_pb2.NormalizedLandmarkList.FromString(blob)
                lm = np.array([(p.x, p.y) for p in msg.landmark[:N_LANDMARKS]], np.float32)
            out.append(lm[:N_LANDMARKS])
        return out

    def _choose(self, faces: list[np.ndarray], w: int, h: int) -> np.ndarray:
        """Keep following the same face; at the start take the largest, most central one."""
        centres = [f.mean(0) for f in faces]
        if self._previous is not None:
            return faces[int(np.argmin([np.linalg.norm(c - self._previous) for c in centres]))]
        diag = float(np.hypot(w, h))

        def score(face: np.ndarray, centre: np.ndarray) -> float:
            size = float(np.ptp(face[:, 0]) * np.ptp(face[:, 1]))
            off = float(np.linalg.norm(centre - (w / 2, h / 2))) / diag
            return size * (1.0 - off)

        return faces[int(np.argmax([score(f, c) for f, c in zip(faces, centres)]))]


# One serialized NormalizedLandmark inside a NormalizedLandmarkList, as mediapipe 0.10.9 writes
# it: field 1 (length 15) holding x (field 1), y (field 2), z (field 3), each a fixed32 float.
_LANDMARK = np.dtype([("tag", "u1"), ("size", "u1"), ("x_tag", "u1"), ("x", "<f4"),
                      ("y_tag", "u1"), ("y", "<f4"), ("z_tag", "u1"), ("z", "<f4")])


def _parse_landmark_list(blob: bytes) -> np.ndarray | None:
    """(k, 2) float32 normalised x, y of a serialized NormalizedLandmarkList in that layout, or
    None when the bytes are laid out any other way (then the protobuf parser reads them)."""
    if len(blob) == 0 or len(blob) % _LANDMARK.itemsize:
        return None
    a = np.frombuffer(blob, _LANDMARK)
    if not ((a["tag"] == 0x0A).all() and (a["size"] == 15).all() and (a["x_tag"] == 0x0D).all()
            and (a["y_tag"] == 0x15).all() and (a["z_tag"] == 0x1D).all()):
        return None
    return np.stack([a["x"], a["y"]], axis=1).astype(np.float32)


def track_frames(images: Iterable[np.ndarray], n_frames: int | None = None,
                 options: TrackOptions = TrackOptions(), progress: ProgressHook = no_progress,
                 task: str = "track") -> RawTrack:
    """Track one continuous shot.

    Args:
        images: (H, W, 3) uint8 RGB frames in order.
        n_frames: expected count, for progress.
        options: tracker settings.
        progress: called as (task, frames done, n_frames) every 25 frames and at the end.
    """
    rows: list[np.ndarray] = []
    found: list[bool] = []
    most = 0
    nan = np.full((N_LANDMARKS, 2), np.nan, np.float32)
    with FaceTracker(options) as tracker:
        for i, image in enumerate(images):
            lm, count = tracker.process(image)
            most = max(most, count)
            rows.append(nan if lm is None else lm)
            found.append(lm is not None)
            if i % 25 == 24:
                progress(task, i + 1, n_frames)
    progress(task, len(rows), n_frames if n_frames is not None else len(rows))
    landmarks = np.stack(rows) if rows else np.zeros((0, N_LANDMARKS, 2), np.float32)
    return RawTrack(landmarks, np.array(found, bool), most)
