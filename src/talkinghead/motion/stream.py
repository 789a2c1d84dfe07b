"""The universal audio→mouth model run causally, on audio that arrives in pieces (a live session).

:meth:`UniversalModel.predict <talkinghead.motion.universal.UniversalModel.predict>` reads a
whole recording: it normalises the spectrum over all of it and looks ``LOOK_AHEAD_S`` past each
frame. :class:`MouthStream` gives the same description frame by frame as the audio comes:

* the spectrum's floor and per-band mean and spread are running statistics of what has been heard
  so far (a histogram for the floor's loud-frame percentile, sums for the bands; the spread starts
  from a prior so the first frames of a stream are not blown up). A long-lived stream (a session
  hearing one reply after another) approaches the whole recording's statistics; a fresh one
  starts far from them;
* each video frame is normalised by the statistics as they stood when its last sound arrived, so
  the output does not depend on how the audio was cut into pushes;
* a video frame is described once the sound ``LOOK_AHEAD_S`` past its centre has arrived, and
  emitted one frame later (the model's ±1-frame smoothing): a look-ahead of ``LOOK_AHEAD_S`` +
  1/fps, 120 ms at 25 fps (the stream's first frame goes out without waiting for its neighbour,
  so a reply starts one frame sooner);
* the model is :func:`~talkinghead.motion.universal.stream_model`: the file weights averaged with
  the live weights, which were trained on the spectrum as this stream normalises it too, so a
  stream's first second reads about as well as the rest (benchmarks/RESULTS.md, "Design
  decisions");
* memory is bounded: only the spectrum the next frames still read (``LOOK_BEHIND_S`` before the
  next frame to describe onwards) is held.
"""

from __future__ import annotations

import numpy as np

from ..speech.features import FEATURE_RATE, FRAME_SAMPLES, HOP_SAMPLES, N_MELS, NFFT, PREEMPHASIS, mel_filterbank
from ..timeline import frame_count
from .universal import (
    DESCRIPTORS,
    FLOOR_DB,
    LOOK_AHEAD_S,
    LOOK_BEHIND_S,
    SMOOTHING,
    AveragedModel,
    UniversalModel,
    stream_model,
    taps,
)

MIN_BAND_STD = 1.0  # natural-log units: a band's spread never goes under this
# Where a stream's band spreads start (a prior worth PRIOR_FRAMES frames of sound): each band's
# spread of log power, averaged over 45 training recordings (GRID and wild,
# `training/universal_mouth.py`'s cache; recordings differ from it by about 0.5). The band means
# have no prior: one relative to the loud level read worse (benchmarks/RESULTS.md).
PRIOR_STD = np.array([2.44, 3.53, 3.88, 4.09, 4.12, 4.07, 3.77, 3.49, 3.36, 3.32, 3.28, 3.44, 3.58, 3.5,
                      3.42, 3.52, 3.66, 3.38, 3.26, 3.2, 3.05, 2.96, 2.83, 2.56, 2.6, 2.7])
PRIOR_FRAMES = 100.0
_HIST_LO, _HIST_HI, _HIST_BINS = -2.0, 14.0, 640  # log10 of a 10 ms frame's mean mel power: its histogram
_LOUD_PCT = 99.0  # the floor sits FLOOR_DB under this percentile of frame power (as offline)
# …but never under this mel power (int16-scaled, like white noise near -100 dBFS): before any speech
# is heard the loud level is unknown, and digital silence logged under a vanishing floor would
# weigh on the running statistics long after (the whole-recording floor is about this for speech)
MIN_FLOOR = 1.0


