"""Who speaks: one seam between speech and frames, whatever the person is made of.

A :class:`Speaker` turns :class:`~talkinghead.speech.Speech` into a video. Two kinds exist:

* :class:`AvatarSpeaker` — an enrolled person rendered from their own footage
  (:func:`~talkinghead.render.pipeline.render`), optionally re-voicing a target video;
* :class:`PhotoSpeaker` — one portrait warped to generic mouth shapes
  (:func:`~talkinghead.render.photo.render_photo`).

:func:`open_speaker` is the one place that decides which one a request means (avatar, photo, a
video to re-voice, or the built-in portrait) and refuses contradictory combinations. ``say`` and
``dub`` open a speaker per call; a caller that renders many videos of one person (a live
session, a batch worker) opens it once and passes it in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..avatar.enroll import enroll_target
from ..avatar.model import Avatar
from ..captions.files import recognised_words
from ..errors import InputError
from ..motion.style import SpeakingStyle, style_from_stats
from ..phonemes import SILENCE
from ..progress import ProgressHook, no_progress
from ..speech import Speech, TimedPhoneme, TTSOptions, align, synthesize
from ..speech.features import has_speech
from ..video import load_audio
from .photo import PHOTO_FPS, PhotoOptions, Portrait, load_portrait, render_photo
from .pipeline import RenderOptions, render
from .report import RenderReport

log = logging.getLogger(__name__)

STYLE_REFERENCE_S = 60.0  # a style reference is measured over at most its first minute
# What a speaker says to have its own delivery measured (statements, a question, pauses).
STYLE_CALIBRATION_TEXT = ("Good morning, everyone. Today we look at how the sound of speech becomes words. "
                          "Shall we begin? The lips shape every sound in turn.")


class Speaker(ABC):
    """Someone who can be shown saying speech."""

    @property
    @abstractmethod
    def fps(self) -> float:
        """The output frame rate when the options do not set one, frames/s."""

    def delivery(self, speech: Speech | None = None, recorded: bool = False,
                 progress: ProgressHook = no_progress) -> tuple[float, float]:
        """This speaker's own (mouth-opening range IOD, head speed IOD/s) as rendered, what a
        style multiplies: ``speech`` (or, None, a calibration sentence) said in the neutral
        style and measured like any video, so a reference and this speaker are compared on the
        same footing (on the same speech: a recording drives a mouth differently from TTS)."""
        from ..evaluate.delivery import measure_delivery

        with tempfile.TemporaryDirectory(prefix="talkinghead-style-") as tmp:
            out = Path(tmp) / "neutral.mp4"
            if speech is None:
                say(self, STYLE_CALIBRATION_TEXT, out, progress=progress)
            else:
                self.speak(speech, out, RenderOptions(), progress, recorded=recorded)
            d = measure_delivery(out, progress=progress)
        return d.opening_iod, d.head.speed_iod_s

    def style_like(self, clip: str | os.PathLike, speech: Speech | None = None, recorded: bool = False,
                   progress: ProgressHook = no_progress) -> SpeakingStyle:
        """The style that makes this speaker deliver like ``clip`` (anyone's video): its
        mouth-opening range and head-motion speed over this speaker's own (:meth:`delivery`,
        on ``speech`` when given: the speech about to be rendered)."""
        from ..evaluate.delivery import measure_delivery

        ref = measure_delivery(clip, STYLE_REFERENCE_S, progress)
        opening, speed = self.delivery(speech, recorded, progress)
        return style_from_stats(opening, speed, ref.opening_iod, ref.head.speed_iod_s, Path(clip).name)

    @abstractmethod
    def speak(self, speech: Speech, output: str | os.PathLike, options: RenderOptions = RenderOptions(),
              progress: ProgressHook = no_progress, seconds: dict[str, float] | None = None,
              recorded: bool = False) -> RenderReport:
        """Write an mp4 of this speaker saying ``speech`` (its audio muxed, starting at 0).

        Args:
            recorded: the speech is a recording of someone (its spectrum may drive the mouth),
                not synthetic speech (whose phoneme timings are exact and whose voice is not the
                person's).
            seconds: time already spent (e.g. on TTS), s by step, carried into the report.
        """


@dataclass(frozen=True, eq=False)
class AvatarSpeaker(Speaker):
    """An enrolled person.

    Attributes:
        avatar: whose mouth model, shapes and textures are drawn.
        video: an avatar enrolled from the video being re-voiced (its frames, head motion and
            background are kept), or None to play the avatar's own footage behind the mouth.
    """

    avatar: Avatar
    video: Avatar | None = None

    @property
    def fps(self) -> float:
        return (self.video or self.avatar).fps

    def speak(self, speech: Speech, output: str | os.PathLike, options: RenderOptions = RenderOptions(),
              progress: ProgressHook = no_progress, seconds: dict[str, float] | None = None,
              recorded: bool = False) -> RenderReport:
        return render(self.avatar, speech, output, options, progress, seconds, self.video, audio_driven=recorded)


@dataclass(frozen=True, eq=False)
class PhotoSpeaker(Speaker):
    """A talking portrait (its face found and framed by :func:`~talkinghead.render.photo.load_portrait`)."""

    portrait: Portrait

    @property
    def fps(self) -> float:
        return PHOTO_FPS

    def speak(self, speech: Speech, output: str | os.PathLike, options: RenderOptions = RenderOptions(),
              progress: ProgressHook = no_progress, seconds: dict[str, float] | None = None,
              recorded: bool = False) -> RenderReport:
        photo_options = PhotoOptions(fps=options.fps or PHOTO_FPS, crf=options.crf, style=options.style,
                                     head_motion=options.head_motion, seed=options.seed, captions=options.captions)
        return render_photo(self.portrait, speech, output, photo_options, progress, seconds)


@contextlib.contextmanager
def open_speaker(avatar: Avatar | str | os.PathLike | None = None, *, photo: str | os.PathLike | None = None,
                 video: str | os.PathLike | None = None, near: str | os.PathLike = ".",
                 progress: ProgressHook = no_progress, face: int = 1) -> Iterator[Speaker]:
    """The speaker a request means; closed (temporary files removed) when the block ends.

    Args:
        avatar: an enrolled person (an :class:`Avatar` or its folder), or None.
        photo: a portrait to animate (with no avatar); None with no avatar = the built-in one.
        video: a video to re-voice: with an avatar, that person's model and textures on the
            video's frames; without one, the video's own tracked mouths (enrolled on the fly
            next to ``near``, usually the output file).
        face: with ``video``, which face to re-voice where several show (1 = the largest, most
            central; ``talkinghead faces`` numbers them); the others are left alone.

    Raises:
        InputError: an avatar and a photo, or a video and a photo, together.
    """
    if photo is not None and avatar is not None:
        raise InputError("give an avatar or a photo, not both", "drop one of them")
    if photo is not None and video is not None:
        raise InputError("give --video or a photo, not both", "drop one of them")
    if video is not None:
        person = _load(avatar) if avatar is not None else None
        with enroll_target(video, near, progress, face) as target:
            yield AvatarSpeaker(person or target, target)
    elif avatar is not None:
        yield AvatarSpeaker(_load(avatar))
    else:
        yield PhotoSpeaker(load_portrait(photo))


def say(speaker: Speaker | Avatar | str | os.PathLike | None, text: str, output: str | os.PathLike,
        tts: TTSOptions = TTSOptions(), options: RenderOptions = RenderOptions(),
        progress: ProgressHook = no_progress, photo: str | os.PathLike | None = None,
        style_from: str | os.PathLike | None = None) -> RenderReport:
    """Text → a video of the speaker saying it (with the synthesised speech).

    ``speaker`` is a :class:`Speaker`, an avatar (or its folder), or None for a portrait:
    ``photo``, or the built-in one when that is None too. ``style_from``: a clip whose delivery
    to match (:meth:`Speaker.style_like`; replaces ``options.style``).
    """
    with _speaker(speaker, photo, None, output, progress) as who:
        t0 = time.perf_counter()
        speech = synthesize(text, tts, progress)
        if style_from is not None:
            options = replace(options, style=who.style_like(style_from, speech, False, progress))
        return who.speak(speech, output, options, progress, {"tts": time.perf_counter() - t0})


def dub(speaker: Speaker | Avatar | str | os.PathLike | None, audio: str | os.PathLike,
        output: str | os.PathLike, transcript: str | None = None, options: RenderOptions = RenderOptions(),
        progress: ProgressHook = no_progress, video: str | os.PathLike | None = None,
        photo: str | os.PathLike | None = None, face: int = 1,
        style_from: str | os.PathLike | None = None) -> RenderReport:
    """Recorded speech (anyone's) → a video of the speaker saying it.

    With a transcript the words are force-aligned and the avatar's own mouth model reads them
    (mixed with the universal model); without one the universal audio→mouth model drives the
    mouth from the sound alone (any language, no recognition), drawn in the person's own mouth
    shapes. Audio that holds no speech gives a still, closed-mouth video of its length.
    With ``video`` that video is re-voiced, keeping its own frames, head motion and background:
    with an avatar, the avatar's mouth model and textures (the person enrolled once, any of
    their videos re-voiced); without one, the video's own tracked mouths lend their shapes and
    textures (its sound, if any, is not needed).
    With neither an avatar nor a video a portrait says it: ``photo``, or the built-in one.
    ``face`` picks the face of ``video`` to re-voice where several show. ``style_from``: a clip
    whose delivery to match (:meth:`Speaker.style_like`; replaces ``options.style``).
    Captions (``options.captions``) need the transcript, or ``recognise`` in them: the English
    words speech recognition hears, marked as recognised (the mouth still follows the sound).
    """
    t0 = time.perf_counter()
    recognise = False
    if options.captions is not None and not (transcript and transcript.strip()):
        if not options.captions.recognise:
            raise InputError("captions of a recording need its words, and no transcript was given",
                             "give the transcript (--text / --text-file), or caption what speech "
                             "recognition hears (--recognise: English, marked as recognised)")
        recognise = True
    with _speaker(speaker, photo, video, output, progress, face) as who:
        speech = _recorded_speech(audio, transcript, options.fps or who.fps, progress, recognise)
        if style_from is not None:
            options = replace(options, style=who.style_like(style_from, speech, True, progress))
        return who.speak(speech, output, options, progress, {"speech": time.perf_counter() - t0}, recorded=True)


def _speaker(speaker: Speaker | Avatar | str | os.PathLike | None, photo: str | os.PathLike | None,
             video: str | os.PathLike | None, output: str | os.PathLike,
             progress: ProgressHook, face: int = 1) -> contextlib.AbstractContextManager[Speaker]:
    if isinstance(speaker, Speaker):
        if photo is not None or video is not None:
            raise InputError("an opened speaker takes no photo or video", "open the speaker with them")
        return contextlib.nullcontext(speaker)
    return open_speaker(speaker, photo=photo, video=video, near=output, progress=progress, face=face)


def _recorded_speech(audio: str | os.PathLike, transcript: str | None, fps: float,
                     progress: ProgressHook, recognise: bool = False) -> Speech:
    """A recording with its words timed when the transcript is given (force-aligned); without
    one it is left untimed (the universal model reads its sound), its words recognised only
    with ``recognise`` (for captions: they do not drive the mouth). A recording with no speech
    is one long pause."""
    samples, rate = load_audio(audio)
    duration = len(samples) / rate
    if duration < 1.0 / fps:
        raise InputError(f"'{audio}' lasts {duration * 1000:.0f} ms, less than one video frame",
                         "give a longer recording")
    if not has_speech(samples, rate):
        log.info("no speech in %s: the mouth stays closed", audio)
        return Speech(samples, rate, (TimedPhoneme(SILENCE, 0.0, duration),), (), "silence")
    if not (transcript and transcript.strip()):
        words = recognised_words(samples, rate, str(audio)) if recognise else ()
        return Speech(samples, rate, (), words, "untimed", {"recognised": True} if recognise else {})
    return align((samples, rate), transcript, progress=progress)


def _load(avatar: Avatar | str | os.PathLike) -> Avatar:
    return avatar if isinstance(avatar, Avatar) else Avatar.load(Path(avatar))
