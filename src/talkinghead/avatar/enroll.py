"""Enrollment: a person's footage + transcripts → an avatar directory.

Per clip: force-align the transcript (so a mismatching clip is skipped before any tracking),
track the face, fit head poses, label every frame with its phoneme, and cut a canonical lower-face
crop into the texture bank. Then build the phoneme-pose dictionary and write the directory
atomically (a temp directory renamed at the end).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._io import check_output
from ..errors import AlignmentError, InputError
from ..face import MOUTH, FilterOptions, TrackOptions, build_template, build_track, head_shape, lip_gap, track_frames
from ..face.track import FaceTrack
from ..motion.head import HeadStats, fit_head_style, head_stats, loudness
from ..motion.learned import MouthModel, TrainingClip, fit_mouth_model
from ..phonemes import SILENCE
from ..progress import ProgressHook, no_progress
from ..speech import Speech, align, recognise_and_align
from ..speech.features import frame_log_mel
from ..timeline import centre_frame, check_fps, covered_frames, frame_labels
from ..video import VideoInfo, probe, read_frames
from .bank import BankWriter, CropGeometry, bank_size_for
from .dictionary import Occurrence, PhonemePoseDictionary, build_dictionary
from .meta import AvatarMeta, Counts, Coverage, Quality, SourceClip
from .model import (
    BANK_FILE,
    DICTIONARY_FILE,
    META_FILE,
    MOUTH_MODEL_FILE,
    TRACKS_FILE,
    Avatar,
    AvatarTracks,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipInput:
    """One video to enroll and what is said in it (None: no transcript, pose-only)."""

    video: Path
    transcript: str | None


@dataclass(frozen=True)
class EnrollOptions:
    """Enrollment settings.

    Attributes:
        fps: frame rate of the avatar, frames/s; None = the first clip's rate.
        no_audio: build a pose-only avatar (no transcripts, no phoneme dictionary data).
        force: replace an existing output directory.
        max_residual: frames whose rigid-point fit residual exceeds this (IOD units) are not
            used as texture or shape data (profile views, tracker failures).
        bank_size: side of the bank crops, pixels; None = follows the footage (see
            :func:`~talkinghead.avatar.bank.bank_size_for`): the mouth keeps the source's own
            resolution, so an HD output's mouth is as sharp as the source's.
        bank_crf: x264 quality of bank.mp4 (lower = better; 12 is visually lossless).
        bank_video: write bank.mp4 beside the random-access store (False: a temporary avatar,
            such as a video being re-voiced, needs only the store).
        track: face-tracker settings. filters: jitter-filter settings.
    """

    fps: float | None = None
    no_audio: bool = False
    force: bool = False
    max_residual: float = 0.06
    bank_size: int | None = None
    bank_crf: int = 12
    bank_video: bool = True
    track: TrackOptions = field(default_factory=TrackOptions)
    filters: FilterOptions = field(default_factory=FilterOptions)

    def __post_init__(self) -> None:
        if self.fps is not None:
            check_fps(self.fps)


@dataclass(frozen=True)
class EnrollReport:
    """What enrollment did: the avatar, the clips it skipped (path, reason), and timings (s)."""

    avatar: Avatar
    skipped: tuple[tuple[str, str], ...]
    seconds: float
    frames: int


def enroll(clips: Sequence[ClipInput], output: str | os.PathLike,
           options: EnrollOptions = EnrollOptions(), progress: ProgressHook = no_progress
           ) -> EnrollReport:
    """Enroll a person from their footage.

    Args:
        clips: the videos, each with its transcript (English) unless ``options.no_audio``.
        output: the avatar directory to create (conventionally ``NAME.avatar``).
        options: see :class:`EnrollOptions`.
        progress: called as ("align", clips done, clips) and ("track", frames done, frames).

    Returns:
        The report with the loaded avatar.

    Raises:
        InputError: no clips, an unreadable video, a clip without sound (unless no_audio), an
            existing output (unless force), no face anywhere, every clip skipped.
    """
    t_start = time.perf_counter()
    out = Path(output)
    _check_inputs(clips, out, options)
    infos = [probe(c.video) for c in clips]
    if not options.no_audio:
        silent = [str(i.path) for i in infos if not i.has_audio]
        if silent:
            raise InputError(f"'{silent[0]}' has no audio track"
                             + (f" (and {len(silent) - 1} more clips)" if len(silent) > 1 else ""),
                             "give the recording with its sound, or use --no-audio for a "
                             "pose-only avatar")
    fps = float(options.fps or infos[0].fps)
    total_frames = sum(math.ceil(i.duration * fps) for i in infos)

    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    bank: BankWriter | None = None
    try:
        state = _Accumulator(fps)
        skipped: list[tuple[str, str]] = []
        crop: CropGeometry | None = None
        template: np.ndarray | None = None
        frames_done = 0
        for ci, (clip, info) in enumerate(zip(clips, infos)):
            speech = None
            source = "none"
            if not options.no_audio and (clip.transcript or "").strip():
                try:
                    speech = align(clip.video, clip.transcript or "")
                    source = "given"
                except (AlignmentError, InputError) as exc:
                    log.info("skipping %s: %s", clip.video, exc.message)
                    skipped.append((str(clip.video), exc.message))
                    frames_done += math.ceil(info.duration * fps)
                    progress("track", frames_done, total_frames)
                    continue
                finally:
                    progress("align", ci + 1, len(clips))
            elif not options.no_audio:
                # No transcript: what pocketsphinx hears, aligned back onto the sound; a clip where
                # nothing is recognised (another language, say) still lends its mouths and textures.
                speech = recognise_and_align(clip.video)
                if speech is not None:
                    source = "recognised"
                    clip = ClipInput(clip.video, " ".join(w.text for w in speech.words))
                    log.info("%s: recognised %d words", clip.video, len(speech.words))
                else:
                    log.info("%s: no English words recognised; its mouths and textures are used, "
                             "without phoneme timings", clip.video)
                progress("align", ci + 1, len(clips))

            base = frames_done

            def clip_progress(task: str, done: float, total: float | None, _base: int = base) -> None:
                progress("track", _base + done, total_frames)

            raw = track_frames((f.image for f in read_frames(clip.video, fps)),
                               math.ceil(info.duration * fps), options.track, clip_progress)
            frames_done = base + math.ceil(info.duration * fps)
            if not raw.found.any():
                log.info("skipping %s: no face found in any frame", clip.video)
                skipped.append((str(clip.video), "no face found in any frame"))
                continue
            if raw.max_faces_seen > 1 and not state.warned_faces:
                if options.track.face == 1:
                    log.warning("%s shows %d faces; following the largest, most central one (--face N picks "
                                "another: `talkinghead faces` numbers them)", clip.video, raw.max_faces_seen)
                else:
                    log.info("%s shows %d faces; following face %d", clip.video, raw.max_faces_seen,
                             options.track.face)
                state.warned_faces = True
            if template is None:
                template = build_template(raw.landmarks)
            track = build_track(raw, template, fps, options.filters)
            usable = track.found & (np.nan_to_num(track.residual, nan=np.inf) <= options.max_residual)
            if crop is None:
                crop = CropGeometry.from_template(template, options.bank_size or bank_size_for(track.raw_pose[usable]))
                bank = BankWriter(work / BANK_FILE, fps, crop.size, options.bank_crf, options.bank_video)
            # Second decode: cutting crops needs the pose, which needs the template, which needs
            # a first clip's track; decoding again costs far less than tracking.
            n = len(track)
            for k, frame in enumerate(read_frames(clip.video, fps)):
                if k >= n:
                    break
                if usable[k]:
                    bank.write(crop.cut(frame.image, track.raw_pose[k]))
                else:
                    bank.write(np.full((crop.size, crop.size, 3), 127, np.uint8))
            for _ in range(bank.frames_written, state.n + n):  # decoder gave fewer frames
                bank.write(np.full((crop.size, crop.size, 3), 127, np.uint8))
            state.add_clip(len(state.sources), track, usable, speech)
            state.sources.append(_source_entry(clip, info, n, speech, source))

        if not state.sources:
            reasons = "; ".join(f"{Path(p).name}: {r}" for p, r in skipped[:3])
            raise InputError(f"no clip could be enrolled ({reasons})",
                             "check that the videos show a face and the transcripts match them")
        assert bank is not None and template is not None and crop is not None
        bank.close()
        tracks = state.tracks(template)
        dictionary = build_dictionary(tracks.canonical[:, MOUTH].astype(np.float32), tracks.usable,
                                      [str(tracks.labels[i]) for i in tracks.phoneme], state.occurrences)
        mouth_model = fit_mouth_model(state.training, fps)
        if mouth_model is not None:
            mouth_model.save(work / MOUTH_MODEL_FILE)
        else:
            log.info("too little speech to learn a mouth model; key poses will drive the mouth")
        meta = _meta(state, tracks, dictionary, crop, skipped, infos[0], options, time.perf_counter() - t_start,
                     mouth_model)
        tracks.save(work / TRACKS_FILE)
        (work / DICTIONARY_FILE).write_text(json.dumps(dictionary.to_json(), ensure_ascii=False),
                                            encoding="utf-8")
        (work / META_FILE).write_text(json.dumps(meta.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        os.replace(work, out)
    except BaseException:
        if bank is not None:
            bank.abort()
        shutil.rmtree(work, ignore_errors=True)
        raise
    avatar = Avatar.load(out)
    return EnrollReport(avatar, tuple(skipped), time.perf_counter() - t_start, len(avatar.tracks))


def _check_inputs(clips: Sequence[ClipInput], out: Path, options: EnrollOptions) -> None:
    if not clips:
        raise InputError("no video to enroll", "give one or more videos of the person speaking")
    if out.exists() and not options.force:
        raise InputError(f"'{out}' already exists", "choose another -o name or add --force to replace it")
    check_output(out, what="avatar", folder=True)


class _Accumulator:
    """Per-frame arrays of all clips, gathered as they are processed."""

    def __init__(self, fps: float) -> None:
        self.fps = fps
        self.sources: list[SourceClip] = []
        self.parts: dict[str, list[np.ndarray]] = defaultdict(list)
        self.labels: list[str] = [SILENCE]
        self.occurrences: dict[str, list[Occurrence]] = defaultdict(list)
        self.training: list[TrainingClip] = []
        self.head: list[HeadStats] = []  # each clip's head motion against its speech
        self.n = 0
        self.warned_faces = False

    def add_clip(self, clip: int, track: FaceTrack, usable: np.ndarray, speech: Speech | None) -> None:
        n = len(track)
        label_idx = np.zeros(n, np.int16)
        if speech is not None:
            label_idx[:] = [self._label(p) for p in frame_labels(speech.phonemes, n, self.fps)]
            for p in speech.phonemes:
                if p.phoneme == SILENCE:
                    continue
                first, last = covered_frames(p, self.fps, n)
                self.occurrences[p.phoneme].append(
                    Occurrence(self.n + first, self.n + last, self.n + centre_frame(p, self.fps, n)))
        mouth = track.canonical[:, MOUTH]
        loud = loudness(speech.audio, speech.sample_rate, self.fps, n) if speech is not None else np.zeros(n)
        pose = np.where(usable[:, None], track.raw_pose, np.nan)  # as a viewer measures it: unfiltered
        self.head.append(head_stats(pose, loud, self.fps))
        if speech is not None:
            self.training.append(TrainingClip(
                tuple(self.labels[i] for i in label_idx), mouth.astype(np.float32), usable,
                frame_log_mel(speech.audio, speech.sample_rate, self.fps, n),
                head_shape(track.canonical)))
        self.parts["clip"].append(np.full(n, clip, np.int32))
        self.parts["frame"].append(np.arange(n, dtype=np.int32))
        self.parts["found"].append(track.found)
        self.parts["usable"].append(usable)
        self.parts["pose"].append(track.pose.astype(np.float32))
        self.parts["canonical"].append(track.canonical.astype(np.float16))
        self.parts["residual"].append(track.residual.astype(np.float32))
        self.parts["phoneme"].append(label_idx)
        self.parts["speaking"].append(label_idx != 0)
        self.parts["lip_gap"].append(lip_gap(mouth).astype(np.float32))
        self.n += n

    def _label(self, key: str) -> int:
        if key not in self.labels:
            self.labels.append(key)
        return self.labels.index(key)

    def tracks(self, template: np.ndarray) -> AvatarTracks:
        cat = {k: np.concatenate(v) for k, v in self.parts.items()}
        return AvatarTracks(labels=np.array(self.labels), template=template.astype(np.float32), **cat)


def _source_entry(clip: ClipInput, info: VideoInfo, frames: int, speech: Speech | None, source: str
                  ) -> SourceClip:
    return SourceClip(str(Path(clip.video).resolve()), frames, info.width, info.height, info.fps,
                      round(info.duration, 3), clip.transcript, len(speech.words) if speech else 0, source)


def _meta(state: _Accumulator, tracks: AvatarTracks, dictionary: PhonemePoseDictionary, crop: CropGeometry,
          skipped: list[tuple[str, str]], first: VideoInfo, options: EnrollOptions, seconds: float,
          mouth_model: MouthModel | None) -> AvatarMeta:
    own = [k for k, v in dictionary.phonemes.items() if v.backoff is None]
    return AvatarMeta(
        fps=state.fps,
        frame_size=(first.width, first.height),
        pose_only=options.no_audio,
        sources=tuple(state.sources),
        skipped=tuple(skipped),
        counts=Counts(frames=int(len(tracks)), found=int(tracks.found.sum()), usable=int(tracks.usable.sum()),
                      speaking=int(tracks.speaking.sum()), clips=len(state.sources)),
        coverage=Coverage(len(own), tuple(sorted(k for k, v in dictionary.phonemes.items() if v.backoff is not None)),
                          int(sum(len(v) for v in state.occurrences.values()))),
        quality=Quality(float(np.nanmedian(tracks.residual)), float(tracks.found.mean())),
        crop=crop,
        mouth_model_frames=mouth_model.frames if mouth_model else 0,
        head_motion=fit_head_style(state.head, tracks.canonical[tracks.usable]),
        created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        enroll_seconds=round(seconds, 2),
    )


@contextlib.contextmanager
def enroll_target(video: str | os.PathLike, near: str | os.PathLike, progress: ProgressHook = no_progress,
                  face: int = 1) -> Iterator[Avatar]:
    """A video about to be re-voiced, enrolled on the fly: its head poses, mouths and textures
    only (no sound, transcript or recognition needed), in a temporary folder beside ``near`` (the
    output file, so it lands on the same disk); the folder is removed when the block ends,
    however it ends. ``face``: which face to re-voice where several show (see ``TrackOptions.face``)."""
    parent = Path(near).parent if Path(near).parent.is_dir() else None
    with tempfile.TemporaryDirectory(prefix=".dub-target-", dir=parent) as folder:
        options = EnrollOptions(no_audio=True, track=TrackOptions(face=face), bank_video=False)
        yield enroll([ClipInput(Path(video), None)], Path(folder) / "target.avatar", options, progress).avatar
