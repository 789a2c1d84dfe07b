"""Streaming video decode with PyAV: probe a file, read its frames at a constant rate."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .._threads import codec_threads
from ..errors import InputError
from .audio import media_origin

if TYPE_CHECKING:  # PyAV is imported where a file is opened
    import av

log = logging.getLogger(__name__)

DEFAULT_FPS = 25.0  # frames/s assumed when a stream states no rate at all
_VIDEO_FIX = "give a video file (mp4, mov, mkv, webm, avi, mpg)"
_VFR_PACKETS = 64  # packets demuxed (not decoded) by probe() to detect variable frame rate
_REORDER_DEPTH = 16  # max frames by which decode order runs ahead of presentation order (H.264)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video file without decoding it.

    Attributes:
        path: the file.
        width, height: frame size as shown, pixels (after the rotation below).
        fps: the video stream's average frame rate, frames/s (25.0 when the file states none); for
            a variable-rate stream, the constant rate it is read at (its base rate, e.g. 30).
        duration: length, s (the video stream's if known, else the container's).
        n_frames: estimated frame count at ``fps``: ``round(duration * fps)``.
        has_audio: the file has at least one audio stream.
        variable_rate: the first packets' timestamps are unevenly spaced (VFR); False when unknown.
        rotation: degrees counterclockwise the stored frames are turned to be shown upright (a
            phone's rotation metadata: 0, 90, 180 or 270); :func:`read_frames` applies it.
    """

    path: Path
    width: int
    height: int
    fps: float
    duration: float
    n_frames: int
    has_audio: bool
    variable_rate: bool
    rotation: int = 0


@dataclass(frozen=True, eq=False)
class Frame:
    """One output frame of :func:`read_frames`.

    Attributes:
        index: output frame number, 0-based, at the constant output rate.
        time: presentation time, s: ``index / fps``.
        image: (H, W, 3) uint8 RGB.
    """

    index: int
    time: float
    image: np.ndarray


def _check_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"video file '{p}' does not exist", "check the path")
    if p.is_dir():
        raise InputError(f"'{p}' is a folder, not a video file", _VIDEO_FIX)
    return p


def _open(p: Path) -> av.container.InputContainer:
    """Open ``p`` for reading (it has at least one video stream); InputError when FFmpeg cannot
    parse it or it has no video."""
    import av

    try:
        container = av.open(str(p))
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"'{p}' is not a readable media file ({exc.__class__.__name__}: {exc})",
                         _VIDEO_FIX) from None
    if not container.streams.video:
        container.close()
        raise InputError(f"'{p}' has no video stream", _VIDEO_FIX)
    return container


def _stream_fps(stream: av.video.stream.VideoStream) -> float:
    """Average rate of a PyAV video stream, frames/s; falls back to FFmpeg's guess, then 25."""
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate and float(rate) > 0:
            return float(rate)
    return DEFAULT_FPS


def _constant_rate(stream: av.video.stream.VideoStream, average: float) -> float:
    """The constant rate a variable-rate stream is read at, frames/s: its base rate (FFmpeg's
    r_frame_rate, the rate its timestamps are laid on: 30 for a phone's 29.7-on-average video,
    25 for a 25 fps clip with dropped frames) when that is plausible, else the average rounded."""
    for rate in (stream.base_rate, stream.guessed_rate):
        if rate and 0.9 * average <= float(rate) <= 61.0:
            return float(rate)
    return float(max(1, round(average)))


