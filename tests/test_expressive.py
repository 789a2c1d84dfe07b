"""Expressive delivery: head motion from speech (motion.head, render.head), speaking styles
(motion.style), and frames interpolated for higher frame rates (video.interpolate)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from talkinghead.face import MOUTH, lip_gap, track_frames
from talkinghead.face.pose import fit_similarity
from talkinghead.motion.head import (
    HeadStyle,
    head_stats,
    loud_peaks,
    loudness,
    nods_per_stress,
    plan_brows,
    plan_head,
    question_ends,
)
from talkinghead.motion.style import STYLES, SpeakingStyle, articulate, opening_range, style_from_stats
from talkinghead.render.head import move_head
from talkinghead.speech import TimedWord
from talkinghead.video import read_frames
from talkinghead.video.interpolate import FlowInterpolator

FPS = 25.0


def _speech_like(seconds: float, seed: int = 0) -> np.ndarray:
    """(n,) loudness of speech: syllable bursts in phrases of ~2 s, pauses of ~0.6 s between."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FPS)
    t = np.arange(n) / FPS
    phrase = (t % 2.6) < 2.0
    syllables = 0.5 + 0.5 * np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)) ** 2
    return np.clip(phrase * syllables + rng.normal(0, 0.03, n), 0, 1).astype(np.float32)


def _as_pose(path: np.ndarray, scale: float = 60.0) -> np.ndarray:
    """A head path (n, 3) [deg, x IOD, y IOD] as tracked poses (n, 4) of a face ``scale`` px/IOD."""
    return np.column_stack([np.full(len(path), scale), np.deg2rad(path[:, 0]),
                            200 + path[:, 1] * scale, 150 + path[:, 2] * scale])


STYLE = HeadStyle(speed_iod_s=0.2, speed_cv=0.7, range_iod=0.08, roll_deg=1.5, loudness_r=0.45, lag_s=0.12)


def test_a_planned_head_moves_like_the_person_and_with_the_voice() -> None:
    loud = _speech_like(40)
    path = plan_head(loud, FPS, STYLE, seed=3)
    got = head_stats(_as_pose(path), loud, FPS)
    assert got.speed_iod_s == pytest.approx(STYLE.speed_iod_s, rel=0.2)
    assert got.range_iod == pytest.approx(STYLE.range_iod, rel=0.3)
    assert abs(got.loudness_r - STYLE.loudness_r) < 0.15
    assert 0.0 <= got.lag_s <= 0.3  # the head follows the voice
    # Quieter in the pauses than in speech.
    speed = np.linalg.norm(np.diff(path[:, 1:], axis=0), axis=1)
    assert speed[loud[1:] < 0.1].mean() < 0.8 * speed[loud[1:] > 0.5].mean()


def test_a_seed_picks_one_head_path_and_keeps_it() -> None:
    loud = _speech_like(8)
    a, b, c = (plan_head(loud, FPS, STYLE, seed=s) for s in (1, 1, 2))
    assert np.array_equal(a, b)
    assert np.abs(a - c).max() > 0.01


def test_footage_that_already_moves_gets_only_the_missing_motion() -> None:
    loud = _speech_like(30)
    still = plan_head(loud, FPS, STYLE, seed=0)
    already = head_stats(_as_pose(plan_head(loud, FPS, STYLE.scaled(0.8), seed=9)), loud, FPS)
    added = plan_head(loud, FPS, STYLE, seed=0, already=already)
    added_speed = np.linalg.norm(np.diff(added[:, 1:], axis=0), axis=1).mean()
    still_speed = np.linalg.norm(np.diff(still[:, 1:], axis=0), axis=1).mean()
    assert added_speed < 0.75 * still_speed
    # Footage that moves as much as the style wants gets none.
    enough = head_stats(_as_pose(plan_head(loud, FPS, STYLE.scaled(1.5), seed=9)), loud, FPS)
    assert not plan_head(loud, FPS, STYLE, already=enough).any()


