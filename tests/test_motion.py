"""Motion stage: key poses, skip rule, rest in pauses, sealed bilabials, smooth jaw; the learnt
mouth model."""

from __future__ import annotations

import numpy as np

from talkinghead.face import N_MOUTH, lip_gap
from talkinghead.face.landmarks import HEAD_SHAPE, LOWER_LIP_INNER, UPPER_LIP_INNER
from talkinghead.motion import MotionOptions, MouthModel, TrainingClip, fit_mouth_model, plan_learned, plan_motion
from talkinghead.motion.learned import HEAD_SCALE, head_features
from talkinghead.phonemes import SILENCE, Viseme, viseme_of
from talkinghead.speech import TimedPhoneme

FPS = 25.0
NOSE_TIP = 4  # mediapipe index


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


# --- the learnt mouth model ------------------------------------------------------------------

def _toy_clip(rng: np.random.Generator, n: int = 200, tip: float = 0.0) -> TrainingClip:
    """A clip whose lips start opening two frames before each open vowel (anticipation) and
    are closed on bilabials and in silence; sound is random."""
    labels = []
    while len(labels) < n:
        labels += [SILENCE] * int(rng.integers(3, 7)) + ["ɑ"] * int(rng.integers(3, 7)) + ["b"] * 2
    labels = labels[:n]
    gap = np.array([0.12 if p == "ɑ" else 0.0 for p in labels])
    ahead = np.r_[gap[2:], [0.0, 0.0]]
    gap = np.maximum(gap, 0.5 * ahead * np.array([p == SILENCE for p in labels]))
    mouths = np.stack([toy_pose(SILENCE)] * n).astype(np.float32)
    mouths[:, UPPER_LIP_INNER, 1] = -gap / 2
    mouths[:, LOWER_LIP_INNER, 1] = gap / 2
    # A head tipped by ``tip`` shows its nose tip that much lower below the eyes and its mouth
    # half that much higher (foreshortened), whatever is said.
    head = np.zeros((n, len(HEAD_SHAPE), 2))
    head[:, HEAD_SHAPE == NOSE_TIP, 1] = tip
    mouths[..., 1] -= tip / 2
    return TrainingClip(tuple(labels), mouths, np.ones(n, bool), rng.standard_normal((n, 26)).astype(np.float32),
                        head)


def test_mouth_model_learns_anticipation_from_footage() -> None:
    rng = np.random.default_rng(0)
    model = fit_mouth_model([_toy_clip(rng) for _ in range(5)], FPS)
    assert model is not None and model.frames == 1000
    labels = [SILENCE] * 6 + ["ɑ"] * 5 + [SILENCE] * 6
    gap = lip_gap(model.predict(labels))
    assert gap[8] > 0.1  # inside the vowel: open
    assert 0.03 < gap[5] < 0.09  # the frame before it: already opening, as in the footage
    assert gap[1] < 0.01  # well before: closed
    # With sound features (random here) the prediction stays close.
    assert np.abs(lip_gap(model.predict(labels, rng.standard_normal((17, 26)))) - gap).max() < 0.03


def test_mouth_model_draws_the_mouth_for_the_background_heads_turn_and_tip() -> None:
    rng = np.random.default_rng(5)
    model = fit_mouth_model([_toy_clip(rng, tip=t) for t in (-0.04, -0.02, 0.0, 0.02, 0.04)], FPS)
    labels = [SILENCE] * 6 + ["ɑ"] * 5 + [SILENCE] * 6
    n = len(labels)
    head = np.zeros((n, len(HEAD_SHAPE), 2))
    typical = model.predict(labels)
    assert np.abs(model.predict(labels, head=head) - typical).max() < 1e-3  # None: the usual pose
    head[:, HEAD_SHAPE == NOSE_TIP, 1] = 0.04
    tipped = model.predict(labels, head=head)
    shift = (tipped - typical)[..., 1].mean()
    assert -0.025 < shift < -0.015  # the footage's −0.02 IOD
    assert np.abs(lip_gap(tipped) - lip_gap(typical)).max() < 0.005  # the same opening


