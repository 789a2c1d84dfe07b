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
            followed from frame to frame (see ``face``).
        min_detection_confidence: mediapipe's face-detector threshold, 0-1.
        min_tracking_confidence: below this mediapipe re-detects instead of tracking, 0-1.
        face: which face to follow where several show: 1 = the largest, most central (the
            default), 2 = the next, … in the order :func:`rank_faces` gives (``talkinghead faces``
            draws the numbers); mediapipe then looks for at least that many faces.
    """

    max_faces: int = 2
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    face: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.face <= 10:
            from ..errors import InputError

            raise InputError(f"face {self.face} is out of range", "use --face 1 to 10 (see `talkinghead faces`)")
        if self.max_faces < self.face:
            object.__setattr__(self, "max_faces", self.face)


WINDOW_FACES = 2.5  # a followed face N > 1 is tracked in a window this many face widths wide
WINDOW_MIN_PX = 160  # …at least this many pixels
WINDOW_RELOCK_FRAMES = 10  # once lost, it is looked for in the whole frame every this many frames


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


# mediapipe's package __init__ imports every solution, and with them its drawing helpers, which
# import matplotlib.pyplot: 0.7 s of a process's start that tracking never uses. Placeholders
# stand in for those two modules (nothing here draws with mediapipe).
_MEDIAPIPE_DRAWING = ("mediapipe.python.solutions.drawing_utils", "mediapipe.python.solutions.drawing_styles")


def _import_mediapipe():  # noqa: ANN202 - the mediapipe module
    """mediapipe, quiet and without its drawing helpers."""
    import sys
    import types

    # mediapipe's C++ logging (glog/absl) prints to stderr at import; users see it as noise.
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "mediapipe" not in sys.modules:
        for name in _MEDIAPIPE_DRAWING:
            sys.modules.setdefault(name, types.ModuleType(name, "a placeholder: talkinghead does not draw "
                                                                "with mediapipe (see face/tracker.py)"))
    import mediapipe

    return mediapipe


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
        mp = _import_mediapipe()
        self.options = options
        with _quiet_stderr():
            self._mesh = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=static, max_num_faces=options.max_faces, refine_landmarks=True,
                min_detection_confidence=options.min_detection_confidence,
                min_tracking_confidence=options.min_tracking_confidence)
            # Build the TFLite interpreters now, while stderr is hidden: they announce themselves.
            self._mesh.process(np.zeros((64, 64, 3), np.uint8))
        self._previous: np.ndarray | None = None  # centre of the followed face, px
        # Following face N > 1 (often a small face beside a larger one, which the whole-frame
        # detector misses): a fixed-size window around it, and a static finder to lock on.
        self._window_side: int | None = None
        self._finder: FaceTracker | None = None
        self._lost = 0

    def close(self) -> None:
        self._mesh.close()
        if self._finder is not None:
            self._finder.close()

    def __enter__(self) -> FaceTracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def process(self, image: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Landmarks (478, 2) float32 px of the followed face in an (H, W, 3) uint8 RGB image
        (None if no face), and how many faces were seen."""
        h, w = image.shape[:2]
        if self.options.face > 1:
            return self._process_windowed(image)
        candidates = self.detect_all(image)
        if not candidates:
            return None, 0
        chosen = candidates[0] if len(candidates) == 1 else self._choose(candidates, w, h)
        self._previous = chosen.mean(0)
        return chosen, len(candidates)

    def _process_windowed(self, image: np.ndarray) -> tuple[np.ndarray | None, int]:
        """Follow face number ``options.face``: found once in the whole frame (zoomed windows
        included), then tracked inside a fixed-size window centred on it."""
        from .detect import find_faces

        h, w = image.shape[:2]
        if self._previous is None or self._window_side is None:
            if self._lost % WINDOW_RELOCK_FRAMES:  # looking for it everywhere costs: not every frame
                self._lost += 1
                return None, 0
            if self._finder is None:
                self._finder = FaceTracker(TrackOptions(max_faces=10), static=True)
            faces = rank_faces(find_faces(image, self._finder, every_scale=True), w, h)
            if len(faces) < self.options.face:
                self._lost += 1
                return None, len(faces)
            chosen = faces[self.options.face - 1]
            width = float(np.ptp(chosen[:, 0]))
            self._window_side = int(min(min(h, w), max(WINDOW_MIN_PX, WINDOW_FACES * width)))
            self._previous = chosen.mean(0)
            self._lost = 0
            return chosen, len(faces)
        side = self._window_side
        x0 = int(np.clip(self._previous[0] - side / 2, 0, w - side))
        y0 = int(np.clip(self._previous[1] - side / 2, 0, h - side))
        faces = [f + (x0, y0) for f in self.detect_all(image[y0:y0 + side, x0:x0 + side])]
        if not faces:
            self._previous = None
            self._lost = 1
            return None, 0
        chosen = faces[int(np.argmin([np.linalg.norm(f.mean(0) - self._previous) for f in faces]))]
        self._previous = chosen.mean(0)
        return chosen, len(faces)

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
        """Keep following the same face; at the start take face number ``options.face`` (the
        largest, most central by default; the last one when fewer show)."""
        if self._previous is not None:
            return faces[int(np.argmin([np.linalg.norm(f.mean(0) - self._previous) for f in faces]))]
        ranked = rank_faces(faces, w, h)
        return ranked[min(self.options.face, len(ranked)) - 1]


def rank_faces(faces: list[np.ndarray], w: int, h: int) -> list[np.ndarray]:
    """Faces (478, 2) px in a (w × h) frame, largest and most central first: the numbering of
    ``TrackOptions.face``."""
    diag = float(np.hypot(w, h))

    def score(face: np.ndarray) -> float:
        size = float(np.ptp(face[:, 0]) * np.ptp(face[:, 1]))
        off = float(np.linalg.norm(face.mean(0) - (w / 2, h / 2))) / diag
        return size * (1.0 - off)

    return sorted(faces, key=score, reverse=True)


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
