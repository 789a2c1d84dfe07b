"""Streaming video I/O: probe, constant-rate read_frames, VideoWriter (H.264 + AAC, atomic)."""

from __future__ import annotations

import platform
import threading
import tracemalloc
import wave
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from talkinghead.errors import InputError
from talkinghead.video import Frame, VideoInfo, VideoWriter, load_audio, probe, read_frames

FIXTURE = Path(__file__).resolve().parent / "fixtures"
SQUARE = 8  # px: side of the moving square; it moves one side per source frame


def square_frame(i: int, width: int = 320, height: int = 48) -> np.ndarray:
    """(H, W, 3) uint8: black, with a yellow square at x = i * SQUARE (encodes the frame number)."""
    image = np.zeros((height, width, 3), np.uint8)
    x = i * SQUARE
    image[height // 2 - SQUARE // 2:height // 2 + SQUARE // 2, x:x + SQUARE] = (255, 255, 0)
    return image


def square_index(image: np.ndarray) -> int:
    """Source frame number drawn by :func:`square_frame`, from where the square is."""
    columns = np.flatnonzero(image[..., 0].mean(axis=0) > 40)
    assert columns.size, "no square found"
    return int(round((columns.mean() - (SQUARE - 1) / 2) / SQUARE))


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def has_encoder(name: str) -> bool:
    try:
        av.Codec(name, "w")
    except Exception:  # noqa: BLE001 - PyAV raises different errors across versions
        return False
    return True


def write_clip(path: Path, times_ms: list[int], codec: str = "libx264", fmt: str | None = None,
               audio_codec: str | None = "aac", audio_rate: int = 44100,
               size: tuple[int, int] = (320, 48)) -> Path:
    """Encode frames showing the square at frame i, presented at ``times_ms[i]``, with PyAV.

    Times on the 25 fps grid use a 1/25 s time base (a plain constant-rate file, as avi needs);
    otherwise the time base is 1 ms, so irregular ``times_ms`` make a variable-frame-rate file.
    """
    tick = 40 if all(t % 40 == 0 for t in times_ms) else 1  # ms
    time_base = Fraction(tick, 1000)
    with av.open(str(path), "w", format=fmt) as out:
        video = out.add_stream(codec, rate=25)
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        video.codec_context.time_base = time_base
        video.time_base = time_base
        if codec == "libx264":
            video.codec_context.options = {"preset": "ultrafast"}
        astream = out.add_stream(audio_codec, rate=audio_rate) if audio_codec else None
        if astream is not None:
            astream.codec_context.layout = "mono"
        for i, t in enumerate(times_ms):
            frame = av.VideoFrame.from_ndarray(square_frame(i, *size), format="rgb24")
            frame.pts, frame.time_base = t // tick, time_base
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if astream is not None:
            seconds = (times_ms[-1] + 40) / 1000
            samples = tone(seconds, audio_rate).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = audio_rate, 0
            # PyAV re-chunks to the encoder's frame size itself.
            out.mux(astream.encode(frame))
            out.mux(astream.encode(None))
    return path


# -- real GRID media ------------------------------------------------------------------------------


def test_probe_grid_mp4_and_mpg(grid: Path) -> None:
    mp4 = sorted((grid / "video").glob("*.mp4"))[0]
    info = probe(mp4)
    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (360, 288)
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(3.0, abs=0.05)
    assert info.n_frames == 75 and info.has_audio and not info.variable_rate
    mpg = probe(sorted((grid / "original").glob("*.mpg"))[0])
    assert (mpg.width, mpg.height) == (360, 288) and mpg.fps == pytest.approx(25.0)
    assert mpg.duration == pytest.approx(3.0, abs=0.05) and mpg.has_audio


def test_read_grid_mp4_at_native_and_lower_rate(grid: Path) -> None:
    mp4 = sorted((grid / "video").glob("*.mp4"))[0]
    frames = list(read_frames(mp4))
    assert len(frames) == 75
    assert all(isinstance(f, Frame) for f in frames)
    assert [f.index for f in frames] == list(range(75))
    assert np.allclose([f.time for f in frames], np.arange(75) / 25)
    assert all(f.image.shape == (288, 360, 3) and f.image.dtype == np.uint8 for f in frames)
    assert frames[0].image.std() > 10  # a real picture, not a blank frame
    slow = list(read_frames(mp4, fps=10))
    assert len(slow) == 30 and np.allclose([f.time for f in slow], np.arange(30) / 10)
    # Output frame k at 10 fps is source frame 2.5k rounded down.
    assert np.array_equal(slow[3].image, frames[7].image)


def test_read_grid_mpg_with_downscale(grid: Path) -> None:
    mpg = sorted((grid / "original").glob("*.mpg"))[0]
    frames = list(read_frames(mpg, max_size=180))
    assert len(frames) == 75
    assert frames[0].image.shape == (144, 180, 3)


def test_truncated_stream_stops_cleanly(grid: Path, tmp_path: Path) -> None:
    data = sorted((grid / "original").glob("*.mpg"))[0].read_bytes()
    cut = tmp_path / "cut.mpg"
    cut.write_bytes(data[: len(data) // 2])
    frames = list(read_frames(cut))
    assert 10 < len(frames) < 75


# -- constant-rate resampling ---------------------------------------------------------------------


def test_variable_rate_input_becomes_constant_rate(tmp_path: Path) -> None:
    times = [0, 40, 120, 130, 200, 280, 290, 300]  # ms
    path = write_clip(tmp_path / "vfr.mkv", times, fmt="matroska")
    assert probe(path).variable_rate
    frames = list(read_frames(path, fps=25))
    assert np.allclose([f.time for f in frames], np.arange(len(frames)) / 25)
    # Output instant k/25 s shows the latest source frame presented at or before it.
    expected = [max(i for i, t in enumerate(times) if t <= k * 40) for k in range(8)]
    assert expected == [0, 1, 1, 2, 3, 4, 4, 5]  # frame 6 (290 ms) is dropped
    assert [square_index(f.image) for f in frames[:8]] == expected
    # The last source frame (300 ms) lasts about one frame: it is shown at 320 ms, maybe 360 ms.
    assert 9 <= len(frames) <= 10
    assert {square_index(f.image) for f in frames[8:]} == {7}


def test_faster_source_drops_frames_evenly(tmp_path: Path) -> None:
    path = tmp_path / "30.mp4"
    with VideoWriter(path, fps=30, preset="ultrafast") as w:
        for i in range(30):
            w.write(square_frame(i))
    assert probe(path).fps == pytest.approx(30)
    frames = list(read_frames(path, fps=25))
    assert len(frames) == 25
    assert [square_index(f.image) for f in frames] == [int(k * 30 // 25) for k in range(25)]
    doubled = list(read_frames(path, fps=60))
    assert len(doubled) == 60
    assert [square_index(f.image) for f in doubled[:6]] == [0, 0, 1, 1, 2, 2]
    assert doubled[0].image is not doubled[1].image  # duplicates are independent arrays


def test_reading_is_streaming(tmp_path: Path) -> None:
    path = tmp_path / "long.mp4"
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (480, 640, 3), dtype=np.uint8)
    with VideoWriter(path, fps=25, preset="ultrafast", crf=30) as w:
        for i in range(500):  # 20 s
            w.write(np.roll(base, 4 * i, axis=1))
    tracemalloc.start()
    try:
        n = 0
        for frame in read_frames(path):
            assert frame.image.shape == (480, 640, 3)
            n += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 500
    # 500 RGB frames would be 460 MB; a streaming reader holds a few (0.9 MB each).
    assert peak < 50e6


@pytest.mark.parametrize(("suffix", "fmt", "codec", "audio_codec", "rate"), [
    ("mov", "mov", "libx264", "aac", 44100),
    ("mkv", "matroska", "libx264", "aac", 44100),
    ("webm", "webm", "libvpx", "libopus", 48000),
    ("webm", "webm", "libvpx-vp9", "libopus", 48000),
    ("avi", "avi", "mpeg4", "mp2", 44100),
], ids=["mov", "mkv", "webm-vp8", "webm-vp9", "avi"])
def test_reads_common_containers(tmp_path: Path, suffix: str, fmt: str, codec: str,
                                 audio_codec: str, rate: int) -> None:
    for name in (codec, audio_codec):
        if not has_encoder(name):
            pytest.skip(f"this PyAV build has no {name} encoder")
    path = write_clip(tmp_path / f"clip.{suffix}", [40 * i for i in range(10)], codec=codec,
                      fmt=fmt, audio_codec=audio_codec, audio_rate=rate)
    info = probe(path)
    assert (info.width, info.height) == (320, 48) and info.has_audio
    assert info.fps == pytest.approx(25, rel=0.05)
    frames = list(read_frames(path))
    assert len(frames) == 10
    assert [square_index(f.image) for f in frames] == list(range(10))
    audio, audio_rate = load_audio(path)
    assert audio_rate == rate and len(audio) / rate == pytest.approx(0.4, abs=0.1)


# -- writer ---------------------------------------------------------------------------------------


def gradient(width: int, height: int, shift: int = 0) -> np.ndarray:
    """A smooth (H, W, 3) uint8 RGB gradient, which H.264 keeps nearly exactly."""
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 2 + shift, y * 3, np.full_like(x, 100 + shift)], -1).astype(np.uint8)


def test_writer_odd_size_with_audio_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with VideoWriter(path, fps=25, audio=tone(2.0, 22050), sample_rate=22050) as w:
        for i in range(50):
            w.write(gradient(101, 77, i))
        assert w.frames_written == 50
    info = probe(path)
    assert (info.width, info.height) == (100, 76) and info.has_audio
    assert info.duration == pytest.approx(2.0, abs=0.05)
    frames = list(read_frames(path))
    assert len(frames) == 50 and frames[0].image.shape == (76, 100, 3)
    for k in (0, 25, 49):
        error = np.abs(frames[k].image.astype(int) - gradient(101, 77, k)[:76, :100]).mean()
        assert error < 10
    audio, rate = load_audio(path)
    assert rate == 22050 and len(audio) / rate == pytest.approx(2.0, abs=0.1)
    assert 0.2 < np.abs(audio).max() < 0.4
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]  # no temp file left


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86-64 instruction sets only")
def test_the_same_frames_make_the_same_video_on_any_cpu(tmp_path: Path, monkeypatch) -> None:
    # The video must not depend on the instruction sets x264 finds: encoded again as on a CPU with
    # nothing beyond SSE2 (every x86-64 has it), the same frames decode to the same pixels.
    # Without cpu-independent, x264's AVX2 and AVX-512 macroblock tree round differently from its
    # SSE2 one (and the AVX-512 one also varied from run to run at some frame sizes).
    import talkinghead.video.writer as writer

    frames = [f.image for f in read_frames(FIXTURE / "speaker.mp4")][:50]
    decoded = []
    for name, params in (("found", writer.X264_PARAMS), ("sse2", writer.X264_PARAMS + ":asm=MMX2,SSE,SSE2")):
        monkeypatch.setattr(writer, "X264_PARAMS", params)
        with VideoWriter(tmp_path / f"{name}.mp4", fps=25) as w:
            for image in frames:
                w.write(image)
        decoded.append(np.stack([f.image for f in read_frames(tmp_path / f"{name}.mp4")]))
    assert decoded[0].shape == (50, 256, 256, 3)
    assert np.array_equal(decoded[0], decoded[1])


def test_writer_fractional_fps(tmp_path: Path) -> None:
    path = tmp_path / "ntsc.mp4"
    with VideoWriter(path, fps=29.97, size=(64, 48), preset="ultrafast") as w:
        for i in range(30):
            w.write(gradient(64, 48, i))
    info = probe(path)
    assert info.fps == pytest.approx(29.97, abs=0.01)
    assert info.duration == pytest.approx(30 / 29.97, abs=0.01)
    frames = list(read_frames(path))
    assert len(frames) == 30 and frames[-1].time == pytest.approx(29 / 29.97)


def test_writer_aborts_on_exception(tmp_path: Path) -> None:
    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError, match="boom"):
        with VideoWriter(path, fps=25, audio=tone(1.0, 22050)) as w:
            for i in range(5):
                w.write(gradient(64, 48, i))
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_an_encoder_failure_reaches_the_caller_and_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    # Frames are encoded in a thread of the writer's own; a failure there (a full disk) must
    # still stop the caller with that error, remove the partial file and end the thread.
    encode = VideoWriter._encode_frame

    def full_disk(self, frame, audio):
        if frame.pts == 3:
            raise OSError(28, "No space left on device")
        encode(self, frame, audio)

    monkeypatch.setattr(VideoWriter, "_encode_frame", full_disk)
    path = tmp_path / "full.mp4"
    with pytest.raises(OSError, match="No space left"):
        with VideoWriter(path, fps=25, audio=tone(2.0, 22050)) as w:
            for i in range(50):
                w.write(gradient(64, 48, i))
    assert list(tmp_path.iterdir()) == []
    assert not [t for t in threading.enumerate() if t.name.startswith("encode ")]