def test_head_features_keep_head_turns_and_drop_speech_rate_twitches() -> None:
    # The target video's own speech twitches the tracker's nose a little; that must not reach
    # the new mouth, while a slow turn of the head must.
    t = np.arange(250) / FPS
    head = np.zeros((len(t), len(HEAD_SHAPE), 2))
    head[:, 0, 0] = 0.01 * np.sin(2 * np.pi * 4.0 * t)  # 4 Hz: syllable rate
    head[:, 1, 0] = 0.01 * (t > 5)  # a turn held for 5 s
    x = head_features(head, np.zeros((len(HEAD_SHAPE), 2)), len(t), FPS) / HEAD_SCALE
    assert np.abs(x[50:-50, 0]).max() < 1e-5 and np.abs(x[:, 0]).max() < 1e-3  # ends: under 10 %
    assert abs(x[-1, 2] - 0.01) < 1e-4 and abs(x[0, 2]) < 1e-4


def test_mouth_model_needs_enough_footage() -> None:
    rng = np.random.default_rng(1)
    assert fit_mouth_model([_toy_clip(rng, 100)], FPS) is None


def test_learned_plan_closes_pauses_seals_bilabials_and_follows_fps(tmp_path) -> None:
    rng = np.random.default_rng(2)
    model = fit_mouth_model([_toy_clip(rng) for _ in range(5)], FPS)
    model.save(tmp_path / "m.npz")
    model = MouthModel.load(tmp_path / "m.npz")
    phonemes = timeline([(SILENCE, 0.4), ("b", 0.08), ("ɑ", 0.2), ("m", 0.08), ("ɑ", 0.2), (SILENCE, 0.4)])
    for fps in (25.0, 30.0):
        plan = plan_learned(phonemes, 1.36, model, MotionOptions(fps=fps))
        assert len(plan) == round(1.36 * fps)
        gap = lip_gap(plan.mouth)
        labels = np.array(plan.phoneme)
        assert gap[labels == SILENCE].max() <= MotionOptions().silence_gap_iod + 1e-6
        assert gap[np.isin(labels, ["b", "m"])].max() < 1e-6
        assert gap[labels == "ɑ"].max() > 0.08


def test_with_audio_lips_close_where_the_recording_is_silent_not_where_no_phoneme_is() -> None:
    # A model that always predicts an open mouth makes every cap visible.
    model = fit_mouth_model([_toy_clip(np.random.default_rng(3)) for _ in range(5)], FPS)
    open_mouth = toy_pose("ɑ").reshape(-1)
    model = MouthModel(FPS, open_mouth, np.zeros_like(model.phonetic), np.zeros_like(model.acoustic),
                       model.head_centre, model.sound_basis, model.sound_phase, 1000)
    rate = 16000
    t = np.arange(int(1.6 * rate)) / rate
    audio = np.zeros_like(t)
    breath = (t >= 0.4) & (t < 0.8)  # audible, but the aligner finds no phoneme there
    speech = (t >= 0.8) & (t < 1.2)
    rng = np.random.default_rng(4)
    audio[breath] = 0.05 * rng.standard_normal(breath.sum())
    audio[speech] = 0.3 * np.sin(2 * np.pi * 150 * t[speech])
    phonemes = timeline([(SILENCE, 0.8), ("ɑ", 0.16), ("m", 0.08), ("ɑ", 0.16), (SILENCE, 0.4)])
    plan = plan_learned(phonemes, 1.6, model, MotionOptions(), (audio.astype(np.float32), rate))
    gap = lip_gap(plan.mouth)
    cap = MotionOptions().silence_gap_iod + 1e-6
    assert gap[:10].max() <= cap  # 0-0.4 s: silent, closed
    assert gap[11:20].min() > 0.1  # the breath: the mouth may open, as people's do
    assert gap[31:].max() <= cap  # silent again after the speech
    assert gap[np.array(plan.phoneme) == "m"].max() < 1e-6
    # Without the recording, every phoneme-less frame closes.
    gap = lip_gap(plan_learned(phonemes, 1.6, model, MotionOptions()).mouth)
    assert gap[:20].max() <= cap
    # A recording with no speech at all: sealed, not merely parted.
    quiet = np.zeros_like(audio, dtype=np.float32)
    plan = plan_learned(timeline([(SILENCE, 1.6)]), 1.6, model, MotionOptions(), (quiet, rate))
    assert MotionOptions().silence_gap_iod > 0 and lip_gap(plan.mouth).max() < 1e-6
