"""Live sessions on the committed fixture avatar: frames with their audio, idle between replies,
interrupt, bad pushes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from talkinghead.avatar import clips_from, enroll
from talkinghead.errors import InputError
from talkinghead.evaluate import evaluate
from talkinghead.live import LIVE_RATE, LiveOptions, open_session
from talkinghead.speech import synthesize
from talkinghead.timeline import frame_count
from talkinghead.video import VideoWriter

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def avatar(tmp_path_factory):
    text = (FIXTURES / "speaker.txt").read_text().strip()
    return enroll(clips_from([FIXTURES / "speaker.mp4"], text=text), tmp_path_factory.mktemp("live") / "me.avatar").avatar


@pytest.fixture(scope="module")
def reply():
    return synthesize("Open the window, please. The blue book is on the table.")


def test_a_reply_comes_out_frame_by_frame_with_its_audio(avatar, reply, tmp_path) -> None:
    session = open_session(avatar)
    for i in range(0, len(reply.audio), 882):  # 40 ms chunks at 22.05 kHz
        session.push_audio(reply.audio[i:i + 882], reply.sample_rate)
    session.flush()
    frames = list(session.frames(until_idle=True))
    n = frame_count(reply.duration, session.fps)
    assert abs(len(frames) - n) <= 1 and all(f.speaking for f in frames)
    assert [f.index for f in frames] == list(range(len(frames)))
    total = sum(len(f.audio) for f in frames)
    assert abs(total - round(len(frames) / session.fps * LIVE_RATE)) <= 1  # no drift
    out = tmp_path / "live.mp4"
    with VideoWriter(out, session.fps, audio=np.concatenate([f.audio for f in frames]), sample_rate=LIVE_RATE) as w:
        for f in frames:
            w.write(f.image)
    m = evaluate(out).metrics
    assert m["face_found"] == 1.0 and m["audio_mouth_correlation_best"] > 0.4  # lips follow the sound


def test_idle_between_replies_and_interrupt_drops_the_rest(avatar, reply) -> None:
    session = open_session(avatar)
    frames = session.frames()
    session.push_audio(reply.audio, reply.sample_rate, last=True)
    first = [next(frames) for _ in range(10)]
    assert all(f.speaking for f in first)
    session.interrupt()
    after = next(frames)
    assert not after.speaking and not after.audio.any()  # idle within one frame, silent
    session.close()
    assert list(frames) == []
    with pytest.raises(InputError, match="closed"):
        session.push_audio(reply.audio, reply.sample_rate)


def test_frames_as_an_async_iterator(avatar, reply) -> None:
    import asyncio

    async def run() -> list:
        session = open_session(avatar)
        session.push_audio(reply.audio, reply.sample_rate, last=True)
        return [f async for f in session.aframes(until_idle=True)]

    frames = asyncio.run(run())
    assert abs(len(frames) - frame_count(reply.duration, 25.0)) <= 1 and all(f.speaking for f in frames)


def test_idle_footage_loops_without_a_jump(avatar) -> None:
    session = open_session(avatar, LiveOptions())
    n = session.face.cycle
    # The cycle's last frame and its first are neighbours in the source (forwards, then back).
    src = session.face.background.source_frames
    assert abs(int(src[-1]) - int(src[0])) <= 1 and n >= 2


@pytest.mark.parametrize(("pcm", "rate", "needle"), [
    (np.zeros(100, np.float32), 4000, "Hz"),
    (np.zeros((10, 2, 2), np.float32), 16000, "samples"),
])
def test_bad_pushes_are_clear_errors(avatar, pcm, rate, needle) -> None:
    session = open_session(avatar)
    with pytest.raises(InputError, match=needle):
        session.push_audio(pcm, rate)


def test_stereo_int16_audio_at_another_rate_is_accepted(avatar, reply) -> None:
    session = open_session(avatar)
    pcm = (np.stack([reply.audio, reply.audio], axis=1) * 20000).astype(np.int16)
    session.push_audio(pcm, reply.sample_rate, last=True)
    frames = list(session.frames(until_idle=True))
    assert abs(len(frames) - frame_count(reply.duration, session.fps)) <= 1


def test_the_cli_saves_what_the_session_streams(avatar, reply, tmp_path, capsys) -> None:
    from talkinghead.cli import main
    from talkinghead.video import load_audio, probe
    from talkinghead.video.audio import save_wav

    wav = save_wav(tmp_path / "reply.wav", reply.audio, reply.sample_rate)
    out = tmp_path / "live.mp4"
    assert main(["live", str(avatar.path), "--audio", str(wav), "-o", str(out)]) == 0
    session = open_session(avatar)
    session.push_audio(*load_audio(wav), last=True)
    streamed = list(session.frames(until_idle=True))
    info = probe(out)
    assert info.n_frames == len(streamed) and info.has_audio
    audio, rate = load_audio(out)
    assert abs(len(audio) / rate - len(streamed) / session.fps) < 0.1
    assert main(["live", str(avatar.path), "-o", str(tmp_path / "x.mp4")]) == 2
    assert "give --audio or --text" in capsys.readouterr().err
    assert main(["live", str(avatar.path), "--photo", str(FIXTURES / "speaker.mp4"), "--audio", str(wav),
                 "-o", str(tmp_path / "x.mp4")]) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "x.mp4").exists()
    assert main(["live", "--audio", str(wav), "-o", str(out)]) == 0  # the built-in portrait
    assert probe(out).n_frames == frame_count(reply.duration, 25.0) and probe(out).width == 512


def test_the_drawn_mouth_fades_out_into_the_footage_after_a_reply(avatar, reply) -> None:
    from talkinghead.live.session import FADE_FRAMES

    session = open_session(avatar)
    frames = session.frames()
    session.push_audio(reply.audio, reply.sample_rate, last=True)
    f = next(frames)
    while f.speaking:
        f = next(frames)
    after = [f] + [next(frames) for _ in range(FADE_FRAMES + 1)]
    raw = [session.face.idle(a.index % session.face.cycle) for a in after]
    painted = [not np.array_equal(a.image, r) for a, r in zip(after, raw)]
    assert painted == [True] * FADE_FRAMES + [False, False]  # fading, then the footage itself
    assert not any(a.speaking or a.audio.any() for a in after)


def test_an_interrupted_text_reply_drops_its_later_phrases(avatar) -> None:
    import threading

    session = open_session(avatar)
    frames = session.frames()
    pushing = threading.Thread(target=session.push_text,
                               args=("Open the window. " + "The blue book is on the table. " * 6,))
    pushing.start()
    f = next(frames)
    while not f.speaking:  # idle until the first phrase is synthesised
        f = next(frames)
    session.interrupt()
    pushing.join()
    after = [next(frames) for _ in range(50)]
    assert not any(a.speaking or a.audio.any() for a in after)  # nothing of the reply comes back


def test_a_portrait_speaks_live_and_idles_with_closed_lips(reply, tmp_path) -> None:
    from talkinghead.live.session import FADE_FRAMES, _PhotoFace
    from talkinghead.render.photo import PHOTO_FPS

    session = open_session(None)  # the built-in portrait
    assert isinstance(session.face, _PhotoFace) and session.fps == PHOTO_FPS
    frames = session.frames()
    idle = [next(frames) for _ in range(3)]
    session.push_audio(reply.audio, reply.sample_rate, last=True)
    spoken = []
    f = next(frames)
    while f.speaking or not spoken:
        if f.speaking:
            spoken.append(f)
        f = next(frames)
    tail = [f] + [next(frames) for _ in range(FADE_FRAMES + 2)]
    assert not any(i.speaking for i in idle) and abs(len(spoken) - frame_count(reply.duration, session.fps)) <= 1
    out = tmp_path / "portrait.mp4"
    with VideoWriter(out, session.fps, audio=np.concatenate([f.audio for f in spoken]), sample_rate=LIVE_RATE) as w:
        for f in spoken:
            w.write(f.image)
    m = evaluate(out).metrics
    assert m["face_found"] == 1.0 and m["audio_mouth_correlation_best"] > 0.4
    # After the fade the lips are the portrait's own closed ones: the idle frame at that point.
    last = tail[-1]
    assert np.array_equal(last.image, session.face.idle(last.index % session.face.cycle))