class MouthStream:
    """Causal universal-model descriptions for a stream of 16 kHz mono audio.

    Push audio with :meth:`push`, take the descriptions that became ready with :meth:`pop`
    ((k, len(DESCRIPTORS)) float32, in frame order, the speaker's own range as
    :meth:`UniversalModel.predict` gives); :meth:`end` says no more audio is coming so the last
    frames are given too.
    """

    def __init__(self, fps: float, model: UniversalModel | AveragedModel | None = None) -> None:
        self.fps = float(fps)
        self.model = model or stream_model()
        self._fb = mel_filterbank()
        self._tail = np.zeros(0, np.float64)  # samples not yet framed (pre-emphasised)
        self._last_sample = 0.0  # for pre-emphasis across pushes
        self._samples = 0  # samples pushed in all
        self._power: list[np.ndarray] = []  # recent 10 ms frames' mel power (linear), oldest first
        self._stats: list[tuple] = []  # with each: (count, sum, sum of squares, low, floor) once it was heard
        self._first_frame = 0  # mel-frame index of self._power[0]
        self._n_mel = 0  # mel frames made in all
        self._hist = np.zeros(_HIST_BINS, np.int64)
        self._count = 0
        self._sum = np.zeros(N_MELS)
        self._sumsq = np.zeros(N_MELS)
        self._low = np.full(N_MELS, np.inf)  # per-band quietest log value heard (padding before start)
        self._raw: list[np.ndarray] = []  # unsmoothed descriptions not yet emitted (at most 2)
        self._described = 0  # video frames described (unsmoothed)
        self._emitted = 0  # video frames emitted
        self._ended = False
        self._ready: list[np.ndarray] = []  # smoothed descriptions not yet popped

    @property
    def emitted(self) -> int:
        """Video frames given out so far."""
        return self._emitted

    def push(self, audio: np.ndarray) -> None:
        """Append (n,) float audio in [-1, 1] at 16 kHz."""
        if self._ended:
            raise ValueError("the stream has ended")
        x = np.asarray(audio, np.float64).reshape(-1) * 32768.0
        if x.size == 0:
            return
        emphasised = np.empty_like(x)
        emphasised[0] = x[0] - PREEMPHASIS * self._last_sample if self._samples else x[0]
        emphasised[1:] = x[1:] - PREEMPHASIS * x[:-1]
        self._last_sample = float(x[-1])
        self._samples += x.size
        self._tail = np.concatenate([self._tail, emphasised])
        n = 0 if self._tail.size < FRAME_SAMPLES else 1 + (self._tail.size - FRAME_SAMPLES) // HOP_SAMPLES
        if n:
            frames = np.lib.stride_tricks.sliding_window_view(self._tail, FRAME_SAMPLES)[::HOP_SAMPLES][:n]
            self._add_mel((np.abs(np.fft.rfft(frames, NFFT)) ** 2 / NFFT) @ self._fb.T)
            self._tail = self._tail[n * HOP_SAMPLES:]

    def end(self) -> None:
        """No more audio: the rest is silence, and every frame up to the audio's end is given."""
        if not self._ended:
            pad = int(np.ceil((LOOK_AHEAD_S + 2.0 / self.fps) * FEATURE_RATE)) + FRAME_SAMPLES
            heard = self._samples
            self.push(np.zeros(pad, np.float32))
            self._samples = heard  # the padding is not audio: frames stop at the real end
            self._ended = True

    def pop(self, limit: int | None = None) -> np.ndarray:
        """(k, D) float32 descriptions of the video frames that became ready, oldest first (at
        most ``limit``; the rest stay ready for the next call)."""
        self._ready += self._advance()
        take = len(self._ready) if limit is None else min(limit, len(self._ready))
        out, self._ready = self._ready[:take], self._ready[take:]
        return np.array(out, np.float32).reshape(-1, len(DESCRIPTORS))

    def fresh(self) -> MouthStream:
        """A new stream (the next reply of the same session) that starts from this one's spectrum
        statistics instead of cold."""
        new = MouthStream(self.fps, self.model)
        new._hist = self._hist.copy()
        new._count, new._sum, new._sumsq, new._low = self._count, self._sum.copy(), self._sumsq.copy(), self._low.copy()
        return new

    def _advance(self) -> list[np.ndarray]:
        """Describe and smooth every frame whose sound has arrived."""
        out = []
        while True:
            k = self._described
            if self._ended and k >= self._total_frames():
                break
            if not self._ended and not self._can_describe(k):
                break
            self._raw.append(self._describe(k))
            self._described += 1
            out += self._smoothed(final=False)
        if self._ended:
            out += self._smoothed(final=True)
        # Spectrum older than the next frame's first tap is not needed again.
        first_tap = ((self._described + 0.5) / self.fps - LOOK_BEHIND_S) * FEATURE_RATE
        drop = min(int((first_tap - FRAME_SAMPLES / 2) // HOP_SAMPLES) - 1 - self._first_frame, len(self._power) - 1)
        if drop > 0:
            del self._power[:drop]
            del self._stats[:drop]
            self._first_frame += drop
        return out

    # --- internals -------------------------------------------------------------------------------
    def _total_frames(self) -> int:
        return frame_count(self._samples / FEATURE_RATE, self.fps)

    def _can_describe(self, k: int) -> bool:
        """Frame k's last tap lies within the mel frames made (their centres)."""
        need = (k + 0.5) / self.fps + LOOK_AHEAD_S + HOP_SAMPLES / FEATURE_RATE  # and the frame after it
        made_until = ((self._n_mel - 1) * HOP_SAMPLES + FRAME_SAMPLES / 2) / FEATURE_RATE
        return self._n_mel > 0 and made_until >= need

    def _add_mel(self, power: np.ndarray) -> None:
        """Take new 10 ms frames' mel power; keep, with each, the statistics as they stood once it
        was heard (so a video frame's description does not depend on how the audio was cut)."""
        for row in power:
            level = np.log10(row.mean() + 1e-10)
            self._hist[int(np.clip((level - _HIST_LO) / (_HIST_HI - _HIST_LO) * _HIST_BINS, 0, _HIST_BINS - 1))] += 1
            floor = self._floor()
            logs = np.log(row + floor)
            self._count += 1
            self._sum = self._sum + logs
            self._sumsq = self._sumsq + logs ** 2
            self._low = np.minimum(self._low, logs)
            self._power.append(row)
            self._stats.append((self._count, self._sum, self._sumsq, self._low, floor))
        self._n_mel += len(power)

    def _floor(self) -> float:
        cum = np.cumsum(self._hist)
        k = int(np.searchsorted(cum, _LOUD_PCT / 100 * cum[-1]))
        loud = 10 ** (_HIST_LO + (k + 0.5) / _HIST_BINS * (_HIST_HI - _HIST_LO))
        return max(loud * 10 ** (-FLOOR_DB / 10), MIN_FLOOR) + 1e-6

    def _describe(self, k: int) -> np.ndarray:
        """Unsmoothed description of video frame k: its context in the held spectrum, normalised
        by the statistics as they stood when the last sound it reads was heard."""
        t = (k + 0.5) / self.fps + taps()  # s
        pos = (t * FEATURE_RATE - FRAME_SAMPLES / 2) / HOP_SAMPLES - self._first_frame  # in held frames
        i0 = np.floor(pos).astype(np.int64)
        w = (pos - i0)[:, None]
        last = int(min(i0[-1] + 1, len(self._power) - 1))
        count, total, squares, low, floor = self._stats[last]
        mean = total / count
        var = np.maximum(squares / count - mean ** 2, 0.0)
        var = (PRIOR_FRAMES * PRIOR_STD ** 2 + count * var) / (PRIOR_FRAMES + count)
        std = np.maximum(np.sqrt(var), MIN_BAND_STD) + 1e-3
        mel = (np.log(np.array(self._power[: last + 1]) + floor) - mean) / std
        quiet = (low - mean) / std

        def at(i: np.ndarray) -> np.ndarray:  # taps before the stream began: its quietest sound
            return np.where(((i + self._first_frame) < 0)[:, None], quiet, mel[np.clip(i, 0, last)])

        ctx = at(i0) * (1 - w) + at(i0 + 1) * w
        return self.model.apply(ctx.reshape(1, -1).astype(np.float32))[0]

    def _smoothed(self, final: bool) -> list[np.ndarray]:
        """Emit frames whose both neighbours are described (the ends repeat)."""
        a, b, c = SMOOTHING
        out = []
        while self._emitted < self._described:
            k = self._emitted
            i = k - (self._described - len(self._raw))  # index of frame k in self._raw
            if k + 1 < self._described:
                nxt = self._raw[i + 1]
            elif final or k == 0:  # the stream's first frame does not wait for its neighbour
                nxt = self._raw[i]
            else:
                break
            prev = self._raw[i - 1] if i > 0 else self._raw[i]
            out.append(a * prev + b * self._raw[i] + c * nxt)
            self._emitted += 1
            if i > 0:
                del self._raw[0]
        return out