def _is_variable_rate(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> bool:
    """True when the first packets' presentation times are unevenly spaced.

    Demuxing only (no decode) keeps this cheap. Packets come in decode order, so their pts are
    sorted first. Containers round timestamps (mkv to 1 ms), hence the tolerance.
    """
    pts: list[int] = []
    cut = False
    for packet in container.demux(stream):
        if packet.pts is None:
            if packet.size:  # a real packet without a timestamp: spacing is unknowable
                return False
            continue  # the empty flush packet at the end of the stream
        pts.append(packet.pts)
        if len(pts) >= _VFR_PACKETS:
            cut = True
            break
    if stream.time_base is None:
        return False
    unique = np.unique(pts)
    if cut:
        # With B-frames, frames just after the window come earlier in decode order: the last few
        # presentation times of a cut window have holes. Drop them.
        unique = unique[:-_REORDER_DEPTH]
    if unique.size < 3:
        return False
    tb = float(stream.time_base)
    steps = np.diff(unique) * tb  # s
    if steps.size < 2:
        return False
    median = float(np.median(steps))
    tolerance = max(2 * tb, 0.002, 0.1 * median)
    return bool(steps.max() - steps.min() > tolerance)


def _quarter_turns(frame: av.VideoFrame) -> int:
    """Counterclockwise quarter turns that show ``frame`` upright (its display matrix), 0–3."""
    return int(round(float(getattr(frame, "rotation", 0) or 0) / 90.0)) % 4


def _first_rotation(container: av.container.InputContainer, stream: av.video.stream.VideoStream) -> int:
    """The first decodable frame's quarter turns (0 when none decodes)."""
    import av

    try:
        container.seek(0)
        for frame in container.decode(stream):
            return _quarter_turns(frame)
    except av.FFmpegError:
        pass
    return 0


def probe(path: str | os.PathLike) -> VideoInfo:
    """Read a video file's header (and a few packets) to describe it.

    Args:
        path: any video FFmpeg reads (mp4, mov, mkv, webm, avi, mpg, …).

    Returns:
        A :class:`VideoInfo` for the first video stream.

    Raises:
        InputError: the file is missing, a folder, not a media file (or corrupt), or has no video.
    """
    import av

    p = _check_path(path)
    container = _open(p)
    try:
        stream = container.streams.video[0]
        ctx = stream.codec_context
        fps = _stream_fps(stream)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base  # container duration is in µs
        elif stream.frames:
            duration = stream.frames / fps
        else:
            duration = 0.0
        has_audio = bool(container.streams.audio)
        try:
            variable = _is_variable_rate(container, stream)
        except av.FFmpegError:
            variable = False  # damaged packets: read_frames will report what it can
        if variable:
            fps = _constant_rate(stream, fps)
        turns = _first_rotation(container, stream)
        w, h = (int(ctx.height), int(ctx.width)) if turns % 2 else (int(ctx.width), int(ctx.height))
        return VideoInfo(path=p, width=w, height=h, fps=fps, duration=duration, n_frames=int(round(duration * fps)),
                         has_audio=has_audio, variable_rate=variable, rotation=90 * turns)
    finally:
        container.close()


def _fit(image: np.ndarray, max_size: int | None) -> np.ndarray:
    """Downscale (H, W, 3) so that its longer side is at most ``max_size`` pixels, aspect kept."""
    h, w = image.shape[:2]
    if max_size is None or max(h, w) <= max_size:
        return image
    import cv2

    scale = max_size / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # cv2 wants (width, height)
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def read_frames(path: str | os.PathLike, fps: float | None = None,
                max_size: int | None = None) -> Iterator[Frame]:
    """Decode the first video stream as a constant-rate sequence of RGB frames, streaming.

    Output frame ``k`` (time ``k / fps`` s, counted from the file's
    :func:`~talkinghead.video.audio.media_origin`, where the sound starts too) shows the decoded frame
    whose presentation time is the latest at or before ``k / fps``: frames are repeated to fill
    gaps and dropped when the source is faster, so variable-rate input comes out constant-rate.
    At most two decoded frames are held at any time. Frames are turned upright as the file's
    rotation metadata says (a phone's portrait video comes out portrait).

    Args:
        path: any video FFmpeg reads.
        fps: output rate, frames/s; None uses the stream's average rate (:func:`probe`).
        max_size: if set, frames whose longer side exceeds it are downscaled to it, pixels.

    Yields:
        :class:`Frame` with ``image`` (H, W, 3) uint8 RGB.

    Raises:
        InputError: the file is missing or unreadable, has no video stream, or no frame at all
            could be decoded. Damage after the first good frame ends the sequence with a warning.
        ValueError: ``fps`` or ``max_size`` is not positive.
    """
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if max_size is not None and max_size < 1:
        raise ValueError(f"max_size must be at least 1 pixel, got {max_size}")
    p = _check_path(path)
    # Opened here, not inside the generator, so a bad file fails at the call rather than at the
    # first next(); the generator closes the container (PyAV closes it on collection otherwise).
    return _read_frames(p, _open(p), fps, max_size)


def _read_frames(p: Path, container: av.container.InputContainer, fps: float | None, max_size: int | None) -> Iterator[Frame]:
    import av

    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"  # frame + slice threads: several times faster on H.264
        stream.thread_count = codec_threads()
        source_fps = _stream_fps(stream)
        out_fps = float(fps) if fps is not None else source_fps
        # Timestamps are rounded by containers (mkv: 1 ms); a frame this close after an output
        # instant still counts as shown at it.
        tol = 0.05 / out_fps
        k = 0  # next output frame index
        held = None  # latest decoded av.VideoFrame not yet superseded
        held_time = 0.0  # its time, s, relative to the first frame
        held_image: np.ndarray | None = None  # its RGB image, converted once, when first emitted
        t0 = media_origin(container)  # shared with the audio: a late video start keeps its offset
        n_decoded = 0

        def emit() -> Iterator[Frame]:
            nonlocal held_image, k
            if held_image is None:
                image = held.to_ndarray(format="rgb24", threads=codec_threads())
                turns = _quarter_turns(held)
                if turns:
                    image = np.ascontiguousarray(np.rot90(image, turns))
                held_image = _fit(image, max_size)
                image = held_image
            else:
                image = held_image.copy()  # duplicates are independent arrays for the caller
            yield Frame(index=k, time=k / out_fps, image=image)
            k += 1

        frames = container.decode(stream)
        while True:
            try:
                frame = next(frames)
            except StopIteration:
                break
            except av.FFmpegError as exc:
                if n_decoded == 0:
                    raise InputError(f"cannot decode any video frame of '{p}' ({exc})",
                                     "the file is damaged; re-encode or re-download it") from None
                log.warning("'%s': decoding stopped after %d frames: %s", p, n_decoded, exc)
                break
            if frame.pts is not None and frame.time_base is not None:
                t = float(frame.pts * frame.time_base)
            else:
                t = n_decoded / source_fps  # no timestamp: assume the nominal rate
            if t0 is None:
                t0 = t
            t -= t0
            n_decoded += 1
            if held is not None:
                # Every output instant before this frame's time shows the held frame.
                while k / out_fps + tol < t:
                    yield from emit()
            held, held_time, held_image = frame, t, None
        if held is None:
            raise InputError(f"no video frame could be decoded from '{p}'",
                             "the file is damaged or empty; re-encode or re-download it")
        # The last frame lasts its own duration (or one nominal source frame).
        last = 1.0 / source_fps
        if held.duration and held.time_base is not None:
            last = float(held.duration * held.time_base)
        end = held_time + last
        while k / out_fps + tol < end:
            yield from emit()
        if k == 0:  # the last frame started before 0 or was empty: still show it once
            yield from emit()
    finally:
        container.close()


def pick_frames(path: str | os.PathLike, indices: Iterable[int], fps: float | None = None
                ) -> dict[int, np.ndarray]:
    """The frames at ``indices`` (output numbering at ``fps``), in one sequential decode that
    stops after the last one; memory grows with the number of frames asked for, not the video.

    Returns:
        index → (H, W, 3) uint8 RGB; an index past the end is simply absent.
    """
    wanted = set(int(i) for i in indices)
    out: dict[int, np.ndarray] = {}
    if not wanted:
        return out
    last = max(wanted)
    for frame in read_frames(path, fps):
        if frame.index in wanted:
            out[frame.index] = frame.image
        if frame.index >= last:
            break
    return out
