"""An avatar speaking: speech → motion → textures → frames → mp4, streamed."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from ..avatar.bank import BankStore, encode_crop
from ..avatar.model import Avatar
from ..captions import CaptionOptions, captions_in_video, mouth_box
from ..errors import InputError
from ..face import MOUTH
from ..face.pose import apply_pose
from ..motion import MotionOptions, MouthMethod, MouthSpace, plan_learned, plan_motion, plan_universal
from ..motion.head import head_stats, loudness, plan_brows, plan_head, question_ends
from ..motion.style import SpeakingStyle, articulate
from ..progress import ProgressHook, no_progress
from ..speech import Speech
from ..timeline import check_fps, frame_count
from ..video import VideoWriter, pick_frames, probe, read_frames
from ..video.interpolate import FlowInterpolator
from .background import BackgroundPlan, plan_background, plan_in_order, source_frames_needed
from .composite import Compositor
from .head import move_head, steadied
from .report import RenderReport
from .retrieve import TextureIndex, choose_textures
from .warp import warp_map

log = logging.getLogger(__name__)

HELD_MB = 200.0  # background frames decoded and held at a time, MB of RGB (200 frames at 360×288,
# 33 at 1080p: a GRID-sized stretch of footage fits, and memory does not grow with the resolution)


@dataclass(frozen=True)
class RenderOptions:
    """Rendering settings.

    Attributes:
        motion: motion synthesis (its fps is replaced by the avatar's unless ``fps`` is set).
        fps: output frame rate, frames/s; None = the avatar's. Another rate than the footage's
            (50 or 60 from 25) interpolates the background along its motion (optical flow); the
            mouth is drawn afresh on every frame.
        crf: x264 quality of the output (lower = better).
        style: the speaking style (articulation, head motion, blinks) as multipliers of the
            person's own; :data:`~talkinghead.motion.style.STYLES` has the presets.
        head_motion: move the head with the speech (:mod:`talkinghead.motion.head`): the avatar's
            own footage behind the mouth, or a photo, gets head motion learnt from the person
            (a generic speaker for a photo); a re-voiced video keeps its own. False: the
            footage's own steady stretch (a photo: a slow idle sway).
        seed: picks one of the many head paths that fit the speech (the same seed, the same video).
        captions: make captions of the words (:class:`~talkinghead.captions.CaptionOptions`: a
            subtitle track, burned in, or only for the report, which caption files are written
            from), or None for none.
    """

    motion: MotionOptions = field(default_factory=MotionOptions)
    fps: float | None = None
    crf: int = 18
    style: SpeakingStyle = field(default_factory=SpeakingStyle)
    head_motion: bool = True
    seed: int = 0
    captions: CaptionOptions | None = None

    def __post_init__(self) -> None:
        if self.fps is not None:
            check_fps(self.fps)
        if self.seed < 0:
            raise ValueError(f"seed must be 0 or more, got {self.seed}")


def render(avatar: Avatar, speech: Speech, output: str | os.PathLike,
           options: RenderOptions = RenderOptions(), progress: ProgressHook = no_progress,
           seconds: dict[str, float] | None = None, video: Avatar | None = None,
           audio_driven: bool = False) -> RenderReport:
    """Speech with timed phonemes → mp4 of the avatar speaking it (audio muxed, starts at 0).

    ``video``, an avatar enrolled from the video being re-voiced, lends its own frames in order
    (ping-pong if the speech is longer) and sets the frame rate; the default background is a
    steady stretch of the avatar's footage, ping-ponged. ``audio_driven`` lets
    the avatar's mouth model read the recording's spectrum as well as its phonemes (recorded
    speech; synthetic speech is not the person's voice, and its phoneme timings are exact).
    Untimed speech (a recording without transcript), an avatar without a mouth model, or
    ``method="universal"`` use the universal audio→mouth model in the avatar's mouth space.
    """
    seconds = dict(seconds or {})
    t0 = time.perf_counter()
    source_fps = float((video or avatar).fps)
    fps = float(options.fps or source_fps)
    motion_opts = replace(options.motion, fps=fps)
    t = avatar.tracks
    mouths = t.canonical[:, MOUTH].astype(np.float32)  # (N, N_MOUTH, 2) every bank frame's mouth
    n = frame_count(speech.duration, fps)
    captions, burner, track = captions_in_video(speech, fps, n, options.captions)
    # The footage plays at its own speed whatever the output rate: frames in between are interpolated.
    m = source_frames_needed(n, fps, source_fps)
    background = (plan_in_order(video, m) if video is not None else plan_background(avatar, m)).at_rate(
        n, fps, source_fps)
    if not speech.timed or motion_opts.method == MouthMethod.UNIVERSAL or (
            audio_driven and avatar.mouth_model is None):
        plan = plan_universal((speech.audio, speech.sample_rate), speech.duration,
                              MouthSpace.fit(mouths, t.usable), motion_opts)
    elif motion_opts.method == MouthMethod.LEARNED and avatar.mouth_model is not None:
        # A recording: the person's model mixed with the universal one in their mouth space.
        plan = plan_learned(speech.phonemes, speech.duration, avatar.mouth_model, motion_opts,
                            (speech.audio, speech.sample_rate) if audio_driven else None,
                            background.head, MouthSpace.fit(mouths, t.usable) if audio_driven else None)
    else:
        plan = plan_motion(speech.phonemes, speech.duration, avatar.dictionary.key_pose, motion_opts,
                           avatar.sequence_lookup())
    plan = replace(plan, mouth=articulate(plan.mouth, options.style.articulation))
    index = TextureIndex.build(mouths, t.usable, t.clip)
    chosen = choose_textures(index, plan.mouth)
    head = None
    if video is None and options.head_motion:  # the avatar's own footage: its head follows the speech
        style = avatar.head_style().scaled(options.style.head)
        # The stretch's own quick motion (unrelated to this speech) is taken out; its slow drift
        # stays, and the planned motion adds what the drift lacks.
        cancel, drift = steadied(background.pose, fps)
        already = head_stats(drift, np.zeros(n), fps)
        loud = loudness(speech.audio, speech.sample_rate, fps, n)
        head = plan_head(loud, fps, style, options.seed, already, question_ends(speech.words)) + cancel
        brows = plan_brows(loud, fps, style)  # raised on emphasised words, as far as the person raises them
    seconds["plan"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    crops = bank_crops(avatar, set(int(j) for j in chosen))
    frames = _background_images(background, source_fps)
    seconds["load"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    painter = MouthPainter(avatar)
    last_image = None
    with VideoWriter(output, fps, audio=speech.audio, sample_rate=speech.sample_rate, crf=options.crf,
                     subtitles=track) as writer:
        for f, image in zip(range(len(plan)), frames):
            j = int(chosen[f])
            if image is None:  # the source ended early: repeat the last frame shown
                image = last_image
            if image is None:
                raise InputError(f"no frame could be read from '{background.source}'",
                                 "check the video, or enroll again")
            last_image = image
            pose = background.pose[f]
            if head is not None:
                image, pose = move_head(image, pose, head[f], float(brows[f]))
            image = painter.paint(image, pose, crops[j], j, plan.mouth[f], background.mouth[f])
            if burner is not None:
                image = burner.draw(image, f, mouth_box(apply_pose(pose, plan.mouth[f])))
            writer.write(image)
            if f % 25 == 24 or f == len(plan) - 1:
                progress("render", f + 1, len(plan))
    seconds["render"] = time.perf_counter() - t2
    return RenderReport(Path(output), len(plan), len(plan) / fps, seconds, captions)


class MouthPainter:
    """Draws a real mouth from the avatar's bank, warped to a target shape, into a frame."""

    def __init__(self, avatar: Avatar) -> None:
        self.crop = avatar.crop
        self.mouths = avatar.tracks.canonical[:, MOUTH].astype(np.float32)  # (N, N_MOUTH, 2)
        self.compositor = Compositor(avatar.crop)

    def paint(self, image: np.ndarray, pose: np.ndarray, crop_jpeg: np.ndarray, j: int, target: np.ndarray,
              background_mouth: np.ndarray, opacity: float = 1.0) -> np.ndarray:
        """(H, W, 3) uint8 RGB ``image`` with bank frame ``j``'s mouth (its crop as JPEG bytes)
        warped to ``target`` (N_MOUTH, 2) canonical, placed in the frame's head ``pose`` (4,);
        ``background_mouth`` is the frame's own canonical mouth (what must be covered);
        ``opacity`` < 1 lets the frame's own mouth show through (a fade in or out)."""
        texture = np.ascontiguousarray(cv2.imdecode(crop_jpeg, cv2.IMREAD_COLOR)[..., ::-1])
        m = warp_map(self.crop.to_crop(self.mouths[j]), self.crop.to_crop(target), self.crop.size, self.crop.px_per_iod)
        # The texture's own lower face travels with it through the warp.
        face = cv2.remap(self.compositor.region(self.mouths[j]), m[..., 0], m[..., 1], cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        return self.compositor.render(image, pose, texture, target, background_mouth, face, opacity, texture_map=m)


def bank_crops(avatar: Avatar, wanted: set[int]) -> dict[int, np.ndarray]:
    """JPEG bytes of the wanted bank crops (held compressed: memory ∝ distinct crops, small), from
    the avatar's random-access store (:class:`~talkinghead.avatar.bank.BankStore`), or by
    decoding ``bank.mp4`` up to the last one where the store cannot be written."""
    store = BankStore.open(avatar.path, avatar.bank_path)
    if store is not None:
        missing = {j for j in wanted if j >= len(store)}
        crops = {j: store.jpeg(j) for j in wanted - missing}
    else:
        frames = pick_frames(avatar.bank_path, wanted)
        missing = wanted - set(frames)
        crops = {i: encode_crop(im) for i, im in frames.items()}
    if missing:
        raise InputError(f"avatar bank '{avatar.bank_path}' is shorter than its tracks ({len(missing)} crops missing)",
                         "enroll again with --force")
    return crops


def _background_images(plan: BackgroundPlan, source_fps: float) -> Iterator[np.ndarray | None]:
    """The plan's frames in output order (None for one past the source's end): source frames,
    or frames interpolated between two of them (an output rate other than the footage's).

    A stretch of footage (at most HELD_MB of distinct frames) is decoded once and held. A
    longer plan (a whole video re-voiced) is streamed: output frames are taken in blocks of
    that many frames, and each block's frames are read by one decoder that only restarts when a
    block goes back in the source (a ping-pong's backward pass), so memory stays bounded
    whatever the video's length and resolution.
    """
    if not plan.source.is_file():
        raise InputError(f"the avatar's footage '{plan.source}' is missing (avatars refer to it)",
                         "put the video back, or enroll again")
    pairs = _stream_background(plan, source_fps)
    if plan.fraction is None or not plan.fraction.any():
        return (a for a, _ in pairs)
    return _interpolated(plan, pairs)


def _interpolated(plan: BackgroundPlan, pairs: Iterator[tuple[np.ndarray | None, np.ndarray | None]]
                  ) -> Iterator[np.ndarray | None]:
    interpolator = FlowInterpolator()
    for f, (a, b) in enumerate(pairs):
        t = float(plan.fraction[f])
        if a is None or b is None or t == 0.0:
            yield a if a is not None else b
        else:
            key = (int(plan.source_frames[f]), int(plan.next_frames[f]))
            yield interpolator.between(a, b, t, key)


def _stream_background(plan: BackgroundPlan, source_fps: float
                       ) -> Iterator[tuple[np.ndarray | None, np.ndarray | None]]:
    """(frame, next frame) pairs of source frames in output order: the frame each output frame
    starts from and the one it is interpolated towards (the same frame when nothing is)."""
    order = [int(i) for i in plan.source_frames]
    interpolating = plan.fraction is not None and plan.fraction.any()
    nxt = [int(i) for i in plan.next_frames] if interpolating else order
    info = probe(plan.source)
    held_frames = max(8, int(HELD_MB * 2**20 // (3 * info.width * info.height)))
    if len(set(order) | set(nxt)) <= held_frames:
        held = pick_frames(plan.source, set(order) | set(nxt), source_fps)
        yield from ((held.get(i), held.get(j)) for i, j in zip(order, nxt))
        return
    # Blocks of output frames whose source frames (both of a pair) fit the memory held.
    step = max(1, held_frames // 2) if interpolating else held_frames
    decoder: Iterator | None = None
    position = -1  # index of the last frame the decoder gave
    for b in range(0, len(order), step):
        block, block_next = order[b:b + step], nxt[b:b + step]
        wanted = set(block) | set(block_next)
        if decoder is None or min(wanted) <= position:
            decoder, position = iter(read_frames(plan.source, source_fps)), -1
        got: dict[int, np.ndarray] = {}
        last = max(wanted)
        while position < last:
            frame = next(decoder, None)
            if frame is None:
                break
            position = frame.index
            if position in wanted:
                got[position] = frame.image
        yield from ((got.get(i), got.get(j)) for i, j in zip(block, block_next))
