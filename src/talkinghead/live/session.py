"""A live session: an enrolled person (or a portrait) who speaks while the speech arrives.

Audio (or text, synthesised phrase by phrase) is pushed in pieces; frames come out with the audio
that plays with them. Between replies the person idles: a steady stretch of their own footage,
looped forwards and backwards (no jump at the turns), untouched; a portrait blinks and sways
with closed lips. While speech plays, the mouth is
the universal model's, run causally (:class:`~talkinghead.motion.stream.MouthStream`: the frame
is drawn once the sound 80 ms past it, and its neighbour's, has arrived), drawn in the person's
mouth space, textured from their bank one frame at a time
(:class:`~talkinghead.render.retrieve.TextureChooser`) — or, for a portrait, its lips warped in
the generic mouth space of its face.

The output timeline never stops: a frame is due every 1/fps s. A reply starts once the sound its
first frame reads has arrived (the model's look-ahead: 80 ms past the frame, and the next frame);
if its audio then arrives slower than it plays (an underrun), the missing stretch is played as
silence, so picture and sound stay together. :meth:`Session.interrupt` drops what is queued; the
next frame is idle.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import re
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..avatar.model import Avatar
from ..captions import mouth_box
from ..errors import InputError
from ..face import MOUTH
from ..face.pose import apply_pose
from ..motion import MouthSpace
from ..motion.idle import blinks, head_sway
from ..motion.stream import MouthStream
from ..motion.visemes import generic_mouths
from ..render.background import ping_pong, plan_background
from ..render.photo import PhotoAnimator, Portrait
from ..render.pipeline import MouthPainter, bank_crops
from ..render.retrieve import TextureChooser, TextureIndex
from ..render.speaker import AvatarSpeaker, PhotoSpeaker, Speaker, open_speaker
from ..speech import TimedWord, TTSOptions, synthesize
from ..timeline import check_fps
from ..video import pick_frames
from ..video.audio import resample

log = logging.getLogger(__name__)

LIVE_RATE = 16000  # Hz: the audio that comes out with the frames (and that the mouth model reads)
MAX_TEXTURES = 3000  # bank frames a session draws mouths from (spread over the footage): memory stays bounded
MIN_RATE, MAX_RATE = 8000, 192000  # Hz of pushed audio accepted
FADE_FRAMES = 3  # the drawn mouth fades in over this many frames as a reply starts, and out as it ends
PHOTO_IDLE_S = 30.0  # a portrait's idle loop: this much blinking and sway, played forwards then back
# A phrase ends at a mark and the space after it (not inside "$12.50" or "3:15"); Chinese marks need no space.
_PHRASE_END = re.compile(r"(?<=[.!?;:])\s+|(?<=[。！？；：])\s*")


@dataclass(frozen=True)
class LiveOptions:
    """Live-session settings.

    Attributes:
        fps: output frame rate, frames/s; None = the avatar's.
        paced: hand out frames on the wall clock (one every 1/fps s, as a player needs them);
            False = as fast as they can be made (tests, files).
        tts: the voice of :meth:`Session.push_text`.
    """

    fps: float | None = None
    paced: bool = False
    tts: TTSOptions = field(default_factory=TTSOptions)

    def __post_init__(self) -> None:
        if self.fps is not None:
            check_fps(self.fps)


@dataclass(frozen=True, eq=False)
class LiveFrame:
    """One output frame and the sound that plays with it.

    Attributes:
        index: frame number since the session opened.
        time: its presentation time, s (index / fps).
        image: (H, W, 3) uint8 RGB.
        audio: (k,) float32 samples at ``sample_rate`` (k ≈ sample_rate / fps; the frames' samples
            add up exactly).
        sample_rate: Hz.
        speaking: the frame belongs to a reply (False: idle).
        mouth_box: (x0, y0, x1, y1) px around the face's mouth and jaw in ``image`` (what text
            drawn over the frame, a caption, keeps clear of), or None where no face is known.
    """

    index: int
    time: float
    image: np.ndarray
    audio: np.ndarray
    sample_rate: int
    speaking: bool
    mouth_box: tuple[float, float, float, float] | None = None


class _Face(ABC):
    """What a session draws: the person idling in an endless loop of ``cycle`` frames, and a given
    mouth over frame ``k`` of that loop.

    Attributes:
        space: the person's mouth space (the universal model's descriptions → their shapes).
        cycle: frames in the idle loop (it repeats without a jump).
    """

    space: MouthSpace
    cycle: int

    @abstractmethod
    def own_mouth(self, k: int) -> np.ndarray:
        """(N_MOUTH, 2) canonical, IOD units: the mouth loop frame ``k`` shows on its own."""

    @abstractmethod
    def mouth_box(self, k: int) -> tuple[float, float, float, float] | None:
        """(x0, y0, x1, y1) px around the mouth and jaw of loop frame ``k``."""

    @abstractmethod
    def idle(self, k: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB: loop frame ``k`` untouched."""

    @abstractmethod
    def draw(self, k: int, mouth: np.ndarray, opacity: float, hold: bool = False) -> np.ndarray:
        """(H, W, 3) uint8 RGB: loop frame ``k`` with ``mouth`` (N_MOUTH, 2) canonical drawn at
        ``opacity`` (< 1: the frame's own mouth shows through); ``hold`` keeps the texture of the
        last drawn frame (a fade-out) instead of choosing one for ``mouth``."""

    def reset(self) -> None:  # noqa: B027 - most faces keep nothing between replies
        """A reply ended (textures are chosen afresh for the next)."""


