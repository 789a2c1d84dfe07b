"""Face stage: similarity pose math, jitter filter, tracking real GRID footage."""

from __future__ import annotations

import numpy as np
import pytest

from talkinghead.face import (
    MOUTH,
    RIGID,
    apply_pose,
    build_template,
    build_track,
    fit_similarity,
    lip_gap,
    mouth_width,
    to_canonical,
    track_frames,
)
from talkinghead.face.pose import OneEuro, eye_frame
from talkinghead.phonemes import Viseme, viseme_of
from talkinghead.speech import align
from talkinghead.video import read_frames

from .conftest import grid_words

FPS = 25.0  # frames/s of GRID
DAMAGED_CLIP = "lgbf8n"  # its first 12 frames decode as grey blocks: no face to find


def test_similarity_fit_recovers_pose_and_canonical_shape() -> None:
    rng = np.random.default_rng(1)
    template = eye_frame((rng.normal(size=(478, 2)) * 40 + 200)[None])[0]
    truth = np.array([[70.0, 0.15, 180.0, 140.0], [55.0, -0.3, 90.0, 60.0]])
    image = apply_pose(truth, np.broadcast_to(template, (2, 478, 2)))
    image[:, RIGID] += rng.normal(scale=0.5, size=(2, len(RIGID), 2))  # tracker noise, px
    image[1, MOUTH] += 30.0  # the mouth moving must not move the pose: it is not a rigid point
    pose, residual = fit_similarity(image, template)
    assert np.allclose(pose[:, 0], truth[:, 0], rtol=0.02)
    assert np.allclose(pose[:, 1], truth[:, 1], atol=0.01)
    assert np.all(residual < 0.02)
    back = to_canonical(pose, image)
    assert np.abs(back[0, RIGID] - template[RIGID]).max() < 0.05


def test_one_euro_removes_jitter_but_follows_a_step() -> None:
    rng = np.random.default_rng(2)
    signal = np.r_[np.zeros(50), np.ones(50)][:, None] + rng.normal(scale=0.02, size=(100, 1))
    out = OneEuro(FPS, min_cutoff=1.0, beta=1.0)(signal)
    assert np.std(np.diff(out[10:45, 0])) < 0.3 * np.std(np.diff(signal[10:45, 0]))
    assert out[55, 0] > 0.8  # reaches the new level within 5 frames


def test_frames_without_face_are_flagged_not_fatal() -> None:
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 255, (120, 160, 3), dtype=np.uint8) for _ in range(5)]
    raw = track_frames(frames)
    assert raw.found.tolist() == [False] * 5 and np.isnan(raw.landmarks).all()


@pytest.fixture(scope="module")
def grid_tracks(grid, grid_clips):
    clips = [c for c in grid_clips[::40] if c != DAMAGED_CLIP][:5]
    raws = [track_frames(f.image for f in read_frames(grid / "video" / f"{c}.mp4")) for c in clips]
    template = build_template(np.concatenate([r.landmarks for r in raws]))
    return clips, [build_track(r, template, FPS) for r in raws]


def test_tracks_real_footage_with_small_rigid_residual(grid_tracks) -> None:
    _, tracks = grid_tracks
    found = np.concatenate([t.found for t in tracks])
    assert found.mean() >= 0.99
    residual = np.concatenate([t.residual for t in tracks])
    assert np.nanmedian(residual) < 0.04  # IOD units: the rigid points really are rigid
    assert all(np.isfinite(t.pose[t.found]).all() for t in tracks)


def test_lip_gap_follows_aligned_speech(grid, grid_tracks) -> None:
    clips, tracks = grid_tracks
    open_gaps, closed_gaps = [], []
    for clip, track in zip(clips, tracks):
        speech = align(grid / "video" / f"{clip}.mp4", " ".join(w for w, _, _ in grid_words(clip)))
        gaps = lip_gap(track.canonical[:, MOUTH])
        for k in range(len(track)):
            t = (k + 0.5) / FPS
            p = next(p for p in speech.phonemes if p.start <= t < p.end)
            v = viseme_of(p.phoneme)
            if v == Viseme.OPEN_VOWEL:
                open_gaps.append(gaps[k])
            elif v in (Viseme.BILABIAL, Viseme.SILENCE):
                closed_gaps.append(gaps[k])
    assert np.nanmean(open_gaps) >= 2 * np.nanmean(closed_gaps)


def test_pose_filter_is_smoother_than_raw_fit(grid_tracks) -> None:
    _, tracks = grid_tracks
    for t in tracks:
        raw_jerk = np.nanmean(np.abs(np.diff(t.raw_pose[:, 2:], 2, axis=0)))
        filtered_jerk = np.nanmean(np.abs(np.diff(t.pose[:, 2:], 2, axis=0)))
        assert filtered_jerk < 0.7 * raw_jerk
    # lips keep their articulation: width varies as much as the raw landmarks say, give or take
    width = mouth_width(tracks[0].canonical[:, MOUTH])
    assert np.nanstd(width) > 0.005


def test_damaged_frames_are_flagged_and_the_rest_tracked(grid) -> None:
    raw = track_frames(f.image for f in read_frames(grid / "video" / f"{DAMAGED_CLIP}.mp4"))
    assert not raw.found[:10].any()  # grey decoding garbage
    assert raw.found[15:].all()
    track = build_track(raw, build_template(raw.landmarks), FPS)
    assert np.isnan(track.pose[:10]).all() and np.isfinite(track.pose[15:]).all()


def test_follows_the_larger_of_two_faces(grid, grid_clips) -> None:
    import cv2

    frames = []
    for f in read_frames(grid / "video" / f"{grid_clips[0]}.mp4"):
        small = cv2.resize(f.image, (180, 144))
        canvas = np.zeros((288, 540, 3), np.uint8)
        canvas[:, :360] = f.image
        canvas[72:216, 360:] = small
        frames.append(canvas)
        if len(frames) == 20:
            break
    raw = track_frames(frames)
    assert raw.max_faces_seen == 2
    centres_x = np.nanmean(raw.landmarks[:, :, 0], axis=1)
    assert raw.found.all() and (centres_x < 360).all()  # always the big face on the left


def test_mouth_shapes_describe_their_own_frame(grid_tracks) -> None:
    # Bank textures are warped from their landmarks: a filter's lag would misplace every lip.
    from talkinghead.face.pose import to_canonical

    _, tracks = grid_tracks
    for t in tracks:
        ok = t.found
        exact = to_canonical(t.raw_pose[ok], t.landmarks[ok])[:, MOUTH]
        assert np.allclose(t.canonical[ok][:, MOUTH], exact, atol=1e-5)


def test_landmark_lists_are_read_from_their_bytes_as_protobuf_reads_them() -> None:
    """FaceTracker reads mediapipe's serialized landmark lists directly (its pure-Python
    protobuf took half of each frame): the same numbers as protobuf's parser, and any other
    layout is left to that parser."""
    from mediapipe.framework.formats import landmark_pb2

    from talkinghead.face.tracker import _parse_landmark_list

    rng = np.random.default_rng(0)
    xyz = rng.uniform(-0.2, 1.2, (478, 3)).astype(np.float32)
    msg = landmark_pb2.NormalizedLandmarkList()
    for x, y, z in xyz:
        msg.landmark.add(x=x, y=y, z=z)
    parsed = _parse_landmark_list(msg.SerializeToString())
    assert parsed is not None and np.array_equal(parsed, xyz[:, :2])
    msg.landmark[3].visibility = 0.5  # another layout: one landmark with a fourth field
    assert _parse_landmark_list(msg.SerializeToString()) is None
    assert _parse_landmark_list(b"") is None
