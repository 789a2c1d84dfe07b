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


def test_a_fresh_stream_reads_real_speech_about_as_well_as_the_whole_recording(grid, grid_clips) -> None:
    """A session's first reply: GRID clips never trained on, each heard by a fresh stream in 40 ms
    pushes, its opening against the real mouth (the running statistics start cold, so the file
    weights alone read it worse; the live weights they are averaged with make up for it)."""
    from talkinghead.face import MOUTH, build_template, build_track, lip_gap, track_frames
    from talkinghead.video import load_audio, read_frames

    from .test_universal import _held_out_grid

    scores: dict[str, list[float]] = {"whole": [], "stream": [], "file weights": []}
    for clip in _held_out_grid(grid_clips)[::3]:
        path = grid / "video" / f"{clip}.mp4"
        raw = track_frames(f.image for f in read_frames(path))
        real = lip_gap(build_track(raw, build_template(raw.landmarks), 25.0).canonical[:, MOUTH])
        audio = resample(*load_audio(path), 16000)
        n = min(len(real), frame_count(len(audio) / 16000, 25.0))
        ok = np.isfinite(real[:n])
        for key, opening in (("whole", universal_model().predict(audio, 16000, 25.0, n)[:, 0]),
                             ("stream", run(MouthStream(25.0), audio, 640)[:n, 0]),
                             ("file weights", run(MouthStream(25.0, universal_model()), audio, 640)[:n, 0])):
            scores[key].append(np.corrcoef(opening[ok], real[:n][ok])[0, 1])
    mean = {k: float(np.mean(v)) for k, v in scores.items()}
    assert mean["stream"] > mean["whole"] - 0.03, mean
    assert mean["stream"] > mean["file weights"] + 0.02, mean