class _AvatarFace(_Face):
    """An enrolled person: a steady stretch of their footage, forwards then backwards, untouched
    when idle; while speaking, a bank frame's mouth warped to the model's shape over it."""

    def __init__(self, avatar: Avatar) -> None:
        t = avatar.tracks
        mouths = t.canonical[:, MOUTH].astype(np.float32)
        self.space = MouthSpace.fit(mouths, t.usable)
        usable = t.usable.copy()
        if usable.sum() > MAX_TEXTURES:  # keep an even spread of the footage
            keep = np.flatnonzero(usable)[np.linspace(0, usable.sum() - 1, MAX_TEXTURES).round().astype(int)]
            usable[:] = False
            usable[keep] = True
        self.chooser = TextureChooser(TextureIndex.build(mouths, usable, t.clip))
        self.crops = bank_crops(avatar, set(int(j) for j in self.chooser.index.frames))
        self.painter = MouthPainter(avatar)
        self.background = plan_background(avatar, None)  # exactly one cycle
        held = pick_frames(self.background.source, set(int(i) for i in self.background.source_frames), avatar.fps)
        self.images = [held.get(int(i)) for i in self.background.source_frames]
        if any(im is None for im in self.images):
            raise InputError(f"the avatar's footage '{self.background.source}' could not be read",
                             "put the video back, or enroll again")
        self.cycle = len(self.images)
        self._texture = int(self.chooser.index.frames[0])

    def own_mouth(self, k: int) -> np.ndarray:
        return self.background.mouth[k]

    def mouth_box(self, k: int) -> tuple[float, float, float, float] | None:
        return mouth_box(apply_pose(self.background.pose[k], self.background.mouth[k]))

    def idle(self, k: int) -> np.ndarray:
        return self.images[k]

    def draw(self, k: int, mouth: np.ndarray, opacity: float, hold: bool = False) -> np.ndarray:
        if not hold:
            self._texture = self.chooser.choose(mouth)
        j = self._texture
        return self.painter.paint(self.images[k], self.background.pose[k], self.crops[j], j, mouth,
                                  self.background.mouth[k], opacity)

    def reset(self) -> None:
        self.chooser.reset()


class _PhotoFace(_Face):
    """A portrait: it blinks and sways (a loop of generated idle motion, forwards then back) with
    closed lips; while speaking, its lips are warped to the model's shape in the generic mouth
    space of its face."""

    def __init__(self, portrait: Portrait, fps: float) -> None:
        self.animator = PhotoAnimator(portrait)
        self.space = MouthSpace.fit(generic_mouths(self.animator.rest_mouth))
        n = max(2, int(PHOTO_IDLE_S * fps))
        self.blink = blinks(n, fps)
        self.sway = head_sway(n, fps)
        self.order = ping_pong(n, 2 * n - 2)
        self.cycle = len(self.order)
        self._mouth_box = mouth_box(portrait.landmarks[MOUTH])

    def own_mouth(self, k: int) -> np.ndarray:
        return self.animator.rest_mouth

    def mouth_box(self, k: int) -> tuple[float, float, float, float] | None:
        return self._mouth_box  # the sway is small: the caption's margin covers it

    def idle(self, k: int) -> np.ndarray:
        return self.draw(k, self.animator.rest_mouth, 1.0)

    def draw(self, k: int, mouth: np.ndarray, opacity: float, hold: bool = False) -> np.ndarray:
        # The warp is continuous: a mouth blended towards the rest shape is all a fade needs.
        o = self.order[k]
        return self.animator.render(mouth, float(self.blink[o]), self.sway[o])


