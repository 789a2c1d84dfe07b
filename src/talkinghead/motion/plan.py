"""Key-pose insertion, interpolation and smoothing (Text2Video, Zhang et al. 2022, made concrete)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from scipy.ndimage import gaussian_filter1d

from ..face.landmarks import JAW, LIPS_INNER, LIPS_OUTER, lip_gap
from ..phonemes import SILENCE, Viseme, viseme_of
from ..speech.features import MIN_PAUSE_FRAMES, frame_log_mel, has_speech, silent_frames, speech_envelope
from ..speech.types import TimedPhoneme
from ..timeline import centre_frame, check_fps, frame_centres, frame_count, frame_labels, inner_frames
from .learned import MouthModel
from .universal import MouthSpace, UniversalModel, universal_model

_N_OUTER, _N_INNER = len(LIPS_OUTER), len(LIPS_INNER)
# Inner-lip points facing each other across the mouth (positions inside MOUTH): upper → lower.
_INNER_UPPER = np.arange(1, 10) + _N_OUTER
_INNER_LOWER = (_N_INNER - np.arange(1, 10)) + _N_OUTER
_JAW_SLICE = slice(_N_OUTER + _N_INNER, _N_OUTER + _N_INNER + len(JAW))


class MouthMethod(StrEnum):
    """What drives the mouth (see :attr:`MotionOptions.method`)."""

    LEARNED = "learned"
    KEYPOSES = "keyposes"
    UNIVERSAL = "universal"


@dataclass(frozen=True)
class MotionOptions:
    """Motion synthesis settings; defaults follow the Text2Video paper's code at 25 fps.

    Attributes:
        fps: output frame rate, frames/s.
        min_key_dist: frames; a key pose closer than this to the previous one is skipped
            (bilabials win the conflict: a closure must not be lost).
        motion_width: frames on each side of a key where the phoneme's real pose sequence is
            mixed in.
        transition_width: frames; σ of the temporal smoothing of the jaw (lips are not smoothed).
        sequence_weight: weight of the pose-sequence motion added around keys, 0–1.
        rest_pause_s: pauses longer than this (s) hold the person's rest (closed) mouth.
        seal_bilabials: close the inner lips fully during p, b, m.
        method: "learned" uses the avatar's mouth model (:mod:`talkinghead.motion.learned`)
            where it has one, else key poses; "keyposes" always uses Text2Video's key poses;
            "universal" always uses the universal audio→mouth model
            (:mod:`talkinghead.motion.universal`), which untimed recordings use anyway.
        silence_gap_iod: in pauses the learned method keeps the inner-lip gap at most this
            (IOD units) instead of sealing the lips: a person's lips rest slightly parted and
            begin to part before speech, which the model anticipates. 0.02 IOD is about 1.3 px
            at GRID size and still reads as closed (``timeline.CLOSED_LIPS_IOD``) and follows
            the real mouth better than sealed lips (benchmarks/RESULTS.md, "Design decisions").
            0 seals the lips, as does a recording without speech.
            Audible breaths before speech are not pauses: the mouth opens for them.
        hold_phonemes: a phoneme lasting 3 frames or more gets keys on its first and last
            frame (held shape, quick transitions) instead of one at its centre; used for
            generic visemes, whose shapes have no real dynamics to add between keys.
        close_short_pauses: pauses shorter than ``rest_pause_s`` get one rest key at their
            centre (weaker than a vowel beside them).
        universal_rest_s: with the universal model, silent stretches at least this long (s)
            bring the mouth to rest; in shorter ones it follows the model (real speakers often
            breathe through parted lips between phrases; benchmarks/RESULTS.md, "Design
            decisions").
        universal_weight: when a recording drives the learned method and the person's mouth
            space is known, this share of the mouth comes from the universal model (drawn in
            that space) and the rest from the person's own model: the two err differently, and
            the mix follows the real mouth better than either (benchmarks/RESULTS.md, "Design
            decisions"). 0 = the person's model alone.
    """

    fps: float = 25.0
    min_key_dist: int = 4
    motion_width: int = 3
    transition_width: float = 5.0
    sequence_weight: float = 0.5
    rest_pause_s: float = 0.15
    seal_bilabials: bool = True
    method: MouthMethod = MouthMethod.LEARNED
    silence_gap_iod: float = 0.02
    hold_phonemes: bool = False
    close_short_pauses: bool = False
    universal_rest_s: float = 0.75
    universal_weight: float = 0.3

    def __post_init__(self) -> None:
        """Raises InputError for settings no plan can honour (checked once, here)."""
        from ..errors import InputError

        if self.method not in set(MouthMethod):
            raise InputError(f"unknown motion method '{self.method}'",
                             f"use one of {', '.join(m.value for m in MouthMethod)}")
        object.__setattr__(self, "method", MouthMethod(self.method))  # a plain string is accepted
        check_fps(self.fps)
        if self.universal_rest_s < 0:
            raise InputError(f"universal_rest_s {self.universal_rest_s:g} is negative", "use 0 s or more")
        if not 0 <= self.universal_weight <= 1:
            raise InputError(f"universal_weight {self.universal_weight:g} is outside 0–1", "use a share from 0 to 1")


@dataclass(frozen=True)
class KeyPose:
    """A key pose placed on the output time line: frame index and the phoneme it shows."""

    frame: int
    phoneme: str


@dataclass(frozen=True, eq=False)
class MotionPlan:
    """Per-frame targets.

    Attributes:
        fps: frames/s.
        mouth: (n, N_MOUTH, 2) float32 canonical mouth/jaw shapes, IOD units.
        phoneme: (n,) str, the phoneme under each frame's centre ('sil' in pauses, '' where
            the motion comes from the sound alone and the phoneme is not known).
        speaking: (n,) bool, the frame is inside speech.
        keys: the key poses used.
    """

    fps: float
    mouth: np.ndarray
    phoneme: tuple[str, ...]
    speaking: np.ndarray
    keys: tuple[KeyPose, ...]

    def __len__(self) -> int:
        return len(self.mouth)


PoseLookup = Callable[[str], np.ndarray]  # phoneme → (N_MOUTH, 2) key pose ('sil' → rest)
SequenceLookup = Callable[[str, int], np.ndarray | None]  # (phoneme, width) → (2w+1, N_MOUTH, 2) deltas


def _is_bilabial(p: str) -> bool:
    return p != SILENCE and viseme_of(p) == Viseme.BILABIAL


def plan_motion(phonemes: Sequence[TimedPhoneme], duration: float, key_pose: PoseLookup,
                options: MotionOptions = MotionOptions(),
                sequence: SequenceLookup | None = None) -> MotionPlan:
    """Mouth targets for every output frame.

    Args:
        phonemes: contiguous timed phonemes covering the speech (s).
        duration: output length, s; frames = max(1, round(duration · fps)).
        key_pose: the avatar's (or a generic) phoneme → key pose lookup.
        options: see :class:`MotionOptions`.
        sequence: optional phoneme → typical pose-sequence deltas around its centre.
    """
    fps = options.fps
    n = frame_count(duration, fps)
    rest = key_pose(SILENCE)
    labels = _frame_labels(phonemes, n, fps)
    keys = _place_keys(phonemes, n, options)
    mouth = _interpolate(keys, n, key_pose, rest)
    if sequence is not None and options.sequence_weight > 0:
        for key in keys:
            if key.phoneme == SILENCE:
                continue
            deltas = sequence(key.phoneme, options.motion_width)
            if deltas is None:
                continue
            for j, d in enumerate(deltas):
                f = key.frame - options.motion_width + j
                if 0 <= f < n and labels[f] != SILENCE:
                    mouth[f] += options.sequence_weight * d
    if options.transition_width > 0 and n > 2:
        mouth[:, _JAW_SLICE] = gaussian_filter1d(mouth[:, _JAW_SLICE], options.transition_width / 2.5,
                                                 axis=0, mode="nearest")
    if options.seal_bilabials:
        _close_lips(mouth, [_is_bilabial(lab) for lab in labels], 0.0)
    return MotionPlan(fps, mouth.astype(np.float32), tuple(labels),
                      np.array([lab != SILENCE for lab in labels]), tuple(keys))


def plan_learned(phonemes: Sequence[TimedPhoneme], duration: float, model: MouthModel,
                 options: MotionOptions = MotionOptions(),
                 audio: tuple[np.ndarray, int] | None = None,
                 head: np.ndarray | None = None, space: MouthSpace | None = None,
                 universal: UniversalModel | None = None) -> MotionPlan:
    """Mouth targets for every output frame from the person's learnt mouth model.

    Args:
        phonemes: contiguous timed phonemes covering the speech (s).
        duration: output length, s; frames = max(1, round(duration · fps)).
        model: the avatar's :class:`~talkinghead.motion.learned.MouthModel`.
        options: see :class:`MotionOptions` (fps, seal_bilabials, silence_gap_iod are used).
        audio: (samples, Hz) of the recording to read loudness and vowel quality from, or None
            to go by the phonemes alone.
        head: (frames, len(HEAD_SHAPE), 2) head shape of the background frame under each output
            frame (:func:`~talkinghead.face.head_shape`), or None for the person's typical pose.
        space: the person's :class:`~talkinghead.motion.universal.MouthSpace`; with ``audio``
            the universal model's mouth in it is mixed in (``options.universal_weight``).
        universal: the universal model; None = the one shipped with the package.

    The lips close where the recording is silent
    (:func:`~talkinghead.speech.features.silent_frames`), not wherever the aligner found no
    phoneme: the breath before a sentence is audible and the mouth opens for it (on GRID about
    26 of the 41 phoneme-less frames of a clip are such). Without audio the phoneme-less frames
    close.
    """
    fps = options.fps
    n = frame_count(duration, fps)
    n_model = frame_count(duration, model.fps)
    log_mel = None if audio is None else frame_log_mel(audio[0], audio[1], model.fps, n_model)
    labels = _frame_labels(phonemes, n, fps)
    same_rate = n_model == n and model.fps == fps
    model_labels = labels if same_rate else _frame_labels(phonemes, n_model, model.fps)
    if head is not None and not same_rate:
        head = head[np.minimum(frame_centres(n_model, model.fps) * fps, n - 1).astype(int)]
    mouth = model.predict(model_labels, log_mel, head).astype(np.float64)
    if not same_rate:  # the model counts context in its own frames
        t = np.clip(frame_centres(n, fps) * model.fps - 0.5, 0, n_model - 1)
        i0 = np.floor(t).astype(int)
        i1 = np.minimum(i0 + 1, n_model - 1)
        w = (t - i0)[:, None, None]
        mouth = mouth[i0] * (1 - w) + mouth[i1] * w
    if audio is not None and space is not None and options.universal_weight > 0:
        drawn = space.shapes((universal or universal_model()).predict(audio[0], audio[1], fps, n))
        mouth = (1 - options.universal_weight) * mouth + options.universal_weight * drawn
    speaking = np.array([lab != SILENCE for lab in labels])
    if audio is None:
        pauses = ~speaking
    else:
        # One frame shorter than a pause: re-encoded audio moves quiet frames across the level.
        pauses = silent_frames(speech_envelope(audio[0], audio[1], fps, n), MIN_PAUSE_FRAMES - 1)
    # Parted lips in a pause belong to the speech around it; with no speech at all, seal them.
    _close_lips(mouth, pauses, options.silence_gap_iod if speaking.any() else 0.0)
    if options.seal_bilabials:
        _close_lips(mouth, [_is_bilabial(lab) for lab in labels], 0.0)
    return MotionPlan(fps, mouth.astype(np.float32), tuple(labels), speaking, ())


# Description of a resting mouth (see DESCRIPTORS): closed lips, relaxed height and jaw; the
# width (NaN) stays as predicted.
REST_DESCRIPTION = np.array([0.0, np.nan, 0.0, 0.0])


def plan_universal(audio: tuple[np.ndarray, int], duration: float, space: MouthSpace,
                   options: MotionOptions = MotionOptions(), model: UniversalModel | None = None
                   ) -> MotionPlan:
    """Mouth targets for every output frame from the sound alone: the universal model's
    speaker-free description (:mod:`talkinghead.motion.universal`), drawn in the person's own
    mouth space. No transcript, recogniser or language is needed.

    Args:
        audio: (samples, Hz) of the recording.
        duration: output length, s; frames = max(1, round(duration · fps)).
        space: the person's :class:`~talkinghead.motion.universal.MouthSpace`.
        options: see :class:`MotionOptions` (fps, universal_rest_s and silence_gap_iod are used).
        model: the universal model; None = the one shipped with the package.

    The mouth rests where the recording is silent for ``universal_rest_s`` or more (found with
    the whole recording in hand: a live stream will need a causal rule); a recording with no
    speech at all (:func:`~talkinghead.speech.features.has_speech`: silence, steady noise or
    hum) keeps the lips sealed throughout.
    """
    fps = options.fps
    n = frame_count(duration, fps)
    description = (model or universal_model()).predict(audio[0], audio[1], fps, n)
    # Only pauses of universal_rest_s or more rest: in shorter ones people often keep their lips
    # apart (breathing), which the model has learnt from their footage.
    pauses = silent_frames(speech_envelope(audio[0], audio[1], fps, n),
                           max(MIN_PAUSE_FRAMES - 1, round(options.universal_rest_s * fps)))
    if not has_speech(audio[0], audio[1]):
        pauses[:] = True
    speaking = ~pauses
    # In those pauses the whole mouth rests (lips, their height and the jaw at the person's usual
    # minimum), not only the inner lips: a sealed line over an open jaw draws a texture of an
    # open mouth squeezed shut, which neither looks nor re-tracks closed. Eased in and out.
    rest = np.where(pauses[:, None], REST_DESCRIPTION, description)
    weight = gaussian_filter1d(pauses.astype(np.float64), 1.0, mode="nearest")[:, None]
    description = np.where(np.isnan(REST_DESCRIPTION), description, (1 - weight) * description + weight * rest)
    mouth = space.shapes(description).astype(np.float64)
    _close_lips(mouth, pauses, options.silence_gap_iod if speaking.any() else 0.0)
    return MotionPlan(fps, mouth.astype(np.float32), tuple(SILENCE if p else "" for p in pauses),
                      speaking, ())


def _close_lips(mouth: np.ndarray, frames: Sequence[bool], max_gap: float) -> None:
    """In place: bring the facing inner-lip points of the chosen frames together until the
    central gap is at most ``max_gap`` (IOD units); 0 seals them."""
    for f in np.flatnonzero(frames):
        gap = float(lip_gap(mouth[f]))
        if 0 < max_gap and gap <= max_gap:
            continue
        keep = max_gap / gap if gap > 0 else 0.0  # sealing moves every pair, whatever the centre
        mid = (mouth[f, _INNER_UPPER] + mouth[f, _INNER_LOWER]) / 2
        mouth[f, _INNER_UPPER] = mid + (mouth[f, _INNER_UPPER] - mid) * keep
        mouth[f, _INNER_LOWER] = mid + (mouth[f, _INNER_LOWER] - mid) * keep


def _frame_labels(phonemes: Sequence[TimedPhoneme], n: int, fps: float) -> list[str]:
    """:func:`frame_labels`, where every bilabial also owns the frame holding its centre."""
    labels = frame_labels(phonemes, n, fps)
    # A bilabial shorter than a frame still closes the lips in the frame holding its centre.
    for p in phonemes:
        if _is_bilabial(p.phoneme):
            labels[centre_frame(p, fps, n)] = p.phoneme
    return labels


def _priority(phoneme: str) -> int:
    """How much a key pose matters to the eye: closures and vowels must be seen, most
    consonants are shaped by their neighbours anyway."""
    if phoneme == SILENCE:
        return 3  # pause edges hold the rest mouth
    v = viseme_of(phoneme)
    if v in (Viseme.BILABIAL, Viseme.LABIODENTAL):
        return 3
    if v in (Viseme.OPEN_VOWEL, Viseme.MID_VOWEL, Viseme.SPREAD_VOWEL, Viseme.ROUNDED_VOWEL):
        return 2
    return 1


MIN_STRONG_KEY_DIST = 2  # frames between two keys that both matter (vowel, closure, pause)


def _place_keys(phonemes: Sequence[TimedPhoneme], n: int, options: MotionOptions) -> list[KeyPose]:
    """Key poses at phoneme centres. The paper skips a key closer than ``min_key_dist`` to the
    previous one; applied blindly at 25 fps that drops the vowel of 'Bob' between its two b's.
    So the rule applies in full where a weak key (most consonants) is involved, and two strong
    keys (vowels, closures, pause edges) need only MIN_STRONG_KEY_DIST; in a conflict the
    stronger key stays."""
    fps = options.fps
    # (key, priority, latest frame it may slide to): pause edges 3, closures 3, vowels 2,
    # other consonants 1. A pause's first key may slide later inside the pause to make room.
    candidates: list[tuple[KeyPose, int, int]] = [(KeyPose(0, SILENCE), 3, 0)]
    for p in phonemes:
        first, last = inner_frames(p, fps, n)
        if p.phoneme == SILENCE:
            if p.duration >= options.rest_pause_s:  # hold rest through the pause
                candidates += [(KeyPose(first, SILENCE), 3, last), (KeyPose(last, SILENCE), 3, last)]
            elif options.close_short_pauses and last > first - 1:
                # A brief closure that must not push out the vowel beside it.
                mid = (first + last) // 2
                candidates.append((KeyPose(mid, SILENCE), 2, mid))
            continue
        prio = _priority(p.phoneme)
        if options.hold_phonemes and last - first >= 2:
            candidates += [(KeyPose(first, p.phoneme), prio, first), (KeyPose(last, p.phoneme), prio, last)]
        else:
            centre = centre_frame(p, fps, n)
            candidates.append((KeyPose(centre, p.phoneme), prio, centre))
    keys: list[KeyPose] = []
    prios: list[int] = []
    for key, prio, latest in candidates:
        if not keys:
            keys.append(key)
            prios.append(prio)
            continue
        strong = prio >= 2 and prios[-1] >= 2
        needed = max(1, min(MIN_STRONG_KEY_DIST, options.min_key_dist) if strong else options.min_key_dist)
        if key.frame - keys[-1].frame < needed <= latest - keys[-1].frame:
            key = KeyPose(keys[-1].frame + needed, key.phoneme)
        if key.frame - keys[-1].frame >= needed:
            keys.append(key)
            prios.append(prio)
        elif prio > prios[-1] and len(keys) > 1:
            keys[-1] = KeyPose(max(key.frame, keys[-2].frame + 1), key.phoneme)
            prios[-1] = prio
    if keys[-1].frame < n - 1:
        keys.append(KeyPose(n - 1, SILENCE if not phonemes or phonemes[-1].phoneme == SILENCE
                            else phonemes[-1].phoneme))
    return keys


def _interpolate(keys: list[KeyPose], n: int, key_pose: PoseLookup, rest: np.ndarray) -> np.ndarray:
    """Between keys, inverse-distance weights (w ∝ 1/d to each key: linear in time)."""
    out = np.empty((n,) + rest.shape, np.float64)
    poses = [key_pose(k.phoneme).astype(np.float64) for k in keys]
    for (k0, p0), (k1, p1) in zip(zip(keys, poses), zip(keys[1:], poses[1:])):
        span = max(1, k1.frame - k0.frame)
        for f in range(k0.frame, k1.frame + 1):
            w1 = (f - k0.frame) / span
            out[f] = (1 - w1) * p0 + w1 * p1
    if len(keys) == 1:
        out[:] = poses[0]
    out[: keys[0].frame] = poses[0]
    out[keys[-1].frame:] = poses[-1]
    return out