def test_loudness_spans_silence_to_the_loud_parts() -> None:
    sr = 16000
    t = np.arange(sr * 2) / sr
    audio = np.where(t < 1, 0.0, 0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    loud = loudness(audio, sr, FPS, 50)
    assert loud[:20].max() == 0.0 and loud[30:].min() > 0.9


@pytest.fixture(scope="module")
def grid_frame(grid, grid_clips):
    image = next(iter(read_frames(grid / "video" / f"{grid_clips[0]}.mp4"))).image
    lm = track_frames([image]).landmarks
    from talkinghead.face import build_template

    pose = fit_similarity(lm, build_template(lm))[0][0]
    return image, lm[0], pose


def test_moving_the_head_moves_the_face_and_leaves_the_room(grid_frame) -> None:
    image, lm, pose = grid_frame
    moved, new_pose = move_head(image, pose, np.array([2.0, 0.05, -0.04]))
    lm2 = track_frames([moved]).landmarks[0]
    # The face went where the new pose says (the eye corners, nose and chin moved with it).
    from talkinghead.face.pose import apply_pose, to_canonical

    canon = to_canonical(pose[None], lm[None])[0]
    expected = apply_pose(new_pose, canon)
    err = np.linalg.norm(lm2 - expected, axis=1)
    assert np.median(err) < 0.6, np.median(err)
    shift = np.linalg.norm(new_pose[2:4] - pose[2:4])
    assert shift > 0.04 * pose[0]
    # The corners of the frame (the backdrop, the shoulders' edge) did not move.
    h, w = image.shape[:2]
    for y, x in ((5, 5), (5, w - 6), (h - 6, 5), (h - 6, w - 6)):
        assert np.abs(moved[y, x].astype(int) - image[y, x]).max() <= 1
    # No offset, no face: the frame comes back as it was.
    assert move_head(image, pose, np.zeros(3))[0] is image
    assert move_head(image, np.full(4, np.nan), np.array([1.0, 0.1, 0.1]))[0] is image


def test_styles_scale_articulation_and_keep_closed_mouths_closed() -> None:
    rng = np.random.default_rng(0)
    rest = rng.normal(0, 0.3, (len(MOUTH), 2)).astype(np.float32)
    from talkinghead.face.landmarks import LOWER_LIP_INNER, UPPER_LIP_INNER

    rest[LOWER_LIP_INNER] = rest[UPPER_LIP_INNER]  # lips together
    open_by = np.abs(np.sin(np.arange(200) / 5.0))
    mouths = np.repeat(rest[None], 200, axis=0)
    mouths[:, LOWER_LIP_INNER, 1] += 0.3 * open_by
    ranges = {name: opening_range(articulate(mouths, s.articulation)) for name, s in STYLES.items()}
    assert ranges["calm"] < ranges["neutral"] / 1.15 and ranges["neutral"] < ranges["energetic"] / 1.15
    closed = open_by < 0.01
    for s in STYLES.values():
        assert lip_gap(articulate(mouths, s.articulation))[closed].max() < 0.01


def test_a_style_from_a_reference_is_the_ratio_of_its_statistics() -> None:
    s = style_from_stats(0.10, 0.05, 0.15, 0.20, "ref.mp4")
    assert s.articulation == pytest.approx(1.5) and s.head == pytest.approx(4.0) and s.name == "from ref.mp4"
    assert style_from_stats(0.10, 0.05, 0.50, 0.05).articulation == 2.0  # clipped: a mouth torn apart
    assert style_from_stats(0.10, 0.05, float("nan"), 0.02).articulation == 1.0
    with pytest.raises(ValueError, match="articulation"):
        SpeakingStyle(articulation=5.0)


def _textured(shift: float, size: int = 96) -> np.ndarray:
    rng = np.random.default_rng(5)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (size * 2, size * 2)).astype(np.float32), (0, 0), 2.5)
    m = np.float32([[1, 0, -size / 2 + shift], [0, 1, -size / 2]])
    img = cv2.warpAffine(tex, m, (size, size), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    return np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, axis=2)


