"""Short-time audio features shared by lip-sync scoring (SyncNet's MFCC) and audio-driven motion,
and the one definition of "silent" both the motion planner and the silence-closure metric use.

One framing for both: python_speech_features' defaults at 16 kHz (25 ms frames every 10 ms, no
window, pre-emphasis 0.97, 512-point power spectrum, 26 mel filters 0–8000 Hz).
"""

from __future__ import annotations

import functools

import numpy as np

FEATURE_RATE = 16000  # Hz, the rate every feature here is computed at
FRAME_SAMPLES = 400  # 25 ms at 16 kHz
HOP_SAMPLES = 160  # 10 ms: 100 feature frames/s
NFFT = 512
N_MELS = 26
PREEMPHASIS = 0.97
SILENCE_DBFS = -50.0  # dB re full scale: quieter than this is silence whatever the recording
PAUSE_LEVEL = 0.25  # a pause lies below floor + this share of the (floor → speech) level range
MIN_PAUSE_FRAMES = 5  # at 25 fps, 200 ms: shorter quiet stretches are stop closures, not pauses
MIN_SPEECH_RANGE_DB = 6.0  # speech rises and falls by more than this between 10 ms blocks


@functools.lru_cache(maxsize=1)
def mel_filterbank() -> np.ndarray:
    """(26, 257) triangular filters, 0-8000 Hz, on python_speech_features' floored FFT bins."""
    def hz2mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def mel2hz(mel: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    mels = np.linspace(hz2mel(0.0), hz2mel(FEATURE_RATE / 2), N_MELS + 2)
    # The (nfft+1) factor and the floor are python_speech_features' own; kept for fidelity.
    bins = np.floor((NFFT + 1) * mel2hz(mels) / FEATURE_RATE)
    fb = np.zeros((N_MELS, NFFT // 2 + 1))
    for j in range(N_MELS):
        lo, mid, hi = int(bins[j]), int(bins[j + 1]), int(bins[j + 2])
        i = np.arange(lo, mid)
        fb[j, lo:mid] = (i - bins[j]) / (bins[j + 1] - bins[j])
        i = np.arange(mid, hi)
        fb[j, mid:hi] = (bins[j + 2] - i) / (bins[j + 2] - bins[j + 1])
    return fb


def power_frames(audio: np.ndarray) -> np.ndarray:
    """Pre-emphasised power spectra of 16 kHz mono audio.

    Args:
        audio: (n,) samples at 16 kHz, any float/int dtype and scale.

    Returns:
        (n_frames, 257) float64 ``|FFT|²/512``, ``n_frames = 1 + ceil((n - 400) / 160)``
        (1 when n <= 400); the last frame is zero-padded.
    """
    x = np.asarray(audio, dtype=np.float64).reshape(-1)
    if x.size == 0:
        raise ValueError("audio features need at least one sample")
    x = np.append(x[0], x[1:] - PREEMPHASIS * x[:-1])
    n_frames = 1 if x.size <= FRAME_SAMPLES else 1 + int(np.ceil((x.size - FRAME_SAMPLES) / HOP_SAMPLES))
    x = np.concatenate([x, np.zeros((n_frames - 1) * HOP_SAMPLES + FRAME_SAMPLES - x.size)])
    frames = np.lib.stride_tricks.sliding_window_view(x, FRAME_SAMPLES)[::HOP_SAMPLES][:n_frames]
    return np.abs(np.fft.rfft(frames, NFFT)) ** 2 / NFFT


def frame_log_mel(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """Log mel energies per video frame, normalised per recording (zero mean, unit variance per
    band) so that loudness, microphone and, in part, voice do not matter.

    Args:
        audio: (n,) mono samples, float in [-1, 1].
        sample_rate: Hz.
        fps: video frames/s.
        n_frames: frames wanted; the features are averaged over each frame's 1/fps s and the
            last value repeated if the audio is shorter.

    Returns:
        (n_frames, 26) float32.
    """
    from ..video.audio import resample

    x = resample(np.asarray(audio, np.float32), sample_rate, FEATURE_RATE)
    if x.size == 0:
        return np.zeros((n_frames, N_MELS), np.float32)
    mel = np.log(power_frames(x * 32768.0) @ mel_filterbank().T + 1e-6)  # (m, 26)
    mel = (mel - mel.mean(0)) / (mel.std(0) + 1e-6)
    # Feature frame k covers [k·10 ms, k·10 ms + 25 ms): its centre is k·10 + 12.5 ms.
    centres = (np.arange(len(mel)) * HOP_SAMPLES + FRAME_SAMPLES / 2) / FEATURE_RATE
    which = np.minimum((centres * fps).astype(int), n_frames)
    sums = np.zeros((n_frames + 1, N_MELS))
    np.add.at(sums, which, mel)
    counts = np.bincount(which, minlength=n_frames + 1)[:, None]
    out = sums[:n_frames] / np.maximum(counts[:n_frames], 1)
    empty = counts[:n_frames, 0] == 0
    if empty.any():  # frames past the audio's end (or between sparse features): carry forward
        filled = np.where(empty, 0, np.arange(n_frames))
        np.maximum.accumulate(filled, out=filled)
        out = out[filled]
    return out.astype(np.float32)


def speech_envelope(audio: np.ndarray, sample_rate: int, fps: float, n_frames: int) -> np.ndarray:
    """RMS loudness per video frame, dB re full scale, (n_frames,): the audio under each frame's
    display time (-100 past the audio's end)."""
    hop = sample_rate / fps
    edges = np.minimum(np.round(np.arange(n_frames + 1) * hop).astype(np.int64), len(audio))
    lengths = np.diff(edges)
    out = np.full(n_frames, -100.0)
    has = lengths > 0
    if has.any():
        # Sums over each frame's own samples (reduceat, not a running total: no cancellation
        # in a long recording's quiet frames); frames past the audio's end keep -100.
        power = np.add.reduceat(audio[: edges[-1]].astype(np.float64) ** 2, edges[:-1][has])
        out[has] = 10 * np.log10(power / lengths[has] + 1e-10)
    return out


def silent_frames(envelope_db: np.ndarray, min_frames: int = MIN_PAUSE_FRAMES) -> np.ndarray:
    """(n,) bool: frames inside pauses, from :func:`speech_envelope`.

    A frame is quiet below ``PAUSE_LEVEL`` of the way from the recording's noise floor (5th
    percentile) to its speech level (95th), or below ``SILENCE_DBFS``; a pause is at least
    ``min_frames`` quiet frames in a row (shorter dips are stop closures). Breaths and lip noise before speech are
    not silent: people open their mouths there.
    """
    if envelope_db.size == 0:
        return np.zeros(0, bool)
    floor, peak = np.percentile(envelope_db, 5), np.percentile(envelope_db, 95)
    quiet = (envelope_db < floor + PAUSE_LEVEL * (peak - floor)) | (envelope_db < SILENCE_DBFS)
    out = np.zeros_like(quiet)
    start = None
    for i, q in enumerate(np.r_[quiet, False]):
        if q and start is None:
            start = i
        elif not q and start is not None:
            if i - start >= min_frames:
                out[start:i] = True
            start = None
    return out


def has_speech(audio: np.ndarray, sample_rate: int) -> bool:
    """Whether a recording may hold speech: its loudest 10 ms rise above ``SILENCE_DBFS``, and
    its level varies as speech does (95th − 5th percentile of 10 ms levels ≥
    ``MIN_SPEECH_RANGE_DB``). Silence, hum and steady noise (fans, hiss, room tone) do not."""
    blocks = len(audio) * 100 // sample_rate  # whole 10 ms blocks
    if blocks == 0:
        return False
    level = speech_envelope(audio, sample_rate, 100.0, blocks)
    return bool(level.max() > SILENCE_DBFS
                and np.percentile(level, 95) - np.percentile(level, 5) >= MIN_SPEECH_RANGE_DB)