def test_writer_leaves_existing_file_alone_on_abort(tmp_path: Path) -> None:
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"old")
    w = VideoWriter(path, fps=25)
    w.write(gradient(64, 48))
    w.abort()
    assert path.read_bytes() == b"old" and list(tmp_path.iterdir()) == [path]


def test_writer_rejects_bad_frames(tmp_path: Path) -> None:
    with VideoWriter(tmp_path / "a.mp4", fps=25) as w:
        w.write(gradient(64, 48))
        with pytest.raises(ValueError, match="same size"):
            w.write(gradient(66, 48))
        with pytest.raises(ValueError, match="uint8"):
            w.write(gradient(64, 48).astype(np.float32))
    with pytest.raises(ValueError, match="same size"):
        with VideoWriter(tmp_path / "b.mp4", fps=25, size=(64, 48)) as w:
            w.write(gradient(48, 64))
    assert not (tmp_path / "b.mp4").exists()
    with pytest.raises(ValueError, match="no frames"):
        VideoWriter(tmp_path / "c.mp4", fps=25).close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]


def test_writer_missing_folder_is_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        VideoWriter(tmp_path / "nope" / "x.mp4", fps=25)


# -- errors ---------------------------------------------------------------------------------------


def test_missing_file_and_folder(tmp_path: Path) -> None:
    for call in (probe, read_frames):
        with pytest.raises(InputError, match="does not exist"):
            call(tmp_path / "nope.mp4")
        with pytest.raises(InputError, match="is a folder"):
            call(tmp_path)


