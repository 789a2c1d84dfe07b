"""Face: landmark tracking (mediapipe FaceMesh), head pose, canonical mouth shapes.

``track_frames`` follows one face through a shot; ``build_template`` makes the person's canonical
face; ``build_track`` fits head poses on rigid points, filters tracker jitter and removes pose
from every landmark. Canonical units: 1 = the inter-ocular distance (IOD).
"""

from .landmarks import HEAD_SHAPE, JAW, LIPS_INNER, LIPS_OUTER, MOUTH, N_MOUTH, RIGID, lip_gap, mouth_width
from .pose import apply_pose, build_template, fit_similarity, head_shape, pose_matrix, to_canonical
from .track import FaceTrack, FilterOptions, build_track
from .tracker import FaceTracker, RawTrack, TrackOptions, rank_faces, track_frames

__all__ = ["FaceTrack", "FaceTracker", "FilterOptions", "HEAD_SHAPE", "JAW", "LIPS_INNER", "LIPS_OUTER", "MOUTH",
           "N_MOUTH", "RIGID", "RawTrack", "TrackOptions", "rank_faces", "apply_pose", "build_template",
           "build_track", "fit_similarity", "head_shape", "lip_gap", "mouth_width", "pose_matrix", "to_canonical",
           "track_frames"]
