"""The one frame timeline: edge cases every stage relies on."""

from __future__ import annotations

import numpy as np
import pytest

from talkinghead.phonemes import SILENCE
from talkinghead.speech import TimedPhoneme
from talkinghead.timeline import (
    CLOSED_LIPS_IOD,
    centre_frame,
    covered_frames,
    frame_at,
    frame_centres,
    frame_count,
    frame_labels,
    inner_frames,
)


@pytest.mark.parametrize(("duration", "fps", "frames"), [
    (1.0, 25.0, 25), (1.02, 25.0, 26), (1.019, 25.0, 25), (0.0, 25.0, 1), (0.001, 30.0, 1), (2.5, 29.97, 75),
])
def test_frame_count_rounds_and_is_never_zero(duration: float, fps: float, frames: int) -> None:
    assert frame_count(duration, fps) == frames


def test_frame_centres_are_half_a_frame_in() -> None:
    np.testing.assert_allclose(frame_centres(3, 25.0), [0.02, 0.06, 0.10])


def test_frame_at_holds_the_instant_and_clamps() -> None:
    assert frame_at(0.0, 25.0, 10) == 0
    assert frame_at(0.0399, 25.0, 10) == 0
    assert frame_at(0.04, 25.0, 10) == 1  # a frame starts at k / fps
    assert frame_at(5.0, 25.0, 10) == 9 and frame_at(-1.0, 25.0, 10) == 0


def test_a_phoneme_within_one_frame() -> None:
    # 0.05-0.07 s at 25 fps: inside frame 1 (0.04-0.08 s), whose centre (0.06 s) it holds
    p = TimedPhoneme("b", 0.05, 0.07)
    assert centre_frame(p, 25.0, 10) == 1
    assert covered_frames(p, 25.0, 10) == (1, 1)
    assert inner_frames(p, 25.0, 10) == (1, 1)
    q = TimedPhoneme("b", 0.061, 0.075)  # covers frame 1 only; no centre inside: the next frame
    assert covered_frames(q, 25.0, 10) == (1, 1)
    assert inner_frames(q, 25.0, 10) == (2, 2)


def test_covered_and_inner_frames_differ_at_the_edges() -> None:
    p = TimedPhoneme("a", 0.05, 0.17)  # overlaps frames 1-4; centres 0.06, 0.10, 0.14 inside
    assert covered_frames(p, 25.0, 10) == (1, 4)
    assert inner_frames(p, 25.0, 10) == (1, 3)
    assert centre_frame(p, 25.0, 10) == 2  # 0.11 s
    end = TimedPhoneme("a", 0.3, 1.0)  # past the video's end: clamped to the last frame
    assert covered_frames(end, 25.0, 10) == (7, 9) and inner_frames(end, 25.0, 10)[1] == 9
    assert centre_frame(end, 25.0, 10) == 9


def test_frame_labels_by_centre_silence_outside_speech() -> None:
    phonemes = [TimedPhoneme(SILENCE, 0.0, 0.05), TimedPhoneme("a", 0.05, 0.15), TimedPhoneme("m", 0.15, 0.2)]
    labels = frame_labels(phonemes, 7, 25.0)  # centres 0.02 0.06 0.10 0.14 0.18 0.22 0.26
    assert labels == [SILENCE, "a", "a", "a", "m", SILENCE, SILENCE]
    assert frame_labels([], 3, 25.0) == [SILENCE] * 3


def test_closed_lips_threshold_is_the_metrics_and_the_renderers() -> None:
    from talkinghead.evaluate import metrics
    from talkinghead.render import background, retrieve

    assert metrics.CLOSED_LIPS_IOD is background.CLOSED_LIPS_IOD is retrieve.CLOSED_LIPS_IOD is CLOSED_LIPS_IOD
    assert metrics.silence_closure(np.array([CLOSED_LIPS_IOD - 1e-4, CLOSED_LIPS_IOD]), np.array([True, True])) == 0.5
