"""Media I/O (audio part): decode anything to float32 mono, resample, write WAV atomically."""

from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np
import pytest

from talkinghead.errors import InputError
from talkinghead.video import load_audio, resample, save_wav

RATE = 44100  # Hz


def tone(seconds: float, rate: int, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_stereo_file_becomes_mono_at_requested_rate(tmp_path: Path) -> None:
    left, right = tone(1.0, RATE), np.zeros(RATE, np.float32)
    path = tmp_path / "st.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes((np.stack([left, right], 1) * 32767).astype("<i2").tobytes())
    audio, rate = load_audio(path)
    assert rate == RATE and audio.dtype == np.float32 and audio.shape == (RATE,)
    assert 0.2 < np.abs(audio).max() < 0.5  # downmix averages the channels
    audio16, rate16 = load_audio(path, 16000)
    assert rate16 == 16000 and abs(len(audio16) - 16000) <= 32


def test_reads_audio_from_real_mpeg1_and_mp4(grid) -> None:
    mpg = sorted((grid / "original").glob("*.mpg"))[0]
    audio, rate = load_audio(mpg, 16000)
    assert rate == 16000 and 2.9 < len(audio) / rate < 3.1 and np.abs(audio).max() > 0.05
    mp4 = grid / "video" / f"{mpg.stem}.mp4"
    a2, _ = load_audio(mp4, 16000)
    assert abs(len(a2) - len(audio)) < 1600


def test_resample_keeps_pitch() -> None:
    x = tone(1.0, 22050, 1000.0)
    y = resample(x, 22050, 16000)
    assert len(y) == 16000
    peak_hz = np.argmax(np.abs(np.fft.rfft(y))) * 16000 / len(y)
    assert abs(peak_hz - 1000.0) < 2


def test_save_wav_round_trip_and_no_partial_file(tmp_path: Path) -> None:
    x = tone(0.5, 22050)
    path = save_wav(tmp_path / "a.wav", x, 22050)
    y, rate = load_audio(path)
    assert rate == 22050 and np.max(np.abs(y - x)) < 1e-3
    with pytest.raises(InputError, match="does not exist"):
        save_wav(tmp_path / "no" / "a.wav", x, 22050)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.wav"]


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    from talkinghead._io import atomic_output

    with pytest.raises(RuntimeError):
        with atomic_output(tmp_path / "x.wav") as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []
    with atomic_output(tmp_path / "x.wav") as tmp:
        tmp.write_bytes(b"whole")
    assert (tmp_path / "x.wav").read_bytes() == b"whole" and len(list(tmp_path.iterdir())) == 1
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "x.wav").stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


def test_unreadable_inputs_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_audio(tmp_path / "nope.wav")
    with pytest.raises(InputError, match="folder"):
        load_audio(tmp_path)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="cannot read audio"):
        load_audio(empty)