def test_text_file_named_mp4(tmp_path: Path) -> None:
    fake = tmp_path / "fake.mp4"
    fake.write_text("this is not a video\n" * 50)
    for call in (probe, lambda p: list(read_frames(p))):
        with pytest.raises(InputError, match="not a readable media file") as err:
            call(fake)
        assert "give a video file" in str(err.value)


def test_audio_only_file(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes((tone(0.5, 16000) * 32767).astype("<i2").tobytes())
    for call in (probe, lambda p: list(read_frames(p))):
        with pytest.raises(InputError, match="has no video stream") as err:
            call(path)
        assert "mp4, mov, mkv, webm, avi, mpg" in str(err.value)


def test_truncated_mp4_is_input_error(tmp_path: Path) -> None:
    path = tmp_path / "whole.mp4"
    with VideoWriter(path, fps=25, preset="ultrafast") as w:
        for i in range(10):
            w.write(gradient(64, 48, i))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(path.read_bytes()[:2000])  # the index (moov) is at the end: lost
    with pytest.raises(InputError):
        probe(cut)


def packet_offsets(path: Path) -> list[tuple[int, int]]:
    """(byte offset, size) in the file of each video packet, in decode order."""
    with av.open(str(path)) as container:
        return [(p.pos, p.size) for p in container.demux(video=0) if p.size]


def test_damage_mid_stream_ends_the_frames_cleanly(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "ok.mkv", [40 * i for i in range(40)], fmt="matroska",
                      audio_codec=None)
    data = bytearray(path.read_bytes())
    start = packet_offsets(path)[20][0]
    data[start:] = np.random.default_rng(0).integers(0, 256, len(data) - start, np.uint8).tobytes()
    damaged = tmp_path / "damaged.mkv"
    damaged.write_bytes(bytes(data))
    frames = list(read_frames(damaged))
    assert 10 <= len(frames) < 40
    assert [square_index(f.image) for f in frames[:10]] == list(range(10))


def test_no_decodable_frame_is_input_error(tmp_path: Path) -> None:
    path = write_clip(tmp_path / "ok.mkv", [40 * i for i in range(10)], fmt="matroska",
                      audio_codec=None)
    data = bytearray(path.read_bytes())
    pos, size = packet_offsets(path)[0]  # the key frame every other frame depends on
    data[pos:pos + size] = bytes(size)
    broken = tmp_path / "broken.mkv"
    broken.write_bytes(bytes(data))
    with pytest.raises(InputError, match="damaged"):
        list(read_frames(broken))


def test_audio_can_arrive_with_the_frames(tmp_path) -> None:
    from talkinghead.video import VideoWriter, load_audio, probe

    rate, fps = 16000, 25.0
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(rate * 2) / rate)).astype(np.float32)
    out = tmp_path / "streamed.mp4"
    with VideoWriter(out, fps, audio=np.zeros(0, np.float32), sample_rate=rate) as w:
        for k in range(50):
            w.write(np.full((32, 32, 3), k * 5, np.uint8), tone[k * 640:(k + 1) * 640])
            assert len(w._audio) < 2 * 1024 + 640  # only the unencoded tail is held
    audio, got_rate = load_audio(out)
    assert probe(out).n_frames == 50 and abs(len(audio) / got_rate - 2.0) < 0.05
    silent = VideoWriter(tmp_path / "silent.mp4", fps)
    with pytest.raises(ValueError, match="no audio track"):
        silent.write(np.zeros((32, 32, 3), np.uint8), tone[:640])
    silent.abort()
    assert not (tmp_path / "silent.mp4").exists()
