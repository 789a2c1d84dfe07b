"""Audio in and out: decode any FFmpeg-readable file to float32 mono, write WAV atomically."""

from __future__ import annotations

import os
import wave
from math import gcd
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy.signal import resample_poly

from .._io import atomic_output
from ..errors import InputError

if TYPE_CHECKING:
    import av


def media_origin(container: av.container.InputContainer) -> float | None:
    """Time zero of a file's audio and video, s: the earliest non-negative start of its audio and
    video streams (None when no stream states one). Video frames and audio samples are both
    placed from it, so a stream that starts late keeps its offset (a negative start is the
    encoder's priming, dropped by the decoder)."""
    starts = [max(0.0, float(s.start_time * s.time_base)) for s in container.streams
              if s.type in ("audio", "video") and s.start_time is not None and s.time_base is not None]
    return min(starts) if starts else None


def load_audio(path: str | os.PathLike, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Decode the first audio stream of ``path`` (wav, mp3, flac, mp4, mpg, …) to mono, from the
    file's :func:`media_origin` (silence before a late-starting audio stream).

    Args:
        path: any file FFmpeg reads.
        sample_rate: resample to this rate, Hz; None keeps the file's rate.

    Returns:
        (audio (n,) float32 in [-1, 1], sample rate in Hz).

    Raises:
        InputError: the file is missing, unreadable, has no audio stream, or no samples.
    """
    import av

    p = Path(path)
    if not p.exists():
        raise InputError(f"audio file '{p}' does not exist", "check the path")
    if p.is_dir():
        raise InputError(f"'{p}' is a folder, not an audio file", "give the path of a sound or video file")
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(p)) as container:
            if not container.streams.audio:
                raise InputError(f"'{p}' has no audio stream", "give a file with sound (wav, mp3, mp4, …)")
            stream = container.streams.audio[0]
            rate = sample_rate or stream.rate or stream.codec_context.sample_rate
            # Resample inside FFmpeg to planar float mono: correct channel downmix for any layout.
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            origin = media_origin(container)
            if origin is not None and stream.start_time is not None and stream.time_base is not None:
                late = float(stream.start_time * stream.time_base) - origin
                if late > 0:
                    chunks.append(np.zeros(int(round(late * rate)), np.float32))
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except InputError:
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"cannot read audio from '{p}' ({exc.__class__.__name__}: {exc})",
                         "give a valid sound or video file (wav, mp3, flac, mp4, …)") from None
    audio = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if audio.size == 0:
        raise InputError(f"'{p}' contains no audio samples", "give a file with sound")
    return np.clip(audio, -1.0, 1.0), int(rate)


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Band-limited resampling of (n,) float32 audio from ``from_rate`` to ``to_rate``, Hz."""
    if from_rate == to_rate:
        return audio.astype(np.float32, copy=False)
    g = gcd(int(from_rate), int(to_rate))
    return resample_poly(audio, to_rate // g, from_rate // g).astype(np.float32)


def save_wav(path: str | os.PathLike, audio: np.ndarray, sample_rate: int) -> Path:
    """Write (n,) float32 audio in [-1, 1] as 16-bit mono PCM WAV, atomically. Returns the path."""
    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with atomic_output(path) as tmp:
        with wave.open(str(tmp), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(int(sample_rate))
            w.writeframes(pcm.tobytes())
    return Path(path)
