"""Head motion that follows the speech: how fast and how far a person's head moves, and how
closely its speed follows their loudness, learnt from their footage (a generic person for a
photo); then a new head path with the same statistics for new speech.

A speaker's head moves more on loud, stressed stretches and settles in pauses, with a short lag
(Yi et al. 2020 learn head pose from audio; DAE-Talker conditions a pose predictor on speech).
We keep that relation as a handful of statistics (:class:`HeadStyle`) measured one way for real
and rendered video alike (:func:`head_stats`), and draw a path (:func:`plan_head`) whose speed
is the person's mean speed modulated by the speech's loudness (at the person's lag and
correlation) and whose direction wanders smoothly, steered back toward the rest position so
the path keeps the person's range. One-to-many: the seed picks one of many such paths; the same
seed gives the same path.

Units: positions in IOD (inter-ocular distances, the tracker's canonical unit), speeds in IOD/s,
roll in degrees; per-frame arrays at the output's frame rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..speech.features import speech_envelope
from ..text.segment import CLOSING_MARKS

if TYPE_CHECKING:
    from ..speech import TimedWord

LOUDNESS_RANGE_DB = 40.0  # loudness 0…1 spans this far below the recording's 95th-percentile level
SMOOTH_S = 0.08  # tracked head positions are smoothed over this σ (s) before speeds are measured:
# the tracker's sub-pixel jitter is not head motion
MAX_LAG_S = 0.4  # speech-to-head lags searched, both ways, s
MIN_FRAMES = 12  # a stretch shorter than this says nothing about motion
CALIBRATION_ROUNDS = 4  # tries at matching the person's speed-loudness correlation
MIN_BROW_RAISE_IOD = 0.015  # a person whose brows rise less than this in their footage keeps them still
BROW_S = 0.5  # one brow raise, rise and fall, s
BROW_GAP_S = 1.5  # at least this between raises
BROW_LOUDNESS_PERCENTILE = 85  # an emphasised stretch: a loudness peak above this percentile of the speech
STRESS_PERCENTILE = 60  # a stressed syllable: a loudness peak above this percentile of the speech…
STRESS_GAP_S = 0.35  # …at least this far from the next louder one (about one per word)
NOD_WINDOW_S = (-0.1, 0.3)  # a nod answers a stressed syllable when its quickest downward moment is this near
MIN_NOD_SPEED = 0.05  # IOD/s: a nod moves down at least this fast…
NOD_OVER_MEDIAN = 2.0  # …and this many times the stretch's median vertical speed (not the tracker's jitter)
CHANCE_SHIFTS_S = (-4.4, -2.9, 2.3, 3.7, 5.1)  # the voice moved this far: where nods fall by chance
NOD_S = 0.4  # one planned nod, down and back, s
NOD_LAG_S = 0.05  # a planned nod starts this long after its syllable's loudness peak
NOD_SPEED = 3.0  # a planned nod's quickest downward speed, × the person's mean head speed
NODS_SEEN = 0.35  # of such nods over a wander, the share nods_over_chance counts (the rest drown in it)
QUESTION_TILT = (2.0, 1.5, 5.0)  # a question's closing tilt: × the person's roll, at least, at most (deg)
TILT_RISE_S, TILT_HOLD_S, TILT_FALL_S = 0.5, 0.3, 0.6  # into a question's last word, held, let go


@dataclass(frozen=True)
class HeadStyle:
    """How a head moves while its person speaks: what :func:`head_stats` measures on a stretch
    of video and :func:`plan_head` reproduces.

    Attributes:
        speed_iod_s: mean head speed, IOD/s.
        speed_cv: standard deviation / mean of the speed.
        range_iod: RMS distance of the head from its mean position, IOD.
        roll_deg: standard deviation of the head's roll, degrees.
        loudness_r: correlation of head speed with loudness at the best lag (NaN: silent or still).
        lag_s: that lag, s (> 0: the head follows the voice).
        brow_raise_iod: how far the person raises their brows when they do (95th percentile of
            the brow's height above the eyelids minus its median, IOD); 0: not measured.
        nods_per_stress: the share of stressed syllables the head nods on (:func:`nods_per_stress`;
            NaN: not measured).
        nods_over_chance: that share minus the share with the voice shifted by a few seconds (how
            often a head moving as this one does nods on a syllable by chance): how much this
            person's nods follow their stress (NaN: not measured).
    """

    speed_iod_s: float
    speed_cv: float
    range_iod: float
    roll_deg: float
    loudness_r: float
    lag_s: float
    brow_raise_iod: float = 0.0
    nods_per_stress: float = float("nan")
    nods_over_chance: float = float("nan")

    def to_json(self) -> dict[str, float]:
        return {k: round(float(getattr(self, k)), 5) for k in _STYLE_KEYS if np.isfinite(getattr(self, k))}

    @classmethod
    def from_json(cls, d: dict) -> HeadStyle:
        return cls(**{k: float(d[k]) for k in _STYLE_KEYS if k in d})

    def scaled(self, energy: float) -> HeadStyle:
        """The same person with ``energy`` × the head motion (speed, range, brow raises)."""
        return HeadStyle(**{k: getattr(self, k) for k in _STYLE_KEYS} | {
            k: getattr(self, k) * energy for k in ("speed_iod_s", "range_iod", "roll_deg", "brow_raise_iod")})


_STYLE_KEYS = ("speed_iod_s", "speed_cv", "range_iod", "roll_deg", "loudness_r", "lag_s", "brow_raise_iod",
               "nods_per_stress", "nods_over_chance")


@dataclass(frozen=True)
class HeadStats(HeadStyle):
    """One stretch of video's head motion against its speech (a :class:`HeadStyle` measured),
    and ``frames``: how many frames were measured."""

    frames: int = 0


# A generic speaker for a photo: the median of the 15 wild clips' own head motion, each measured
# whole (`python benchmarks/expressive.py --generic`).
GENERIC_HEAD = HeadStyle(speed_iod_s=0.204, speed_cv=0.703, range_iod=0.103, roll_deg=2.956, loudness_r=0.175,
                         lag_s=-0.133, nods_per_stress=0.308, nods_over_chance=0.0)


def loudness(audio: np.ndarray, sample_rate: int, fps: float, n: int) -> np.ndarray:
    """(n,) float32 loudness per frame, 0 (silence, or 40 dB below the loud parts) … 1 (the
    recording's loud parts: its 95th-percentile level)."""
    db = speech_envelope(np.asarray(audio, np.float32).reshape(-1), sample_rate, fps, n)
    if n == 0:
        return np.zeros(0, np.float32)
    top = np.percentile(db, 95)
    return np.clip((db - (top - LOUDNESS_RANGE_DB)) / LOUDNESS_RANGE_DB, 0.0, 1.0).astype(np.float32)


def head_positions(pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Tracked poses (n, 4) [scale px/IOD, angle rad, tx px, ty px] → head position (n, 2) in
    IOD (pixels over the stretch's median scale) and roll (n,) degrees."""
    pose = np.asarray(pose, np.float64)
    scale = np.nanmedian(pose[:, 0]) if np.isfinite(pose[:, 0]).any() else 1.0
    return pose[:, 2:4] / (scale or 1.0), np.degrees(pose[:, 1])


def head_speed(position: np.ndarray, fps: float) -> np.ndarray:
    """(n,) head speed, IOD/s, of positions (n, 2) IOD (smoothed first; NaN where unknown)."""
    p = np.asarray(position, np.float64)
    if len(p) < 2:
        return np.full(len(p), np.nan)
    p = gaussian_filter1d(p, SMOOTH_S * fps, axis=0, mode="nearest")
    v = np.linalg.norm(np.diff(p, axis=0), axis=1) * fps
    return np.r_[v[:1], v]


def _best_lag(speed: np.ndarray, loud: np.ndarray, fps: float) -> tuple[float, float]:
    """(r, lag s): the correlation of speed with loudness, best over lags within ±MAX_LAG_S."""
    best = (np.nan, 0.0)
    k = int(round(MAX_LAG_S * fps))
    for lag in range(-k, k + 1):
        # lag > 0: the head at frame f answers the voice at frame f - lag.
        a = speed[lag:] if lag >= 0 else speed[:lag]
        b = loud[: len(loud) - lag] if lag >= 0 else loud[-lag:]
        ok = np.isfinite(a) & np.isfinite(b)
        if ok.sum() < MIN_FRAMES or np.std(a[ok]) < 1e-9 or np.std(b[ok]) < 1e-9:
            continue
        r = float(np.corrcoef(a[ok], b[ok])[0, 1])
        if not np.isfinite(best[0]) or r > best[0]:
            best = (r, lag / fps)
    return best


def fill_gaps(pose: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Poses (n, k) with the rows where ``ok`` (n,) is False filled in linearly from their
    neighbours (so a frame without a face is not a jump); needs at least one ``ok`` row."""
    idx = np.arange(len(pose))
    return np.stack([np.interp(idx, idx[ok], pose[ok, c]) for c in range(pose.shape[1])], 1)


def head_stats(pose: np.ndarray, loud: np.ndarray, fps: float) -> HeadStats:
    """The head motion of one stretch: tracked poses (n, 4) (NaN rows: no face) and its
    loudness (n,) (:func:`loudness`) at ``fps``."""
    pose = np.asarray(pose, np.float64)
    ok = np.isfinite(pose).all(1)
    if ok.sum() < MIN_FRAMES:
        return HeadStats(np.nan, np.nan, np.nan, np.nan, np.nan, 0.0, frames=int(ok.sum()))
    filled = fill_gaps(pose, ok)
    position, roll = head_positions(filled)
    speed = head_speed(position, fps)
    speed[~ok] = np.nan
    smooth = gaussian_filter1d(position, SMOOTH_S * fps, axis=0, mode="nearest")[ok]
    loud = np.asarray(loud, np.float64)
    r, lag = _best_lag(speed, loud, fps)
    mean = float(np.nanmean(speed))
    nods = nod_frames(position, fps)  # the same nods, against the voice where it was and shifted
    share = _nodded_share(nods, loud, fps)
    chance = float(np.nanmean([_nodded_share(nods, np.roll(loud, int(round(s * fps))), fps)
                               for s in CHANCE_SHIFTS_S])) if np.isfinite(share) else np.nan
    return HeadStats(mean, float(np.nanstd(speed) / mean) if mean > 0 else 0.0,
                     float(np.sqrt(((smooth - smooth.mean(0)) ** 2).sum(1).mean())), float(np.std(roll[ok])),
                     r, lag, nods_per_stress=share, nods_over_chance=share - chance, frames=int(ok.sum()))


def fit_head_style(stretches: list[HeadStats], canonical: np.ndarray | None = None) -> HeadStyle | None:
    """A person's style from the stats of their clips: the median clip's figures (a clip where
    they shift in their seat does not set the style), and with their canonical landmarks of
    usable frames (n, 478, 2) how far they raise their brows (:func:`brow_raise`); None when no
    clip could be measured."""
    good = [s for s in stretches if np.isfinite(s.speed_iod_s) and s.frames >= MIN_FRAMES]
    if not good:
        return None

    def median(key: str, default: float) -> float:
        v = np.array([getattr(s, key) for s in good], np.float64)
        v = v[np.isfinite(v)]
        return float(np.median(v)) if v.size else default

    return HeadStyle(median("speed_iod_s", GENERIC_HEAD.speed_iod_s), median("speed_cv", GENERIC_HEAD.speed_cv),
                     median("range_iod", GENERIC_HEAD.range_iod), median("roll_deg", GENERIC_HEAD.roll_deg),
                     median("loudness_r", GENERIC_HEAD.loudness_r), median("lag_s", GENERIC_HEAD.lag_s),
                     brow_raise(canonical) if canonical is not None else 0.0,
                     median("nods_per_stress", GENERIC_HEAD.nods_per_stress),
                     median("nods_over_chance", GENERIC_HEAD.nods_over_chance))


def brow_raise(canonical: np.ndarray) -> float:
    """How far a person raises their brows, IOD, from their canonical landmarks (n, 478, 2) of
    usable frames: the brow's height above the upper eyelids, 95th percentile minus median."""
    from ..face.landmarks import BROWS, LEFT_EYE_UPPER, RIGHT_EYE_UPPER

    c = np.asarray(canonical, np.float32)
    if len(c) < MIN_FRAMES:
        return 0.0
    height = c[:, np.r_[RIGHT_EYE_UPPER, LEFT_EYE_UPPER], 1].mean(1) - c[:, BROWS, 1].mean(1)
    height = height[np.isfinite(height)]
    return float(np.percentile(height, 95) - np.median(height)) if height.size >= MIN_FRAMES else 0.0


def loud_peaks(loud: np.ndarray, fps: float, percentile: float, gap_s: float) -> np.ndarray:
    """Frames (k,) of the speech's loudness peaks above ``percentile`` of its speaking frames'
    loudness, at least ``gap_s`` apart (the louder kept): its stressed syllables (a low
    percentile, about a word apart) or its emphasised words (a high one, seconds apart)."""
    n = len(loud)
    smooth = gaussian_filter1d(np.asarray(loud, np.float64), 0.1 * fps, mode="nearest") if n else np.zeros(0)
    speaking = smooth > 0.2
    if not speaking.any():
        return np.zeros(0, np.int64)
    loud_enough = np.percentile(smooth[speaking], percentile)
    peaks = [f for f in range(1, n - 1) if smooth[f] >= loud_enough and smooth[f] >= smooth[f - 1]
             and smooth[f] > smooth[f + 1]]
    chosen: list[int] = []
    for f in sorted(peaks, key=lambda f: -smooth[f]):  # the loudest first, then those far enough away
        if all(abs(f - g) >= gap_s * fps for g in chosen):
            chosen.append(f)
    return np.array(sorted(chosen), np.int64)


def nod_frames(position: np.ndarray, fps: float) -> np.ndarray:
    """Frames (k,) where a head path (n, 2) IOD (image axes: y grows downward) nods: its downward
    speed peaks above ``MIN_NOD_SPEED`` and ``NOD_OVER_MEDIAN`` × its median vertical speed."""
    y = np.asarray(position, np.float64)[:, 1]
    if len(y) < 3 or not np.isfinite(y).all():
        return np.zeros(0, np.int64)
    vy = np.gradient(gaussian_filter1d(y, SMOOTH_S * fps, mode="nearest")) * fps
    floor = max(MIN_NOD_SPEED, NOD_OVER_MEDIAN * float(np.median(np.abs(vy))))
    peak = (vy[1:-1] > floor) & (vy[1:-1] >= vy[:-2]) & (vy[1:-1] > vy[2:])
    return np.flatnonzero(peak) + 1


def nods_per_stress(position: np.ndarray, loud: np.ndarray, fps: float) -> float:
    """The share of stressed syllables (:func:`loud_peaks`) the head nods on: a nod
    (:func:`nod_frames`) within ``NOD_WINDOW_S`` of the syllable; NaN without speech."""
    return _nodded_share(nod_frames(position, fps), loud, fps)


def _nodded_share(nods: np.ndarray, loud: np.ndarray, fps: float) -> float:
    """:func:`nods_per_stress` of a head whose nods (frames, :func:`nod_frames`) are known."""
    stressed = loud_peaks(loud, fps, STRESS_PERCENTILE, STRESS_GAP_S)
    if not len(stressed):
        return float("nan")
    lo, hi = NOD_WINDOW_S[0] * fps, NOD_WINDOW_S[1] * fps
    return float(np.mean([((nods >= f + lo) & (nods <= f + hi)).any() for f in stressed]))


def question_ends(words: Sequence[TimedWord]) -> list[float]:
    """When each question in ``words`` (:class:`~talkinghead.speech.TimedWord` with their
    written forms) ends, s: the end of a word written with a question mark."""
    return [w.end for w in words if (w.written or "").rstrip(CLOSING_MARKS + " ").endswith(("?", "？"))]


def plan_brows(loud: np.ndarray, fps: float, style: HeadStyle) -> np.ndarray:
    """(n,) float32 brow lift, IOD, for speech of loudness ``loud`` (n,): a rise and fall of
    ``BROW_S`` around each emphasised stretch (a loudness peak among the speech's loudest, at
    least ``BROW_GAP_S`` apart), as high as the person raises them; none for a person whose
    footage shows no raised brows (``MIN_BROW_RAISE_IOD``)."""
    n = len(loud)
    lift = np.zeros(n, np.float32)
    if n == 0 or style.brow_raise_iod < MIN_BROW_RAISE_IOD:
        return lift
    half = BROW_S * fps / 2
    frames = np.arange(n)
    for f in loud_peaks(loud, fps, BROW_LOUDNESS_PERCENTILE, BROW_GAP_S):
        d = frames - f
        bump = np.where(np.abs(d) < half, 0.5 + 0.5 * np.cos(np.pi * d / half), 0.0)
        lift = np.maximum(lift, (style.brow_raise_iod * bump).astype(np.float32))
    return lift


def _zscore(x: np.ndarray) -> np.ndarray:
    s = x.std()
    return (x - x.mean()) / s if s > 1e-9 else np.zeros_like(x)


def plan_nods(loud: np.ndarray, fps: float, style: HeadStyle, rng: np.random.Generator) -> np.ndarray:
    """(n,) float64 downward head shift, IOD: a nod (down and back over ``NOD_S``, at its
    quickest ``NOD_SPEED`` × the person's mean speed) on stressed syllables, each with the chance
    that makes the person's ``nods_over_chance`` (their nods beyond those their wander makes
    anyway) as measured (``NODS_SEEN``), drawn from ``rng``."""
    n = len(loud)
    shift = np.zeros(n)
    rate = min(1.0, style.nods_over_chance / NODS_SEEN) if np.isfinite(style.nods_over_chance) else 0.0
    depth = NOD_SPEED * style.speed_iod_s * NOD_S / np.pi  # a raised-cosine nod's top speed is depth·π/NOD_S
    if n == 0 or rate <= 0 or depth <= 0:
        return shift
    frames = np.arange(n)
    for f in loud_peaks(loud, fps, STRESS_PERCENTILE, STRESS_GAP_S):
        if rng.random() >= rate:
            continue
        t = (frames - f) / fps - NOD_LAG_S
        inside = (t >= 0) & (t <= NOD_S)
        shift[inside] = np.maximum(shift[inside], depth * 0.5 * (1 - np.cos(2 * np.pi * t[inside] / NOD_S)))
    return shift


def plan_tilts(questions: Sequence[float], n: int, fps: float, style: HeadStyle, side: float) -> np.ndarray:
    """(n,) float64 roll, deg: the head tilts (to ``side``: ±1) into each question's last word,
    holds past its end (``questions``: s) and lets go (``QUESTION_TILT`` of the person's roll)."""
    weight = np.zeros(n)
    times = np.arange(n) / fps
    for end in questions:
        rise = np.clip((times - (end - TILT_RISE_S)) / TILT_RISE_S, 0, 1)
        fall = np.clip(1 - (times - (end + TILT_HOLD_S)) / TILT_FALL_S, 0, 1)
        weight = np.maximum(weight, 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall)))
    scale, least, most = QUESTION_TILT
    return side * float(np.clip(scale * style.roll_deg, least, most)) * weight


def plan_head(loud: np.ndarray, fps: float, style: HeadStyle, seed: int = 0,
              already: HeadStats | None = None, questions: Sequence[float] = ()) -> np.ndarray:
    """A head path for speech of loudness ``loud`` (n,) at ``fps``: (n, 3) float32 [roll deg,
    shift x IOD, shift y IOD] around the rest position (0, 0, 0).

    ``already``: the motion the footage behind it has anyway (a chosen background stretch): the
    path adds only what is missing, so the sum has the style's speed and range. Stressed
    syllables get the person's nods (:func:`plan_nods`); ``questions`` (s: when each ends,
    :func:`question_ends`) a tilt of the head (:func:`plan_tilts`).
    """
    n = len(loud)
    if n == 0:
        return np.zeros((0, 3), np.float32)
    rng = np.random.default_rng(seed)
    gestures = np.random.default_rng([seed, 1])  # apart, so the wander of a seed stays as it was
    tilts = plan_tilts(questions, n, fps, style, 1.0 if gestures.random() < 0.5 else -1.0)
    nods = np.column_stack([np.zeros(n), plan_nods(loud, fps, style, gestures)])
    speed = style.speed_iod_s
    span = style.range_iod
    if already is not None and np.isfinite(already.speed_iod_s):
        speed = float(np.sqrt(max(0.0, speed**2 - already.speed_iod_s**2)))
        span = float(np.sqrt(max(0.0, span**2 - already.range_iod**2)))
    # The nods are part of the motion: the wander moves only as fast as they leave to it.
    nod_speed = float(np.nanmean(head_speed(nods, fps))) if nods.any() else 0.0
    speed = float(np.sqrt(max(0.0, speed**2 - nod_speed**2)))
    if speed <= 0 or span <= 0:
        return np.column_stack([tilts, nods]).astype(np.float32)
    # Speed: the voice's loudness (at the person's lag) and the person's own whims, mixed so the
    # speed follows the loudness with the person's correlation.
    lag = int(round(style.lag_s * fps))
    voice = np.roll(np.asarray(loud, np.float64), lag)
    if lag > 0:
        voice[:lag] = voice[lag]
    elif lag < 0:
        voice[lag:] = voice[lag - 1]
    voice = _zscore(gaussian_filter1d(voice, 0.06 * fps, mode="nearest"))
    whim = _zscore(gaussian_filter1d(rng.standard_normal(n), 0.12 * fps, mode="nearest"))
    heading = np.cumsum(gaussian_filter1d(rng.standard_normal(n), 0.1 * fps, mode="nearest") * 0.6)
    target = float(np.clip(style.loudness_r, 0.0, 0.95)) if np.isfinite(style.loudness_r) else 0.0
    # The speed as measured (turns, smoothing) follows the voice less closely than the drive
    # does: the drive's share of the voice is corrected until the measure agrees.
    mix, best = target, None
    for _ in range(CALIBRATION_ROUNDS):
        path = _path(mix * voice + np.sqrt(1 - mix * mix) * whim, heading, style.speed_cv, speed, span, fps)
        if path is None:
            return np.column_stack([tilts, nods]).astype(np.float32)
        path = path + nods
        got = _best_lag(head_speed(path, fps), np.asarray(loud, np.float64), fps)[0]
        miss = abs(got - target) if np.isfinite(got) else 1.0
        if best is None or miss < best[0]:
            best = (miss, path)
        if not np.isfinite(got) or miss < 0.02:
            break
        mix = float(np.clip(mix + (target - got), 0.0, 0.98))
    path = best[1]
    roll_scale = style.roll_deg / style.range_iod if style.range_iod > 0 else 0.0
    roll = (path[:, 0] * 0.6 - path[:, 1] * 0.4) * roll_scale
    if already is not None and np.isfinite(already.roll_deg) and style.roll_deg > 0:
        roll *= np.sqrt(max(0.0, style.roll_deg**2 - already.roll_deg**2)) / style.roll_deg
    return np.column_stack([roll + tilts, path]).astype(np.float32)


def _path(drive: np.ndarray, heading: np.ndarray, cv: float, speed: float, span: float, fps: float
          ) -> np.ndarray | None:
    """Positions (n, 2) IOD, mean 0: speed ``speed`` × (1 + ``cv`` × drive) as measured, along a
    smooth wander steered home so hard that the path keeps ``span`` (the pull that comes closest)."""
    profile = np.maximum(0.05, 1 + cv * drive)
    profile /= profile.mean()
    best = None
    for pull in (0.25, 0.5, 1.0, 2.0, 4.0, 8.0):
        unit = _walk(profile / fps, heading, pull, 1.0)
        measured = float(np.nanmean(head_speed(unit, fps))) if len(unit) > 1 else 0.0
        if not measured > 0:
            continue
        unit *= speed / measured
        got = float(np.sqrt(((unit - unit.mean(0)) ** 2).sum(1).mean()))
        miss = abs(np.log(max(got, 1e-12) / span))
        if best is None or miss < best[0]:
            best = (miss, unit)
    return None if best is None else best[1] - best[1].mean(0)


def _walk(steps: np.ndarray, heading: np.ndarray, pull: float, span: float) -> np.ndarray:
    """Positions (n, 2) of a walk taking ``steps`` (n,) IOD per frame along ``heading`` (n,) rad,
    turned toward the start by ``pull`` × (distance / ``span``)."""
    p = np.zeros(2)
    out = np.empty((len(steps), 2))
    for f, (step, h) in enumerate(zip(steps, heading)):
        d = np.array([np.cos(h), np.sin(h)]) - pull * p / span
        norm = np.linalg.norm(d)
        p = p + step * (d / norm if norm > 1e-12 else d)
        out[f] = p
    return out