class Session:
    """A live session of one enrolled person; see the module's docstring. Thread-safe: push from
    one thread while another iterates :meth:`frames`."""

    def __init__(self, speaker: Speaker, options: LiveOptions = LiveOptions()) -> None:
        self.fps = float(options.fps or speaker.fps)
        if isinstance(speaker, AvatarSpeaker) and speaker.video is None:
            self.face: _Face = _AvatarFace(speaker.avatar)
        elif isinstance(speaker, PhotoSpeaker):
            self.face = _PhotoFace(speaker.portrait, self.fps)
        else:
            raise InputError("a live session needs an enrolled avatar or a portrait",
                             "open one with `talkinghead enroll`, or give a photo")
        self.options = options
        self._lock = threading.Condition()
        self._queue: collections.deque[np.ndarray] = collections.deque()  # pushed audio at LIVE_RATE
        self._flushed = False  # the current reply has all its audio
        self._stream: MouthStream | None = None  # the current reply's mouth model
        self._stats_from: MouthStream | None = None  # the last reply's (its statistics carry over)
        self._reply_audio = np.zeros(0, np.float32)  # the current reply's audio not yet played
        self._started = False  # the current reply has shown its first frame
        self._reply_frames = 0  # frames the current reply has shown
        self._fade_out: list[np.ndarray] = []  # the last reply's mouth, still fading out
        self._epoch = 0  # counts interruptions: speech synthesised before one is dropped
        self._reply_pushed = 0  # samples given to the current reply (played, held or queued)
        self._reply_words: list[TimedWord] = []  # its words, s from the reply's first sample
        self._reply_t0: float | None = None  # session time of the reply's first frame, s
        self._said: list[TimedWord] = []  # words of earlier replies, session time
        self._closed = False
        self._index = 0
        self._samples_out = 0  # samples handed out with frames
        self._t0: float | None = None

    # --- input -----------------------------------------------------------------------------------
    def push_audio(self, pcm: np.ndarray, sample_rate: int, last: bool = False,
                   words: Sequence[TimedWord] = ()) -> None:
        """Queue speech: (n,) or (n, channels) samples, float in [-1, 1] or int16, any chunk size.
        ``last`` ends the reply (as :meth:`flush`). ``words``: what is said in this chunk, timed in
        s from its first sample (for :attr:`spoken_words`: captions), if known."""
        self._check_open()
        if not MIN_RATE <= int(sample_rate) <= MAX_RATE:
            raise InputError(f"audio at {sample_rate} Hz", f"push audio at {MIN_RATE}–{MAX_RATE} Hz")
        x = np.asarray(pcm)
        if x.dtype == np.int16:
            x = x.astype(np.float32) / 32768.0
        if x.ndim == 2:
            x = x.mean(axis=1)
        if x.ndim != 1 or not np.issubdtype(x.dtype, np.number):
            raise InputError("audio must be (samples,) or (samples, channels) numbers", "push PCM samples")
        x = np.nan_to_num(x.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        self._queue_audio(resample(np.clip(x, -1.0, 1.0), int(sample_rate), LIVE_RATE), last, words=words)

    def _queue_audio(self, x: np.ndarray, last: bool, epoch: int | None = None,
                     words: Sequence[TimedWord] = ()) -> None:
        """Queue (n,) float32 samples at LIVE_RATE, and the words said in them (s from their
        start), unless an interruption came after ``epoch``."""
        with self._lock:
            if epoch is not None and epoch != self._epoch:
                return
            offset = self._reply_pushed / LIVE_RATE
            self._reply_words += [replace(w, start=w.start + offset, end=w.end + offset) for w in words]
            self._reply_pushed += len(x)
            if x.size:
                self._queue.append(x)
                self._flushed = False
            if last:
                self._flushed = True
            self._lock.notify_all()

    def push_text(self, text: str) -> None:
        """Speak ``text``: synthesised phrase by phrase (speaking starts with the first phrase),
        then the reply ends. An :meth:`interrupt` meanwhile drops the phrases not yet queued."""
        self._check_open()
        phrases = [p for p in _PHRASE_END.split(text) if p.strip()]
        if not phrases:
            raise InputError("nothing to speak", "push some words")
        epoch = self._epoch
        for k, phrase in enumerate(phrases):
            speech = synthesize(phrase, self.options.tts)
            if epoch != self._epoch:  # interrupted while synthesising: the rest is dropped
                return
            self._check_open()
            x = resample(np.asarray(speech.audio, np.float32), speech.sample_rate, LIVE_RATE)
            self._queue_audio(x, k == len(phrases) - 1, epoch, speech.words)

    @property
    def spoken_words(self) -> tuple[TimedWord, ...]:
        """The words said so far (given with :meth:`push_audio`, or synthesised by
        :meth:`push_text`), timed in session time, s (frame ``k`` shows ``k / fps``): what
        captions of the session's frames show. An interrupted word ends where it was cut."""
        with self._lock:
            return tuple(self._said) + tuple(self._heard())

    @property
    def upcoming_words(self) -> tuple[TimedWord, ...]:
        """The current reply's words known so far, spoken or not, in session time once the reply
        has started (its first frame is out), else (): what a caption drawn over its frames shows."""
        with self._lock:
            if self._reply_t0 is None:
                return ()
            t0 = self._reply_t0
            return tuple(replace(w, start=w.start + t0, end=w.end + t0) for w in self._reply_words)

    def _heard(self) -> list[TimedWord]:
        """The current reply's words begun by now, in session time; under the lock."""
        if self._reply_t0 is None:
            return []
        now = self._index / self.fps
        t0 = self._reply_t0
        return [TimedWord(w.text, w.start + t0, min(w.end + t0, now), w.written)
                for w in self._reply_words if w.start + t0 < now]

    @property
    def queued_s(self) -> float:
        """Speech pushed but not yet played, s."""
        with self._lock:
            return (sum(len(x) for x in self._queue) + len(self._reply_audio)) / LIVE_RATE

    @property
    def closed(self) -> bool:
        return self._closed

    def flush(self) -> None:
        """The current reply has all its audio: its last frames come out without waiting for more."""
        with self._lock:
            self._flushed = True
            self._lock.notify_all()

    def interrupt(self) -> None:
        """Drop queued and unplayed speech (and text still being synthesised); the next frame is
        idle, mouth closed."""
        with self._lock:
            self._epoch += 1
            self._queue.clear()
            self._end_reply()
            self._fade_out = []  # an interruption closes the mouth at once
            self._lock.notify_all()

    def close(self) -> None:
        """End the session: :meth:`frames` stops; pushes are refused."""
        with self._lock:
            self._closed = True
            self._lock.notify_all()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- output ----------------------------------------------------------------------------------
    def frames(self, until_idle: bool = False) -> Iterator[LiveFrame]:
        """Frames in order, idle ones when nothing is pushed, until :meth:`close`. Paced: one every
        1/fps s of wall clock. Not paced: as fast as they are made. ``until_idle``: end once every
        pushed reply has been played (a file)."""
        while True:
            with self._lock:
                if self._closed:
                    return
                if until_idle and self._stream is None and not self._queue:
                    return
            if self.options.paced:
                self._wait_for_slot()
            frame = self._next_frame()
            if until_idle and not frame.speaking:
                with self._lock:
                    if self._stream is None and not self._queue:
                        return  # the last reply just ended: a file ends with its speech
            yield frame

    async def aframes(self, until_idle: bool = False) -> AsyncIterator[LiveFrame]:
        """:meth:`frames` as an async iterator (each frame is made in a worker thread, so the
        event loop stays free)."""
        frames = self.frames(until_idle)
        while (frame := await asyncio.to_thread(next, frames, None)) is not None:
            yield frame

    def _wait_for_slot(self) -> None:
        now = time.perf_counter()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self._index / self.fps
        if due > now:
            time.sleep(due - now)

    def _frame_samples(self) -> int:
        """Samples that play with the next frame (their running total stays index · rate / fps)."""
        return int(round((self._index + 1) * LIVE_RATE / self.fps)) - self._samples_out

    def _next_frame(self) -> LiveFrame:
        k = self._frame_samples()
        with self._lock:
            if self._stream is None and self._queue:
                self._stream = MouthStream(self.fps) if self._stats_from is None else self._stats_from.fresh()
            stream = self._stream
            if stream is not None:
                self._drain(stream)
                flushed = self._flushed
        description = None
        if stream is not None:
            description = self._next_description(stream, flushed, k)
        bg = self._index % self.face.cycle
        own = self.face.own_mouth(bg)
        if description is None:  # idle
            audio = np.zeros(k, np.float32)
            speaking = False
            if self._fade_out:  # the last reply's mouth, fading into the footage's own
                target = self._fade_out.pop(0)
                w = (len(self._fade_out) + 1) / (FADE_FRAMES + 1)
                image = self.face.draw(bg, w * target + (1 - w) * own, w, hold=True)
            else:
                image = self.face.idle(bg)
        else:
            with self._lock:
                audio = self._reply_audio[:k]
                self._reply_audio = self._reply_audio[k:]
                if self._reply_frames == 0:  # the reply's first sample plays with this frame
                    self._reply_t0 = self._index / self.fps
            if len(audio) < k:
                audio = np.concatenate([audio, np.zeros(k - len(audio), np.float32)])
            self._reply_frames += 1
            w = min(1.0, self._reply_frames / (FADE_FRAMES + 1))
            target = self.face.space.shapes(description[None])[0]
            if w < 1.0:  # as a reply starts, the footage's own mouth moves into the model's
                target = w * target + (1 - w) * own
            image = self.face.draw(bg, target, w)
            self._fade_out = [target] * FADE_FRAMES
            speaking = True
        frame = LiveFrame(self._index, self._index / self.fps, image, audio, LIVE_RATE, speaking,
                          self.face.mouth_box(bg))
        self._index += 1
        self._samples_out += k
        return frame

    def _next_description(self, stream: MouthStream, flushed: bool, k: int) -> np.ndarray | None:
        """The mouth of the reply's next frame; None when the reply is over (idle again)."""
        out = stream.pop(1)
        while not len(out):
            if flushed:
                stream.end()
                out = stream.pop(1)
                if not len(out):
                    self._finish(stream)
                    return None
                break
            if self.options.paced and not self._started:  # its first frame waits for the look-ahead
                return None
            if self.options.paced:  # an underrun: the missing sound is a pause
                silence = np.zeros(k, np.float32)
                stream.push(silence)
                with self._lock:
                    self._reply_audio = np.concatenate([self._reply_audio, silence])
                out = stream.pop(1)
                continue
            with self._lock:  # as fast as possible: wait for the rest of the reply
                while not self._queue and not self._flushed and not self._closed and self._stream is stream:
                    self._lock.wait(0.05)
                if self._stream is not stream or self._closed:
                    return None
                self._drain(stream)
                flushed = self._flushed
            out = stream.pop(1)
        self._started = True
        return out[0]

    def _drain(self, stream: MouthStream) -> None:
        """Move the queued audio into the reply (its mouth model and its sound to play); under
        the lock."""
        while self._queue:
            chunk = self._queue.popleft()
            stream.push(chunk)
            self._reply_audio = np.concatenate([self._reply_audio, chunk])

    def _end_reply(self) -> None:
        """Forget the current reply (its statistics carry over to the next); under the lock."""
        if self._stream is not None:
            self._stats_from = self._stream
        self._said += self._heard()
        # Audio still queued (pushed after the reply's end) starts the next reply, with its words.
        queued = sum(len(x) for x in self._queue)
        consumed = (self._reply_pushed - queued) / LIVE_RATE
        self._reply_words = [replace(w, start=w.start - consumed, end=w.end - consumed)
                             for w in self._reply_words if w.start >= consumed] if queued else []
        self._reply_pushed = queued
        self._reply_t0 = None
        self._stream = None
        self._reply_audio = np.zeros(0, np.float32)
        self._flushed = False
        self._started = False
        self._reply_frames = 0
        self.face.reset()

    def _finish(self, stream: MouthStream) -> None:
        with self._lock:
            if self._stream is stream:
                self._end_reply()

    def _check_open(self) -> None:
        if self._closed:
            raise InputError("the session is closed", "open a new one")


def open_session(speaker: Speaker | Avatar | str | os.PathLike | None = None,
                 options: LiveOptions = LiveOptions()) -> Session:
    """A live session of an enrolled avatar (an :class:`~talkinghead.avatar.Avatar` or its
    folder), a portrait (an image file), an opened :class:`~talkinghead.render.speaker.Speaker`,
    or None for the built-in portrait."""
    if isinstance(speaker, Speaker):
        return Session(speaker, options)
    if isinstance(speaker, (str, os.PathLike)) and not Path(speaker).is_dir():
        avatar, photo = None, speaker
    else:
        avatar, photo = speaker, None
    # Neither an avatar's nor a portrait's speaker holds anything to release.
    with open_speaker(avatar, photo=photo) as opened:
        return Session(opened, options)
