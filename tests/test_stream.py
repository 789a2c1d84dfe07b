"""The universal model run causally (motion.stream): same frames, bounded look-ahead and memory,
whatever the pushes."""

from __future__ import annotations

import numpy as np
import pytest

from talkinghead.motion.stream import MouthStream
from talkinghead.motion.universal import LOOK_AHEAD_S, universal_model
from talkinghead.speech import synthesize
from talkinghead.timeline import frame_count
from talkinghead.video.audio import resample


@pytest.fixture(scope="module")
def speech16k() -> np.ndarray:
    """Three sentences of English TTS with pauses, at 16 kHz."""
    s = synthesize("Good morning! How are you today? I am fine, thank you, and the weather is lovely.")
    pad = np.zeros(s.sample_rate // 2, np.float32)
    return resample(np.concatenate([pad, s.audio, pad]), s.sample_rate, 16000)


def run(stream: MouthStream, audio: np.ndarray, chunk: int) -> np.ndarray:
    out = []
    for i in range(0, len(audio), chunk):
        stream.push(audio[i:i + chunk])
        out.append(stream.pop())
    stream.end()
    out.append(stream.pop())
    return np.concatenate(out)


def test_every_frame_once_whatever_the_chunks(speech16k) -> None:
    n = frame_count(len(speech16k) / 16000, 25.0)
    whole = run(MouthStream(25.0), speech16k, len(speech16k))
    small = run(MouthStream(25.0), speech16k, 640)  # 40 ms pushes
    odd = run(MouthStream(25.0), speech16k, 123)
    assert len(whole) == len(small) == len(odd) == n
    np.testing.assert_allclose(small, whole, atol=1e-5)
    np.testing.assert_allclose(odd, whole, atol=1e-5)


def test_frames_wait_only_for_the_look_ahead(speech16k) -> None:
    stream = MouthStream(25.0)
    given = 0
    for i in range(0, len(speech16k), 160):  # 10 ms pushes
        stream.push(speech16k[i:i + 160])
        given += len(stream.pop())
        heard = (i + 160) / 16000
        # A frame is out once the sound LOOK_AHEAD_S past its centre, and its neighbour's, is in.
        assert given / 25.0 >= heard - (LOOK_AHEAD_S + 2.5 / 25.0 + 0.03)
        assert given / 25.0 <= heard
        assert len(stream._power) <= 50  # bounded memory (0.5 s of spectrum), however long the stream


def test_a_long_lived_stream_matches_the_whole_recording_model(speech16k) -> None:
    audio = np.concatenate([speech16k] * 3)  # one session hearing three replies
    n = frame_count(len(audio) / 16000, 25.0)
    streamed = run(MouthStream(25.0), audio, 640)
    offline = universal_model().predict(audio, 16000, 25.0, n)
    third = len(streamed) // 3
    r = np.corrcoef(streamed[third:, 0], offline[third:, 0])[0, 1]
    assert r > 0.95  # once it has heard a reply, the running statistics are the recording's


def test_silence_reads_closed_and_pushes_after_the_end_are_refused() -> None:
    stream = MouthStream(25.0)
    out = run(stream, np.zeros(16000, np.float32), 640)
    assert len(out) == 25 and out[:, 0].max() < 0.3  # opening near the person's usual minimum
    with pytest.raises(ValueError, match="ended"):
        stream.push(np.zeros(10, np.float32))