def test_an_interpolated_frame_lies_along_the_motion_not_a_double_image() -> None:
    a, mid, b = _textured(0.0), _textured(-2.0), _textured(-4.0)
    got = FlowInterpolator().between(a, b, 0.5)
    blend = ((a.astype(np.uint16) + b + 1) // 2).astype(np.uint8)
    inner = (slice(12, -12), slice(12, -12))

    def psnr(x: np.ndarray) -> float:
        return 10 * np.log10(255**2 / max(np.mean((x[inner].astype(float) - mid[inner]) ** 2), 1e-6))

    assert psnr(got) > 30 and psnr(got) > psnr(blend) + 5
    assert FlowInterpolator().between(a, b, 0.0) is a


def test_brows_rise_on_emphasised_stretches_as_far_as_the_person_raises_them() -> None:
    # Even speech with three stressed words (louder for 0.3 s) at 1.2, 4.3 and 10.1 s.
    t = np.arange(int(12 * FPS)) / FPS
    loud = np.where((t % 3.0) < 2.6, 0.55 + 0.05 * np.sin(2 * np.pi * 4 * t), 0.0)
    stressed = (1.2, 4.3, 10.1)
    for c in stressed:
        loud[np.abs(t - c) < 0.15] = 1.0
    style = HeadStyle(0.2, 0.7, 0.08, 1.5, 0.4, 0.1, brow_raise_iod=0.04)
    lift = plan_brows(loud.astype(np.float32), FPS, style)
    assert lift.max() == pytest.approx(0.04, rel=0.01)
    peaks = np.flatnonzero((lift[1:-1] >= lift[:-2]) & (lift[1:-1] > lift[2:]) & (lift[1:-1] > 0.039)) + 1
    assert len(peaks) == 3
    assert np.abs(t[peaks] - np.array(stressed)).max() <= 0.12
    assert lift[(t % 3.0) >= 2.6].max() < 0.01  # still in the pauses
    # Someone whose brows barely move in their footage keeps them still.
    assert not plan_brows(loud, FPS, HeadStyle(0.2, 0.7, 0.08, 1.5, 0.4, 0.1, brow_raise_iod=0.005)).any()


def test_nods_are_counted_on_stressed_syllables_and_planned_at_the_persons_rate() -> None:
    loud = _speech_like(40, seed=5)
    stressed = loud_peaks(loud, FPS, 60, 0.35)
    assert len(stressed) >= 25  # about one a phrase's word or two
    # A head that nods (0.03 IOD down and back over 0.4 s) just after every other stressed
    # syllable, and one that nods as often but at moments unrelated to the voice.
    t = np.arange(len(loud)) / FPS

    def nodding(at: np.ndarray) -> np.ndarray:
        y = np.zeros(len(loud))
        for f in at:
            u = t - f / FPS - 0.05
            inside = (u >= 0) & (u <= 0.4)
            y[inside] = 0.015 * (1 - np.cos(2 * np.pi * u[inside] / 0.4))
        return np.column_stack([np.zeros(len(loud)), y])

    on_stress = nods_per_stress(nodding(stressed[::2]), loud, FPS)
    elsewhere = nods_per_stress(nodding(np.random.default_rng(1).choice(len(loud), len(stressed) // 2)), loud, FPS)
    assert on_stress == pytest.approx(0.5, abs=0.1)
    assert elsewhere < on_stress - 0.2
    assert nods_per_stress(np.zeros((len(loud), 2)), loud, FPS) == 0.0
    assert np.isnan(nods_per_stress(np.zeros((100, 2)), np.zeros(100), FPS))  # no speech: not measured
    # Planned: a person who nods on 30 % more stressed syllables than chance, measured like real
    # footage; a person whose nods fall where chance puts them gets none added.
    nodder = HeadStyle(0.2, 0.7, 0.08, 1.5, 0.3, 0.1, nods_over_chance=0.3)
    got = head_stats(_as_pose(plan_head(loud, FPS, nodder, seed=2)), loud, FPS)
    plain = plan_head(loud, FPS, STYLE, seed=2)
    still = head_stats(_as_pose(plain), loud, FPS)
    assert got.nods_over_chance == pytest.approx(0.3, abs=0.12)
    assert abs(still.nods_over_chance) < 0.1
    assert got.speed_iod_s == pytest.approx(nodder.speed_iod_s, rel=0.25)  # the nods are within the speed
    assert np.array_equal(plan_head(loud, FPS, HeadStyle(0.2, 0.7, 0.08, 1.5, 0.45, 0.12, nods_over_chance=0.0),
                                    seed=2), plain)


def test_the_head_tilts_at_the_end_of_a_question_and_lets_go() -> None:
    words = [TimedWord("are", 0.1, 0.3, "Are"), TimedWord("you", 0.3, 0.5, "you"), TimedWord("ok", 0.5, 1.9, "OK?"),
             TimedWord("yes", 2.5, 2.9, "Yes."), TimedWord("好", 3.0, 3.3, "好吗？"), TimedWord("no", 3.5, 3.8, '"no?"'),
             TimedWord("x", 4.0, 4.1, None), TimedWord("真", 4.2, 4.6, "（真的？）"), TimedWord("so", 4.7, 4.9, "so?]"),
             TimedWord("fine", 5.0, 5.3, "fine.\"")]
    assert question_ends(words) == [1.9, 3.3, 3.8, 4.6, 4.9]
    loud = _speech_like(8)
    t = np.arange(len(loud)) / FPS
    plain = plan_head(loud, FPS, STYLE, seed=4)
    asked = plan_head(loud, FPS, STYLE, seed=4, questions=[3.0])
    tilt = asked[:, 0] - plain[:, 0]  # deg
    assert abs(tilt[np.abs(t - 3.1) < 0.05]).min() >= 2.0  # 2 × this person's 1.5° roll, held just past the end
    assert np.abs(tilt[(t < 2.4) | (t > 4.0)]).max() < 1e-6  # before the last word and once let go: as before
    assert np.abs(np.diff(tilt)).max() < 0.5  # eased in and out, no jump (deg/frame)
    assert np.array_equal(asked[:, 1:], plain[:, 1:])


def test_raised_brows_move_the_brows_and_leave_the_eyes(grid_frame) -> None:
    from talkinghead.face.landmarks import BROWS, LEFT_EYE_OUTER, RIGHT_EYE_OUTER

    image, lm, pose = grid_frame
    raised, new_pose = move_head(image, pose, np.zeros(3), brow=0.06)
    assert np.array_equal(new_pose, pose)
    lm2 = track_frames([raised]).landmarks[0]
    up = (lm[BROWS, 1] - lm2[BROWS, 1]).mean()  # px, image y grows downwards
    eyes = np.abs(lm2[[LEFT_EYE_OUTER, RIGHT_EYE_OUTER]] - lm[[LEFT_EYE_OUTER, RIGHT_EYE_OUTER]]).max()
    assert up > 0.5 * 0.06 * pose[0], (up, pose[0])
    assert eyes < 0.6
