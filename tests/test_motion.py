"""Motion stage: key poses, skip rule, rest in pauses, sealed bilabials, smooth jaw."""

from __future__ import annotations

import numpy as np

from talkinghead.face import N_MOUTH, lip_gap
from talkinghead.face.landmarks import LOWER_LIP_INNER, UPPER_LIP_INNER
from talkinghead.motion import MotionOptions, plan_motion
from talkinghead.phonemes import SILENCE, Viseme, viseme_of
from talkinghead.speech import TimedPhoneme

FPS = 25.0


def toy_pose(phoneme: str) -> np.ndarray:
    """A mouth whose inner-lip gap encodes the viseme: closed for rest/bilabials, open for vowels."""
    gap = 0.0 if phoneme == SILENCE else {Viseme.BILABIAL: 0.01, Viseme.OPEN_VOWEL: 0.12}.get(
        viseme_of(phoneme), 0.05)
    shape = np.zeros((N_MOUTH, 2), np.float32)
    shape[:, 0] = np.linspace(-0.4, 0.4, N_MOUTH)
    shape[[UPPER_LIP_INNER, LOWER_LIP_INNER], 0] = 0.0  # facing each other: the gap is vertical
    shape[UPPER_LIP_INNER, 1] = -gap / 2
    shape[LOWER_LIP_INNER, 1] = gap / 2
    return shape


def timeline(spec: list[tuple[str, float]]) -> list[TimedPhoneme]:
    out, t = [], 0.0
    for p, d in spec:
        out.append(TimedPhoneme(p, t, t + d))
        t += d
    return out


def test_bob_opens_between_two_closures_and_rests_in_pauses() -> None:
    ph = timeline([(SILENCE, 0.4), ("b", 0.08), ("ɑ", 0.12), ("b", 0.08), (SILENCE, 0.5)])
    plan = plan_motion(ph, 1.18, toy_pose)
    gap = lip_gap(plan.mouth)
    labels = np.array(plan.phoneme)
    assert gap[labels == "ɑ"].max() > 0.08  # the vowel between two b's is not skipped
    assert gap[labels == "b"].max() < 1e-6  # bilabials sealed
    assert gap[:8].max() < 1e-6 and gap[-8:].max() < 1e-6  # rest mouth in the pauses
    assert len(plan) == round(1.18 * FPS) and plan.speaking.sum() == (labels != SILENCE).sum()


def test_minimum_key_distance_skips_weak_keys_only() -> None:
    ph = timeline([(SILENCE, 0.2)] + [("t", 0.04), ("d", 0.04), ("n", 0.04)] * 3 + [("æ", 0.2), (SILENCE, 0.3)])
    plan = plan_motion(ph, sum(p.duration for p in ph), toy_pose, MotionOptions(min_key_dist=4))
    frames = [k.frame for k in plan.keys]
    weak = [k for k in plan.keys if k.phoneme in ("t", "d", "n")]
    assert len(weak) < 9  # some of the nine rapid consonants were skipped
    assert all(b > a for a, b in zip(frames, frames[1:]))
    assert any(k.phoneme == "æ" for k in plan.keys)


def test_jaw_is_smoothed_lips_are_not() -> None:
    ph = timeline([(SILENCE, 0.3), ("ɑ", 0.16), ("m", 0.08), ("ɑ", 0.16), (SILENCE, 0.3)])
    sharp = plan_motion(ph, 1.0, toy_pose, MotionOptions(transition_width=0))
    smooth = plan_motion(ph, 1.0, toy_pose, MotionOptions(transition_width=5))
    assert np.allclose(lip_gap(sharp.mouth), lip_gap(smooth.mouth))  # lips untouched by smoothing
